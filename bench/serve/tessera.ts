/**
 * Starts Tessera in-process, exactly as `tessera serve` would (composition root `startTessera`), on
 * a fresh data dir under bench/work, serving one GGUF file on the CPU with the benchmark's thread
 * count and one sequence per stream. The bench talks to it over real HTTP on 127.0.0.1.
 *
 * src/main.js is imported lazily, so the other columns still run when the server cannot start.
 */
import { rm } from 'node:fs/promises';
import { join } from 'node:path';
import { request } from 'undici';
import { WORK_DIR } from './build-native.js';

export interface TesseraHandle {
  url: string;
  apiKey: string;
  model: string;
  close(): Promise<void>;
}

export interface TesseraOptions {
  model: string;
  threads: number;
  parallel: number;
  perSequenceContext: number;
  onProgress?: (line: string) => void;
}

export async function startTesseraForBench(o: TesseraOptions): Promise<TesseraHandle> {
  const say = o.onProgress ?? (() => undefined);
  const [{ startTessera }, { compileConfig }] = await Promise.all([
    import('../../src/main.js'),
    import('../../src/core/config.js'),
  ]);
  const dataDir = join(WORK_DIR, 'tessera-data');
  // A fresh data dir every run: the admin key is printed only when the store is created.
  await rm(dataDir, { recursive: true, force: true });
  const config = compileConfig({
    port: 0,
    dataDir,
    model: o.model,
    gpu: 'off',
    threads: o.threads,
    contextSize: o.perSequenceContext,
    parallel: o.parallel,
    offline: true,
    logLevel: 'warn',
  });
  say(`[tessera] starting (threads=${o.threads}, parallel=${o.parallel}, contextSize=${o.perSequenceContext}) and loading the model`);
  const server = await startTessera(config, { print: () => undefined, waitForModels: true });
  try {
    if (!server.adminKey) throw new Error('Tessera did not create an admin key on a fresh data dir');
    const res = await request(`${server.url}/v1/models`, { headers: { authorization: `Bearer ${server.adminKey}` } });
    const body = (await res.body.json()) as { data?: Array<{ id: string }> };
    if (res.statusCode !== 200) throw new Error(`GET /v1/models answered ${res.statusCode}: ${JSON.stringify(body)}`);
    const model = body.data?.[0]?.id;
    if (!model) throw new Error('Tessera lists no model: did it fail to load? (see its warnings above)');
    say(`[tessera] ready at ${server.url}, model "${model}"`);
    return { url: server.url, apiKey: server.adminKey, model, close: () => server.close() };
  } catch (err) {
    await server.close();
    throw err;
  }
}
