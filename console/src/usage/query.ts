// Date ranges and chart data for the usage page. The API's `to` is exclusive; the page shows an
// inclusive last day, so one day is added when asking.
import type { Sums, UsageBy, UsageRow } from '../api/types';
import type { Bar } from './BarChart';

export type Metric = 'spend' | 'tokens' | 'requests';

export const METRICS: Record<Metric, { label: string; value: (s: Sums) => number }> = {
  spend: { label: 'Spend', value: (s) => s.amount_micros },
  tokens: { label: 'Tokens', value: (s) => s.prompt_tokens + s.completion_tokens },
  requests: { label: 'Requests', value: (s) => s.requests },
};

const DAY = 86_400_000;
export const isoDay = (d: Date): string => d.toISOString().slice(0, 10);
export const addDays = (iso: string, days: number): string => isoDay(new Date(Date.parse(`${iso}T00:00:00Z`) + days * DAY));

export function defaultRange(now = new Date()): { from: string; to: string } {
  const today = isoDay(now);
  return { from: addDays(today, -13), to: today };
}

export function usagePath(query: { tenant: string; from: string; to: string; by: UsageBy }, format?: 'csv'): string {
  const params = new URLSearchParams({ from: query.from, to: addDays(query.to, 1), by: query.by });
  if (query.tenant) params.set('tenant', query.tenant);
  if (format) params.set('format', format);
  return `/api/usage?${params}`;
}

/** Bars for the chart; by day, every day of the range gets a bar (zero when nothing was used). */
export function toBars(rows: UsageRow[], by: UsageBy, metric: Metric, range: { from: string; to: string }, names: Map<string, string>): Bar[] {
  const value = METRICS[metric].value;
  if (by !== 'day') return rows.map((r) => ({ label: (r.group && names.get(r.group)) ?? r.group ?? '(none)', value: value(r) }));
  const byDay = new Map(rows.map((r) => [r.group, r]));
  const bars: Bar[] = [];
  for (let d = range.from; d <= range.to && bars.length < 400; d = addDays(d, 1)) {
    const row = byDay.get(d);
    bars.push({ label: d.slice(5), value: row ? value(row) : 0 });
  }
  return bars;
}

export function total(rows: UsageRow[], metric: Metric): number {
  return rows.reduce((sum, r) => sum + METRICS[metric].value(r), 0);
}
