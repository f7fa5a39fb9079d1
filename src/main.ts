/**
 * Composition root: the only place that reads the environment and wires units together.
 * `startTessera` is what `tessera serve` runs and what end-to-end tests start in-process.
 */
import { mkdir } from 'node:fs/promises';
import { availableParallelism } from 'node:os';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { performance } from 'node:perf_hooks';
import { Registry, collectDefaultMetrics } from 'prom-client';
import pino, { type Logger } from 'pino';
import { buildServer, keyVerifierFromStore } from './api/index.js';
import type { Config, ModelDeclaration } from './core/config.js';
import { TesseraError } from './core/errors.js';
import { createEngineFactory } from './gateway/engine-factory.js';
import { LocalNode } from './fleet/index.js';
import { Gateway, ModelManager, ModelRouter, createGatewayMetrics, type ModelState } from './gateway/index.js';
import { resolveDefaultModel } from './gateway/default-model.js';
import { Meter } from './metering/index.js';
import { openStore, type Store } from './store/index.js';

export interface TesseraServer {
  url: string;
  config: Config;
  store: Store;
  router: ModelRouter;
  meter: Meter;
  /** The admin key's secret when this start created it (first start), else null. */
  adminKey: string | null;
  close(): Promise<void>;
}

export interface StartOptions {
  /** Where the one-time admin key and plain notices go (stdout for the CLI). */
  print?: (line: string) => void;
  logger?: Logger;
  /** Resolve only after every model has loaded (tests); the CLI serves /healthz while loading. */
  waitForModels?: boolean;
}

const VERSION = '0.1.0';
/** How often the local node's utilisation is sampled for the fleet charts. */
const NODE_SAMPLE_MS = 5000;

export async function startTessera(config: Config, options: StartOptions = {}): Promise<TesseraServer> {
  const print = options.print ?? ((line: string) => console.log(line));
  const log = options.logger ?? pino({ level: config.logLevel });
  const dataDir = resolve(config.dataDir);
  const modelsDir = join(dataDir, 'models');
  await mkdir(modelsDir, { recursive: true });

  if (config.databaseUrl) {
    throw new TesseraError('invalid_config', 'PostgreSQL (databaseUrl) is not supported yet; remove it to use SQLite.');
  }
  const store = await openStore({
    kind: 'sqlite',
    file: join(dataDir, 'tessera.db'),
    background: true,
    // A failed apply is retried (the rows wait in the metering log); a failed thread's work moves to the serving thread.
    onBackgroundError: (err) => log.error({ err }, 'the store\'s background thread failed'),
  }, { now: () => new Date() });
  let adminKey: string | null = null;
  if ((await store.keys.count()) === 0) {
    const created = await store.keys.create({ name: 'admin', role: 'admin' });
    adminKey = created.secret;
    print(`\nCreated the admin API key. It is shown only this once; store it now:\n\n    ${adminKey}\n`);
  }

  const meter = new Meter({
    store,
    now: () => new Date(),
    monotonicMs: () => performance.now(),
    onAlert: (tenant, message) => log.warn({ tenant: tenant.id }, message),
  });
  const { recovered } = await meter.start();
  if (recovered > 0) log.warn({ recovered }, 'settled requests that were running when the server stopped');

  const router = new ModelRouter();
  const registry = new Registry();
  collectDefaultMetrics({ register: registry });
  const gateway = new Gateway({
    router,
    metrics: createGatewayMetrics(registry, router),
    recordUsage: (row) => store.usage.record(row),
    monotonicMs: () => performance.now(),
    maxQueue: config.maxQueue,
    onUsageError: (err, row) => log.error({ err, requestId: row.requestId }, 'usage record failed'),
    meter,
  });

  const threads = config.threads ?? availableParallelism();
  const createEngine = createEngineFactory({ gpu: config.gpu, threads, contextSize: config.contextSize, parallel: config.parallel, nativeLoop: config.nativeLoop, log });
  const models = new ModelManager({ modelsDir, router, createEngine, contextSize: config.contextSize, parallel: config.parallel, now: () => new Date() });
  const node = new LocalNode();
  node.sample(new Date());
  const sampler = setInterval(() => node.sample(new Date()), NODE_SAMPLE_MS);
  sampler.unref();

  const app = buildServer({
    store,
    gateway,
    router,
    metricsRegistry: registry,
    verifyKey: keyVerifierFromStore(store.keys),
    meter,
    models,
    node,
    consoleDir: fileURLToPath(new URL('../../console/dist', import.meta.url)),
    bodyLimit: config.bodyLimit,
    logLevel: config.logLevel,
    version: VERSION,
    now: () => new Date(),
  });
  await app.listen({ host: config.host, port: config.port });
  const address = app.server.address();
  const port = typeof address === 'object' && address ? address.port : config.port;
  const url = `http://${config.host.includes(':') ? `[${config.host}]` : config.host}:${port}`;
  log.info({ url }, 'Tessera is listening');

  const declared: ModelDeclaration[] = [...config.models, ...(await store.models.declarations())];
  const loads: Array<Promise<ModelState | undefined>> = declared.map((decl) => models.loadDeclared(decl));
  loads.push(
    resolveDefaultModel({ config, modelsDir, log, print }).then((decl) =>
      decl && !declared.some((d) => d.name === decl.name)
        ? models.loadDeclared(decl)
        : undefined,
    ),
  );
  const loaded = Promise.all(loads).then((states) => {
    for (const state of states) {
      if (state?.status === 'failed') log.error({ model: state.name }, `model failed to load: ${state.error}`);
      if (state?.status === 'ready') log.info({ model: state.name, device: state.engine.info.device }, 'model ready');
    }
  });
  if (options.waitForModels) await loaded;

  let closing: Promise<void> | undefined;
  return {
    url,
    config,
    store,
    router,
    meter,
    adminKey,
    close() {
      closing ??= (async () => {
        clearInterval(sampler);
        await app.close();
        await loaded.catch(() => undefined);
        await router.closeAll();
        await meter.journal.drain();
        await store.close();
      })();
      return closing;
    },
  };
}
