// Two lines over time in plain SVG (like usage/BarChart): CPU % on the left axis (0–100, or more
// when oversubscribed) and memory used as a share of the node's memory, drawn at the real width.
import { useWidth } from '../ui/useWidth';
import type { FleetNode } from '../api/types';
import { bytes } from '../models/bytes';

const HEIGHT = 200;
const PAD = { top: 12, right: 56, bottom: 28, left: 44 };

const time = (iso: string) => new Date(iso).toLocaleTimeString([], { hour: '2-digit', minute: '2-digit' });

export function UtilisationChart({ node }: { node: FleetNode }) {
  const [ref, width] = useWidth<HTMLDivElement>();
  const samples = node.samples;
  const plotWidth = Math.max(0, width - PAD.left - PAD.right);
  const plotHeight = HEIGHT - PAD.top - PAD.bottom;
  const cpuTop = Math.max(100, Math.ceil(Math.max(0, ...samples.map((s) => s.cpu_pct)) / 50) * 50);
  const memTop = Math.max(1, node.memoryBytes);
  const x = (i: number) => PAD.left + (samples.length > 1 ? (i / (samples.length - 1)) * plotWidth : plotWidth / 2);
  const yFrac = (f: number) => PAD.top + plotHeight - Math.min(1, Math.max(0, f)) * plotHeight;
  const path = (f: (s: FleetNode['samples'][number]) => number) =>
    samples.map((s, i) => `${i === 0 ? 'M' : 'L'}${x(i).toFixed(1)},${yFrac(f(s)).toFixed(1)}`).join(' ');
  const last = samples.at(-1);

  return (
    <div>
      <div className="legend" aria-hidden="true">
        <span>
          <span className="swatch" style={{ background: 'var(--accent)' }} />
          CPU {last ? `${last.cpu_pct.toFixed(1)}%` : ''}
        </span>
        <span>
          <span className="swatch" style={{ background: 'var(--danger)' }} />
          Memory used {last ? `${bytes(last.memory_used_bytes)} of ${bytes(node.memoryBytes)}` : ''}
        </span>
      </div>
      <div className="chart" ref={ref} style={{ minHeight: HEIGHT }}>
        {width > 0 && samples.length > 0 && (
          <svg width={width} height={HEIGHT} role="img" aria-label={`CPU and memory of ${node.hostname}`} data-testid="fleet-chart" data-points={samples.length}>
            {[0, 0.25, 0.5, 0.75, 1].map((f) => (
              <g key={f} className="grid">
                <line x1={PAD.left} x2={width - PAD.right} y1={yFrac(f)} y2={yFrac(f)} />
                <text x={PAD.left - 6} y={yFrac(f)} dy="0.32em" textAnchor="end">
                  {`${Math.round(cpuTop * f)}%`}
                </text>
                <text x={width - PAD.right + 6} y={yFrac(f)} dy="0.32em" textAnchor="start">
                  {f === 0 ? '0' : bytes(memTop * f)}
                </text>
              </g>
            ))}
            <path className="line-cpu" d={path((s) => s.cpu_pct / cpuTop)} data-testid="line-cpu" />
            <path className="line-mem" d={path((s) => s.memory_used_bytes / memTop)} data-testid="line-memory" />
            {samples.length === 1 && <circle cx={x(0)} cy={yFrac(samples[0].cpu_pct / cpuTop)} r={3} fill="var(--accent)" />}
            <text className="axis-label" x={PAD.left} y={HEIGHT - 8} textAnchor="start">
              {time(samples[0].at)}
            </text>
            {samples.length > 1 && (
              <text className="axis-label" x={width - PAD.right} y={HEIGHT - 8} textAnchor="end">
                {time(samples[samples.length - 1].at)}
              </text>
            )}
          </svg>
        )}
        {samples.length === 0 && <p className="muted">No samples yet.</p>}
      </div>
    </div>
  );
}
