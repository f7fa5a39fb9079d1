// Models (platform admins): installed and loaded models with their memory estimate and the chips
// they fit on, load/unload, the catalog, and downloads by catalog name or URL with a live bar
// (GET /api/models, /api/models/catalog; POST /api/models/pull, polled every 500 ms).
import { useCallback, useState } from 'react';
import type { CatalogModel, Chip, InstalledModel, List } from '../api/types';
import { useSession } from '../auth/session';
import { Notice } from '../ui/Notice';
import { useAsync } from '../ui/useAsync';
import { bytes, params } from './bytes';
import { PullForm } from './PullForm';
import './models.css';

export function ModelsPage() {
  const { client } = useSession();
  const installed = useAsync(() => client.get<List<InstalledModel>>('/api/models').then((l) => l.data), [client]);
  const catalog = useAsync(() => client.get<List<CatalogModel> & { chips: Chip[] }>('/api/models/catalog'), [client]);
  const [busy, setBusy] = useState<string | null>(null);
  const [actionError, setActionError] = useState<string | null>(null);
  const chips = catalog.data?.chips ?? [];

  const act = async (name: string, action: 'load' | 'unload') => {
    setBusy(name);
    setActionError(null);
    try {
      await client.send('POST', `/api/models/${encodeURIComponent(name)}/${action}`);
    } catch (err) {
      setActionError(`${action === 'load' ? 'Loading' : 'Unloading'} ${name} failed: ${err instanceof Error ? err.message : String(err)}`);
    } finally {
      setBusy(null);
      installed.reload();
    }
  };

  const { reload: reloadInstalled } = installed;
  const { reload: reloadCatalog } = catalog;
  const refresh = useCallback(() => {
    reloadInstalled();
    reloadCatalog();
  }, [reloadInstalled, reloadCatalog]);

  return (
    <div className="page">
      <h1>Models</h1>
      <section className="card">
        <h2>Installed and loaded</h2>
        {installed.error && <Notice kind="error">{installed.error}</Notice>}
        {actionError && <Notice kind="error" testId="model-action-error">{actionError}</Notice>}
        {installed.loading && !installed.data && <p className="muted">Loading…</p>}
        {installed.data?.length === 0 && <p className="muted">No models installed or loaded.</p>}
        <div className="table-scroll">
          <table className="stack" data-testid="models-table">
            <thead>
              <tr>
                <th>Name</th>
                <th>Status</th>
                <th>Engine</th>
                <th>Device</th>
                <th className="num">Size</th>
                <th>Quant</th>
                <th className="num">Memory</th>
                <th>Fits on</th>
                <th />
              </tr>
            </thead>
            <tbody>
              {(installed.data ?? []).map((m) => (
                <tr key={m.name} data-model={m.name}>
                  <td data-label="Name">
                    <div>
                      <strong>{m.name}</strong>
                      {m.info?.randomWeights && <span className="badge">random weights</span>}
                      {m.error && <div className="field-error">{m.error}</div>}
                    </div>
                  </td>
                  <td data-label="Status" data-testid="model-status">{m.status}</td>
                  <td data-label="Engine">{m.engine}</td>
                  <td data-label="Device">{m.device ?? '—'}</td>
                  <td className="num" data-label="Size">{bytes(m.info?.fileBytes)}</td>
                  <td data-label="Quant">{m.info?.quantization ?? '—'}</td>
                  <td className="num" data-label="Memory" data-testid="model-memory" title={m.memory ? memoryTitle(m.memory) : undefined}>
                    {bytes(m.memory?.totalBytes)}
                  </td>
                  <td data-label="Fits on">
                    <Chips ids={m.memory?.fitsOn ?? null} chips={chips} />
                  </td>
                  <td data-label="">
                    {m.status === 'ready' ? (
                      <button type="button" disabled={busy !== null} onClick={() => void act(m.name, 'unload')} aria-label={`Unload ${m.name}`}>
                        Unload
                      </button>
                    ) : m.file && m.status !== 'loading' ? (
                      <button type="button" className="primary" disabled={busy !== null} onClick={() => void act(m.name, 'load')} aria-label={`Load ${m.name}`}>
                        {busy === m.name ? 'Loading…' : 'Load'}
                      </button>
                    ) : null}
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      </section>

      <PullForm onDone={refresh} />

      <section className="card">
        <h2>Catalog</h2>
        <p className="muted small">Memory is estimated for the server's context size and parallel slots; a chip fits when the model needs at most 90% of its memory.</p>
        {catalog.error && <Notice kind="error">{catalog.error}</Notice>}
        <div className="table-scroll">
          <table className="stack" data-testid="catalog-table">
            <thead>
              <tr>
                <th>Name</th>
                <th className="num">Parameters</th>
                <th>Quant</th>
                <th className="num">Approx. size</th>
                <th className="num">Memory</th>
                <th>Fits on</th>
              </tr>
            </thead>
            <tbody>
              {(catalog.data?.data ?? []).map((e) => (
                <tr key={e.name}>
                  <td data-label="Name">
                    <div>
                      <strong>{e.name}</strong>
                      {e.installed && <span className="badge">installed</span>}
                    </div>
                  </td>
                  <td className="num" data-label="Parameters">{params(e.parameters)}</td>
                  <td data-label="Quant">{e.quant}</td>
                  <td className="num" data-label="Approx. size">{bytes(e.approxBytes)}</td>
                  <td className="num" data-label="Memory" title={memoryTitle(e.memory)}>{bytes(e.memory.totalBytes)}</td>
                  <td data-label="Fits on">
                    <Chips ids={e.fitsOn} chips={chips} />
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      </section>
    </div>
  );
}

function memoryTitle(m: { weightBytes: number; kvCacheBytes: number; computeBytes: number; tokenizerBytes: number }): string {
  return `weights ${bytes(m.weightBytes)} + KV cache ${bytes(m.kvCacheBytes)} + compute ${bytes(m.computeBytes)} + tokenizer ${bytes(m.tokenizerBytes)}`;
}

/**
 * Which chips a model fits on, as one short line ("fits 3 of 5 chips") so a row stays one line
 * high on a phone; the chips' names are in its title and listed when it is opened.
 */
function Chips({ ids, chips }: { ids: string[] | null; chips: Chip[] }) {
  if (ids === null) return <span className="muted">—</span>;
  if (ids.length === 0) return <span className="muted">no chip</span>;
  const name = new Map(chips.map((c) => [c.id, c.name]));
  const names = ids.map((id) => name.get(id) ?? id);
  const summary = chips.length > 0 ? `fits ${ids.length} of ${chips.length} chips` : `fits ${ids.length} chip${ids.length === 1 ? '' : 's'}`;
  return (
    <details className="chips" data-testid="fits-on" data-count={ids.length}>
      <summary title={names.join(', ')}>{summary}</summary>
      <span className="chip-list">
        {ids.map((id, i) => (
          <span key={id} className="badge" title={names[i]}>
            {id}
          </span>
        ))}
      </span>
    </details>
  );
}
