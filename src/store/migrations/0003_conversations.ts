/**
 * 0003: chat conversations of the console, per tenant and user (the API key that signed in).
 * Messages are ordered by `seq` within their conversation; assistant messages may carry the
 * request id that produced them, with its tokens and cost copied from the ledger.
 */
import { sql, type Kysely } from 'kysely';

export async function up(db: Kysely<unknown>): Promise<void> {
  await db.schema
    .createTable('conversations')
    .addColumn('id', 'text', (col) => col.primaryKey())
    .addColumn('tenant_id', 'text', (col) => col.notNull().references('tenants.id'))
    .addColumn('key_id', 'text', (col) => col.notNull())
    .addColumn('title', 'text', (col) => col.notNull())
    .addColumn('model', 'text')
    .addColumn('system_prompt', 'text')
    /** JSON object: temperature, top_p, max_tokens… as the console sends them. */
    .addColumn('settings', 'text')
    .addColumn('created_at', 'text', (col) => col.notNull())
    .addColumn('updated_at', 'text', (col) => col.notNull())
    .execute();
  await db.schema.createIndex('conversations_owner').on('conversations').columns(['tenant_id', 'key_id', 'updated_at']).execute();

  await db.schema
    .createTable('conversation_messages')
    .addColumn('id', 'text', (col) => col.primaryKey())
    .addColumn('conversation_id', 'text', (col) => col.notNull().references('conversations.id').onDelete('cascade'))
    .addColumn('seq', 'integer', (col) => col.notNull())
    .addColumn('role', 'text', (col) => col.notNull().check(sql`role in ('system', 'user', 'assistant')`))
    .addColumn('content', 'text', (col) => col.notNull())
    .addColumn('model', 'text')
    .addColumn('request_id', 'text')
    .addColumn('prompt_tokens', 'integer')
    .addColumn('completion_tokens', 'integer')
    .addColumn('cost_micros', 'bigint')
    .addColumn('created_at', 'text', (col) => col.notNull())
    .addUniqueConstraint('conversation_messages_seq', ['conversation_id', 'seq'])
    .execute();
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await db.schema.dropTable('conversation_messages').execute();
  await db.schema.dropTable('conversations').execute();
}
