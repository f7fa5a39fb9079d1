import { useState, type FormEvent } from 'react';
import type { ApiKey, Tenant } from '../api/types';
import { useSession } from '../auth/session';
import { Field } from '../ui/Field';
import { Notice } from '../ui/Notice';
import { keyRequest, validateKeyForm, type KeyForm, type KeyFormErrors } from './keyForm';

/** Creates a key: checked here first, then by the server, whose refusal text is shown as is. */
export function CreateKeyForm({ tenants, defaultTenant, onCreated }: { tenants: Tenant[]; defaultTenant: string; onCreated(): void }) {
  const { client, role } = useSession();
  const [form, setForm] = useState<KeyForm>({ name: '', role: 'member', tenantId: defaultTenant, expiresAt: '', allowedModels: '', rpm: '' });
  const [errors, setErrors] = useState<KeyFormErrors>({});
  const [refusal, setRefusal] = useState<string | null>(null);
  const [created, setCreated] = useState<(ApiKey & { secret: string }) | null>(null);
  const [busy, setBusy] = useState(false);
  const set = (patch: Partial<KeyForm>) => setForm({ ...form, ...patch });

  const submit = async (event: FormEvent) => {
    event.preventDefault();
    const found = validateKeyForm({ ...form, tenantId: form.tenantId || defaultTenant });
    setErrors(found);
    setRefusal(null);
    if (Object.keys(found).length > 0) return;
    setBusy(true);
    try {
      setCreated(await client.send<ApiKey & { secret: string }>('POST', '/api/keys', keyRequest({ ...form, tenantId: form.tenantId || defaultTenant })));
      setForm({ ...form, name: '', allowedModels: '', rpm: '', expiresAt: '' });
      onCreated();
    } catch (err) {
      setRefusal(err instanceof Error ? err.message : String(err));
    } finally {
      setBusy(false);
    }
  };

  return (
    <form className="card key-form" onSubmit={submit} noValidate aria-label="Create key">
      <h2>Create a key</h2>
      <div className="form-grid">
        <Field label="Name" error={errors.name}>
          <input name="name" value={form.name} maxLength={120} onChange={(e) => set({ name: e.target.value })} />
        </Field>
        <Field label="Role">
          <select name="role" value={form.role} onChange={(e) => set({ role: e.target.value as KeyForm['role'] })}>
            <option value="member">member</option>
            <option value="tenant_admin">tenant_admin</option>
            {role === 'admin' && <option value="admin">admin (platform)</option>}
          </select>
        </Field>
        {role === 'admin' && (
          <Field label="Tenant" error={errors.tenantId}>
            <select name="tenant" value={form.tenantId} onChange={(e) => set({ tenantId: e.target.value })}>
              {tenants.map((t) => (
                <option key={t.id} value={t.id}>
                  {t.name}
                </option>
              ))}
            </select>
          </Field>
        )}
        <Field label="Expires (optional)" error={errors.expiresAt}>
          <input name="expires" type="datetime-local" value={form.expiresAt} onChange={(e) => set({ expiresAt: e.target.value })} />
        </Field>
        <Field label="Models (optional, comma-separated)" error={errors.allowedModels}>
          <input name="models" value={form.allowedModels} placeholder="all models" onChange={(e) => set({ allowedModels: e.target.value })} />
        </Field>
        <Field label="Requests per minute (optional)" error={errors.rpm}>
          <input name="rpm" inputMode="numeric" value={form.rpm} placeholder="no limit" onChange={(e) => set({ rpm: e.target.value })} />
        </Field>
      </div>
      {refusal && <Notice kind="error" testId="key-refused">The server refused the key: {refusal}</Notice>}
      {created && (
        <Notice testId="key-created">
          Created “{created.name}”. Copy the secret now; it is not shown again:
          <code className="secret" data-testid="new-secret">{created.secret}</code>
        </Notice>
      )}
      <button type="submit" className="primary" disabled={busy}>
        {busy ? 'Creating…' : 'Create key'}
      </button>
    </form>
  );
}
