// Rate limits of a tenant and of its keys (GET /api/tenants/:id/rate-limits), set and removed with
// PUT /api/tenants/:id/rate-limits (platform admins) and PUT /api/keys/:id/rate-limits (platform
// and tenant admins: a key's limit only narrows what its tenant's allow).
import { useState, type FormEvent } from 'react';
import type { ApiKey, List, RateLimit, Tenant } from '../api/types';
import { useSession } from '../auth/session';
import { count } from '../format';
import { Field } from '../ui/Field';
import { Notice } from '../ui/Notice';
import { useAction } from '../ui/useAction';
import { useAsync } from '../ui/useAsync';
import { hasErrors, rateLimitRequest, validateRateLimit, type Errors, type RateLimitForm } from './tenantForms';

export function RateLimitsCard({ tenant }: { tenant: Tenant }) {
  const { client, role } = useSession();
  const limits = useAsync(() => client.get<List<RateLimit>>(`/api/tenants/${tenant.id}/rate-limits`).then((r) => r.data), [client, tenant.id]);
  const keys = useAsync(() => client.get<List<ApiKey>>(`/api/keys?tenant=${encodeURIComponent(tenant.id)}`).then((r) => r.data), [client, tenant.id]);
  const canSetTenant = role === 'admin';
  const liveKeys = (keys.data ?? []).filter((k) => !k.revoked_at);
  const blank = (): RateLimitForm => ({ target: canSetTenant ? 'tenant' : (liveKeys[0]?.id ?? ''), model: '', rpm: '', tpm: '' });
  const [form, setForm] = useState<RateLimitForm | null>(null);
  const [errors, setErrors] = useState<Errors<RateLimitForm>>({});
  const action = useAction();
  const current = form ?? blank();
  const set = (patch: Partial<RateLimitForm>) => setForm({ ...current, ...patch });
  const keyName = new Map((keys.data ?? []).map((k) => [k.id, k.name]));
  const scopeLabel = (l: { scope: string; scope_id: string }) => (l.scope === 'tenant' ? `Tenant ${tenant.name}` : `Key ${keyName.get(l.scope_id) ?? l.scope_id}`);
  const editable = (l: RateLimit) => l.scope === 'key' || canSetTenant;
  // The tenant's own limits first, then its keys' (the server orders by scope name, so keys first).
  const rows = [...(limits.data ?? [])].sort((a, b) => Number(b.scope === 'tenant') - Number(a.scope === 'tenant'));

  const put = (target: string, body: ReturnType<typeof rateLimitRequest>) =>
    client.send('PUT', target === 'tenant' ? `/api/tenants/${tenant.id}/rate-limits` : `/api/keys/${encodeURIComponent(target)}/rate-limits`, body);

  const submit = async (event: FormEvent) => {
    event.preventDefault();
    const found = validateRateLimit(current);
    setErrors(found);
    action.clear();
    if (hasErrors(found)) return;
    const body = rateLimitRequest(current);
    const ok = await action.run(async () => {
      await put(current.target, body);
      const scope = scopeLabel({ scope: current.target === 'tenant' ? 'tenant' : 'key', scope_id: current.target });
      return `Set: ${scope}, ${perMinute(body)} on ${body.model ?? 'every model'}.`;
    });
    if (ok) {
      setForm(null);
      limits.reload();
    }
  };

  const remove = async (l: RateLimit) => {
    const target = l.scope === 'tenant' ? 'tenant' : l.scope_id;
    const ok = await action.run(async () => {
      await put(target, { model: l.model, rpm: null, tpm: null });
      return `Removed the limit of ${scopeLabel(l)} on ${l.model ?? 'every model'}.`;
    });
    if (ok) limits.reload();
  };

  const edit = (l: RateLimit) => {
    setErrors({});
    action.clear();
    setForm({ target: l.scope === 'tenant' ? 'tenant' : l.scope_id, model: l.model ?? '', rpm: l.rpm === null ? '' : String(l.rpm), tpm: l.tpm === null ? '' : String(l.tpm) });
  };

  return (
    <section className="card" aria-labelledby="limits-heading">
      <h2 id="limits-heading">Rate limits</h2>
      <p className="muted small">Per minute, for every model or one. A key's limits apply on top of its tenant's.</p>
      {(limits.error || keys.error) && <Notice kind="error">{limits.error ?? keys.error}</Notice>}
      {limits.data?.length === 0 && <p className="muted" data-testid="no-rate-limits">No rate limits: only the budget limits this tenant.</p>}
      {(limits.data?.length ?? 0) > 0 && (
        <div className="table-scroll">
          <table className="stack" data-testid="rate-limits-table">
            <thead>
              <tr>
                <th>Applies to</th>
                <th>Model</th>
                <th className="num">Requests/min</th>
                <th className="num">Tokens/min</th>
                <th />
              </tr>
            </thead>
            <tbody>
              {rows.map((l) => (
                <tr key={`${l.scope}:${l.scope_id}:${l.model ?? ''}`} data-testid="rate-limit" data-scope={l.scope}>
                  <td data-label="Applies to">{scopeLabel(l)}</td>
                  <td data-label="Model">{l.model ?? <span className="muted">every model</span>}</td>
                  <td className="num" data-label="Requests/min" data-testid="rpm">{l.rpm === null ? '—' : count(l.rpm)}</td>
                  <td className="num" data-label="Tokens/min" data-testid="tpm">{l.tpm === null ? '—' : count(l.tpm)}</td>
                  <td data-label="">
                    {editable(l) && (
                      <span className="row nowrap">
                        <button type="button" className="link-button" onClick={() => edit(l)} aria-label={`Edit limit of ${scopeLabel(l)}`}>
                          Edit
                        </button>
                        <button type="button" className="link-button" disabled={action.busy} onClick={() => void remove(l)} aria-label={`Remove limit of ${scopeLabel(l)}`}>
                          Remove
                        </button>
                      </span>
                    )}
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      )}
      {action.refusal && <Notice kind="error" testId="rate-limit-refused">The server refused the limit: {action.refusal}</Notice>}
      {action.done && <Notice testId="rate-limit-done">{action.done}</Notice>}
      {(canSetTenant || liveKeys.length > 0) && (
        <form className="subform" onSubmit={submit} noValidate aria-label="Set a rate limit">
          <h3>Set a rate limit</h3>
          <div className="form-grid">
            <Field label="Applies to" error={errors.target}>
              <select name="target" value={current.target} onChange={(e) => set({ target: e.target.value })}>
                {canSetTenant && <option value="tenant">Tenant {tenant.name} (all its keys together)</option>}
                {liveKeys.map((k) => (
                  <option key={k.id} value={k.id}>
                    Key {k.name}
                  </option>
                ))}
              </select>
            </Field>
            <Field label="Model (blank = every model)" error={errors.model}>
              <input name="model" value={current.model} placeholder="every model" onChange={(e) => set({ model: e.target.value })} />
            </Field>
            <Field label="Requests per minute" error={errors.rpm}>
              <input name="rpm" inputMode="numeric" value={current.rpm} placeholder="no limit" onChange={(e) => set({ rpm: e.target.value })} />
            </Field>
            <Field label="Tokens per minute" error={errors.tpm}>
              <input name="tpm" inputMode="numeric" value={current.tpm} placeholder="no limit" onChange={(e) => set({ tpm: e.target.value })} />
            </Field>
          </div>
          <button type="submit" className="primary" disabled={action.busy}>
            {action.busy ? 'Saving…' : 'Set limit'}
          </button>
        </form>
      )}
    </section>
  );
}

function perMinute(body: { rpm: number | null; tpm: number | null }): string {
  return [body.rpm !== null && `${count(body.rpm)} requests/min`, body.tpm !== null && `${count(body.tpm)} tokens/min`].filter(Boolean).join(' and ');
}
