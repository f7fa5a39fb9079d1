/**
 * A Tessera HTTP server for admin-API tests: the fake engine (model `fake`, one word = one token),
 * a real SQLite store and a started Meter, wired as main.ts wires them. The clock is shared by the
 * store, the meter and the server and can be moved forward (`skewMs`) to expire keys or reach a
 * price's effective time.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { FastifyInstance } from 'fastify';
import type { Meter } from '../../src/metering/index.js';
import type { Store } from '../../src/store/index.js';
import { openFakeStack } from './fake-stack.js';

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
  const stack = await openFakeStack({
    file: join(dir, 'db.sqlite'),
    now,
    metering: true,
    engines: [
      { name: 'fake', contextLength: 200, slots: 4, tokenDelayMs: 0 },
      { name: 'other', contextLength: 200, slots: 4, tokenDelayMs: 0 },
    ],
  });
  const { store } = stack;
  const meter = stack.meter!;
  const { app, url } = await stack.serve();
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
      await stack.close();
      await rm(dir, { recursive: true, force: true });
    },
  };
}
