/**
 * The store on real SQLite files: the shared conformance suite, plus what only SQLite has (WAL
 * mode, the bytes on disk, the migration table).
 */
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { existsSync } from 'node:fs';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import Sqlite from 'better-sqlite3';
import { Kysely, Migrator, sql } from 'kysely';
import { manualClock, T0, type StoreOpener } from './conformance/harness.js';
import { createDialect } from './dialect.js';
import { openStore } from './index.js';
import { createBillingRepository } from './billing.js';
import { migrateToLatest } from './migrate.js';
import { migrationsFor } from './migrations/index.js';
import type { Database } from './schema.js';
import { createUsageRepository } from './usage.js';
import { runStoreConformance } from './store.conformance.js';

describe('sqlite store', () => {
  let dir = '';
  let files = 0;
  before(async () => {
    dir = await mkdtemp(join(tmpdir(), 'tessera-store-'));
  });
  after(() => rm(dir, { recursive: true, force: true }));

  const newFile = () => join(dir, `db-${++files}.sqlite`);
  const opener =
    (file: string): StoreOpener =>
    (deps) =>
      openStore({ kind: 'sqlite', file }, deps);

  runStoreConformance(async () => opener(newFile()), 'conformance on sqlite');
  // As the server opens it: batched journal commits go through the background thread.
  runStoreConformance(async () => {
    const file = newFile();
    return (deps) => openStore({ kind: 'sqlite', file, background: true }, deps);
  }, 'conformance on sqlite, background thread');

  it('puts the database in WAL mode', async () => {
    const file = newFile();
    const store = await openStore({ kind: 'sqlite', file }, manualClock());
    try {
      await store.keys.create({ name: 'a', role: 'admin' });
      assert.ok(existsSync(`${file}-wal`), 'a -wal file exists while open');
      const raw = new Sqlite(file, { readonly: true });
      try {
        assert.equal(raw.pragma('journal_mode', { simple: true }), 'wal');
      } finally {
        raw.close();
      }
    } finally {
      await store.close();
    }
  });

  it('with the background thread, commits reach the database file while it is open (checkpoints)', async () => {
    const hashesIn = async (file: string, hashes: string[]) => {
      const bytes = await readFile(file);
      return hashes.filter((h) => bytes.includes(h)).length;
    };
    for (const background of [false, true]) {
      const file = newFile();
      const store = await openStore({ kind: 'sqlite', file, background }, manualClock());
      try {
        // A few hundred WAL pages: under SQLite's own threshold (1,000), so only a checkpoint
        // from elsewhere copies them into the database file before it closes.
        const hashes: string[] = [];
        for (let i = 0; i < 60; i++) {
          const { secret } = await store.keys.create({ name: `k${i}`, role: 'member' });
          hashes.push(createHash('sha256').update(secret).digest('hex'));
        }
        if (!background) {
          await new Promise((r) => setTimeout(r, 700));
          assert.equal(await hashesIn(file, hashes), 0, 'without the checkpointer the rows stay in the WAL');
          continue;
        }
        const deadline = Date.now() + 5000;
        while ((await hashesIn(file, hashes)) < hashes.length && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50));
        assert.equal(await hashesIn(file, hashes), hashes.length, 'every committed key is in the database file');
      } finally {
        await store.close();
      }
      const reopened = await openStore({ kind: 'sqlite', file }, manualClock());
      assert.equal(await reopened.keys.count(), 60);
      await reopened.close();
    }
  });

  it('stores only the hash of a key secret, never the secret', async () => {
    const file = newFile();
    const store = await openStore({ kind: 'sqlite', file }, manualClock());
    const { key, secret } = await store.keys.create({ name: 'a', role: 'admin' });
    const hash = createHash('sha256').update(secret).digest('hex');
    // Read the bytes while open (data may sit in the -wal file) and after close (checkpointed).
    const bytesOpen = Buffer.concat([await readFile(file), await readFile(`${file}-wal`).catch(() => Buffer.alloc(0))]);
    await store.close();
    const bytesClosed = await readFile(file);
    const randomPart = secret.slice('sk-tess-'.length);
    for (const bytes of [bytesOpen, bytesClosed]) {
      assert.equal(bytes.includes(randomPart), false, 'secret found in the database file');
      assert.equal(bytes.includes(hash), true, 'sanity: the hash is what is stored');
    }
    const raw = new Sqlite(file, { readonly: true });
    try {
      const rows = raw.prepare('select * from api_keys').all() as Record<string, unknown>[];
      assert.equal(rows.length, 1);
      assert.equal(rows[0].id, key.id);
      assert.ok(Object.values(rows[0]).every((value) => !String(value).includes(randomPart)));
    } finally {
      raw.close();
    }
  });

  it('records each migration once however often the database is opened', async () => {
    const file = newFile();
    const open = opener(file);
    for (let i = 0; i < 3; i++) await (await open(manualClock())).close();
    const raw = new Sqlite(file, { readonly: true });
    try {
      const names = raw.prepare('select name from kysely_migration order by name').pluck().all();
      assert.deepEqual(names, ['0001_initial', '0002_tenants_billing', '0003_conversations', '0004_usage_in_ledger', '0005_sqlite_cheap_checks']);
    } finally {
      raw.close();
    }
  });

  it('0004 keeps usage written before it, counted once, and records settled requests in the ledger alone', async () => {
    const file = newFile();
    const db = new Kysely<unknown>({ dialect: createDialect({ kind: 'sqlite', file }) });
    const provider = { getMigrations: async () => Object.fromEntries(Object.entries(await migrationsFor('sqlite').getMigrations()).filter(([name]) => name < '0004')) };
    try {
      assert.equal((await new Migrator({ db, provider }).migrateToLatest()).error, undefined);
      // A request settled by a 0003 build: its ledger entry and its usage row.
      await sql`insert into ledger (id, tenant_id, kind, request_id, key_id, model, prompt_tokens, completion_tokens, amount_micros, occurred_at, created_at)
        values ('led-1', 'tnt_platform', 'usage', 'old', 'key-1', 'm', 10, 5, 15, '2026-01-15T09:00:00.000Z', '2026-01-15T09:00:01.000Z')`.execute(db);
      await sql`insert into usage_records (request_id, key_id, model, endpoint, prompt_tokens, completion_tokens, duration_ms, outcome, created_at)
        values ('old', 'key-1', 'm', 'chat', 10, 5, 7, 'ok', '2026-01-15T09:00:00.000Z')`.execute(db);
    } finally {
      await db.destroy();
    }
    const store = await opener(file)(manualClock());
    try {
      const entry = { tenantId: 'tnt_platform', kind: 'usage' as const, requestId: 'new', keyId: 'key-1', model: 'm', promptTokens: 3, cachedTokens: 0, completionTokens: 2, allowanceTokens: 0, chipType: null, acceleratorMs: 0, amountMicros: 5, priceId: null, occurredAt: T0, note: null };
      const usage = { requestId: 'new', keyId: 'key-1', model: 'm', endpoint: 'completion' as const, promptTokens: 3, completionTokens: 2, ttftMs: 1.4, durationMs: 9, outcome: 'aborted' as const, errorCode: 'interrupted', createdAt: T0 };
      await store.billing.commit({ begin: [], progress: [], settle: [{ entry, usage }], finish: [] });
      await assert.rejects(store.billing.commit({ begin: [], progress: [], settle: [{ entry: { ...entry, requestId: 'x' }, usage: { ...usage, requestId: 'x', completionTokens: 9 } }], finish: [] }),
        { code: 'internal_error' }, 'a usage record that contradicts its entry is refused');
      assert.deepEqual((await store.usage.list({ limit: 10 })).map((r) => [r.requestId, r.endpoint, r.promptTokens, r.completionTokens, r.ttftMs, r.durationMs, r.outcome, r.errorCode, r.createdAt.toISOString()]), [
        ['new', 'completion', 3, 2, 1, 9, 'aborted', 'interrupted', T0.toISOString()],
        ['old', 'chat', 10, 5, null, 7, 'ok', null, '2026-01-15T09:00:00.000Z'],
      ]);
      assert.deepEqual((await store.usage.totals({ by: 'model' })).map((t) => [t.group, t.requests, t.promptTokens]), [['m', 2, 13]]);
    } finally {
      await store.close();
    }
    const raw = new Sqlite(file, { readonly: true });
    try {
      assert.equal(raw.prepare('select count(*) from usage_records').pluck().get(), 1, 'the settled request wrote no usage_records row');
    } finally {
      raw.close();
    }
  });

  it('0005 rewrites the serving tables\' IN-list checks as equalities, keeping rows, indexes, the view and what is refused', async () => {
    const file = newFile();
    const db = new Kysely<unknown>({ dialect: createDialect({ kind: 'sqlite', file }) });
    const provider = { getMigrations: async () => Object.fromEntries(Object.entries(await migrationsFor('sqlite').getMigrations()).filter(([name]) => name < '0005')) };
    try {
      assert.equal((await new Migrator({ db, provider }).migrateToLatest()).error, undefined);
      await sql`insert into ledger (id, tenant_id, kind, request_id, key_id, model, prompt_tokens, completion_tokens, amount_micros, occurred_at, created_at, endpoint, duration_ms, outcome)
        values ('led-1', 'tnt_platform', 'usage', 'r1', 'key-1', 'm', 10, 5, 15, '2026-01-15T09:00:00.000Z', '2026-01-15T09:00:01.000Z', 'chat', 7, 'ok')`.execute(db);
      await sql`insert into usage_records (request_id, key_id, model, endpoint, prompt_tokens, completion_tokens, duration_ms, outcome, created_at)
        values ('r0', null, 'm', 'embedding', 4, 0, 3, 'error', '2026-01-14T09:00:00.000Z')`.execute(db);
    } finally {
      await db.destroy();
    }
    const raw = () => new Sqlite(file);
    const before = raw();
    const indexesBefore = before.prepare("select name from sqlite_master where type = 'index' and tbl_name in ('ledger', 'usage_records') order by name").pluck().all();
    before.close();
    await (await opener(file)(manualClock())).close();
    const after = raw();
    try {
      for (const table of ['ledger', 'usage_records']) {
        const ddl = after.prepare("select sql from sqlite_master where name = ?").pluck().get(table) as string;
        assert.doesNotMatch(ddl, / in \('/, `${table} has no IN-list check left`);
        assert.match(ddl, /"?outcome"? = 'ok' or "?outcome"? = 'error' or "?outcome"? = 'aborted'/);
      }
      assert.deepEqual(after.prepare("select name from sqlite_master where type = 'index' and tbl_name in ('ledger', 'usage_records') order by name").pluck().all(), indexesBefore);
      assert.deepEqual(after.prepare('select request_id, endpoint, outcome from usage_view order by request_id').raw().all(), [['r0', 'embedding', 'error'], ['r1', 'chat', 'ok']]);
      assert.throws(() => after.prepare("insert into ledger (id, tenant_id, kind, amount_micros, occurred_at, created_at) values ('led-2', 'tnt_platform', 'bogus', 1, 'x', 'x')").run(), /CHECK constraint failed/);
      assert.throws(() => after.prepare("update usage_records set outcome = 'fine'").run(), /CHECK constraint failed/);
      assert.throws(() => after.prepare("insert into ledger (id, tenant_id, kind, amount_micros, occurred_at, created_at) values ('led-3', 'nobody', 'credit', 1, 'x', 'x')").run(), /FOREIGN KEY constraint failed/);
      after.prepare("insert into ledger (id, tenant_id, kind, amount_micros, occurred_at, created_at) values ('led-4', 'tnt_platform', 'credit', -5, 'x', 'x')").run();
    } finally {
      after.close();
    }
  });

  it('settles through the portable Kysely path (what PostgreSQL runs) with the same rows as the SQLite fast path', async () => {
    const db = new Kysely<Database>({ dialect: createDialect({ kind: 'sqlite', file: newFile() }) });
    try {
      await migrateToLatest(db as unknown as Kysely<unknown>);
      const clock = manualClock();
      const billing = createBillingRepository(db, clock);
      const usage = createUsageRepository(db, clock);
      const entry = { tenantId: 'tnt_platform', kind: 'usage' as const, requestId: 'r1', keyId: 'key-1', model: 'm', promptTokens: 3, cachedTokens: 1, completionTokens: 2, allowanceTokens: 0, chipType: null, acceleratorMs: 0, amountMicros: 5, priceId: null, occurredAt: T0, note: null };
      const record = { requestId: 'r1', keyId: 'key-1', model: 'm', endpoint: 'chat' as const, promptTokens: 3, cachedPromptTokens: 1, completionTokens: 2, ttftMs: 4, durationMs: 9, outcome: 'ok' as const };
      const inflight = { requestId: 'r1', tenantId: 'tnt_platform', keyId: 'key-1', model: 'm', endpoint: 'chat' as const, reservedMicros: 9, promptTokens: 3, completionTokens: 1, startedAt: T0 };
      await billing.commit({ begin: [inflight], progress: [], settle: [], finish: [] });
      await billing.commit({ begin: [], progress: [{ requestId: 'r1', promptTokens: 3, completionTokens: 2 }], settle: [{ entry, usage: record }], finish: ['r1'] });
      await billing.commit({ begin: [], progress: [], settle: [{ entry, usage: record }], finish: [] });
      assert.deepEqual(await billing.inflight(), []);
      assert.deepEqual((await billing.ledger({ requestId: 'r1' })).map((e) => e.amountMicros), [5]);
      const [row] = await usage.list({ limit: 5 });
      assert.deepEqual([row.requestId, row.endpoint, row.cachedPromptTokens, row.ttftMs, row.durationMs, row.outcome, row.createdAt], ['r1', 'chat', 1, 4, 9, 'ok', T0]);
    } finally {
      await db.destroy();
    }
  });

  it('refuses a database migrated by a newer Tessera', async () => {
    const file = newFile();
    await (await opener(file)(manualClock())).close();
    const raw = new Sqlite(file);
    raw.prepare('insert into kysely_migration (name, timestamp) values (?, ?)').run('9999_future', '2030-01-01T00:00:00.000Z');
    raw.close();
    await assert.rejects(opener(file)(manualClock()), { name: 'TesseraError', code: 'internal_error', message: /newer Tessera/ });
  });

  it('applies a migration atomically: one that fails leaves no table behind', async () => {
    const db = new Kysely<unknown>({ dialect: createDialect({ kind: 'sqlite', file: newFile() }) });
    try {
      const failing = {
        async up(trx: Kysely<unknown>) {
          await trx.schema.createTable('half_built').addColumn('x', 'text').execute();
          throw new Error('boom');
        },
      };
      const { error } = await new Migrator({ db, provider: { getMigrations: async () => ({ '0001_x': failing }) } }).migrateToLatest();
      assert.match(String(error), /boom/);
      const tables = (await db.introspection.getTables()).map((table) => table.name);
      assert.equal(tables.includes('half_built'), false);
    } finally {
      await db.destroy();
    }
  });

  it('fails to open a file in a missing directory', async () => {
    await assert.rejects(opener(join(dir, 'missing', 'x.db'))(manualClock()));
  });
});
