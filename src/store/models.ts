/**
 * Declared models: upstream OpenAI-compatible engines and imported GGUF files that the server
 * loads at start, besides those in the config file. An upstream's API key is the operator's
 * secret: stored in plain (Tessera must send it), but only `getUpstreamSecret` and
 * `declarations` (for the composition root) ever return it; records show `hasApiKey`.
 */
import type { Kysely, Selectable } from 'kysely';
import type { ModelDeclaration } from '../core/config.js';
import { TesseraError } from '../core/errors.js';
import type { Database, ModelsTable } from './schema.js';
import { fromStoredTime, toStoredTime } from './time.js';
import type { AddModelInput, ModelRecord, ModelRepository, StoreDeps } from './types.js';

const ENGINES = new Set(['llama', 'openai', 'fake']);

export function createModelRepository(db: Kysely<Database>, deps: StoreDeps): ModelRepository {
  return {
    async add(input: AddModelInput) {
      const row = toRow(input, deps.now());
      // ON CONFLICT DO NOTHING + row count, not catching a driver error: portable and race-free.
      const result = await db
        .insertInto('models')
        .values(row)
        .onConflict((oc) => oc.column('name').doNothing())
        .executeTakeFirst();
      if (Number(result.numInsertedOrUpdatedRows ?? 0) === 0) {
        throw new TesseraError('model_exists', `A model named '${input.name}' is already declared.`, { param: 'name' });
      }
      return toRecord(row);
    },

    async list() {
      const rows = await db.selectFrom('models').selectAll().orderBy('name').execute();
      return rows.map(toRecord);
    },

    async get(name: string) {
      const row = await db.selectFrom('models').selectAll().where('name', '=', name).executeTakeFirst();
      return row ? toRecord(row) : null;
    },

    async remove(name: string) {
      const result = await db.deleteFrom('models').where('name', '=', name).executeTakeFirst();
      return Number(result.numDeletedRows) > 0;
    },

    async getUpstreamSecret(name: string) {
      const row = await db.selectFrom('models').select('api_key').where('name', '=', name).executeTakeFirst();
      return row?.api_key ?? null;
    },

    async declarations() {
      const rows = await db.selectFrom('models').selectAll().orderBy('name').execute();
      return rows.map(toDeclaration);
    },
  };
}

function toRow(input: AddModelInput, now: Date): Selectable<ModelsTable> {
  if (typeof input.name !== 'string' || input.name.trim().length === 0) invalid('name', 'A model needs a non-empty name.');
  if (!ENGINES.has(input.engine)) invalid('engine', `engine must be 'llama', 'openai' or 'fake'.`);
  if (input.engine === 'openai' && !input.url) invalid('url', `engine 'openai' needs a url.`);
  if (input.engine === 'llama' && !input.file) invalid('file', `engine 'llama' needs a file.`);
  const contextLength = input.contextLength ?? null;
  if (contextLength !== null && (!Number.isSafeInteger(contextLength) || contextLength <= 0)) {
    invalid('contextLength', 'contextLength must be a positive integer.');
  }
  return {
    name: input.name,
    engine: input.engine,
    file: input.file ?? null,
    url: input.url ?? null,
    api_key: input.apiKey || null,
    upstream_model: input.upstreamModel ?? null,
    context_length: contextLength,
    created_at: toStoredTime(now),
  };
}

function invalid(param: string, message: string): never {
  throw new TesseraError('invalid_request', message, { param });
}

function toRecord(row: Selectable<ModelsTable>): ModelRecord {
  return {
    name: row.name,
    engine: row.engine,
    file: row.file,
    url: row.url,
    upstreamModel: row.upstream_model,
    contextLength: row.context_length === null ? null : Number(row.context_length),
    hasApiKey: row.api_key !== null,
    createdAt: fromStoredTime(row.created_at),
  };
}

/** The config-file shape, so stored and configured models load through one path. */
function toDeclaration(row: Selectable<ModelsTable>): ModelDeclaration {
  const declaration: ModelDeclaration = { name: row.name, engine: row.engine };
  if (row.file !== null) declaration.file = row.file;
  if (row.url !== null) declaration.url = row.url;
  if (row.api_key !== null) declaration.apiKey = row.api_key;
  if (row.upstream_model !== null) declaration.upstreamModel = row.upstream_model;
  if (row.context_length !== null) declaration.contextLength = Number(row.context_length);
  return declaration;
}
