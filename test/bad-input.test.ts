/**
 * Bad input gets a clear error in OpenAI's shape with a stable code, and nothing crashes: after
 * every refusal the server still serves.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import OpenAI from 'openai';
import { post, startTestServer, type TestServer } from './support/server.js';

describe('bad input', () => {
  let t: TestServer;
  let key: string;
  before(async () => {
    t = await startTestServer({ contextSize: 256, extra: { bodyLimit: 64 * 1024 } });
    key = t.apiKey;
  });
  after(async () => {
    await t?.stop();
  });

  const chat = (extra: object) => ({ model: t.model, messages: [{ role: 'user', content: 'hi' }], max_tokens: 4, ...extra });

  it('refuses malformed JSON', async () => {
    const res = await post(t.server, '/v1/chat/completions', '{"model": "x", "messages": [', key);
    assert.equal(res.status, 400);
    assert.equal(res.body?.error?.code, 'invalid_json');
  });

  it('names a missing field', async () => {
    const res = await post(t.server, '/v1/chat/completions', { model: t.model }, key);
    assert.equal(res.status, 400);
    assert.equal(res.body?.error?.code, 'invalid_request');
    assert.equal(res.body?.error?.param, 'messages');
  });

  it('names a field of the wrong type, with its path', async () => {
    const res = await post(t.server, '/v1/chat/completions', chat({ messages: [{ role: 'user', content: 42 }] }), key);
    assert.equal(res.status, 400);
    assert.equal(res.body?.error?.param, 'messages[0].content');
  });

  it('refuses an unknown field', async () => {
    const res = await post(t.server, '/v1/chat/completions', chat({ temprature: 0.5 }), key);
    assert.equal(res.status, 400);
    assert.equal(res.body?.error?.code, 'unknown_parameter');
    assert.equal(res.body?.error?.param, 'temprature');
  });

  it('refuses out-of-range parameters', async () => {
    for (const extra of [{ temperature: 3 }, { top_p: 0 }, { max_tokens: 0 }, { presence_penalty: -5 }, { n: 2 }]) {
      const res = await post(t.server, '/v1/chat/completions', chat(extra), key);
      assert.equal(res.status, 400, JSON.stringify(extra));
      assert.equal(res.body?.error?.param, Object.keys(extra)[0]);
    }
  });

  it('answers an unknown model with 404 model_not_found', async () => {
    const res = await post(t.server, '/v1/chat/completions', chat({ model: 'no-such-model' }), key);
    assert.equal(res.status, 404);
    assert.equal(res.body?.error?.code, 'model_not_found');
  });

  it('refuses requests without a key, with a wrong key, and with a revoked key', async () => {
    assert.equal((await post(t.server, '/v1/chat/completions', chat({}), null)).body?.error?.code, 'missing_api_key');
    const wrong = await post(t.server, '/v1/chat/completions', chat({}), 'sk-tess-not-a-real-key');
    assert.equal(wrong.status, 401);
    assert.equal(wrong.body?.error?.code, 'invalid_api_key');

    const created = await post(t.server, '/api/keys', { name: 'short-lived', role: 'member' }, key);
    assert.equal(created.status, 201);
    const { id, secret } = created.body as unknown as { id: string; secret: string };
    assert.equal((await post(t.server, '/v1/chat/completions', chat({}), secret)).status, 200);
    const revoke = await fetch(`${t.server.url}/api/keys/${id}`, { method: 'DELETE', headers: { authorization: `Bearer ${key}` } });
    assert.equal(revoke.status, 200);
    const after = await post(t.server, '/v1/chat/completions', chat({}), secret);
    assert.equal(after.status, 401);
    assert.equal(after.body?.error?.code, 'invalid_api_key');
  });

  it('keeps member keys out of key administration', async () => {
    const created = await post(t.server, '/api/keys', { name: 'member' }, key);
    const secret = (created.body as unknown as { secret: string }).secret;
    const res = await post(t.server, '/api/keys', { name: 'escalate', role: 'admin' }, secret);
    assert.equal(res.status, 403);
    assert.equal(res.body?.error?.code, 'permission_denied');
  });

  it('refuses a prompt longer than the context with context_length_exceeded, via the SDK', async () => {
    const err = await t.client.chat.completions
      .create({ model: t.model, messages: [{ role: 'user', content: 'word '.repeat(2000) }], max_tokens: 4 })
      .catch((e: unknown) => e);
    assert.ok(err instanceof OpenAI.BadRequestError, String(err));
    assert.equal(err.code, 'context_length_exceeded');
  });

  it('refuses a body over the size limit', async () => {
    const res = await post(t.server, '/v1/chat/completions', chat({ messages: [{ role: 'user', content: 'x'.repeat(100 * 1024) }] }), key);
    assert.equal(res.status, 413);
    assert.equal(res.body?.error?.code, 'request_too_large');
  });

  it('answers unknown routes in the same error shape', async () => {
    const res = await post(t.server, '/v1/nope', {}, key);
    assert.equal(res.status, 404);
    assert.equal(res.body?.error?.code, 'not_found');
  });

  it('still serves after all of that', async () => {
    const reply = await t.client.chat.completions.create({ model: t.model, messages: [{ role: 'user', content: 'ok?' }], max_tokens: 3 });
    assert.ok(reply.usage!.completion_tokens > 0);
    const errors = (await t.server.store.usage.list({ limit: 50 })).filter((u) => u.outcome === 'error');
    assert.ok(errors.some((u) => u.errorCode === 'context_length_exceeded'), 'refused generation is recorded');
  });
});
