/**
 * Tessera for bench/serve, in a process of its own as `tessera serve` runs (and as llama-server
 * runs for its column), so the benchmark's HTTP client never shares Tessera's event loop. Started by
 * tessera.ts with the settings as one JSON argument; answers over the IPC channel:
 *   → { type: 'ready', url, apiKey, model }   once the model is loaded and listed
 *   → { type: 'error', message }              when it cannot start
 *   ← { type: 'stop' }                        closes the server and exits
 */
import { rm } from 'node:fs/promises';
import { request } from 'undici';

export interface TesseraChildSettings {
  model: string;
  dataDir: string;
  threads: number;
  parallel: number;
  perSequenceContext: number;
  /** Tessera's `--gpu`: `off` on the CPU, `cuda` on an NVIDIA GPU. */
  gpu: 'off' | 'cuda';
}

export type TesseraChildMessage =
  | { type: 'ready'; url: string; apiKey: string; model: string }
  | { type: 'error'; message: string };

const send = (message: TesseraChildMessage) => process.send?.(message);

async function main(): Promise<void> {
  const o = JSON.parse(process.argv[2] ?? '{}') as TesseraChildSettings;
  const [{ startTessera }, { compileConfig }] = await Promise.all([import('../../src/main.js'), import('../../src/core/config.js')]);
  // A fresh data dir every run: the admin key is printed only when the store is created.
  await rm(o.dataDir, { recursive: true, force: true });
  const config = compileConfig({
    port: 0,
    dataDir: o.dataDir,
    model: o.model,
    gpu: o.gpu,
    threads: o.threads,
    contextSize: o.perSequenceContext,
    parallel: o.parallel,
    offline: true,
    logLevel: 'warn',
  });
  const server = await startTessera(config, { print: () => undefined, waitForModels: true });
  process.on('message', (message: { type?: string }) => {
    if (message.type === 'stop') void server.close().finally(() => process.exit(0));
  });
  process.on('disconnect', () => void server.close().finally(() => process.exit(0)));
  if (!server.adminKey) throw new Error('Tessera did not create an admin key on a fresh data dir');
  const res = await request(`${server.url}/v1/models`, { headers: { authorization: `Bearer ${server.adminKey}` } });
  const body = (await res.body.json()) as { data?: Array<{ id: string }> };
  if (res.statusCode !== 200) throw new Error(`GET /v1/models answered ${res.statusCode}: ${JSON.stringify(body)}`);
  const model = body.data?.[0]?.id;
  if (!model) throw new Error('Tessera lists no model: did it fail to load? (see its warnings above)');
  send({ type: 'ready', url: server.url, apiKey: server.adminKey, model });
}

main().catch((err: unknown) => {
  send({ type: 'error', message: err instanceof Error ? err.message : String(err) });
  process.exit(1);
});
