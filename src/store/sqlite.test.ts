import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Sqlite from 'better-sqlite3';
import { openStore, type Store } from './index.js';

describe('store on a real SQLite file', () => {
  let dir: string;
  let file: string;
  let clock = new Date('2026-11-22T12:00:00Z');
  const now = () => clock;
  let store: Store;

  before(async () => {
    dir = await mkdtemp(join(tmpdir(), 'tessera-store-'));
    file = join(dir, 'tessera.db');
    store = await openStore({ kind: 'sqlite', file }, { now });
  });
  after(async () => {
    await store.close();
    await rm(dir, { recursive: true, force: true });
  });

  it('creates keys that verify, and never stores the secret', async () => {
    const { key, secret } = await store.keys.create({ name: 'a', role: 'admin' });
    assert.match(secret, /^sk-tess-[A-Za-z0-9_-]{40,}$/);
    assert.equal((await store.keys.verify(secret))?.id, key.id);
    assert.equal(await store.keys.verify(`${secret}x`), null);
    assert.equal(await store.keys.count(), 1);
    await store.close();
    const raw = new Sqlite(file, { readonly: true });
    const rows = JSON.stringify(raw.prepare('select * from api_keys').all());
    raw.close();
    assert.ok(!rows.includes(secret), 'secret not in the table');
    const bytes = await readFile(file, 'latin1').catch(() => '');
    const wal = await readFile(`${file}-wal`, 'latin1').catch(() => '');
    assert.ok(!bytes.includes(secret) && !wal.includes(secret), 'secret not in the database files');
    store = await openStore({ kind: 'sqlite', file }, { now });
    assert.equal((await store.keys.verify(secret))?.id, key.id, 'survives reopen (migrations idempotent)');
  });

  it('refuses revoked and expired keys at once', async () => {
    const revoked = await store.keys.create({ name: 'r', role: 'member' });
    await store.keys.revoke(revoked.key.id);
    assert.equal(await store.keys.verify(revoked.secret), null);
    const expiring = await store.keys.create({ name: 'e', role: 'member', expiresAt: new Date(clock.getTime() + 1000) });
    assert.ok(await store.keys.verify(expiring.secret));
    clock = new Date(clock.getTime() + 1000);
    assert.equal(await store.keys.verify(expiring.secret), null);
  });

  it('records usage once per request id', async () => {
    const row = {
      requestId: 'req-1', keyId: null, model: 'm', endpoint: 'chat', promptTokens: 3, completionTokens: 5,
      ttftMs: 1.5, durationMs: 10, outcome: 'ok' as const, errorCode: null,
    };
    await store.usage.record(row);
    await store.usage.record({ ...row, completionTokens: 99 });
    const rows = (await store.usage.list({ limit: 10 })).filter((r) => r.requestId === 'req-1');
    assert.equal(rows.length, 1);
    assert.equal(rows[0].completionTokens, 5);
  });

  it('declares models, hiding upstream keys from lists', async () => {
    await store.models.add({ name: 'up', engine: 'openai', url: 'http://127.0.0.1:9/v1', apiKey: 'secret-up' });
    await assert.rejects(store.models.add({ name: 'up', engine: 'fake' }), /already declared/);
    const listed = await store.models.list();
    assert.deepEqual(listed.map((m) => [m.name, m.hasApiKey]), [['up', true]]);
    assert.ok(!JSON.stringify(listed).includes('secret-up'));
    assert.equal((await store.models.declarations())[0].apiKey, 'secret-up');
    assert.equal(await store.models.remove('up'), true);
  });

  it('runs in WAL mode', () => {
    const raw = new Sqlite(file, { readonly: true });
    assert.equal(raw.pragma('journal_mode', { simple: true }), 'wal');
    raw.close();
  });
});
