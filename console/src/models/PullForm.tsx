// Starts a download (POST /api/models/pull) and polls its job every 500 ms until it is done or
// failed, drawing received ÷ total as a bar (indeterminate until the server sends a length).
import { useEffect, useState, type FormEvent } from 'react';
import type { PullJob } from '../api/types';
import { useSession } from '../auth/session';
import { Notice } from '../ui/Notice';
import { bytes } from './bytes';

const POLL_MS = 500;

export function PullForm({ onDone }: { onDone: () => void }) {
  const { client } = useSession();
  const [source, setSource] = useState('');
  const [job, setJob] = useState<PullJob | null>(null);
  const [error, setError] = useState<string | null>(null);
  const running = job?.status === 'running';

  useEffect(() => {
    if (!job || job.status !== 'running') return;
    let live = true;
    const timer = setTimeout(() => {
      client.get<PullJob>(`/api/models/pulls/${encodeURIComponent(job.id)}`).then(
        (next) => {
          if (!live) return;
          setJob(next);
          if (next.status === 'done') onDone();
        },
        (err: unknown) => live && setError(err instanceof Error ? err.message : String(err)),
      );
    }, POLL_MS);
    return () => {
      live = false;
      clearTimeout(timer);
    };
  }, [client, job, onDone]);

  const submit = async (event: FormEvent) => {
    event.preventDefault();
    const value = source.trim();
    if (!value) {
      setError('Name a catalog model or an http(s) URL of a .gguf file.');
      return;
    }
    setError(null);
    try {
      setJob(await client.send<PullJob>('POST', '/api/models/pull', { source: value }));
    } catch (err) {
      setJob(null);
      setError(err instanceof Error ? err.message : String(err));
    }
  };

  const pct = job ? (job.status === 'done' ? 100 : job.total_bytes ? Math.min(100, Math.floor((job.received_bytes / job.total_bytes) * 100)) : null) : null;

  return (
    <form className="card" onSubmit={(e) => void submit(e)} noValidate aria-label="Pull a model">
      <h2>Pull a model</h2>
      <div className="pull-form">
        <label>
          Catalog name or URL
          <input value={source} onChange={(e) => setSource(e.target.value)} placeholder="qwen2.5-0.5b-instruct-q4_k_m or https://…/model.gguf" disabled={running} />
        </label>
        <button type="submit" className="primary" disabled={running}>
          {running ? 'Pulling…' : 'Pull'}
        </button>
      </div>
      {error && <Notice kind="error" testId="pull-error">{error}</Notice>}
      {job && (
        <div data-testid="pull-job" data-status={job.status}>
          <div className="row spread small">
            <span>{job.name ?? job.source}</span>
            <span className="muted" data-testid="pull-status">
              {job.status === 'done' ? 'done' : job.status === 'failed' ? 'failed' : 'downloading'} · {bytes(job.received_bytes)}
              {job.total_bytes !== null ? ` of ${bytes(job.total_bytes)}` : ''}
              {pct !== null ? ` (${pct}%)` : ''}
            </span>
          </div>
          <div
            className={job.status === 'failed' ? 'progress failed' : 'progress'}
            role="progressbar"
            aria-label="Download progress"
            aria-valuemin={0}
            aria-valuemax={100}
            aria-valuenow={pct ?? undefined}
            data-testid="pull-progress"
          >
            <span style={{ width: `${pct ?? (job.status === 'failed' ? 100 : 5)}%` }} />
          </div>
          {job.status === 'failed' && (
            <Notice kind="error" testId="pull-failed">
              Download failed: {job.error ?? 'unknown error'}
            </Notice>
          )}
        </div>
      )}
    </form>
  );
}
