/**
 * Starts a real Tessera server in-process on a random port, on a fresh data dir, serving a tiny
 * random-weight llama model (real llama.cpp inference). One thread: CI runs two test files at once
 * on two cores.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import OpenAI from 'openai';
import { compileConfig } from '../../src/core/config.js';
import { startTessera, type TesseraServer } from '../../src/main.js';
import { createTestModel } from '../../src/models/index.js';

export interface TestServer {
  server: TesseraServer;
  client: OpenAI;
  apiKey: string;
  model: string;
  dataDir: string;
  modelPath: string;
  restart(): Promise<TestServer>;
  stop(removeData?: boolean): Promise<void>;
}

export async function makeTinyModel(dir: string, name = 'tiny-test'): Promise<string> {
  const path = join(dir, `${name}.gguf`);
  await createTestModel(path, { size: 'tiny', seed: 7 });
  return path;
}

export async function startTestServer(
  options: { parallel?: number; contextSize?: number; dataDir?: string; modelPath?: string; extra?: Record<string, unknown> } = {},
): Promise<TestServer> {
  const dataDir = options.dataDir ?? (await mkdtemp(join(tmpdir(), 'tessera-e2e-')));
  const modelPath = options.modelPath ?? (await makeTinyModel(dataDir));
  const config = compileConfig({
    port: 0,
    dataDir,
    model: modelPath,
    gpu: 'off',
    threads: 1,
    parallel: options.parallel ?? 4,
    contextSize: options.contextSize ?? 512,
    offline: true,
    logLevel: 'warn',
    ...options.extra,
  });
  const server = await startTessera(config, { print: () => undefined, waitForModels: true });
  const apiKey = server.adminKey ?? (await server.store.keys.create({ name: 'test', role: 'admin' })).secret;
  const client = new OpenAI({ baseURL: `${server.url}/v1`, apiKey, maxRetries: 0 });
  const model = server.router.ready()[0]?.name;
  if (!model) throw new Error(`no model loaded: ${JSON.stringify(server.router.states())}`);
  const handle: TestServer = {
    server,
    client,
    apiKey,
    model,
    dataDir,
    modelPath,
    async restart() {
      await server.close();
      return startTestServer({ ...options, dataDir, modelPath });
    },
    async stop(removeData = true) {
      await server.close();
      if (removeData) await rm(dataDir, { recursive: true, force: true });
    },
  };
  return handle;
}

/** Raw HTTP for the cases the SDK would refuse to send (bad JSON, wrong types). */
export async function post(server: TesseraServer, path: string, body: string | object, key?: string | null) {
  const headers: Record<string, string> = { 'content-type': 'application/json' };
  if (key !== null && key !== undefined) headers.authorization = `Bearer ${key}`;
  const response = await fetch(`${server.url}${path}`, {
    method: 'POST',
    headers,
    body: typeof body === 'string' ? body : JSON.stringify(body),
  });
  return { status: response.status, body: (await response.json().catch(() => null)) as { error?: { code: string; param: string | null; message: string } } | null };
}
