// API keys: list (a platform admin may filter by tenant), create, revoke.
import { useState } from 'react';
import type { ApiKey, List, Tenant } from '../api/types';
import { useSession } from '../auth/session';
import { dateTime } from '../format';
import { Notice } from '../ui/Notice';
import { TenantSelect } from '../ui/TenantSelect';
import { useAsync } from '../ui/useAsync';
import { CreateKeyForm } from './CreateKeyForm';

export function KeysPage() {
  const { client, role, me } = useSession();
  const [tenant, setTenant] = useState(() => new URLSearchParams(location.search).get('tenant') ?? '');
  const tenants = useAsync(() => client.get<List<Tenant>>('/api/tenants').then((r) => r.data), [client]);
  const keys = useAsync(() => client.get<List<ApiKey>>(`/api/keys${tenant ? `?tenant=${encodeURIComponent(tenant)}` : ''}`).then((r) => r.data), [client, tenant]);
  const [error, setError] = useState<string | null>(null);
  const names = new Map((tenants.data ?? []).map((t) => [t.id, t.name]));

  const revoke = async (key: ApiKey) => {
    setError(null);
    await client.send('DELETE', `/api/keys/${key.id}`).catch((err: Error) => setError(err.message));
    keys.reload();
  };

  return (
    <div className="page">
      <h1>Keys</h1>
      {role === 'admin' && (
        <TenantSelect tenants={tenants.data} value={tenant} onChange={setTenant} />
      )}
      {(keys.error || error) && <Notice kind="error">{keys.error ?? error}</Notice>}
      <div className="table-scroll">
        <table className="stack" data-testid="keys-table">
          <thead>
            <tr>
              <th>Name</th>
              <th>Role</th>
              <th>Tenant</th>
              <th>Created</th>
              <th>Expires</th>
              <th>Last used</th>
              <th />
            </tr>
          </thead>
          <tbody>
            {(keys.data ?? []).map((k) => (
              <KeyRow key={k.id} apiKey={k} tenantName={names.get(k.tenant_id) ?? k.tenant_id} self={k.id === me.id} onRevoke={revoke} />
            ))}
          </tbody>
        </table>
      </div>
      <CreateKeyForm tenants={tenants.data ?? []} defaultTenant={tenant || me.tenant_id} onCreated={keys.reload} />
    </div>
  );
}

function KeyRow({ apiKey: k, tenantName, self, onRevoke }: { apiKey: ApiKey; tenantName: string; self: boolean; onRevoke(k: ApiKey): Promise<void> }) {
  const [confirm, setConfirm] = useState(false);
  const expired = k.expires_at !== null && Date.parse(k.expires_at) <= Date.now();
  const status = k.revoked_at ? 'revoked' : expired ? 'expired' : null;
  return (
    <tr className={status ?? undefined}>
      <td data-label="Name">
        <div>
          <strong>{k.name}</strong>
          {self && <span className="badge">this key</span>}
          <div className="muted small">
            <code className="nowrap">{k.prefix}…</code>
          </div>
        </div>
      </td>
      <td data-label="Role">{k.role}</td>
      <td data-label="Tenant">{tenantName}</td>
      <td data-label="Created">{dateTime(k.created_at)}</td>
      <td data-label="Expires">{dateTime(k.expires_at)}</td>
      <td data-label="Last used">{dateTime(k.last_used_at)}</td>
      <td data-label="">
        {status ? (
          <span className="muted">{status}</span>
        ) : confirm ? (
          <span className="row">
            <button type="button" className="danger" onClick={() => onRevoke(k)}>
              Revoke{self ? ' (signs you out)' : ''}
            </button>
            <button type="button" className="link-button" onClick={() => setConfirm(false)}>
              Cancel
            </button>
          </span>
        ) : (
          <button type="button" onClick={() => setConfirm(true)} aria-label={`Revoke ${k.name}`}>
            Revoke
          </button>
        )}
      </td>
    </tr>
  );
}
