/**
 * The metering log on real files: a batch is acknowledged once appended, reads wait for it to be
 * in the database, a crash before the thread wrote it loses nothing, and the log starts over.
 * The thread is kept from writing by another connection holding SQLite's write lock, so every
 * test sees the window between "durable in the log" and "in the database".
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, statSync, writeFileSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import Sqlite from 'better-sqlite3';
import { manualClock, T0 } from './conformance/harness.js';
import { openStore } from './index.js';
import { meteringLogFile, ROTATE_BYTES } from './sqlite-metering-log.js';
import { startSqliteBackground } from './sqlite-background.js';
import { JOURNAL_SQL, journalApplier, type JournalRows } from './sqlite-journal.js';
import type { LedgerInput, UsageInput } from './types.js';

const entry = (tenantId: string, requestId: string, amountMicros: number): LedgerInput => ({
  tenantId, kind: 'usage', requestId, keyId: 'key-1', model: 'm', promptTokens: 10, cachedTokens: 0, completionTokens: 5,
  allowanceTokens: 0, chipType: null, acceleratorMs: 0, amountMicros, priceId: null, occurredAt: T0, note: null,
});
const usage = (requestId: string): UsageInput => ({
  requestId, keyId: 'key-1', model: 'm', endpoint: 'chat', promptTokens: 10, completionTokens: 5, ttftMs: 1, durationMs: 2, outcome: 'ok',
});
const settle = (tenantId: string, requestId: string, amountMicros: number) => ({
  begin: [], progress: [], settle: [{ entry: entry(tenantId, requestId, amountMicros), usage: usage(requestId) }], finish: [requestId],
});

/** A ledger row as the journal writes it (what a metering log line holds). */
const ledgerRow = (tenantId: string, requestId: string, amount: number): JournalRows['ledger'][number] => ({
  id: `led_${requestId}`, tenant_id: tenantId, kind: 'usage', request_id: requestId, key_id: null, model: 'm', prompt_tokens: 1, cached_tokens: 0,
  completion_tokens: 1, allowance_tokens: 0, chip_type: null, accelerator_ms: 0, amount_micros: amount, price_id: null, occurred_at: T0.toISOString(),
  created_at: T0.toISOString(), note: null, endpoint: 'chat', ttft_ms: 1, duration_ms: 1, outcome: 'ok', error_code: null,
});

/** Ledger amounts by request id, read by another connection (what the database file holds). */
function ledgerInFile(file: string): Record<string, number> {
  const raw = new Sqlite(file, { readonly: true });
  try {
    const rows = raw.prepare('select request_id, amount_micros from ledger where request_id is not null').all() as Array<{ request_id: string; amount_micros: number }>;
    return Object.fromEntries(rows.map((r) => [r.request_id, r.amount_micros]));
  } finally {
    raw.close();
  }
}

/** Another connection takes SQLite's write lock: the store's thread cannot write until `release`. */
function holdWriteLock(file: string): { release(): void } {
  const blocker = new Sqlite(file);
  blocker.exec('begin immediate');
  return {
    release() {
      if (blocker.inTransaction) blocker.exec('rollback');
      blocker.close();
    },
  };
}

