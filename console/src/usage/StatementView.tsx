import { useState } from 'react';
import type { Statement } from '../api/types';
import { useSession } from '../auth/session';
import { count, currentPeriod, money } from '../format';
import { Notice } from '../ui/Notice';
import { useAsync } from '../ui/useAsync';
import { downloadCsv } from './download';

/** A tenant's statement for one month (the current one first): lines by model and key, totals, CSV. */
export function StatementView({ tenant }: { tenant: string }) {
  const { client } = useSession();
  const [period, setPeriod] = useState(currentPeriod);
  const path = (csv: boolean) => `/api/statements?${new URLSearchParams({ tenant, period, ...(csv ? { format: 'csv' } : {}) })}`;
  const statement = useAsync(() => client.get<Statement>(path(false)), [client, tenant, period]);
  const [error, setError] = useState<string | null>(null);
  const s = statement.data;

  return (
    <section className="card" aria-label="Statement" data-testid="statement">
      <div className="row spread">
        <h2>Statement{s ? ` · ${s.tenant.name}` : ''}</h2>
        <div className="row">
          <input type="month" aria-label="Period" value={period} onChange={(e) => e.target.value && setPeriod(e.target.value)} />
          <button type="button" onClick={() => downloadCsv(client, path(true), 'statement.csv').catch((err: Error) => setError(err.message))}>
            Download CSV
          </button>
        </div>
      </div>
      {(statement.error || error) && <Notice kind="error">{statement.error ?? error}</Notice>}
      {s && (
        <>
          <div className="table-scroll">
            <table>
              <thead>
                <tr>
                  <th>Model</th>
                  <th className="num">Price in / out per M</th>
                  <th className="num">Requests</th>
                  <th className="num">Tokens in / out</th>
                  <th className="num">Amount</th>
                </tr>
              </thead>
              <tbody>
                {s.lines_by_model.map((l) => (
                  <tr key={`${l.model}-${l.price?.id ?? ''}`}>
                    <td>{l.model}</td>
                    <td className="num">{l.price ? `${money(l.price.input_per_mtok)} / ${money(l.price.output_per_mtok)}` : '—'}</td>
                    <td className="num">{count(l.requests)}</td>
                    <td className="num">
                      {count(l.prompt_tokens)} / {count(l.completion_tokens)}
                    </td>
                    <td className="num">{money(l.amount_micros)}</td>
                  </tr>
                ))}
                {s.lines_by_model.length === 0 && (
                  <tr>
                    <td colSpan={5} className="muted">
                      No charges in {s.period ?? 'this period'}.
                    </td>
                  </tr>
                )}
              </tbody>
            </table>
          </div>
          <h3>By key</h3>
          <ul className="plain-list">
            {s.lines_by_key.map((l) => (
              <li key={l.key_id ?? '(none)'} className="row spread">
                <span>{l.key_name ?? l.key_id ?? '(no key)'}</span>
                <span>{money(l.amount_micros)}</span>
              </li>
            ))}
          </ul>
          <dl className="totals">
            <dt>Charges</dt>
            <dd data-testid="statement-total">{money(s.total_micros)}</dd>
            <dt>Credits</dt>
            <dd>{money(s.credits_micros)}</dd>
            <dt>Net</dt>
            <dd>{money(s.net_micros)}</dd>
          </dl>
        </>
      )}
    </section>
  );
}
