// A tenant's budget: this month's charges against its monthly limit, the prepaid balance, and for
// platform admins the forms that change them (PATCH /api/tenants/:id, POST …/credits).
import { useState, type FormEvent } from 'react';
import type { Budget, Tenant } from '../api/types';
import { useSession } from '../auth/session';
import { money } from '../format';
import { Field } from '../ui/Field';
import { Notice } from '../ui/Notice';
import { useAction } from '../ui/useAction';
import { useAsync } from '../ui/useAsync';
import { budgetRequest, creditRequest, hasErrors, moneyText, validateBudget, validateCredit, type BudgetForm, type CreditForm, type Errors } from './tenantForms';

export function BudgetCard({ tenant, onTenantChanged }: { tenant: Tenant; onTenantChanged(): void }) {
  const { client, role } = useSession();
  // No meter (a server without billing) means no budget route: the limits still show, from the tenant.
  const budget = useAsync(() => client.get<Budget>(`/api/tenants/${tenant.id}/budget`).catch(() => null), [client, tenant]);
  const b = budget.data;
  const limit = tenant.monthly_limit_micros;
  return (
    <section className="card" aria-labelledby="budget-heading">
      <h2 id="budget-heading">Budget</h2>
      <dl className="facts" data-testid="budget">
        <div>
          <dt>Monthly limit</dt>
          <dd data-testid="budget-limit">{limit === null ? 'none' : `${money(limit)} (${tenant.limit_mode})`}</dd>
        </div>
        <div>
          <dt>This month</dt>
          <dd data-testid="budget-month">{money(b?.month_charges_micros)}</dd>
        </div>
        <div>
          <dt>Reserved now</dt>
          <dd>{money(b?.reserved_micros)}</dd>
        </div>
        <div>
          <dt>Remaining</dt>
          <dd className={b?.over_limit ? 'over' : undefined}>{b && b.remaining_micros !== null ? money(b.remaining_micros) : '—'}</dd>
        </div>
        <div>
          <dt>Balance{tenant.prepaid ? ' (prepaid)' : ''}</dt>
          <dd data-testid="budget-balance">{money(b?.balance_micros)}</dd>
        </div>
      </dl>
      {b?.over_limit && <Notice kind="error">Over its monthly limit{tenant.limit_mode === 'hard' ? ': new requests are refused.' : ' (soft: requests still run).'}</Notice>}
      {role === 'admin' && (
        <div className="form-pair">
          <LimitForm tenant={tenant} onSaved={() => {
            onTenantChanged();
            budget.reload();
          }} />
          {b && <CreditForm tenant={tenant} onCredited={budget.reload} />}
        </div>
      )}
    </section>
  );
}

function LimitForm({ tenant, onSaved }: { tenant: Tenant; onSaved(): void }) {
  const { client } = useSession();
  const [form, setForm] = useState<BudgetForm>({ limit: moneyText(tenant.monthly_limit_micros), mode: tenant.limit_mode, prepaid: tenant.prepaid });
  const [errors, setErrors] = useState<Errors<BudgetForm>>({});
  const action = useAction();
  const set = (patch: Partial<BudgetForm>) => setForm({ ...form, ...patch });

  const submit = async (event: FormEvent) => {
    event.preventDefault();
    const found = validateBudget(form);
    setErrors(found);
    action.clear();
    if (hasErrors(found)) return;
    const saved = await action.run(async () => {
      const t = await client.send<Tenant>('PATCH', `/api/tenants/${tenant.id}`, budgetRequest(form));
      return `Saved: ${t.monthly_limit_micros === null ? 'no monthly limit' : `${money(t.monthly_limit_micros)} a month (${t.limit_mode})`}${t.prepaid ? ', prepaid' : ''}.`;
    });
    if (saved) onSaved();
  };

  return (
    <form className="subform" onSubmit={submit} noValidate aria-label="Monthly limit">
      <h3>Monthly limit</h3>
      <Field label="Limit per month (blank = none)" error={errors.limit}>
        <input name="limit" inputMode="decimal" value={form.limit} placeholder="no limit" onChange={(e) => set({ limit: e.target.value })} />
      </Field>
      <Field label="When reached">
        <select name="mode" value={form.mode} onChange={(e) => set({ mode: e.target.value as BudgetForm['mode'] })}>
          <option value="hard">hard: refuse new requests</option>
          <option value="soft">soft: allow, flag as over</option>
        </select>
      </Field>
      <label className="check">
        <input type="checkbox" name="prepaid" checked={form.prepaid} onChange={(e) => set({ prepaid: e.target.checked })} />
        Prepaid (requests need a positive balance)
      </label>
      {action.refusal && <Notice kind="error" testId="limit-refused">The server refused the change: {action.refusal}</Notice>}
      {action.done && <Notice testId="limit-saved">{action.done}</Notice>}
      <button type="submit" className="primary" disabled={action.busy}>
        {action.busy ? 'Saving…' : 'Save limit'}
      </button>
    </form>
  );
}

function CreditForm({ tenant, onCredited }: { tenant: Tenant; onCredited(): void }) {
  const { client } = useSession();
  const [form, setForm] = useState<CreditForm>({ amount: '', note: '' });
  const [errors, setErrors] = useState<Errors<CreditForm>>({});
  const action = useAction();

  const submit = async (event: FormEvent) => {
    event.preventDefault();
    const found = validateCredit(form);
    setErrors(found);
    action.clear();
    if (hasErrors(found)) return;
    const credited = await action.run(async () => {
      const after = await client.send<Budget>('POST', `/api/tenants/${tenant.id}/credits`, creditRequest(form));
      return `Credited ${money(creditRequest(form).amount_micros)}; the balance is now ${money(after.balance_micros)}.`;
    });
    if (credited) {
      setForm({ amount: '', note: '' });
      onCredited();
    }
  };

  return (
    <form className="subform" onSubmit={submit} noValidate aria-label="Add credit">
      <h3>Add credit</h3>
      <Field label="Amount" error={errors.amount}>
        <input name="amount" inputMode="decimal" value={form.amount} placeholder="e.g. 20.00" onChange={(e) => setForm({ ...form, amount: e.target.value })} />
      </Field>
      <Field label="Note (optional)" error={errors.note}>
        <input name="note" value={form.note} maxLength={600} placeholder="e.g. PO 1234" onChange={(e) => setForm({ ...form, note: e.target.value })} />
      </Field>
      {action.refusal && <Notice kind="error" testId="credit-refused">The server refused the credit: {action.refusal}</Notice>}
      {action.done && <Notice testId="credit-done">{action.done}</Notice>}
      <button type="submit" className="primary" disabled={action.busy}>
        {action.busy ? 'Crediting…' : 'Add credit'}
      </button>
    </form>
  );
}
