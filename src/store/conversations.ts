/**
 * Chat conversations of the console. Every query is scoped by owner (tenant + key): a
 * conversation of another key is indistinguishable from one that does not exist.
 */
import type { Kysely, Selectable } from 'kysely';
import { TesseraError } from '../core/errors.js';
import { newId } from '../core/ids.js';
import type { ConversationMessagesTable, ConversationsTable, Database } from './schema.js';
import { fromStoredTime, toStoredTime } from './time.js';
import type { ConversationMessage, ConversationOwner, ConversationRecord, ConversationRepository, StoreDeps } from './types.js';

const MAX_TITLE = 200;

export function createConversationRepository(db: Kysely<Database>, deps: StoreDeps): ConversationRepository {
  const owned = (owner: ConversationOwner) =>
    db.selectFrom('conversations').selectAll().where('tenant_id', '=', owner.tenantId).where('key_id', '=', owner.keyId);
  const find = (owner: ConversationOwner, id: string) => owned(owner).where('id', '=', id).executeTakeFirst();
  const touch = (id: string) => db.updateTable('conversations').set({ updated_at: toStoredTime(deps.now()) }).where('id', '=', id).execute();

  return {
    async create(owner, input) {
      const now = toStoredTime(deps.now());
      const row: Selectable<ConversationsTable> = {
        id: newId('conv'),
        tenant_id: owner.tenantId,
        key_id: owner.keyId,
        title: checkTitle(input.title ?? 'New chat'),
        model: input.model ?? null,
        system_prompt: input.systemPrompt ?? null,
        settings: input.settings ? JSON.stringify(input.settings) : null,
        created_at: now,
        updated_at: now,
      };
      await db.insertInto('conversations').values(row).execute();
      return toConversation(row);
    },

    async list(owner) {
      return (await owned(owner).orderBy('updated_at', 'desc').orderBy('id').execute()).map(toConversation);
    },

    async get(owner, id) {
      const row = await find(owner, id);
      if (!row) return null;
      const messages = await db.selectFrom('conversation_messages').selectAll().where('conversation_id', '=', id).orderBy('seq').execute();
      return { ...toConversation(row), messages: messages.map(toMessage) };
    },

    async update(owner, id, patch) {
      if (!(await find(owner, id))) return null;
      const set: Partial<Selectable<ConversationsTable>> = { updated_at: toStoredTime(deps.now()) };
      if (patch.title !== undefined) set.title = checkTitle(patch.title);
      if (patch.model !== undefined) set.model = patch.model;
      if (patch.systemPrompt !== undefined) set.system_prompt = patch.systemPrompt;
      if (patch.settings !== undefined) set.settings = patch.settings ? JSON.stringify(patch.settings) : null;
      await db.updateTable('conversations').set(set).where('id', '=', id).execute();
      return toConversation((await find(owner, id))!);
    },

    async remove(owner, id) {
      if (!(await find(owner, id))) return false;
      await db.transaction().execute(async (trx) => {
        await trx.deleteFrom('conversation_messages').where('conversation_id', '=', id).execute();
        await trx.deleteFrom('conversations').where('id', '=', id).execute();
      });
      return true;
    },

    async append(owner, id, message) {
      if (!(await find(owner, id))) return null;
      const row = await db.transaction().execute(async (trx) => {
        const last = await trx.selectFrom('conversation_messages').select((eb) => eb.fn.max('seq').as('seq')).where('conversation_id', '=', id).executeTakeFirst();
        const next: Selectable<ConversationMessagesTable> = {
          id: newId('msg'),
          conversation_id: id,
          seq: Number(last?.seq ?? 0) + 1,
          role: message.role,
          content: message.content,
          model: message.model,
          request_id: message.requestId,
          prompt_tokens: message.promptTokens,
          completion_tokens: message.completionTokens,
          cost_micros: message.costMicros,
          created_at: toStoredTime(deps.now()),
        };
        await trx.insertInto('conversation_messages').values(next).execute();
        return next;
      });
      await touch(id);
      return toMessage(row);
    },

    async truncate(owner, id, afterSeq) {
      if (!(await find(owner, id))) return null;
      const result = await db.deleteFrom('conversation_messages').where('conversation_id', '=', id).where('seq', '>', afterSeq).executeTakeFirst();
      await touch(id);
      return Number(result.numDeletedRows);
    },
  };
}

function checkTitle(title: string): string {
  const trimmed = title.trim();
  if (trimmed.length === 0 || trimmed.length > MAX_TITLE) {
    throw new TesseraError('invalid_request', `A title is 1 to ${MAX_TITLE} characters.`, { param: 'title' });
  }
  return trimmed;
}

function toConversation(row: Selectable<ConversationsTable>): ConversationRecord {
  return {
    id: row.id,
    title: row.title,
    model: row.model,
    systemPrompt: row.system_prompt,
    settings: row.settings === null ? null : JSON.parse(row.settings),
    createdAt: fromStoredTime(row.created_at),
    updatedAt: fromStoredTime(row.updated_at),
  };
}

function toMessage(row: Selectable<ConversationMessagesTable>): ConversationMessage {
  return {
    id: row.id,
    seq: Number(row.seq),
    role: row.role,
    content: row.content,
    model: row.model,
    requestId: row.request_id,
    promptTokens: row.prompt_tokens === null ? null : Number(row.prompt_tokens),
    completionTokens: row.completion_tokens === null ? null : Number(row.completion_tokens),
    costMicros: row.cost_micros === null ? null : Number(row.cost_micros),
    createdAt: fromStoredTime(row.created_at),
  };
}
