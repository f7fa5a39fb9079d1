/**
 * JSON Schema → node-llama-cpp's grammar subset: what is rewritten, dropped and refused.
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { TesseraError } from '../../core/errors.js';
import { toGrammarSchema } from './json-schema.js';

const param = 'response_format.json_schema.schema';
const anyJson = (schema: Record<string, unknown>): boolean => Array.isArray(schema.oneOf) && schema.oneOf.length === 6;

describe('toGrammarSchema', () => {
  it('keeps what the converter supports', () => {
    const schema = { type: 'object', properties: { a: { type: 'string', minLength: 1 }, b: { enum: [1, 2] } }, additionalProperties: false };
    assert.deepEqual(toGrammarSchema(schema, param), schema);
  });

  it('rewrites what the converter would silently turn into null or {}', () => {
    assert.ok(anyJson(toGrammarSchema({}, param)));
    assert.ok(anyJson(toGrammarSchema({ description: 'anything' }, param)));
    assert.deepEqual(toGrammarSchema({ anyOf: [{ type: 'string' }, { type: 'null' }] }, param), {
      oneOf: [{ type: 'string' }, { type: 'null' }],
    });
    assert.deepEqual(toGrammarSchema({ allOf: [{ type: 'integer' }] }, param), { type: 'integer' });
    assert.deepEqual(toGrammarSchema({ type: 'object' }, param), { type: 'object', additionalProperties: true });
    assert.deepEqual(toGrammarSchema({ type: 'string', format: 'email' }, param), { type: 'string' });
    assert.deepEqual(toGrammarSchema({ type: 'string', nullable: true }, param), { type: ['string', 'null'] });
    assert.deepEqual(toGrammarSchema({ properties: { n: { type: 'number', minimum: 0 } }, required: ['n'] }, param), {
      type: 'object',
      properties: { n: { type: 'number' } },
    });
  });

  it('refuses what no grammar here can follow, naming the place', () => {
    for (const schema of [{ not: {} }, { allOf: [{}, {}] }, { type: 'decimal' }, { type: 'object', properties: { x: { if: {} } } }, false]) {
      assert.throws(
        () => toGrammarSchema(schema, param),
        (err: unknown) => err instanceof TesseraError && err.code === 'invalid_request' && err.param === param,
      );
    }
  });
});
