/**
 * The processes bench/gateway measures, each started by index.ts as its own child process (so the
 * load generator never shares their event loop):
 *
 *   node child.js mock     the mock OpenAI-compatible upstream (src/engines/mock-upstream.ts)
 *   node child.js relay    the floor of any Node.js gateway: node:http in front of the mock through
 *                          undici, bytes passed through unparsed, no auth, limits or metering
 *   node child.js tessera  Tessera (startTessera, in this process) with one `openai` model in front
 *                          of the mock, and metering fully ON for the benchmark's key: auth, a
 *                          tenant with a hard monthly limit, per-key and per-tenant rate limits,
 *                          a model price (so every request reserves and settles), the ledger
 *
 * Settings come as one JSON argument; the child answers over the IPC channel:
 *   → { type: 'ready', url, key? }                once serving
 *   ← { type: 'memory', gc? } → { type: 'memory', usage: process.memoryUsage(), journal? }
 *                                  (gc: after a full collection, so heapUsed is the live heap;
 *                                  the process runs with --expose-gc for this)
 *   ← { type: 'profile', action: 'start' }                  starts V8's CPU profiler in this process
 *   ← { type: 'profile', action: 'stop', file } → { type: 'profiled', file }   writes the .cpuprofile
 *   ← { type: 'stop' }   → closes cleanly and exits 0
 * (Profiling through the inspector, not `--cpu-prof`, so the profile holds the measured load only,
 * not the start-up, and only this process's main thread.)
 */
import { mkdir, rm, writeFile } from 'node:fs/promises';
import { dirname } from 'node:path';
import { Session } from 'node:inspector/promises';

export interface MockChildSettings {
  role: 'mock';
  apiKey: string;
  model: string;
  reply: string;
}

export interface TesseraChildSettings {
  role: 'tessera';
  upstreamUrl: string;
  upstreamKey: string;
  model: string;
  dataDir: string;
  /** The tiny local model every Tessera serves by default (loaded, never called here). */
  localModel: string;
}

export interface RelayChildSettings {
  role: 'relay';
  upstreamUrl: string;
}

export type ChildSettings = MockChildSettings | RelayChildSettings | TesseraChildSettings;

export type ChildMessage =
  | { type: 'ready'; url: string; key?: string }
  | { type: 'memory'; usage: NodeJS.MemoryUsage; journal?: { commits: number; operations: number } }
  | { type: 'profiled'; file: string }
  | { type: 'error'; message: string };

export type ParentMessage =
  | { type: 'memory'; gc?: boolean }
  | { type: 'profile'; action: 'start' }
  | { type: 'profile'; action: 'stop'; file: string }
  | { type: 'stop' };

/** Ample for any run: 10^12 micro-units (a million currency units) a month. */
const MONTHLY_LIMIT_MICROS = 1_000_000_000_000;
/** Rate limits far above what two cores can send, so they are checked on every request but never bite. */
const GENEROUS = { rpm: 1_000_000_000, tpm: 1_000_000_000_000 };

/** A full collection (the process is started with --expose-gc). */
function collectGarbage(): void {
  (globalThis as { gc?: () => void }).gc?.();
}

function send(message: ChildMessage): void {
  process.send?.(message);
}

async function runMock(settings: MockChildSettings): Promise<() => Promise<void>> {
  const { startMockUpstream } = await import('../../src/engines/mock-upstream.js');
  const words = settings.reply.split(/\s+/).filter(Boolean).length;
  const upstream = await startMockUpstream({ apiKey: settings.apiKey, models: [settings.model], reply: settings.reply, replyTokens: words });
  send({ type: 'ready', url: upstream.url });
  return () => upstream.close();
}

/**
 * A reverse proxy at its barest: the request body forwarded as received (with the client's
 * authorization), the reply's status, content type and bytes passed on as they arrive. What
 * a Node.js process in the path costs before it does anything of its own.
 */
