/**
 * Standard JSON Schema (as OpenAI clients send it) → the subset node-llama-cpp turns into a
 * grammar. Its converter never throws: a construct it does not know silently becomes `null`
 * (`{}`, `anyOf`, `allOf`), `{type:"object"}` without properties allows only `{}`, and an unknown
 * string `format` allows only `""`. So schemas are rewritten first, and refused when the output
 * could not follow them.
 *
 * - Rewritten: `{}`/`true` → any JSON value; `anyOf` → `oneOf` (a grammar cannot enforce "exactly
 *   one" anyway); a single-entry `allOf` is merged; `nullable: true` → `type: [t, "null"]`;
 *   an object without `properties` → any properties; unknown string formats → plain strings.
 * - Not enforced (dropped; the output is still JSON of the right shape): `pattern`, `minimum`,
 *   `maximum`, `exclusiveMinimum`, `exclusiveMaximum`, `multipleOf`, `uniqueItems`.
 *   node-llama-cpp also always emits every listed property, in order (`required` is implied).
 * - Refused (`invalid_request`): `not`, `if`/`then`/`else`, multi-entry `allOf`,
 *   `patternProperties`, `dependentSchemas`, `contains`, `definitions` (use `$defs`), unknown
 *   `type` names, `false`.
 */
import { TesseraError } from '../../core/errors.js';
import type { JsonSchema } from '../types.js';

const KNOWN_TYPES = new Set(['string', 'number', 'integer', 'boolean', 'null', 'object', 'array']);
const GRAMMAR_FORMATS = new Set(['date', 'time', 'date-time']);
const REFUSED_KEYWORDS = ['not', 'if', 'then', 'else', 'patternProperties', 'dependentSchemas', 'contains', 'unevaluatedProperties', 'definitions'];
const DROPPED_KEYWORDS = ['pattern', 'minimum', 'maximum', 'exclusiveMinimum', 'exclusiveMaximum', 'multipleOf', 'uniqueItems', 'nullable', 'title', 'default', 'examples', '$schema', '$id', 'required', 'strict'];
const ANY_JSON: JsonSchema = {
  oneOf: [
    { type: 'string' },
    { type: 'number' },
    { type: 'boolean' },
    { type: 'null' },
    { type: 'array' },
    { type: 'object', additionalProperties: true },
  ],
};

/** @param param the request parameter named in errors, e.g. `response_format.json_schema.schema`. */
export function toGrammarSchema(schema: unknown, param: string): JsonSchema {
  return normalize(schema, param, '#');
}

function normalize(schema: unknown, param: string, at: string): JsonSchema {
  const refuse = (why: string): never => {
    throw new TesseraError('invalid_request', `${param} at ${at}: ${why}`, { param });
  };
  if (schema === true) return ANY_JSON;
  if (schema === false) refuse('`false` (no value allowed) cannot be generated.');
  if (typeof schema !== 'object' || schema === null || Array.isArray(schema)) refuse('a schema must be an object.');
  const source = schema as Record<string, unknown>;
  for (const keyword of REFUSED_KEYWORDS) {
    if (source[keyword] !== undefined) refuse(`"${keyword}" is not supported by the grammar converter.`);
  }

  const out: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(source)) {
    if (!DROPPED_KEYWORDS.includes(key)) out[key] = value;
  }
  if (Array.isArray(source.allOf)) {
    if (source.allOf.length !== 1) refuse('"allOf" with more than one schema is not supported.');
    delete out.allOf;
    Object.assign(out, normalize(source.allOf[0], param, `${at}/allOf/0`));
  }
  if (Array.isArray(source.anyOf)) {
    delete out.anyOf;
    out.oneOf = source.anyOf;
  }
  if (Array.isArray(out.oneOf)) out.oneOf = out.oneOf.map((s, i) => normalize(s, param, `${at}/oneOf/${i}`));

  const types = out.type === undefined ? [] : Array.isArray(out.type) ? (out.type as unknown[]) : [out.type];
  for (const type of types) {
    if (typeof type !== 'string' || !KNOWN_TYPES.has(type)) refuse(`unknown type ${JSON.stringify(type)}.`);
  }
  if (source.nullable === true && types.length > 0 && !types.includes('null')) out.type = [...types, 'null'];

  if (typeof out.format === 'string' && !GRAMMAR_FORMATS.has(out.format)) delete out.format;
  if (out.properties !== undefined) {
    const properties = out.properties as Record<string, unknown>;
    out.properties = Object.fromEntries(
      Object.entries(properties).map(([name, s]) => [name, normalize(s, param, `${at}/properties/${name}`)]),
    );
  } else if (types.includes('object') && out.additionalProperties === undefined) {
    out.additionalProperties = true;
  }
  if (typeof out.additionalProperties === 'object' && out.additionalProperties !== null) {
    out.additionalProperties = normalize(out.additionalProperties, param, `${at}/additionalProperties`);
  }
  if (out.items !== undefined && out.items !== false) out.items = normalize(out.items, param, `${at}/items`);
  if (Array.isArray(out.prefixItems)) out.prefixItems = out.prefixItems.map((s, i) => normalize(s, param, `${at}/prefixItems/${i}`));
  const defs = out.$defs as Record<string, unknown> | undefined;
  if (defs && typeof defs === 'object') {
    out.$defs = Object.fromEntries(Object.entries(defs).map(([name, s]) => [name, normalize(s, param, `${at}/$defs/${name}`)]));
  }
  if (out.type === undefined && out.properties !== undefined) out.type = 'object';
  if (out.type === undefined && (out.items !== undefined || out.prefixItems !== undefined)) out.type = 'array';

  const constrains = ['type', 'const', 'enum', 'oneOf', '$ref', 'properties'].some((key) => out[key] !== undefined);
  if (!constrains) {
    // Only annotations (description, $defs…): any JSON value, keeping the definitions for $refs.
    return { ...ANY_JSON, ...(out.$defs ? { $defs: out.$defs } : {}) };
  }
  return out;
}
