/**
 * The serving stack as main.ts wires it — store, meter, router, gateway, HTTP server — on fake
 * engines, for tests of the layers above the engine. One place, so every such test exercises the
 * same wiring as production.
 */
import { performance } from 'node:perf_hooks';
import type { FastifyInstance } from 'fastify';
import { Registry } from 'prom-client';
import { buildServer, keyVerifierFromStore, type ServerDeps } from '../../src/api/index.js';
import { createFakeEngine, type FakeEngineOptions } from '../../src/engines/index.js';
import { Gateway, ModelRouter, createGatewayMetrics } from '../../src/gateway/index.js';
import { Meter } from '../../src/metering/index.js';
import { openStore, type Store } from '../../src/store/index.js';

export interface FakeStack {
  store: Store;
  /** Absent when opened with `metering: false` (usage rows only, no tenants' limits or ledger). */
  meter: Meter | undefined;
  router: ModelRouter;
  gateway: Gateway;
  /** Builds the HTTP server with these extra deps, lets `configure` add to it, and listens on a free port. */
  serve(extra?: Partial<ServerDeps>, configure?: (app: FastifyInstance) => void): Promise<{ app: FastifyInstance; url: string }>;
  /** Closes the server (if served), the engines, the journal and the store. */
  close(): Promise<void>;
}

export async function openFakeStack(options: {
  file: string;
  now: () => Date;
  engines: FakeEngineOptions[];
  metering: boolean;
  maxQueue?: number;
}): Promise<FakeStack> {
  const { now } = options;
  const store = await openStore({ kind: 'sqlite', file: options.file }, { now });
  const meter = options.metering ? new Meter({ store, now, monotonicMs: () => performance.now() }) : undefined;
  await meter?.start();
  const router = new ModelRouter();
  for (const engine of options.engines) await router.load(engine.name, async () => createFakeEngine(engine), now());
  const registry = new Registry();
  const gateway = new Gateway({
    router,
    metrics: createGatewayMetrics(registry, router),
    recordUsage: (row) => store.usage.record(row),
    monotonicMs: () => performance.now(),
    maxQueue: options.maxQueue ?? 64,
    onUsageError: (err) => {
      throw err;
    },
    meter,
  });
  let app: FastifyInstance | undefined;
  return {
    store,
    meter,
    router,
    gateway,
    async serve(extra = {}, configure) {
      app = buildServer({
        store, gateway, router, metricsRegistry: registry, verifyKey: keyVerifierFromStore(store.keys), meter,
        bodyLimit: 64 * 1024, logLevel: 'silent', version: 'test', now, ...extra,
      });
      configure?.(app);
      await app.listen({ host: '127.0.0.1', port: 0 });
      const address = app.server.address();
      return { app, url: `http://127.0.0.1:${typeof address === 'object' && address ? address.port : 0}` };
    },
    async close() {
      await app?.close();
      await router.closeAll();
      await meter?.journal.drain();
      await store.close();
    },
  };
}
