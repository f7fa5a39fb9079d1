import assert from 'node:assert/strict';
import { it } from 'node:test';
import { manualClock, type NewDatabase } from './harness.js';

export function lifecycleConformance(newDatabase: NewDatabase): void {
  it('keeps keys, usage and models across close and reopen (migrations re-run as no-ops)', async () => {
    const clock = manualClock();
    const open = await newDatabase();
    const first = await open(clock);
    const { key, secret } = await first.keys.create({ name: 'admin', role: 'admin' });
    const revoked = await first.keys.create({ name: 'old', role: 'member' });
    await first.keys.revoke(revoked.key.id);
    await first.usage.record({
      requestId: 'req-1', keyId: key.id, model: 'm', endpoint: 'chat',
      promptTokens: 3, completionTokens: 4, ttftMs: 1, durationMs: 2, outcome: 'ok',
    });
    await first.models.add({ name: 'm', engine: 'openai', url: 'http://h/v1', apiKey: 'up-secret' });
    await first.close();

    for (let reopen = 0; reopen < 2; reopen++) {
      const store = await open(clock);
      try {
        assert.equal((await store.keys.verify(secret))?.id, key.id);
        assert.equal(await store.keys.verify(revoked.secret), null, 'revocation survives a restart');
        assert.equal(await store.keys.count(), 2);
        assert.deepEqual((await store.usage.list({ limit: 10 })).map((r) => r.requestId), ['req-1']);
        assert.equal(await store.models.getUpstreamSecret('m'), 'up-secret');
      } finally {
        await store.close();
      }
    }
  });

  it('closes idempotently', async () => {
    const open = await newDatabase();
    const store = await open(manualClock());
    await store.close();
    await store.close();
  });
}
