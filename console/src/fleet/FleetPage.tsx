// Fleet (platform admins): each node (today the local one) with its CPUs and memory, a chart of
// CPU and memory use over its recent samples, and the accelerators with the models on each
// (GET /api/fleet). Refreshes every 10 seconds.
import { useEffect } from 'react';
import type { FleetNode, List } from '../api/types';
import { useSession } from '../auth/session';
import { bytes } from '../models/bytes';
import { Notice } from '../ui/Notice';
import { useAsync } from '../ui/useAsync';
import { UtilisationChart } from './LineChart';
import '../models/models.css';

const REFRESH_MS = 10_000;

export function FleetPage() {
  const { client } = useSession();
  const fleet = useAsync(() => client.get<List<FleetNode>>('/api/fleet').then((l) => l.data), [client]);
  const { reload } = fleet;
  useEffect(() => {
    const timer = setInterval(reload, REFRESH_MS);
    return () => clearInterval(timer);
  }, [reload]);

  return (
    <div className="page">
      <h1>Fleet</h1>
      {fleet.error && <Notice kind="error">{fleet.error}</Notice>}
      {fleet.loading && !fleet.data && <p className="muted">Loading…</p>}
      {(fleet.data ?? []).map((node) => (
        <section key={node.id} className="card" data-testid="fleet-node" aria-label={`Node ${node.hostname}`}>
          <h2>{node.hostname}</h2>
          <div className="tiles">
            <div className="tile">
              <span className="muted small">CPUs</span>
              <strong data-testid="node-cpus">{node.cpus.count}</strong>
              <span className="muted small">{node.cpus.model}</span>
            </div>
            <div className="tile">
              <span className="muted small">Memory</span>
              <strong data-testid="node-memory">{bytes(node.memoryBytes)}</strong>
            </div>
            <div className="tile">
              <span className="muted small">Models loaded</span>
              <strong>{node.models.length}</strong>
            </div>
          </div>
          <h3>Utilisation</h3>
          <UtilisationChart node={node} />
          <h3>Accelerators</h3>
          {node.accelerators.length === 0 ? (
            <p className="muted">No models loaded.</p>
          ) : (
            <div className="table-scroll">
              <table className="stack" data-testid="accelerators-table">
                <thead>
                  <tr>
                    <th>Device</th>
                    <th>Models</th>
                  </tr>
                </thead>
                <tbody>
                  {node.accelerators.map((a) => (
                    <tr key={a.device}>
                      <td data-label="Device">
                        <strong>{a.device}</strong>
                      </td>
                      <td data-label="Models">
                        {a.models
                          .map((name) => {
                            const engine = node.models.find((m) => m.name === name)?.engine;
                            return engine ? `${name} (${engine})` : name;
                          })
                          .join(', ')}
                      </td>
                    </tr>
                  ))}
                </tbody>
              </table>
            </div>
          )}
        </section>
      ))}
    </div>
  );
}
