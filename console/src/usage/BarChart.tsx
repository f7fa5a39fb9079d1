// A bar chart in plain SVG (no chart library): bars, four grid lines, labels thinned to fit.
// Drawn at the container's real pixel width so text stays legible at phone width.
import { useWidth } from '../ui/useWidth';

export interface Bar {
  label: string;
  value: number;
}

const HEIGHT = 220;
const PAD = { top: 12, right: 8, bottom: 40, left: 64 };

/** Rounds the axis top up to 1, 2 or 5 × a power of ten. */
function niceMax(max: number): number {
  if (max <= 0) return 1;
  const power = 10 ** Math.floor(Math.log10(max));
  return ([1, 2, 5, 10].find((m) => m * power >= max) ?? 10) * power;
}

export function BarChart({ bars, format, title }: { bars: Bar[]; format: (value: number) => string; title: string }) {
  const [ref, width] = useWidth<HTMLDivElement>();
  const plotWidth = Math.max(0, width - PAD.left - PAD.right);
  const plotHeight = HEIGHT - PAD.top - PAD.bottom;
  const top = niceMax(Math.max(0, ...bars.map((b) => b.value)));
  const slot = bars.length ? plotWidth / bars.length : 0;
  const labelEvery = Math.max(1, Math.ceil(bars.length / Math.max(1, Math.floor(plotWidth / 64))));
  const y = (value: number) => PAD.top + plotHeight - (value / top) * plotHeight;

  return (
    <div className="chart" ref={ref}>
      {width > 0 && (
        <svg width={width} height={HEIGHT} role="img" aria-label={title} data-testid="usage-chart">
          {[0, 0.25, 0.5, 0.75, 1].map((f) => (
            <g key={f} className="grid">
              <line x1={PAD.left} x2={width - PAD.right} y1={y(top * f)} y2={y(top * f)} />
              <text x={PAD.left - 6} y={y(top * f)} dy="0.32em" textAnchor="end">
                {f === 0 ? '0' : format(top * f)}
              </text>
            </g>
          ))}
          {bars.map((b, i) => {
            const x = PAD.left + i * slot;
            const h = PAD.top + plotHeight - y(b.value);
            return (
              <g key={`${b.label}-${i}`}>
                <rect className="bar" x={x + slot * 0.15} width={Math.max(1, slot * 0.7)} y={y(b.value)} height={h} data-label={b.label} data-value={b.value}>
                  <title>{`${b.label}: ${format(b.value)}`}</title>
                </rect>
                {i % labelEvery === 0 && (
                  <text className="axis-label" x={x + slot / 2} y={HEIGHT - PAD.bottom + 16} textAnchor="middle">
                    {b.label.length > 10 ? `${b.label.slice(0, 9)}…` : b.label}
                  </text>
                )}
              </g>
            );
          })}
        </svg>
      )}
    </div>
  );
}
