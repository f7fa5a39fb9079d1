// Tenants with their limits and this month's budget (GET /api/tenants, /api/tenants/:id/budget).
// A platform admin sees every tenant; a tenant admin its own. A tenant's name opens its page
// (TenantDetailPage: limits, credits, allowances).
import type { Budget, List, Tenant } from '../api/types';
import { useSession } from '../auth/session';
import { money } from '../format';
import { Link } from '../ui/Link';
import { Notice } from '../ui/Notice';
import { useAsync } from '../ui/useAsync';

interface Row {
  tenant: Tenant;
  budget: Budget | null;
}

export function TenantsPage() {
  const { client, role } = useSession();
  const rows = useAsync(async (): Promise<Row[]> => {
    const tenants = (await client.get<List<Tenant>>('/api/tenants')).data;
    // No meter (a server without billing) means no budget route: show the tenant without one.
    return Promise.all(tenants.map(async (tenant) => ({ tenant, budget: await client.get<Budget>(`/api/tenants/${tenant.id}/budget`).catch(() => null) })));
  }, [client]);

  return (
    <div className="page">
      <h1>Tenants</h1>
      {rows.error && <Notice kind="error">{rows.error}</Notice>}
      {rows.loading && !rows.data && <p className="muted">Loading…</p>}
      <div className="table-scroll">
        <table className="stack" data-testid="tenants-table">
          <thead>
            <tr>
              <th>Name</th>
              <th>Kind</th>
              <th className="num">Monthly limit</th>
              <th className="num">This month</th>
              <th className="num">Remaining</th>
              <th className="num">Balance</th>
              <th />
            </tr>
          </thead>
          <tbody>
            {(rows.data ?? []).map(({ tenant, budget }) => (
              <tr key={tenant.id} className={budget?.over_limit ? 'over' : undefined}>
                <td data-label="Name">
                  <div>
                    <Link href={`/tenants/${encodeURIComponent(tenant.id)}`}>
                      <strong>{tenant.name}</strong>
                    </Link>
                    <div className="muted small">{tenant.id}</div>
                  </div>
                </td>
                <td data-label="Kind">{`${tenant.kind}${tenant.prepaid ? ', prepaid' : ''}`}</td>
                <td className="num" data-label="Monthly limit">{tenant.monthly_limit_micros === null ? 'none' : `${money(tenant.monthly_limit_micros)} (${tenant.limit_mode})`}</td>
                <td className="num" data-label="This month">{money(budget?.month_charges_micros)}</td>
                <td className="num" data-label="Remaining">{budget?.remaining_micros === null ? '—' : money(budget?.remaining_micros)}</td>
                <td className="num" data-label="Balance">{money(budget?.balance_micros)}</td>
                <td data-label="">
                  <span className="row nowrap">
                    <Link href={`/tenants/${encodeURIComponent(tenant.id)}`}>{role === 'admin' ? 'Manage' : 'Limits'}</Link>
                    <Link href={`/keys?tenant=${encodeURIComponent(tenant.id)}`}>Keys</Link>
                  </span>
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      </div>
    </div>
  );
}
