// Checks a new key's form before it is sent (the server checks again and its refusal is shown).
import type { Role } from '../api/types';

export interface KeyForm {
  name: string;
  role: Role;
  tenantId: string;
  expiresAt: string; // datetime-local value, '' = never
  allowedModels: string; // comma-separated, '' = all
  rpm: string;
}

export type KeyFormErrors = Partial<Record<keyof KeyForm, string>>;

export function validateKeyForm(form: KeyForm, now = new Date()): KeyFormErrors {
  const errors: KeyFormErrors = {};
  const name = form.name.trim();
  if (!name) errors.name = 'A key needs a name.';
  else if (name.length > 100) errors.name = 'At most 100 characters.';
  if (!form.tenantId) errors.tenantId = 'Pick a tenant.';
  if (form.expiresAt) {
    const at = new Date(form.expiresAt);
    if (Number.isNaN(at.getTime())) errors.expiresAt = 'Not a date and time.';
    else if (at <= now) errors.expiresAt = 'The expiry must be in the future.';
  }
  if (form.rpm.trim() && !/^[1-9]\d{0,8}$/.test(form.rpm.trim())) errors.rpm = 'Requests per minute is a whole number above 0.';
  if (models(form).some((m) => m.length > 200)) errors.allowedModels = 'A model name has at most 200 characters.';
  return errors;
}

const models = (form: KeyForm) => form.allowedModels.split(',').map((m) => m.trim()).filter(Boolean);

/** The POST /api/keys body for a valid form. */
export function keyRequest(form: KeyForm) {
  const allowed = models(form);
  return {
    name: form.name.trim(),
    role: form.role,
    tenant_id: form.tenantId,
    ...(form.expiresAt ? { expires_at: new Date(form.expiresAt).toISOString() } : {}),
    ...(allowed.length ? { allowed_models: allowed } : {}),
    ...(form.rpm.trim() ? { rpm: Number(form.rpm.trim()) } : {}),
  };
}
