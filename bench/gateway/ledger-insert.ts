/**
 * What one settled request costs the store's background thread: applying its ledger row the way
 * sqlite-background.ts does (journalApplier: prepared statements, a batch of rows per
 * transaction, on a WAL database), on the schema as migrated now against the same schema before
 * migration 0005 (the baseline, in the same process and run, batches alternating between them).
 *
 * Usage: node dist/bench/gateway/ledger-insert.js [--rounds 12] [--rows 4000] [--batch 100]
 */
import Sqlite from 'better-sqlite3';
import { Kysely, Migrator } from 'kysely';
import { mkdir, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { newTimeOrderedId } from '../../src/core/ids.js';
import { createDialect } from '../../src/store/dialect.js';
import { migrationsFor } from '../../src/store/migrations/index.js';
import { PLATFORM_TENANT_ID } from '../../src/store/index.js';
import { journalApplier, type JournalRows } from '../../src/store/sqlite-journal.js';
import { WORK_DIR } from './procs.js';

const { values } = parseArgs({ options: { rounds: { type: 'string', default: '12' }, rows: { type: 'string', default: '4000' }, batch: { type: 'string', default: '100' } } });
const rounds = Number(values.rounds);
const rowsPerRound = Number(values.rows);
const batch = Number(values.batch);

/** A database migrated up to (not including) `before`, or to the latest when undefined. */
async function database(name: string, before?: string): Promise<Sqlite.Database> {
  const file = join(WORK_DIR, 'ledger-insert', `${name}.db`);
  for (const suffix of ['', '-wal', '-shm']) await rm(`${file}${suffix}`, { force: true });
  const db = new Kysely<unknown>({ dialect: createDialect({ kind: 'sqlite', file }) });
  const all = await migrationsFor('sqlite').getMigrations();
  const provider = { getMigrations: async () => Object.fromEntries(Object.entries(all).filter(([n]) => before === undefined || n < before)) };
  const { error } = await new Migrator({ db, provider }).migrateToLatest();
  await db.destroy();
  if (error) throw error;
  const raw = new Sqlite(file);
  raw.pragma('journal_mode = WAL');
  raw.pragma('synchronous = NORMAL');
  return raw;
}

/** A settled chat request's ledger row, as billing.ts writes it. */
function ledgerRow(): JournalRows['ledger'][number] {
  const now = new Date().toISOString();
  return {
    id: newTimeOrderedId('led'), tenant_id: PLATFORM_TENANT_ID, kind: 'usage', request_id: newTimeOrderedId('chatcmpl'), key_id: 'key-bench', model: 'mock-model',
    prompt_tokens: 14, cached_tokens: 0, completion_tokens: 16, allowance_tokens: 0, chip_type: null, accelerator_ms: 0, amount_micros: 46, price_id: 'prc-bench',
    occurred_at: now, created_at: now, note: null, endpoint: 'chat', ttft_ms: 1, duration_ms: 2, outcome: 'ok', error_code: null,
  };
}

await mkdir(join(WORK_DIR, 'ledger-insert'), { recursive: true });
const sides = [
  { name: 'before 0005 (baseline)', db: await database('before-0005', '0005') },
  { name: 'latest schema', db: await database('latest') },
];
const appliers = sides.map((s) => journalApplier(s.db));
const perRow: number[][] = sides.map(() => []);
for (let round = 0; round < rounds; round++) {
  for (let k = 0; k < sides.length; k++) {
    const i = (round + k) % sides.length; // alternate which side goes first
    const batches: JournalRows[] = [];
    for (let n = 0; n < rowsPerRound; n += batch) batches.push({ begin: [], progress: [], ledger: Array.from({ length: batch }, ledgerRow), finish: [] });
    const before = process.cpuUsage();
    for (const rows of batches) appliers[i]([rows]);
    const used = process.cpuUsage(before);
    perRow[i].push((used.user + used.system) / rowsPerRound);
  }
  process.stdout.write(`\rround ${round + 1}/${rounds}`);
}
const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[xs.length >> 1];
console.log(`\n\nCPU per ledger row applied, median of ${rounds} rounds of ${rowsPerRound} rows in batches of ${batch}:`);
const base = median(perRow[0]);
for (let i = 0; i < sides.length; i++) console.log(`  ${sides[i].name.padEnd(24)} ${median(perRow[i]).toFixed(2)} µs  (${(median(perRow[i]) / base).toFixed(2)}× baseline)`);
for (const s of sides) s.db.close();
