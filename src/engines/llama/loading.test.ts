/**
 * Loading: bad model files and impossible backends are refused with clear catalog errors (and
 * nothing crashes); engines share one runtime.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { readFile, writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { TesseraError } from '../../core/errors.js';
import { createLlamaRuntime } from './runtime.js';
import { makeEngine, makeTinyModel, type TinyModel } from './testing.js';

const refusedWith = (code: string) => (err: unknown) => err instanceof TesseraError && err.code === code;

describe('llama engine: loading', () => {
  let model: TinyModel;
  before(async () => {
    model = await makeTinyModel();
  });
  after(async () => {
    await model?.remove();
  });

  it('refuses a missing, non-GGUF or truncated model file', async () => {
    const dir = dirname(model.path);
    const notGguf = join(dir, 'not.gguf');
    await writeFile(notGguf, 'this is not a model');
    const truncated = join(dir, 'truncated.gguf');
    const bytes = await readFile(model.path);
    await writeFile(truncated, bytes.subarray(0, Math.floor(bytes.length / 2)));
    const runtime = createLlamaRuntime();
    for (const path of [join(dir, 'missing.gguf'), dir, notGguf, truncated]) {
      await assert.rejects(makeEngine(path, { runtime }), refusedWith('invalid_gguf'), path);
    }
  });

  it('refuses an explicit backend that cannot be loaded here', { skip: process.platform === 'darwin' }, async () => {
    await assert.rejects(makeEngine(model.path, { gpu: 'metal' }), (err: unknown) => {
      return refusedWith('invalid_config')(err) && /metal/.test((err as Error).message);
    });
  });

  it('shares one loaded backend between engines of one runtime', async () => {
    const runtime = createLlamaRuntime();
    const [a, b] = await Promise.all([makeEngine(model.path, { runtime }), makeEngine(model.path, { runtime, parallel: 1 })]);
    assert.equal(await runtime.load('off'), await runtime.load('off'));
    assert.equal(a.info.device, 'cpu');
    assert.deepEqual({ ...b.stats(), decodeLoop: undefined }, { active: 0, queued: 0, slots: 1, decodeLoop: undefined });
    await a.close();
    await b.close();
    await runtime.dispose();
    await runtime.dispose();
  });

  it('refuses invalid sizes', async () => {
    await assert.rejects(makeEngine(model.path, { parallel: 0 }), refusedWith('invalid_config'));
    await assert.rejects(makeEngine(model.path, { threads: 1.5 }), refusedWith('invalid_config'));
  });
});
