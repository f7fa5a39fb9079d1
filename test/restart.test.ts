import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import OpenAI from 'openai';
import { startTestServer, type TestServer } from './support/server.js';

describe('restart', () => {
  let t: TestServer;
  before(async () => {
    t = await startTestServer();
  });
  after(async () => {
    await t?.stop();
  });

  it('keeps keys and usage across a restart of the server', async () => {
    const key = t.client.apiKey;
    const reply = await t.client.chat.completions.create({ model: t.model, messages: [{ role: 'user', content: 'remember me' }], max_tokens: 4 });
    const before = await t.server.store.usage.list({ limit: 10 });
    assert.ok(before.some((u) => u.requestId === reply.id));

    t = await t.restart();
    assert.equal(t.server.adminKey, null, 'no second admin key is created');
    const again = new OpenAI({ baseURL: `${t.server.url}/v1`, apiKey: key, maxRetries: 0 });
    const second = await again.chat.completions.create({ model: t.model, messages: [{ role: 'user', content: 'still here' }], max_tokens: 4 });
    const rows = await t.server.store.usage.list({ limit: 10 });
    assert.ok(rows.some((u) => u.requestId === reply.id), 'usage from before the restart is kept');
    assert.ok(rows.some((u) => u.requestId === second.id));
  });
});
