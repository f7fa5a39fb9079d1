// Display formats. Money arrives as integer micro-units (1 unit = 1,000,000 micros).

export function money(micros: number | null | undefined): string {
  if (micros === null || micros === undefined) return '—';
  const units = micros / 1_000_000;
  const digits = Math.abs(units) >= 1 || units === 0 ? 2 : Math.abs(units) >= 0.01 ? 4 : 6;
  return units.toLocaleString('en-US', { minimumFractionDigits: digits, maximumFractionDigits: digits });
}

export const count = (n: number | null | undefined): string => (n === null || n === undefined ? '—' : n.toLocaleString('en-US'));

export const day = (iso: string | null): string => (iso ? iso.slice(0, 10) : '—');

export const dateTime = (iso: string | null): string => (iso ? new Date(iso).toLocaleString() : '—');

export function currentPeriod(now = new Date()): string {
  return now.toISOString().slice(0, 7);
}
