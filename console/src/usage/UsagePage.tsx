// Usage & bills: spend and tokens over time (by day, model or key) from /api/usage, and the
// statement for a month from /api/statements. Platform admins pick a tenant; tenant admins see theirs.
import { useMemo, useState } from 'react';
import type { ApiKey, List, Tenant, UsageBy, UsageRow } from '../api/types';
import { useSession } from '../auth/session';
import { count, money } from '../format';
import { Notice } from '../ui/Notice';
import { TenantSelect } from '../ui/TenantSelect';
import { useAsync } from '../ui/useAsync';
import { BarChart } from './BarChart';
import { downloadCsv } from './download';
import { defaultRange, METRICS, toBars, total, usagePath, type Metric } from './query';
import { StatementView } from './StatementView';

export function UsagePage() {
  const { client, role, me } = useSession();
  const tenants = useAsync(() => client.get<List<Tenant>>('/api/tenants').then((r) => r.data), [client]);
  const keys = useAsync(() => client.get<List<ApiKey>>('/api/keys').then((r) => r.data), [client]);
  const [tenant, setTenant] = useState(() => (role === 'admin' ? (new URLSearchParams(location.search).get('tenant') ?? '') : me.tenant_id));
  const [range, setRange] = useState(defaultRange);
  const [by, setBy] = useState<UsageBy>('day');
  const [metric, setMetric] = useState<Metric>('spend');
  const [error, setError] = useState<string | null>(null);
  const query = { tenant, ...range, by };
  const usage = useAsync(() => client.get<List<UsageRow>>(usagePath(query)).then((r) => r.data), [client, tenant, range.from, range.to, by]);
  const names = useMemo(() => new Map((keys.data ?? []).map((k) => [k.id, k.name])), [keys.data]);
  const rows = usage.data ?? [];
  const format = metric === 'spend' ? money : count;

  const download = () => downloadCsv(client, usagePath(query, 'csv'), 'usage.csv').catch((err: Error) => setError(err.message));

  return (
    <div className="page">
      <h1>Usage & bills</h1>
      <form className="filters" onSubmit={(e) => e.preventDefault()}>
        {role === 'admin' && (
          <TenantSelect tenants={tenants.data} value={tenant} onChange={setTenant} ariaLabel="Tenant" className="" />
        )}
        <label>
          From
          <input type="date" value={range.from} max={range.to} onChange={(e) => e.target.value && setRange({ ...range, from: e.target.value })} />
        </label>
        <label>
          To
          <input type="date" value={range.to} min={range.from} onChange={(e) => e.target.value && setRange({ ...range, to: e.target.value })} />
        </label>
        <label>
          By
          <select aria-label="Group by" value={by} onChange={(e) => setBy(e.target.value as UsageBy)}>
            <option value="day">Day</option>
            <option value="model">Model</option>
            <option value="key">Key</option>
          </select>
        </label>
        <label>
          Show
          <select aria-label="Metric" value={metric} onChange={(e) => setMetric(e.target.value as Metric)}>
            {(Object.keys(METRICS) as Metric[]).map((m) => (
              <option key={m} value={m}>
                {METRICS[m].label}
              </option>
            ))}
          </select>
        </label>
        <button type="button" onClick={download}>
          Download CSV
        </button>
      </form>
      {(usage.error || error) && <Notice kind="error">{usage.error ?? error}</Notice>}
      <div className="tiles">
        <Tile label="Spend" value={money(total(rows, 'spend'))} testId="total-spend" />
        <Tile label="Tokens" value={count(total(rows, 'tokens'))} testId="total-tokens" />
        <Tile label="Requests" value={count(total(rows, 'requests'))} testId="total-requests" />
      </div>
      <section className="card">
        <h2>
          {METRICS[metric].label} by {by}
        </h2>
        <BarChart bars={toBars(rows, by, metric, range, names)} format={format} title={`${METRICS[metric].label} by ${by}`} />
        <UsageTable rows={rows} by={by} names={names} />
      </section>
      {tenant ? (
        <StatementView tenant={tenant} />
      ) : (
        <Notice>Pick a tenant to see its statement.</Notice>
      )}
    </div>
  );
}

function Tile({ label, value, testId }: { label: string; value: string; testId: string }) {
  return (
    <div className="tile">
      <span className="muted small">{label}</span>
      <strong data-testid={testId}>{value}</strong>
    </div>
  );
}

function UsageTable({ rows, by, names }: { rows: UsageRow[]; by: UsageBy; names: Map<string, string> }) {
  if (rows.length === 0) return <p className="muted">No usage in this range.</p>;
  return (
    <div className="table-scroll">
      <table>
        <thead>
          <tr>
            <th>{by === 'day' ? 'Day' : by === 'model' ? 'Model' : 'Key'}</th>
            <th className="num">Requests</th>
            <th className="num">Prompt</th>
            <th className="num">Completion</th>
            <th className="num">Spend</th>
          </tr>
        </thead>
        <tbody>
          {rows.map((r) => (
            <tr key={r.group ?? '(none)'}>
              <td>{(r.group && names.get(r.group)) ?? r.group ?? '(none)'}</td>
              <td className="num">{count(r.requests)}</td>
              <td className="num">{count(r.prompt_tokens)}</td>
              <td className="num">{count(r.completion_tokens)}</td>
              <td className="num">{money(r.amount_micros)}</td>
            </tr>
          ))}
        </tbody>
      </table>
    </div>
  );
}