async function runRelay(settings: RelayChildSettings): Promise<() => Promise<void>> {
  const { createServer } = await import('node:http');
  const { Agent } = await import('undici');
  const agent = new Agent({ connections: 256, keepAliveTimeout: 30_000 });
  const upstream = new URL(settings.upstreamUrl);
  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => {
      agent
        .request({
          origin: upstream.origin,
          path: `${upstream.pathname}${(req.url ?? '').replace(/^\/v1/, '')}`,
          method: 'POST',
          headers: { 'content-type': 'application/json', authorization: req.headers.authorization ?? '' },
          body: Buffer.concat(chunks),
        })
        .then(({ statusCode, headers, body }) => {
          res.writeHead(statusCode, { 'content-type': String(headers['content-type'] ?? 'application/json') });
          body.pipe(res);
        })
        .catch(() => res.writeHead(502).end());
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as { port: number };
  send({ type: 'ready', url: `http://127.0.0.1:${port}` });
  return async () => {
    server.close();
    await agent.close();
  };
}

async function runTessera(settings: TesseraChildSettings): Promise<() => Promise<void>> {
  const { compileConfig } = await import('../../src/core/config.js');
  const { startTessera } = await import('../../src/main.js');
  await rm(settings.dataDir, { recursive: true, force: true });
  await mkdir(settings.dataDir, { recursive: true });
  const config = compileConfig({
    port: 0,
    dataDir: settings.dataDir,
    model: settings.localModel,
    gpu: 'off',
    threads: 1,
    parallel: 1,
    contextSize: 256,
    offline: true,
    logLevel: 'warn',
    models: [{ name: settings.model, engine: 'openai', url: settings.upstreamUrl, apiKey: settings.upstreamKey, upstreamModel: settings.model }],
  });
  const server = await startTessera(config, { print: () => undefined, waitForModels: true });
  if (!server.router.ready().some((m) => m.name === settings.model)) {
    throw new Error(`the openai model did not load: ${JSON.stringify(server.router.states())}`);
  }
  const { store, meter } = server;
  const tenant = await store.tenants.create({ name: 'bench', kind: 'external', monthlyLimitMicros: MONTHLY_LIMIT_MICROS, limitMode: 'hard' });
  const { key, secret } = await store.keys.create({ name: 'bench', role: 'member', tenantId: tenant.id });
  await store.tenants.setRateLimit({ scope: 'tenant', scopeId: tenant.id, model: null, ...GENEROUS });
  await store.tenants.setRateLimit({ scope: 'key', scopeId: key.id, model: null, ...GENEROUS });
  await store.tenants.setRateLimit({ scope: 'key', scopeId: key.id, model: settings.model, ...GENEROUS });
  // 1 unit per million input tokens, 2 per million output: every request reserves and is charged.
  await meter.prices.addModelPrice({
    model: settings.model,
    effectiveFrom: new Date(),
    inputPerMTok: 1_000_000,
    cachedInputPerMTok: 500_000,
    outputPerMTok: 2_000_000,
  });
  await meter.reload();
  const stats = () => ({ commits: meter.journal.commits, operations: meter.journal.operations });
  process.on('message', (message: ParentMessage) => {
    if (message.type !== 'memory') return;
    if (message.gc) collectGarbage();
    send({ type: 'memory', usage: process.memoryUsage(), journal: stats() });
  });
  send({ type: 'ready', url: server.url, key: secret });
  return async () => {
    await server.close();
    await rm(settings.dataDir, { recursive: true, force: true }).catch(() => undefined);
  };
}

async function main(): Promise<void> {
  const settings = JSON.parse(process.argv[2] ?? '{}') as ChildSettings;
  const stop = settings.role === 'mock' ? await runMock(settings) : settings.role === 'relay' ? await runRelay(settings) : await runTessera(settings);
  let session: Session | undefined;
  process.on('message', (message: ParentMessage) => {
    if (message.type === 'memory' && settings.role !== 'tessera') {
      if (message.gc) collectGarbage();
      send({ type: 'memory', usage: process.memoryUsage() });
    }
    if (message.type === 'profile') void profile(message).catch((err: unknown) => send({ type: 'error', message: String(err) }));
    if (message.type !== 'stop') return;
    void stop().finally(() => process.exit(0));
  });
  async function profile(message: Extract<ParentMessage, { type: 'profile' }>): Promise<void> {
    if (message.action === 'start') {
      session = new Session();
      session.connect();
      await session.post('Profiler.enable');
      await session.post('Profiler.setSamplingInterval', { interval: 200 });
      await session.post('Profiler.start');
      return;
    }
    if (!session) return;
    const { profile: taken } = await session.post('Profiler.stop');
    session.disconnect();
    session = undefined;
    await mkdir(dirname(message.file), { recursive: true });
    await writeFile(message.file, JSON.stringify(taken));
    send({ type: 'profiled', file: message.file });
  }
  // The parent going away (crash, Ctrl-C) must not leave this process behind.
  process.on('disconnect', () => process.exit(0));
}

main().catch((err: unknown) => {
  send({ type: 'error', message: err instanceof Error ? (err.stack ?? err.message) : String(err) });
  console.error(err);
  process.exit(1);
});
