/**
 * /api/models and /api/fleet on a real server: installed and loaded models with memory estimates
 * per chip, the catalog, a download with progress from a local HTTP server, load and unload on the
 * embedded engine — and none of the changes for a member key.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { createServer, type Server } from 'node:http';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { createTestModel } from '../src/models/index.js';
import { startTestServer, type TestServer } from './support/server.js';

describe('/api/models and /api/fleet', () => {
  let t: TestServer;
  let member: string;
  let files: Server;
  let filesUrl: string;
  const call = async (key: string, method: string, path: string, body?: unknown) => {
    const res = await fetch(`${t.server.url}${path}`, {
      method,
      headers: { authorization: `Bearer ${key}`, ...(body === undefined ? {} : { 'content-type': 'application/json' }) },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    return { status: res.status, body: (await res.json()) as Record<string, unknown> & { data: Array<Record<string, unknown>> } };
  };

  before(async () => {
    t = await startTestServer({ parallel: 2 });
    member = (await t.server.store.keys.create({ name: 'm', role: 'member' })).secret;
    const source = join(t.dataDir, 'served.gguf');
    await createTestModel(source, { seed: 9 });
    const bytes = await readFile(source);
    files = createServer((req, res) => (req.url === '/extra.gguf' ? res.end(bytes) : res.writeHead(404).end()));
    await new Promise<void>((r) => files.listen(0, '127.0.0.1', r));
    filesUrl = `http://127.0.0.1:${(files.address() as { port: number }).port}`;
  });
  after(async () => {
    files?.close();
    await t?.stop();
  });

  it('lists the loaded model with its memory estimate and the chips it fits on', async () => {
    const { body } = await call(member, 'GET', '/api/models');
    const tiny = body.data.find((m) => m.name === t.model) as { status: string; device: string; memory: { totalBytes: number; fitsOn: string[] } };
    assert.equal(tiny.status, 'ready');
    assert.equal(tiny.device, 'cpu');
    assert.ok(tiny.memory.totalBytes > 0);
    assert.ok(tiny.memory.fitsOn.includes('nvidia-t4'));
  });

  it('shows the catalog with estimates: a 72B model does not fit on a T4', async () => {
    const { body } = await call(member, 'GET', '/api/models/catalog');
    const big = body.data.find((e) => e.name === 'qwen2.5-72b-instruct-q4_k_m') as { fitsOn: string[]; installed: boolean };
    const small = body.data.find((e) => e.name === 'qwen2.5-0.5b-instruct-q4_k_m') as { fitsOn: string[] };
    assert.equal(big.installed, false);
    assert.ok(!big.fitsOn.includes('nvidia-t4') && big.fitsOn.includes('nvidia-h200'));
    assert.ok(small.fitsOn.includes('nvidia-t4'));
  });

  it('downloads a model with progress, loads it, serves it and unloads it', async () => {
    const started = await call(t.apiKey, 'POST', '/api/models/pull', { source: `${filesUrl}/extra.gguf` });
    assert.equal(started.status, 202);
    let job = started.body;
    for (let i = 0; i < 100 && job.status === 'running'; i++) {
      await new Promise((r) => setTimeout(r, 50));
      job = (await call(t.apiKey, 'GET', `/api/models/pulls/${started.body.id}`)).body;
    }
    assert.equal(job.status, 'done', String(job.error));
    assert.equal(job.received_bytes, job.total_bytes);

    const loaded = await call(t.apiKey, 'POST', '/api/models/extra/load');
    assert.deepEqual([loaded.status, loaded.body.status], [200, 'ready']);
    const reply = await t.client.chat.completions.create({ model: 'extra', messages: [{ role: 'user', content: 'hi' }], max_tokens: 3 });
    assert.equal(reply.usage?.completion_tokens, 3);
    assert.equal((await call(t.apiKey, 'POST', '/api/models/extra/unload')).status, 200);
    const listed = (await call(t.apiKey, 'GET', '/api/models')).body.data.find((m) => m.name === 'extra');
    assert.equal(listed?.status, 'installed');
  });

  it('keeps downloads, loading and the fleet view to admins', async () => {
    for (const [method, path] of [['POST', '/api/models/pull'], ['POST', `/api/models/${'extra'}/load`], ['GET', '/api/fleet']] as const) {
      const res = await call(member, method, path, method === 'POST' && path.endsWith('pull') ? { source: 'x' } : undefined);
      assert.equal(res.status, 403, `${method} ${path}`);
    }
  });

  it('shows the local node with its memory, a utilisation sample and the models on each device', async () => {
    const { body } = await call(t.apiKey, 'GET', '/api/fleet');
    const [node] = body.data as Array<{ id: string; memoryBytes: number; samples: unknown[]; accelerators: Array<{ device: string; models: string[] }> }>;
    assert.equal(node.id, 'local');
    assert.ok(node.memoryBytes > 0);
    assert.ok(node.samples.length >= 1);
    assert.deepEqual(node.accelerators.find((a) => a.device === 'cpu')?.models, [t.model]);
  });
});
