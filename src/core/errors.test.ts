import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { TesseraError, errorCatalog } from './errors.js';

describe('error catalog', () => {
  it('documents every code in docs/errors.md with its status', () => {
    const doc = readFileSync(new URL('../../../docs/errors.md', import.meta.url), 'utf8');
    for (const [code, entry] of Object.entries(errorCatalog)) {
      assert.match(doc, new RegExp(`\\| \`${code}\` \\| ${entry.status} \\|`), `docs/errors.md lacks ${code}`);
    }
  });

  it("renders OpenAI's error shape", () => {
    const err = new TesseraError('model_not_found', 'No such model: x', { param: 'model' });
    assert.deepEqual(err.toJSON(), {
      error: { message: 'No such model: x', type: 'not_found_error', param: 'model', code: 'model_not_found' },
    });
    assert.equal(err.status, 404);
  });
});
