import assert from 'node:assert/strict';
import { it } from 'node:test';
import { type NewDatabase, withStore } from './harness.js';

const message = (role: 'user' | 'assistant', content: string) => ({
  role, content, model: null, requestId: null, promptTokens: null, completionTokens: null, costMicros: null,
});

export function conversationConformance(newDatabase: NewDatabase): void {
  it('keeps conversations per owner: another key cannot see, change or delete them', () =>
    withStore(newDatabase, async (store, clock) => {
      const me = { tenantId: 'tnt_platform', keyId: 'key-a' };
      const other = { tenantId: 'tnt_platform', keyId: 'key-b' };
      const first = await store.conversations.create(me, { title: ' Trip ', model: 'm', settings: { temperature: 0.7 } });
      clock.advance(1000);
      const second = await store.conversations.create(me, {});
      assert.deepEqual([first.title, second.title, first.settings], ['Trip', 'New chat', { temperature: 0.7 }]);
      assert.deepEqual((await store.conversations.list(me)).map((c) => c.id), [second.id, first.id]);
      assert.deepEqual(await store.conversations.list(other), []);
      assert.equal(await store.conversations.get(other, first.id), null);
      assert.equal(await store.conversations.update(other, first.id, { title: 'x' }), null);
      assert.equal(await store.conversations.append(other, first.id, message('user', 'hi')), null);
      assert.equal(await store.conversations.remove(other, first.id), false);
      await assert.rejects(store.conversations.update(me, first.id, { title: '  ' }), { param: 'title' });
    }));

  it('appends messages in order, truncates after a message, renames and deletes', () =>
    withStore(newDatabase, async (store, clock) => {
      const me = { tenantId: 'tnt_platform', keyId: 'key-a' };
      const c = await store.conversations.create(me, { title: 'Chat' });
      await store.conversations.append(me, c.id, message('user', 'one'));
      await store.conversations.append(me, c.id, { ...message('assistant', 'two'), requestId: 'chatcmpl-1', promptTokens: 3, completionTokens: 4, costMicros: 12 });
      await store.conversations.append(me, c.id, message('user', 'three'));
      clock.advance(5000);
      assert.equal(await store.conversations.truncate(me, c.id, 1), 2);
      await store.conversations.append(me, c.id, message('assistant', 'again'));
      const got = await store.conversations.get(me, c.id);
      assert.deepEqual(got?.messages.map((m) => [m.seq, m.role, m.content]), [[1, 'user', 'one'], [2, 'assistant', 'again']]);
      assert.ok(got!.updatedAt.getTime() > c.updatedAt.getTime());
      assert.equal((await store.conversations.update(me, c.id, { title: 'Renamed' }))?.title, 'Renamed');
      assert.equal(await store.conversations.remove(me, c.id), true);
      assert.equal(await store.conversations.get(me, c.id), null);
    }));
}
