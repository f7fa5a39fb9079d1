/**
 * Stored time format: ISO-8601 UTC with milliseconds, always 24 characters
 * (`2025-01-31T12:00:00.000Z`, what `Date#toISOString` writes for years 0000-9999). Fixed width and
 * a single zone make text order equal time order, so range filters and indexes work on text in
 * SQLite and PostgreSQL alike, and `substr(t, 1, 10)` is the UTC day.
 */

export function toStoredTime(date: Date): string {
  const time = date.getTime();
  if (!Number.isFinite(time)) throw new RangeError('Invalid Date cannot be stored');
  const year = date.getUTCFullYear();
  // Outside 0000-9999 toISOString adds a sign and widens the year, breaking text order.
  if (year < 0 || year > 9999) throw new RangeError(`Year ${year} is outside the storable range 0000-9999`);
  return date.toISOString();
}

export function fromStoredTime(text: string): Date {
  return new Date(text);
}

export function fromStoredTimeOrNull(text: string | null): Date | null {
  return text === null ? null : new Date(text);
}
