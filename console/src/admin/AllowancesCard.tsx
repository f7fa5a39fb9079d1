// Free token allowances of a tenant (GET /api/tenants/:id/allowances): tokens of one model, used
// before anything is charged, until they expire. Platform admins grant them (POST, same path).
import { useState, type FormEvent } from 'react';
import type { Allowance, List, Model, Tenant } from '../api/types';
import { useSession } from '../auth/session';
import { count, dateTime } from '../format';
import { Field } from '../ui/Field';
import { Notice } from '../ui/Notice';
import { useAction } from '../ui/useAction';
import { useAsync } from '../ui/useAsync';
import { allowanceRequest, hasErrors, validateAllowance, type AllowanceForm, type Errors } from './tenantForms';

export function AllowancesCard({ tenant }: { tenant: Tenant }) {
  const { client, role } = useSession();
  const allowances = useAsync(() => client.get<List<Allowance>>(`/api/tenants/${tenant.id}/allowances`).then((r) => r.data), [client, tenant.id]);
  const now = Date.now();
  return (
    <section className="card" aria-labelledby="allowances-heading">
      <h2 id="allowances-heading">Free allowances</h2>
      {allowances.error && <Notice kind="error">{allowances.error}</Notice>}
      {allowances.data?.length === 0 && <p className="muted">No allowances: every token is charged at the price list's rates.</p>}
      {(allowances.data?.length ?? 0) > 0 && (
        <div className="table-scroll">
          <table className="stack" data-testid="allowances-table">
            <thead>
              <tr>
                <th>Model</th>
                <th className="num">Tokens</th>
                <th>Expires</th>
                <th>Granted</th>
              </tr>
            </thead>
            <tbody>
              {(allowances.data ?? []).map((a) => (
                <tr key={a.id} data-testid="allowance" className={Date.parse(a.expires_at) <= now ? 'expired' : undefined}>
                  <td data-label="Model">{a.model}</td>
                  <td className="num" data-label="Tokens">{count(a.tokens)}</td>
                  <td data-label="Expires">{dateTime(a.expires_at)}</td>
                  <td data-label="Granted">{dateTime(a.created_at)}</td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      )}
      {role === 'admin' && <GrantForm tenant={tenant} onGranted={allowances.reload} />}
    </section>
  );
}

function GrantForm({ tenant, onGranted }: { tenant: Tenant; onGranted(): void }) {
  const { client } = useSession();
  const models = useAsync(() => client.get<List<Model>>('/v1/models').then((r) => r.data.map((m) => m.id), () => []), [client]);
  const [form, setForm] = useState<AllowanceForm>({ model: '', tokens: '', expiresAt: '' });
  const [errors, setErrors] = useState<Errors<AllowanceForm>>({});
  const action = useAction();
  const set = (patch: Partial<AllowanceForm>) => setForm({ ...form, ...patch });

  const submit = async (event: FormEvent) => {
    event.preventDefault();
    const found = validateAllowance(form);
    setErrors(found);
    action.clear();
    if (hasErrors(found)) return;
    const granted = await action.run(async () => {
      const a = await client.send<Allowance>('POST', `/api/tenants/${tenant.id}/allowances`, allowanceRequest(form));
      return `Granted ${count(a.tokens)} tokens of ${a.model} until ${dateTime(a.expires_at)}.`;
    });
    if (granted) {
      setForm({ model: '', tokens: '', expiresAt: '' });
      onGranted();
    }
  };

  return (
    <form className="subform" onSubmit={submit} noValidate aria-label="Grant an allowance">
      <h3>Grant an allowance</h3>
      <div className="form-grid">
        <Field label="Model" error={errors.model}>
          <input name="model" list="allowance-models" value={form.model} onChange={(e) => set({ model: e.target.value })} />
        </Field>
        <datalist id="allowance-models">
          {(models.data ?? []).map((m) => (
            <option key={m} value={m} />
          ))}
        </datalist>
        <Field label="Tokens" error={errors.tokens}>
          <input name="tokens" inputMode="numeric" value={form.tokens} onChange={(e) => set({ tokens: e.target.value })} />
        </Field>
        <Field label="Expires" error={errors.expiresAt}>
          <input name="expires" type="datetime-local" value={form.expiresAt} onChange={(e) => set({ expiresAt: e.target.value })} />
        </Field>
      </div>
      {action.refusal && <Notice kind="error" testId="allowance-refused">The server refused the allowance: {action.refusal}</Notice>}
      {action.done && <Notice testId="allowance-done">{action.done}</Notice>}
      <button type="submit" className="primary" disabled={action.busy}>
        {action.busy ? 'Granting…' : 'Grant'}
      </button>
    </form>
  );
}
