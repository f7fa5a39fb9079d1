/**
 * A dependency-free SVG line chart of unallocated accelerator % against arrived %, one line per
 * policy — the figure the FGD paper draws. Pure: returns the SVG text; the CLI writes it.
 */
import type { Point } from './series.js';

export interface PlotLine {
  readonly label: string;
  readonly points: readonly Point[];
}

const COLORS = ['#1f77b4', '#ff7f0e', '#2ca02c', '#d62728', '#9467bd', '#8c564b', '#e377c2', '#7f7f7f', '#bcbd22', '#17becf'];

function escapeXml(text: string): string {
  return text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');
}

export function unallocatedSvg(lines: readonly PlotLine[], title = 'Unallocated GPUs vs arrived workload'): string {
  const width = 720;
  const height = 440;
  const m = { left: 60, right: 170, top: 40, bottom: 50 };
  const plotW = width - m.left - m.right;
  const plotH = height - m.top - m.bottom;
  const xMax = Math.max(100, ...lines.flatMap((l) => l.points.map((p) => p.arrivedPct)));
  // y axis: from 0 to a little above the largest unallocated % seen from 50 % arrived on (the
  // interesting part: where the policies differ).
  const tail = lines.flatMap((l) => l.points.filter((p) => p.arrivedPct >= 50 && Number.isFinite(p.unallocatedPct)).map((p) => p.unallocatedPct));
  const yMax = Math.max(5, Math.ceil((Math.max(0, ...tail) * 1.1) / 5) * 5);
  const x = (v: number) => m.left + (v / xMax) * plotW;
  const y = (v: number) => m.top + plotH - (Math.min(v, yMax) / yMax) * plotH;
  const out: string[] = [];
  out.push(`<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" viewBox="0 0 ${width} ${height}" font-family="sans-serif" font-size="12">`);
  out.push(`<rect width="${width}" height="${height}" fill="white"/>`);
  out.push(`<text x="${m.left}" y="22" font-size="15">${escapeXml(title)}</text>`);
  for (let v = 0; v <= xMax; v += 10) {
    out.push(`<line x1="${x(v)}" y1="${m.top}" x2="${x(v)}" y2="${m.top + plotH}" stroke="#eee"/>`);
    out.push(`<text x="${x(v)}" y="${m.top + plotH + 16}" text-anchor="middle">${v}</text>`);
  }
  const yStep = yMax <= 10 ? 1 : yMax <= 30 ? 5 : 10;
  for (let v = 0; v <= yMax; v += yStep) {
    out.push(`<line x1="${m.left}" y1="${y(v)}" x2="${m.left + plotW}" y2="${y(v)}" stroke="#eee"/>`);
    out.push(`<text x="${m.left - 6}" y="${y(v) + 4}" text-anchor="end">${v}</text>`);
  }
  out.push(`<rect x="${m.left}" y="${m.top}" width="${plotW}" height="${plotH}" fill="none" stroke="#333"/>`);
  out.push(`<text x="${m.left + plotW / 2}" y="${height - 12}" text-anchor="middle">arrived workload (% of GPU capacity)</text>`);
  out.push(`<text transform="translate(16 ${m.top + plotH / 2}) rotate(-90)" text-anchor="middle">unallocated GPUs (%)</text>`);
  lines.forEach((line, i) => {
    const color = COLORS[i % COLORS.length] as string;
    // Points above the y range are left out (the line enters from the top) rather than clipped flat.
    const d = line.points
      .filter((p) => Number.isFinite(p.unallocatedPct) && p.unallocatedPct <= yMax)
      .map((p, j) => `${j === 0 ? 'M' : 'L'}${x(p.arrivedPct).toFixed(1)},${y(p.unallocatedPct).toFixed(1)}`)
      .join(' ');
    out.push(`<path d="${d}" fill="none" stroke="${color}" stroke-width="2"/>`);
    const last = [...line.points].reverse().find((p) => Number.isFinite(p.unallocatedPct));
    const ly = m.top + 10 + i * 18;
    out.push(`<line x1="${m.left + plotW + 12}" y1="${ly}" x2="${m.left + plotW + 32}" y2="${ly}" stroke="${color}" stroke-width="3"/>`);
    const label = last ? `${line.label} (${last.unallocatedPct.toFixed(2)}%)` : line.label;
    out.push(`<text x="${m.left + plotW + 38}" y="${ly + 4}">${escapeXml(label)}</text>`);
  });
  out.push('</svg>');
  return out.join('\n') + '\n';
}
