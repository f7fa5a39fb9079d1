// Checks the tenant forms (budget, credit, rate limit, allowance) before anything is sent, and
// builds their request bodies. The server checks again; its refusal is shown as it words it.
// Money is typed in units (e.g. "20.50") and sent as integer micro-units (docs/tenants.md).

export type Errors<F> = Partial<Record<keyof F, string>>;

const MICROS_PER_UNIT = 1_000_000;
const MAX_WHOLE = Number.MAX_SAFE_INTEGER;

/** "20", "20.5", "0.000001" → micro-units; null unless a non-negative amount with ≤ 6 decimals that fits. */
export function parseMoney(text: string): number | null {
  const match = /^(\d{1,12})(?:\.(\d{0,6}))?$/.exec(text.trim().replace(/,/g, ''));
  if (!match) return null;
  const micros = Number(match[1]) * MICROS_PER_UNIT + Number((match[2] ?? '').padEnd(6, '0'));
  return micros <= MAX_WHOLE ? micros : null;
}

/** Micro-units as the text a money field starts with ("" for none). */
export const moneyText = (micros: number | null): string => (micros === null ? '' : String(micros / MICROS_PER_UNIT));

/** A positive whole number, or null (for "", a fraction, a sign, or anything else). */
export function parseWhole(text: string): number | null {
  const t = text.trim().replace(/,/g, '');
  if (!/^\d{1,16}$/.test(t)) return null;
  const n = Number(t);
  return n > 0 && n <= MAX_WHOLE ? n : null;
}

// ── budget ──────────────────────────────────────────────────────────────────────────────────────

export interface BudgetForm {
  limit: string; // units; '' = no monthly limit
  mode: 'hard' | 'soft';
  prepaid: boolean;
}

export function validateBudget(form: BudgetForm): Errors<BudgetForm> {
  if (form.limit.trim() && parseMoney(form.limit) === null) return { limit: 'The monthly limit is an amount of 0 or more (up to 6 decimals), or blank for none.' };
  return {};
}

export const budgetRequest = (form: BudgetForm) => ({
  monthly_limit_micros: form.limit.trim() ? parseMoney(form.limit) : null,
  limit_mode: form.mode,
  prepaid: form.prepaid,
});

// ── credit ──────────────────────────────────────────────────────────────────────────────────────

export interface CreditForm {
  amount: string; // units
  note: string;
}

export function validateCredit(form: CreditForm): Errors<CreditForm> {
  const errors: Errors<CreditForm> = {};
  const amount = parseMoney(form.amount);
  if (!form.amount.trim()) errors.amount = 'Enter the amount to credit.';
  else if (amount === null || amount <= 0) errors.amount = 'A credit is an amount above 0 (up to 6 decimals).';
  if (form.note.length > 500) errors.note = 'At most 500 characters.';
  return errors;
}

export const creditRequest = (form: CreditForm) => ({ amount_micros: parseMoney(form.amount), ...(form.note.trim() ? { note: form.note.trim() } : {}) });

// ── rate limit ──────────────────────────────────────────────────────────────────────────────────

export interface RateLimitForm {
  /** 'tenant', or the id of one of the tenant's keys. */
  target: string;
  model: string; // '' = every model
  rpm: string;
  tpm: string;
}

export function validateRateLimit(form: RateLimitForm): Errors<RateLimitForm> {
  const errors: Errors<RateLimitForm> = {};
  if (!form.target) errors.target = 'Pick the tenant or a key.';
  if (form.model.trim().length > 200) errors.model = 'A model name has at most 200 characters.';
  if (form.rpm.trim() && parseWhole(form.rpm) === null) errors.rpm = 'Requests per minute is a whole number above 0.';
  if (form.tpm.trim() && parseWhole(form.tpm) === null) errors.tpm = 'Tokens per minute is a whole number above 0.';
  if (!form.rpm.trim() && !form.tpm.trim()) errors.rpm = 'Set requests and/or tokens per minute (remove a limit with its Remove button).';
  return errors;
}

/** The PUT …/rate-limits body; `remove` sends both limits as null, which deletes the limit. */
export function rateLimitRequest(form: RateLimitForm, remove = false) {
  return {
    model: form.model.trim() || null,
    rpm: remove ? null : parseWhole(form.rpm),
    tpm: remove ? null : parseWhole(form.tpm),
  };
}

// ── allowance ───────────────────────────────────────────────────────────────────────────────────

export interface AllowanceForm {
  model: string;
  tokens: string;
  expiresAt: string; // datetime-local value
}

export function validateAllowance(form: AllowanceForm, now = new Date()): Errors<AllowanceForm> {
  const errors: Errors<AllowanceForm> = {};
  if (!form.model.trim()) errors.model = 'Name the model the tokens are for.';
  else if (form.model.trim().length > 200) errors.model = 'A model name has at most 200 characters.';
  if (parseWhole(form.tokens) === null) errors.tokens = 'Tokens is a whole number above 0.';
  const at = new Date(form.expiresAt);
  if (!form.expiresAt) errors.expiresAt = 'Pick when the allowance expires.';
  else if (Number.isNaN(at.getTime())) errors.expiresAt = 'Not a date and time.';
  else if (at <= now) errors.expiresAt = 'The expiry must be in the future.';
  return errors;
}

export const allowanceRequest = (form: AllowanceForm) => ({
  model: form.model.trim(),
  tokens: parseWhole(form.tokens),
  expires_at: new Date(form.expiresAt).toISOString(),
});

export const hasErrors = (errors: object): boolean => Object.keys(errors).length > 0;