describe('sqlite metering log', () => {
  let dir = '';
  let files = 0;
  before(async () => {
    dir = await mkdtemp(join(tmpdir(), 'tessera-mlog-'));
  });
  after(() => rm(dir, { recursive: true, force: true }));
  const newFile = () => join(dir, `db-${++files}.sqlite`);

  it('acknowledges a batch once it is in the log; reads wait until the database has it', async () => {
    const file = newFile();
    const store = await openStore({ kind: 'sqlite', file, background: true }, manualClock());
    try {
      const tenant = await store.tenants.create({ name: 'acme', kind: 'external' });
      const lock = holdWriteLock(file);
      let read: Promise<unknown> | undefined;
      try {
        await store.billing.commit(settle(tenant.id, 'r1', 42));
        assert.deepEqual(ledgerInFile(file), {}, 'acknowledged while the database was locked: only the log has it');
        assert.ok(statSync(meteringLogFile(file)).size > 0);
        read = store.billing.ledger({ requestId: 'r1' });
        await new Promise((resolve) => setTimeout(resolve, 50));
      } finally {
        lock.release();
      }
      const entries = (await read) as Array<{ amountMicros: number }>;
      assert.deepEqual(entries.map((e) => e.amountMicros), [42], 'the read waited for the batch appended before it');
      assert.deepEqual(ledgerInFile(file), { r1: 42 });
    } finally {
      await store.close();
    }
    assert.equal(existsSync(meteringLogFile(file)), false, 'a clean close leaves no log behind');
  });

  it('refuses a batch for an unknown tenant before acknowledging it, and logs nothing', async () => {
    const file = newFile();
    const store = await openStore({ kind: 'sqlite', file, background: true }, manualClock());
    try {
      await assert.rejects(store.billing.commit(settle('tnt_missing', 'r1', 1)), { code: 'SQLITE_CONSTRAINT_FOREIGNKEY' });
      assert.equal(statSync(meteringLogFile(file)).size, 0);
      assert.deepEqual(await store.billing.ledger({}), []);
    } finally {
      await store.close();
    }
  });

  it('loses nothing acknowledged when the process is killed before the thread wrote it', async () => {
    const file = newFile();
    const storeModule = new URL('./index.js', import.meta.url).href;
    // Running from sources (tsx), the child needs the same loader to import TypeScript.
    const loader = import.meta.url.endsWith('.ts') ? ['--import', 'tsx'] : [];
    const child = `
      import { writeSync } from 'node:fs';
      import Sqlite from 'better-sqlite3';
      const { openStore } = await import(${JSON.stringify(storeModule)});
      const file = ${JSON.stringify(file)};
      const store = await openStore({ kind: 'sqlite', file, background: true }, { now: () => new Date(${T0.getTime()}) });
      const tenant = await store.tenants.create({ name: 'acme', kind: 'external' });
      const blocker = new Sqlite(file);
      blocker.exec('begin immediate');
      const inflight = { requestId: 'streamed', tenantId: tenant.id, keyId: 'key-1', model: 'm', endpoint: 'chat', reservedMicros: 99, promptTokens: 0, completionTokens: 0, startedAt: new Date() };
      await store.billing.commit({ begin: [inflight], progress: [], settle: [], finish: [] });
      await store.billing.commit({ begin: [], progress: [{ requestId: 'streamed', promptTokens: 10, completionTokens: 4 }], settle: [], finish: [] });
      const entry = { tenantId: tenant.id, kind: 'usage', requestId: 'settled', keyId: 'key-1', model: 'm', promptTokens: 10, cachedTokens: 0, completionTokens: 5, allowanceTokens: 0, chipType: null, acceleratorMs: 0, amountMicros: 77, priceId: null, occurredAt: new Date(), note: null };
      const usage = { requestId: 'settled', keyId: 'key-1', model: 'm', endpoint: 'chat', promptTokens: 10, completionTokens: 5, ttftMs: 1, durationMs: 2, outcome: 'ok' };
      await store.billing.commit({ begin: [], progress: [], settle: [{ entry, usage }], finish: [] });
      writeSync(1, tenant.id);
      process.kill(process.pid, 'SIGKILL');
    `;
    const result = spawnSync(process.execPath, [...loader, '--input-type=module', '-e', child], { encoding: 'utf8', timeout: 30_000 });
    assert.equal(result.signal, 'SIGKILL', result.stderr);
    const tenantId = result.stdout.trim();
    assert.deepEqual(ledgerInFile(file), {}, 'the thread never wrote the settlement before the kill');

    const store = await openStore({ kind: 'sqlite', file, background: true }, manualClock());
    try {
      assert.deepEqual((await store.billing.ledger({ tenantId })).map((e) => [e.requestId, e.amountMicros]), [['settled', 77]]);
      assert.deepEqual((await store.billing.inflight()).map((r) => [r.requestId, r.completionTokens, r.reservedMicros]), [['streamed', 4, 99]],
        'the streamed request is in flight with the tokens journaled before the kill');
    } finally {
      await store.close();
    }
  });

  it('replays each line once however often it appears, and skips a line cut short by a crash', async () => {
    const file = newFile();
    const first = await openStore({ kind: 'sqlite', file }, manualClock());
    const tenant = await first.tenants.create({ name: 'acme', kind: 'external' });
    await first.close();
    const line = (rows: JournalRows) => `${JSON.stringify(rows)}\n`;
    const batch: JournalRows = { begin: [], progress: [], ledger: [ledgerRow(tenant.id, 'a', 5)], finish: [] };
    const torn = line({ begin: [], progress: [], ledger: [ledgerRow(tenant.id, 'b', 6)], finish: [] }).slice(0, 40);
    writeFileSync(meteringLogFile(file), line(batch) + line(batch) + torn);

    const store = await openStore({ kind: 'sqlite', file, background: true }, manualClock());
    try {
      assert.deepEqual((await store.billing.ledger({ tenantId: tenant.id })).map((e) => [e.requestId, e.amountMicros]), [['a', 5]]);
    } finally {
      await store.close();
    }
  });

  it('starts the log over once everything in it is in the database', async () => {
    const file = newFile();
    const store = await openStore({ kind: 'sqlite', file, background: true }, manualClock());
    try {
      const tenant = await store.tenants.create({ name: 'acme', kind: 'external' });
      let n = 0;
      while (n * 400 < 2 * ROTATE_BYTES) await store.billing.commit(settle(tenant.id, `r${++n}`, 1));
      assert.equal((await store.usage.totals({ by: 'model' }))[0].requests, n, 'every settlement is in the database');
      assert.ok(statSync(meteringLogFile(file)).size < ROTATE_BYTES, `the log was emptied (now ${statSync(meteringLogFile(file)).size} bytes)`);
    } finally {
      await store.close();
    }
  });

  it('writes what a failed thread left on the serving connection and commits there from then on', async () => {
    const file = newFile();
    const first = await openStore({ kind: 'sqlite', file }, manualClock());
    const tenant = await first.tenants.create({ name: 'acme', kind: 'external' });
    await first.close();

    const serving = new Sqlite(file);
    const errors: unknown[] = [];
    let reportFailure = () => undefined as void;
    const failed = new Promise<void>((resolve) => (reportFailure = resolve));
    // A statement the thread cannot prepare: it fails as it starts, after the append below.
    const background = startSqliteBackground(serving, file, {
      synchronous: 'NORMAL',
      busyTimeoutMs: 1000,
      statements: { ...JOURNAL_SQL, finish: 'delete from no_such_table where request_id = ?' },
      onError: (err) => {
        errors.push(err);
        reportFailure();
      },
      applyInline: journalApplier(serving),
    });
    try {
      background.append({ begin: [], progress: [], ledger: [ledgerRow(tenant.id, 'a', 5)], finish: [] });
      await failed;
      assert.equal((errors[0] as { code?: string }).code, 'SQLITE_ERROR', 'the thread\'s failure is reported');
      assert.equal(background.alive, false, 'journal batches go to the serving connection from now on');
      await background.applied();
      assert.equal(serving.prepare('select amount_micros from ledger where request_id = ?').pluck().get('a'), 5, 'the serving connection wrote the batch the thread never did');
      await background.close();
    } finally {
      serving.close();
    }
  });
});
