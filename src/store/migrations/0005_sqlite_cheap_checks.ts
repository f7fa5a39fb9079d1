/**
 * 0005 (SQLite only): the CHECK constraints of the two tables the serving path inserts into, the
 * ledger and `usage_records`, written as `col = 'a' or col = 'b'` instead of `col in ('a', 'b')`.
 *
 * SQLite evaluates `x in (<constant list>)` through an ephemeral index built once per statement
 * execution, and the serving path runs its insert once per row: the ledger's three such checks
 * were about 9.5 µs of a row's 27 µs in the store's background thread, a third of it (bench/gateway,
 * 2026-12-03). An OR of equalities costs nothing measurable and admits exactly the same values.
 *
 * SQLite cannot alter a CHECK, so each table is rebuilt from its own stored DDL (create the
 * rewritten copy, copy the rows, drop, rename, recreate the table's indexes); the view over both
 * is dropped first and recreated from its stored text. PostgreSQL compares such a list as one array
 * and runs no part of this (see migrations/index.ts).
 */
import { sql, type Kysely } from 'kysely';

const TABLES = ['ledger', 'usage_records'] as const;
const VIEW = 'usage_view';

/** `check ("kind" in ('usage', 'credit'))` → `check ("kind" = 'usage' or "kind" = 'credit')`. */
const IN_LIST_CHECK = /check \(("?\w+"?) in \(((?:'[^']*', )*'[^']*')\)\)/gi;

export function withEqualityChecks(ddl: string): string {
  return ddl.replace(IN_LIST_CHECK, (_, column: string, list: string) => `check (${list.split(', ').map((value) => `${column} = ${value}`).join(' or ')})`);
}

export async function up(db: Kysely<unknown>): Promise<void> {
  const stored = async (type: 'table' | 'view' | 'index', name: string, by: 'name' | 'tbl_name' = 'name') =>
    (await sql<{ sql: string }>`select sql from sqlite_master where type = ${type} and ${sql.ref(by)} = ${name} and sql is not null`.execute(db)).rows.map((r) => r.sql);
  const [view] = await stored('view', VIEW);
  if (view) await sql`drop view ${sql.ref(VIEW)}`.execute(db);
  for (const table of TABLES) {
    const [ddl] = await stored('table', table);
    if (!ddl) throw new Error(`0005: no table ${table}`);
    const rebuilt = `${table}_0005`;
    const rewritten = withEqualityChecks(ddl).replace(/^CREATE TABLE "?\w+"?/i, `CREATE TABLE "${rebuilt}"`);
    const indexes = await stored('index', table, 'tbl_name');
    await sql.raw(rewritten).execute(db);
    await sql`insert into ${sql.table(rebuilt)} select * from ${sql.table(table)}`.execute(db);
    await sql`drop table ${sql.table(table)}`.execute(db);
    await sql`alter table ${sql.table(rebuilt)} rename to ${sql.table(table)}`.execute(db);
    for (const index of indexes) await sql.raw(index).execute(db);
  }
  if (view) await sql.raw(view).execute(db);
}

export async function down(): Promise<void> {
  // The rewritten constraints admit exactly what the old ones did: nothing to undo.
}
