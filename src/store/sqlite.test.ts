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
import { Kysely, Migrator } from 'kysely';
import { manualClock, type StoreOpener } from './conformance/harness.js';
import { createDialect } from './dialect.js';
import { openStore } from './index.js';
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
      assert.deepEqual(names, ['0001_initial', '0002_tenants_billing', '0003_conversations']);
    } finally {
      raw.close();
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
