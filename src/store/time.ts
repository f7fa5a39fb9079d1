/**
 * Stored time format: ISO-8601 UTC with milliseconds, always 24 characters
 * (`2025-01-31T12:00:00.000Z`, what `Date#toISOString` writes for years 0000-9999). Fixed width and
 * a single zone make text order equal time order, so range filters and indexes work on text in
 * SQLite and PostgreSQL alike, and `substr(t, 1, 10)` is the UTC day.
 */

export function toStoredTime(date: Date): string {
  const time = date.getTime();
  if (!Number.isFinite(time)) throw new RangeError('Invalid Date cannot be stored');
  return date.toISOString();
}

export function fromStoredTime(text: string): Date {
  return new Date(text);
}

export function fromStoredTimeOrNull(text: string | null): Date | null {
  return text === null ? null : new Date(text);
}
