// One tenant (/tenants/:id): its budget, rate limits and free allowances. Platform admins change
// them all; a tenant admin reads its own tenant and may rate-limit its keys (src/api/admin/access.ts).
// Every change is audited by the server and shown on the Audit page.
import type { Tenant } from '../api/types';
import { useSession } from '../auth/session';
import { Link } from '../ui/Link';
import { Notice } from '../ui/Notice';
import { useAsync } from '../ui/useAsync';
import { AllowancesCard } from './AllowancesCard';
import { BudgetCard } from './BudgetCard';
import { RateLimitsCard } from './RateLimitsCard';
import './admin.css';

export function TenantDetailPage({ tenantId }: { tenantId: string }) {
  const { client, role } = useSession();
  const tenant = useAsync(() => client.get<Tenant>(`/api/tenants/${encodeURIComponent(tenantId)}`), [client, tenantId]);
  const t = tenant.data;
  return (
    <div className="page">
      <p className="crumbs">
        <Link href="/tenants">← Tenants</Link>
      </p>
      {tenant.error && <Notice kind="error" testId="tenant-error">{tenant.error}</Notice>}
      {tenant.loading && !t && <p className="muted">Loading…</p>}
      {t && (
        <>
          <h1>
            {t.name} <span className="muted small">{t.kind}{t.prepaid ? ', prepaid' : ''}</span>
          </h1>
          <p className="muted small">
            {t.id} ·{' '}
            <Link href={`/keys?tenant=${encodeURIComponent(t.id)}`}>Keys</Link> ·{' '}
            <Link href={`/usage?tenant=${encodeURIComponent(t.id)}`}>Usage</Link> ·{' '}
            <Link href={`/audit?tenant=${encodeURIComponent(t.id)}`}>Audit</Link>
          </p>
          {role !== 'admin' && (
            <Notice testId="read-only">Budget, credits, the tenant's rate limits and allowances are set by a platform administrator and shown here read-only; you may set rate limits on this tenant's keys.</Notice>
          )}
          <BudgetCard tenant={t} onTenantChanged={tenant.reload} />
          <RateLimitsCard tenant={t} />
          <AllowancesCard tenant={t} />
        </>
      )}
    </div>
  );
}
