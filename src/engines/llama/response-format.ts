/**
 * OpenAI `response_format` → a node-llama-cpp grammar that constrains sampling, so the output is
 * valid JSON (json_object) or valid JSON for the schema (json_schema) whenever generation ends
 * by itself. A stream cut by `max_tokens` or an abort can still end mid-document. What of JSON
 * Schema is enforced, rewritten or refused: json-schema.ts.
 */
import type { Llama, LlamaGrammar } from 'node-llama-cpp';
import type { ResponseFormat } from '../types.js';
import { toGrammarSchema } from './json-schema.js';
import { grammarForSchema } from './tools.js';

export async function grammarForResponseFormat(
  llama: Llama,
  format: ResponseFormat | undefined,
): Promise<LlamaGrammar | undefined> {
  if (!format || format.type === 'text') return undefined;
  if (format.type === 'json_object') return llama.getGrammarFor('json');
  const param = 'response_format.json_schema.schema';
  return grammarForSchema(llama, toGrammarSchema(format.schema, param), param);
}
