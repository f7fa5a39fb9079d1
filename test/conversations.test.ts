/**
 * The console's conversation API: a user's chats are stored server-side, private to the key that
 * signed in, and an assistant reply saved with its request id shows its tokens and cost.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { startTestServer, type TestServer } from './support/server.js';

describe('/api/conversations', () => {
  let t: TestServer;
  let mine: string;
  let theirs: string;
  let owner: { tenantId: string; keyId: string };
  const call = async (key: string, method: string, path: string, body?: unknown) => {
    const res = await fetch(`${t.server.url}${path}`, {
      method,
      headers: { authorization: `Bearer ${key}`, ...(body === undefined ? {} : { 'content-type': 'application/json' }) },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    return { status: res.status, headers: res.headers, body: (await res.json()) as Record<string, unknown> & { data?: Array<Record<string, unknown>> } };
  };

  before(async () => {
    t = await startTestServer({ extra: { models: [{ name: 'fake-model', engine: 'fake' }] } });
    const { store, meter } = t.server;
    const tenant = await store.tenants.create({ name: 'chatters', kind: 'internal' });
    const alice = await store.keys.create({ name: 'alice', role: 'member', tenantId: tenant.id });
    mine = alice.secret;
    owner = { tenantId: tenant.id, keyId: alice.key.id };
    theirs = (await store.keys.create({ name: 'bob', role: 'member', tenantId: tenant.id })).secret;
    await meter.prices.addModelPrice({ model: 'fake-model', effectiveFrom: new Date(), inputPerMTok: 1_000_000, cachedInputPerMTok: 0, outputPerMTok: 2_000_000 });
    await meter.reload();
  });
  after(() => t?.stop());

  it('creates, lists, renames and deletes a conversation, and keeps it from other keys', async () => {
    const created = await call(mine, 'POST', '/api/conversations', { title: 'Plans', model: 'fake-model', settings: { temperature: 0.2 } });
    assert.equal(created.status, 201);
    const id = created.body.id as string;
    assert.deepEqual((await call(mine, 'GET', '/api/conversations')).body.data?.map((c) => c.title), ['Plans']);
    assert.deepEqual((await call(theirs, 'GET', '/api/conversations')).body.data, []);
    assert.equal((await call(theirs, 'GET', `/api/conversations/${id}`)).status, 404);
    assert.equal((await call(theirs, 'PATCH', `/api/conversations/${id}`, { title: 'mine now' })).status, 404);
    const renamed = await call(mine, 'PATCH', `/api/conversations/${id}`, { title: 'Holiday plans' });
    assert.equal(renamed.body.title, 'Holiday plans');
    const bad = await call(mine, 'PATCH', `/api/conversations/${id}`, { title: 'x', colour: 'red' });
    assert.deepEqual([bad.status, (bad.body.error as { code: string }).code], [400, 'unknown_parameter']);
    assert.equal((await call(mine, 'DELETE', `/api/conversations/${id}`)).status, 200);
    assert.equal((await call(mine, 'GET', `/api/conversations/${id}`)).status, 404);
  });

  it('stores an exchange with the reply\'s tokens and cost from the ledger, and truncates for a resend', async () => {
    const id = (await call(mine, 'POST', '/api/conversations', { model: 'fake-model' })).body.id as string;
    await call(mine, 'POST', `/api/conversations/${id}/messages`, { role: 'user', content: 'hello there' });
    const completion = await fetch(`${t.server.url}/v1/chat/completions`, {
      method: 'POST',
      headers: { authorization: `Bearer ${mine}`, 'content-type': 'application/json' },
      body: JSON.stringify({ model: 'fake-model', messages: [{ role: 'user', content: 'hello there' }], max_tokens: 5 }),
    });
    const requestId = completion.headers.get('x-request-id')!;
    const reply = (await completion.json()) as { choices: Array<{ message: { content: string } }>; usage: { prompt_tokens: number; completion_tokens: number } };
    const saved = await call(mine, 'POST', `/api/conversations/${id}/messages`, { role: 'assistant', content: reply.choices[0].message.content, request_id: requestId });
    assert.equal(saved.status, 201);
    const usage = saved.body.usage as { prompt_tokens: number; completion_tokens: number; cost_micros: number };
    assert.equal(usage.prompt_tokens, reply.usage.prompt_tokens);
    assert.equal(usage.completion_tokens, 5);
    assert.equal(usage.cost_micros, reply.usage.prompt_tokens * 1 + 5 * 2);
    // Another key, even of the same tenant, learns nothing from this request id.
    const foreign = await call(theirs, 'POST', '/api/conversations', {});
    const leak = await call(theirs, 'POST', `/api/conversations/${foreign.body.id}/messages`, { role: 'assistant', content: 'x', request_id: requestId });
    assert.equal(leak.body.usage, null);

    // A stopped reply is saved before its request settles: its usage shows once the ledger has it.
    const early = await call(mine, 'POST', `/api/conversations/${id}/messages`, { role: 'assistant', content: 'partial', request_id: 'chatcmpl-settles-later' });
    assert.equal(early.body.usage, null);
    await t.server.store.billing.append({
      ...owner, kind: 'usage', requestId: 'chatcmpl-settles-later', model: 'fake-model', promptTokens: 4, cachedTokens: 0,
      completionTokens: 2, allowanceTokens: 0, chipType: null, acceleratorMs: 0, amountMicros: 8, priceId: null, occurredAt: new Date(), note: null,
    });
    const later = await call(mine, 'GET', `/api/conversations/${id}`);
    const reread = (later.body.messages as Array<{ request_id: string | null; usage: { cost_micros: number } | null }>).find((m) => m.request_id === 'chatcmpl-settles-later');
    assert.equal(reread?.usage?.cost_micros, 8);
    await call(mine, 'POST', `/api/conversations/${id}/truncate`, { after_seq: 2 });

    const truncated = await call(mine, 'POST', `/api/conversations/${id}/truncate`, { after_seq: 1 });
    assert.equal(truncated.body.removed, 1);
    const full = await call(mine, 'GET', `/api/conversations/${id}`);
    assert.deepEqual((full.body.messages as Array<{ role: string }>).map((m) => m.role), ['user']);
  });
});
