import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { it } from 'node:test';
import { LAST_USED_GRANULARITY_MS } from '../keys.js';
import { PLATFORM_TENANT_ID } from '../migrations/0002_tenants_billing.js';
import { type NewDatabase, T0, withStore } from './harness.js';

const RECORD_FIELDS = ['allowedModels', 'createdAt', 'expiresAt', 'id', 'labels', 'lastUsedAt', 'name', 'prefix', 'revokedAt', 'role', 'tenantId'];

export function keyConformance(newDatabase: NewDatabase): void {
  it('creates a key whose secret verifies and whose record holds neither secret nor hash', () =>
    withStore(newDatabase, async (store) => {
      const { key, secret } = await store.keys.create({ name: 'ci', role: 'member' });
      assert.match(secret, /^sk-tess-[A-Za-z0-9_-]{43,}$/);
      assert.equal(key.prefix, secret.slice(0, 12));
      assert.deepEqual(Object.keys(key).sort(), RECORD_FIELDS);
      assert.deepEqual(
        { name: key.name, role: key.role, tenantId: key.tenantId, createdAt: key.createdAt, expiresAt: key.expiresAt },
        { name: 'ci', role: 'member', tenantId: PLATFORM_TENANT_ID, createdAt: T0, expiresAt: null },
      );
      const hash = createHash('sha256').update(secret).digest('hex');
      for (const shown of [key, await store.keys.get(key.id), ...(await store.keys.list())]) {
        const text = JSON.stringify(shown);
        assert.ok(!text.includes(secret.slice(8)) && !text.includes(hash), 'no secret or hash in records');
      }
      const verified = await store.keys.verify(secret);
      assert.equal(verified?.id, key.id);
      assert.equal(verified?.role, 'member');
    }));

  it('refuses unknown, altered, empty and oversized secrets', () =>
    withStore(newDatabase, async (store) => {
      const { secret } = await store.keys.create({ name: 'a', role: 'admin' });
      for (const wrong of [`${secret}x`, secret.slice(0, -1), '', 'sk-tess-nope', secret.toUpperCase(), 'x'.repeat(10_000)]) {
        assert.equal(await store.keys.verify(wrong), null, `refuses ${wrong.slice(0, 20)}…`);
      }
    }));

  it('keeps tenant ids, lists oldest first and counts revoked keys too', () =>
    withStore(newDatabase, async (store, clock) => {
      assert.equal(await store.keys.count(), 0);
      const acme = await store.tenants.create({ name: 'acme', kind: 'external' });
      const first = await store.keys.create({ name: 'first', role: 'admin' });
      clock.advance(1000);
      const second = await store.keys.create({ name: 'second', role: 'tenant_admin', tenantId: acme.id, allowedModels: ['m1'], labels: { team: 'x' } });
      assert.equal(second.key.tenantId, acme.id);
      assert.deepEqual([second.key.allowedModels, second.key.labels], [['m1'], { team: 'x' }]);
      assert.equal((await store.keys.verify(second.secret))?.tenantId, acme.id);
      await assert.rejects(store.keys.create({ name: 'x', role: 'member', tenantId: 'tnt_missing' }), { code: 'not_found' });
      await store.keys.revoke(first.key.id);
      assert.deepEqual((await store.keys.list()).map((k) => k.name), ['first', 'second']);
      assert.deepEqual((await store.keys.list({ tenantId: acme.id })).map((k) => k.name), ['second']);
      assert.equal(await store.keys.count(), 2);
      assert.notEqual(first.secret, second.secret);
      assert.equal(await store.keys.get('key-missing'), null);
    }));

  it('revokes at once, idempotently, keeping the first revocation time', () =>
    withStore(newDatabase, async (store, clock) => {
      const { key, secret } = await store.keys.create({ name: 'a', role: 'member' });
      assert.ok(await store.keys.verify(secret));
      clock.advance(5000);
      const revoked = await store.keys.revoke(key.id);
      assert.deepEqual(revoked?.revokedAt, clock.now());
      assert.equal(await store.keys.verify(secret), null);
      clock.advance(5000);
      const again = await store.keys.revoke(key.id);
      assert.deepEqual(again?.revokedAt, revoked?.revokedAt);
      assert.equal(await store.keys.revoke('key-missing'), null);
      assert.equal(await store.keys.verify(secret), null);
    }));

  it('stops verifying a key when it expires (expiry instant included)', () =>
    withStore(newDatabase, async (store, clock) => {
      const expiresAt = new Date(T0.getTime() + 3_600_000);
      const { key, secret } = await store.keys.create({ name: 'temp', role: 'member', expiresAt });
      assert.deepEqual(key.expiresAt, expiresAt);
      clock.set(new Date(expiresAt.getTime() - 1));
      assert.ok(await store.keys.verify(secret));
      clock.set(expiresAt);
      assert.equal(await store.keys.verify(secret), null);
      assert.ok(await store.keys.get(key.id), 'an expired key is still listed');
    }));

  it('updates last-used time coarsely', () =>
    withStore(newDatabase, async (store, clock) => {
      const { key, secret } = await store.keys.create({ name: 'a', role: 'member' });
      assert.equal(key.lastUsedAt, null);
      clock.advance(1000);
      const firstUse = clock.now();
      assert.deepEqual((await store.keys.verify(secret))?.lastUsedAt, firstUse);
      clock.advance(LAST_USED_GRANULARITY_MS - 1);
      await store.keys.verify(secret);
      assert.deepEqual((await store.keys.get(key.id))?.lastUsedAt, firstUse, 'no write within the window');
      clock.advance(2);
      await store.keys.verify(secret);
      assert.deepEqual((await store.keys.get(key.id))?.lastUsedAt, clock.now());
    }));

  it('refuses a key without a name or with an unknown role', () =>
    withStore(newDatabase, async (store) => {
      await assert.rejects(store.keys.create({ name: ' ', role: 'admin' }), { code: 'invalid_request' });
      await assert.rejects(store.keys.create({ name: 'x', role: 'root' as 'admin' }), { code: 'invalid_request' });
      assert.equal(await store.keys.count(), 0);
    }));
}
