// A compact, one-line-per-field account of what an audit entry changed, for the Audit table; the
// full before/after records are shown when the row is expanded.
import { count, dateTime, money } from '../format';

export interface Change {
  field: string;
  /** undefined: the field was not there before (a creation). */
  from?: string;
  /** undefined: the field is gone after (a removal). */
  to?: string;
}

/** Fields that name the record rather than describe it; the Target column already says which. */
const IDENTITY = new Set(['id', 'object', 'tenant_id', 'scope', 'scope_id', 'created_at', 'prefix']);

const isRecord = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

/** The fields that differ between `before` and `after` (either may be null), in the records' order. */
export function changes(before: unknown, after: unknown): Change[] {
  if (!isRecord(before) && !isRecord(after)) {
    return JSON.stringify(before) === JSON.stringify(after) ? [] : [{ field: 'value', from: show('', before), to: show('', after) }];
  }
  const b = isRecord(before) ? before : null;
  const a = isRecord(after) ? after : null;
  const fields = [...new Set([...Object.keys(b ?? {}), ...Object.keys(a ?? {})])].filter((f) => !IDENTITY.has(f));
  const out: Change[] = [];
  for (const field of fields) {
    const was = b && field in b ? b[field] : undefined;
    const now = a && field in a ? a[field] : undefined;
    if (b && a && JSON.stringify(was) === JSON.stringify(now)) continue;
    // An empty field that appears or disappears says nothing.
    if ((was === undefined && now === null) || (was === null && now === undefined)) continue;
    out.push({
      field: label(field),
      ...(b && field in b ? { from: show(field, was) } : {}),
      ...(a && field in a ? { to: show(field, now) } : {}),
    });
  }
  return out;
}

export function changeText(c: Change): string {
  if (c.from === undefined) return `${c.field} ${c.to ?? '—'}`;
  if (c.to === undefined) return `${c.field} was ${c.from}`;
  return `${c.field} ${c.from} → ${c.to}`;
}

/** Money fields: integer micro-units (`*_micros`), and prices per million tokens or per accelerator-hour. */
const MONEY = /(_micros|_per_mtok|^per_hour)$/;
const ISO_TIME = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}/;

const label = (field: string): string => field.replace(/_micros$/, '').replace(/_/g, ' ');

function show(field: string, value: unknown): string {
  if (value === null || value === undefined) return '—';
  if (typeof value === 'number') return MONEY.test(field) ? money(value) : count(value);
  if (typeof value === 'string') {
    if (ISO_TIME.test(value)) return dateTime(value);
    return value.length > 32 ? `${value.slice(0, 31)}…` : value;
  }
  if (typeof value === 'boolean') return value ? 'yes' : 'no';
  if (Array.isArray(value)) return value.length === 0 ? '[]' : show('', value.map(String).join(', '));
  return '{…}';
}
