/**
 * An `openai` upstream engine behind Tessera, end to end: a model declared in the config file and
 * one declared with `tessera models add NAME --upstream URL`, both served to the official SDK
 * through a real mock upstream, with streamed text passed through and usage recorded.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import OpenAI from 'openai';
import { compileConfig } from '../src/core/config.js';
import { startMockUpstream, type MockUpstream } from '../src/engines/mock-upstream.js';
import { startTessera, type TesseraServer } from '../src/main.js';
import { makeTinyModel } from './support/server.js';

const bin = join(fileURLToPath(new URL('../../', import.meta.url)), 'bin', 'tessera.js');

describe('openai upstream models', () => {
  let upstream: MockUpstream;
  let dataDir: string;
  let server: TesseraServer;
  let client: OpenAI;

  before(async () => {
    upstream = await startMockUpstream({ apiKey: 'sk-upstream', models: ['served-7b'], reply: 'the upstream answers in words', replyTokens: 5 });
    dataDir = await mkdtemp(join(tmpdir(), 'tessera-upstream-'));
    const added = spawnSync(
      process.execPath,
      [bin, 'models', 'add', 'via-cli', '--upstream', upstream.url, '--upstream-model', 'served-7b', '--api-key-env', 'UPSTREAM_KEY'],
      { encoding: 'utf8', env: { ...process.env, TESSERA_DATA_DIR: dataDir, UPSTREAM_KEY: 'sk-upstream' } },
    );
    assert.equal(added.status, 0, added.stderr);
    assert.doesNotMatch(added.stdout + added.stderr, /sk-upstream/, 'the upstream key is never printed');
    const config = compileConfig({
      port: 0,
      dataDir,
      model: await makeTinyModel(dataDir),
      gpu: 'off',
      threads: 1,
      contextSize: 256,
      offline: true,
      logLevel: 'warn',
      models: [{ name: 'via-config', engine: 'openai', url: upstream.url, apiKey: 'sk-upstream', upstreamModel: 'served-7b' }],
    });
    server = await startTessera(config, { print: () => undefined, waitForModels: true });
    client = new OpenAI({ baseURL: `${server.url}/v1`, apiKey: server.adminKey!, maxRetries: 0 });
  });
  after(async () => {
    await server?.close();
    await upstream?.close();
    await rm(dataDir, { recursive: true, force: true });
  });

  it('lists both upstream models beside the local one', async () => {
    const ids = (await client.models.list()).data.map((m) => m.id).sort();
    assert.deepEqual(ids, ['tiny-test', 'via-cli', 'via-config']);
  });

  for (const model of ['via-config', 'via-cli']) {
    it(`streams ${model} through from the upstream, with the upstream's usage recorded`, async () => {
      const stream = await client.chat.completions.create({
        model,
        messages: [{ role: 'user', content: 'hello upstream' }],
        stream: true,
        stream_options: { include_usage: true },
      });
      let text = '';
      let usage: OpenAI.CompletionUsage | undefined;
      for await (const chunk of stream) {
        text += chunk.choices[0]?.delta?.content ?? '';
        usage = chunk.usage ?? usage;
      }
      assert.equal(text.trimEnd(), 'the upstream answers in words'); // the mock streams "word " tokens
      assert.equal(upstream.last?.body.model, 'served-7b', 'the upstream model name is sent upstream');
      assert.equal(upstream.last?.authorization, 'Bearer sk-upstream', "Tessera's upstream key, not the client's");
      assert.equal(usage?.completion_tokens, 5);
      const rows = await server.store.usage.list({ model, limit: 10 });
      assert.equal(rows.length, 1);
      assert.equal(rows[0].completionTokens, 5);
      assert.equal(rows[0].promptTokens, usage?.prompt_tokens);
    });
  }

  it('passes a non-streamed request upstream as one JSON reply, with its usage', async () => {
    const reply = await client.chat.completions.create({ model: 'via-config', messages: [{ role: 'user', content: 'no stream please' }] });
    assert.equal(upstream.last?.body.stream, false, 'nothing to stream to: one JSON reply upstream');
    assert.equal(reply.choices[0].message.content?.trimEnd(), 'the upstream answers in words');
    assert.equal(reply.usage?.completion_tokens, 5);
    const [row] = await server.store.usage.list({ model: 'via-config', limit: 1 });
    assert.equal(row.completionTokens, 5);
  });

  it('answers 503 upstream_unavailable when the upstream is down, and records the failure', async () => {
    upstream.set({ failure: { type: 'status', status: 503, message: 'warming up' } });
    try {
      await assert.rejects(
        client.chat.completions.create({ model: 'via-config', messages: [{ role: 'user', content: 'hi' }] }),
        (err: unknown) => err instanceof OpenAI.APIError && err.status === 503 && (err.error as { code?: string }).code === 'upstream_unavailable',
      );
    } finally {
      upstream.set({ failure: undefined });
    }
  });
});
