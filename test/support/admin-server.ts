/**
 * A Tessera HTTP server for admin-API tests: the fake engine (model `fake`, one word = one token),
 * a real SQLite store and a started Meter, wired as main.ts wires them. The clock is shared by the
 * store, the meter and the server and can be moved forward (`skewMs`) to expire keys or reach a
 * price's effective time.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import type { FastifyInstance } from 'fastify';
import { Registry } from 'prom-client';
import { buildServer, keyVerifierFromStore } from '../../src/api/index.js';
import { createFakeEngine } from '../../src/engines/index.js';
import { Gateway, ModelRouter, createGatewayMetrics } from '../../src/gateway/index.js';
import { Meter } from '../../src/metering/index.js';
import { openStore, type Store } from '../../src/store/index.js';

export interface ApiResponse<T = Record<string, unknown>> {
  status: number;
  body: T & { error?: { code: string; param: string | null; message: string } };
  text: string;
  headers: Headers;
}

export interface AdminServer {
  url: string;
  store: Store;
  meter: Meter;
  app: FastifyInstance;
  /** The platform admin key's secret, and its id. */
  admin: string;
  adminId: string;
  clock: { skewMs: number };
  now(): Date;
  /** One HTTP call; `key` null sends no Authorization header. */
  call<T = Record<string, unknown>>(method: string, path: string, key: string | null, body?: unknown, headers?: Record<string, string>): Promise<ApiResponse<T>>;
  /** A non-streamed chat request to `fake`; returns the HTTP status. */
  chat(key: string, words?: number, maxTokens?: number, model?: string): Promise<number>;
  close(): Promise<void>;
}

export async function startAdminServer(): Promise<AdminServer> {
  const dir = await mkdtemp(join(tmpdir(), 'tessera-admin-'));
  const clock = { skewMs: 0 };
  const now = () => new Date(Date.now() + clock.skewMs);
  const store = await openStore({ kind: 'sqlite', file: join(dir, 'db.sqlite') }, { now });
  const meter = new Meter({ store, now, monotonicMs: () => performance.now() });
  await meter.start();
  const router = new ModelRouter();
  await router.load('fake', async () => createFakeEngine({ name: 'fake', contextLength: 200, slots: 4, tokenDelayMs: 0 }), now());
  await router.load('other', async () => createFakeEngine({ name: 'other', contextLength: 200, slots: 4, tokenDelayMs: 0 }), now());
  const registry = new Registry();
  const gateway = new Gateway({
    router,
    metrics: createGatewayMetrics(registry, router),
    recordUsage: (row) => store.usage.record(row),
    monotonicMs: () => performance.now(),
    maxQueue: 64,
    onUsageError: (err) => {
      throw err;
    },
    meter,
  });
  const app = buildServer({
    store, gateway, router, metricsRegistry: registry, verifyKey: keyVerifierFromStore(store.keys), meter,
    bodyLimit: 64 * 1024, logLevel: 'silent', version: 'test', now,
  });
  await app.listen({ host: '127.0.0.1', port: 0 });
  const address = app.server.address();
  const url = `http://127.0.0.1:${typeof address === 'object' && address ? address.port : 0}`;
  const root = await store.keys.create({ name: 'root', role: 'admin' });
  const admin = root.secret;

  const call: AdminServer['call'] = async (method, path, key, body, headers = {}) => {
    const response = await fetch(`${url}${path}`, {
      method,
      headers: {
        ...(key === null ? {} : { authorization: `Bearer ${key}` }),
        ...(body === undefined ? {} : { 'content-type': 'application/json' }),
        ...headers,
      },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    const text = await response.text();
    let parsed: unknown;
    try {
      parsed = JSON.parse(text);
    } catch {
      parsed = {}; // CSV and other text bodies: read `text`
    }
    return { status: response.status, body: parsed as never, text, headers: response.headers };
  };

  return {
    url, store, meter, app, admin, adminId: root.key.id, clock, now, call,
    async chat(key, words = 3, maxTokens = 4, model = 'fake') {
      const content = Array.from({ length: words }, (_, i) => `w${i}`).join(' ');
      const r = await call('POST', '/v1/chat/completions', key, { model, messages: [{ role: 'user', content }], max_tokens: maxTokens });
      return r.status;
    },
    async close() {
      await app.close();
      await router.closeAll();
      await meter.journal.drain();
      await store.close();
      await rm(dir, { recursive: true, force: true });
    },
  };
}
