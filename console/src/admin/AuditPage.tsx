// The audit log (GET /api/audit, newest first): who changed what, when, with a compact account of
// the change and the full before/after records on expand. Platform admins read every entry (or one
// tenant's); a tenant admin reads the entries about its own tenant, as the server filters them.
import { Fragment, useEffect, useState } from 'react';
import type { ApiKey, AuditEntry, List, PagedList, Tenant } from '../api/types';
import { useSession } from '../auth/session';
import { dateTime } from '../format';
import { Notice } from '../ui/Notice';
import { TenantSelect } from '../ui/TenantSelect';
import { useAsync } from '../ui/useAsync';
import { changes, changeText } from './auditSummary';
import './admin.css';

const PAGE = 100;
const PLATFORM_TENANT_ID = 'tnt_platform';
const SHOWN_CHANGES = 3;

export function AuditPage() {
  const { client, role } = useSession();
  const [tenant, setTenant] = useState(() => (role === 'admin' ? (new URLSearchParams(location.search).get('tenant') ?? '') : ''));
  const [open, setOpen] = useState<ReadonlySet<string>>(new Set());
  const tenants = useAsync(() => client.get<List<Tenant>>('/api/tenants').then((r) => r.data), [client]);
  const keys = useAsync(() => client.get<List<ApiKey>>('/api/keys').then((r) => r.data), [client]);
  const listing = (after?: string) =>
    client.get<PagedList<AuditEntry>>(`/api/audit?limit=${PAGE}${tenant ? `&tenant=${encodeURIComponent(tenant)}` : ''}${after ? `&after=${after}` : ''}`);
  const newest = useAsync(() => listing(), [client, tenant]);
  // Older pages, appended as the reader asks for them; a new first page starts over.
  const [older, setOlder] = useState<{ pages: Array<PagedList<AuditEntry>>; loading: boolean; error: string | null }>({ pages: [], loading: false, error: null });
  useEffect(() => setOlder({ pages: [], loading: false, error: null }), [newest.data]);
  const pages = newest.data ? [newest.data, ...older.pages] : [];
  const entries = { data: newest.data ? pages.flatMap((p) => p.data) : null, error: newest.error ?? older.error, loading: newest.loading || older.loading };
  const hasMore = pages.at(-1)?.has_more ?? false;
  const showOlder = () => {
    const after = pages.at(-1)?.last_id;
    if (!after) return;
    setOlder((o) => ({ ...o, loading: true }));
    listing(after).then(
      (page) => setOlder((o) => ({ pages: [...o.pages, page], loading: false, error: null })),
      (err: unknown) => setOlder((o) => ({ ...o, loading: false, error: err instanceof Error ? err.message : String(err) })),
    );
  };
  const tenantName = new Map((tenants.data ?? []).map((t) => [t.id, t.name]));
  const keyName = new Map((keys.data ?? []).map((k) => [k.id, k.name]));
  const toggle = (id: string) => {
    const next = new Set(open);
    if (!next.delete(id)) next.add(id);
    setOpen(next);
  };

  const actor = (e: AuditEntry) => e.actor_key_name ?? (e.actor_tenant_id === PLATFORM_TENANT_ID ? 'a platform admin' : `key ${e.actor_key_id}`);
  const target = (e: AuditEntry) => {
    const id = e.target_id ?? '';
    const name = e.target_type === 'tenant' ? tenantName.get(id) : e.target_type === 'key' ? keyName.get(id) : undefined;
    return `${e.target_type} ${name ?? id}`.trim();
  };

  return (
    <div className="page">
      <h1>Audit</h1>
      <p className="muted small">
        {role === 'admin' ? 'Every admin action, newest first.' : 'Admin actions on your tenant, by your administrators and the platform’s, newest first.'}
      </p>
      {role === 'admin' && (
        <TenantSelect tenants={tenants.data} value={tenant} onChange={setTenant} />
      )}
      {entries.error && <Notice kind="error">{entries.error}</Notice>}
      {entries.loading && !entries.data && <p className="muted">Loading…</p>}
      {entries.data?.length === 0 && <p className="muted">No admin actions yet.</p>}
      <div className="table-scroll">
        <table className="stack audit" data-testid="audit-table">
          <thead>
            <tr>
              <th>When</th>
              <th>Who</th>
              <th>Action</th>
              <th>Target</th>
              <th>Change</th>
            </tr>
          </thead>
          <tbody>
            {(entries.data ?? []).map((e) => {
              const all = changes(e.before, e.after);
              const expanded = open.has(e.id);
              return (
                <Fragment key={e.id}>
                  <tr data-testid="audit-entry" data-action={e.action}>
                    <td data-label="When" className="when nowrap">{dateTime(e.at)}</td>
                    <td data-label="Who" className="who">
                      <div>
                        {actor(e)}
                        {e.actor_tenant_id !== PLATFORM_TENANT_ID && tenantName.has(e.actor_tenant_id) && <div className="muted small">{tenantName.get(e.actor_tenant_id)}</div>}
                      </div>
                    </td>
                    <td data-label="Action" className="action">
                      <code>{e.action}</code>
                    </td>
                    <td data-label="Target" className="target">{target(e)}</td>
                    <td data-label="Change" className="change-cell">
                      <div className="change">
                        <span data-testid="audit-change">
                          {all.length === 0 ? <span className="muted">no change</span> : all.slice(0, SHOWN_CHANGES).map(changeText).join('; ')}
                          {all.length > SHOWN_CHANGES && <span className="muted"> +{all.length - SHOWN_CHANGES} more</span>}
                        </span>
                        <button type="button" className="link-button" aria-expanded={expanded} aria-label={`${expanded ? 'Hide' : 'Show'} before and after of ${e.action}`} onClick={() => toggle(e.id)}>
                          {expanded ? 'Hide' : 'Before/after'}
                        </button>
                      </div>
                    </td>
                  </tr>
                  {expanded && (
                    <tr className="audit-detail" data-testid="audit-detail">
                      <td colSpan={5}>
                        <div className="before-after">
                          <div>
                            <h3>Before</h3>
                            <pre>{e.before === null ? 'nothing (created)' : JSON.stringify(e.before, null, 2)}</pre>
                          </div>
                          <div>
                            <h3>After</h3>
                            <pre>{e.after === null ? 'nothing (removed)' : JSON.stringify(e.after, null, 2)}</pre>
                          </div>
                        </div>
                        <p className="muted small">
                          Entry {e.id} · by key {e.actor_key_id} · target {e.target_id ?? '—'}
                        </p>
                      </td>
                    </tr>
                  )}
                </Fragment>
              );
            })}
          </tbody>
        </table>
      </div>
      {hasMore && (
        <button type="button" disabled={older.loading} onClick={showOlder}>
          Show older entries
        </button>
      )}
    </div>
  );
}
