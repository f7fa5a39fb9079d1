import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { mkdtemp, readFile, readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { readGgufHeader } from './gguf/reader.js';
import { inspectGguf } from './inspect.js';
import { estimateMemory } from './memory.js';
import { parameterCount, QWEN_SHAPES } from './shapes.js';
import { createTestModel, TEST_MODEL_SIZES } from './test-model.js';

const sha = async (path: string): Promise<string> => createHash('sha256').update(await readFile(path)).digest('hex');

describe('createTestModel', () => {
  let dir: string;
  before(async () => { dir = await mkdtemp(join(tmpdir(), 'tessera-testmodel-')); });
  after(() => rm(dir, { recursive: true, force: true }));

  it('writes a tiny qwen2 model of a few hundred KB that inspect describes', async () => {
    const path = join(dir, 'tiny.gguf');
    await createTestModel(path, { size: 'tiny', seed: 1 });
    const info = await inspectGguf(path);
    assert.equal(info.architecture, 'qwen2');
    assert.equal(info.quantization, 'F16');
    assert.equal(info.randomWeights, true);
    assert.equal(info.hasChatTemplate, true);
    assert.equal(info.vocab, TEST_MODEL_SIZES.tiny.vocab);
    assert.equal(info.parameters, parameterCount(TEST_MODEL_SIZES.tiny));
    assert.ok(info.fileBytes > 100_000 && info.fileBytes < 1_000_000, `tiny is ${info.fileBytes} bytes`);
    assert.deepEqual(await readdir(dir), ['tiny.gguf'], 'no .partial file is left behind');
  });

  it('is byte-identical for the same seed and differs for another seed', async () => {
    const [a, b, c] = ['a', 'b', 'c'].map((n) => join(dir, `${n}.gguf`));
    await createTestModel(a, { seed: 5 });
    await createTestModel(b, { seed: 5 });
    await createTestModel(c, { seed: 6 });
    assert.equal(await sha(a), await sha(b));
    assert.notEqual(await sha(a), await sha(c));
  });

  it('quantises 2-D weights to Q8_0 and keeps norms and biases in F32', async () => {
    const path = join(dir, 'q8.gguf');
    await createTestModel(path, { quant: 'q8_0' });
    const header = await readGgufHeader(path);
    const types = new Map(header.tensors.map((t) => [t.name, t.typeName]));
    assert.equal(types.get('blk.0.attn_q.weight'), 'Q8_0');
    assert.equal(types.get('blk.0.attn_q.bias'), 'F32');
    assert.equal(types.get('output_norm.weight'), 'F32');
    assert.equal((await inspectGguf(path)).quantization, 'Q8_0');
  });
});

describe('shapes and memory', () => {
  it('counts the real parameter numbers of Qwen2.5 0.5B and 7B', () => {
    // The counts of the published safetensors checkpoints.
    assert.equal(parameterCount(QWEN_SHAPES['qwen2.5-0.5b']), 494_032_768);
    const sevenB = parameterCount(QWEN_SHAPES['qwen2.5-7b']);
    assert.ok(Math.abs(sevenB - 7_615_616_512) / 7_615_616_512 < 1e-4, `7B counted as ${sevenB}`);
  });

  it('sizes the KV cache per sequence (Qwen2.5-0.5B: 12 KiB per token in f16)', () => {
    const s = QWEN_SHAPES['qwen2.5-0.5b'];
    const shape = { weightBytes: 500e6, layers: s.layers, kvHeads: s.kvHeads, headDim: s.headDim, embedding: s.embedding, vocab: s.vocab };
    const one = estimateMemory(shape, { contextSize: 4096, parallel: 1 });
    const four = estimateMemory(shape, { contextSize: 4096, parallel: 4 });
    assert.equal(one.kvCacheBytes, 4096 * 12 * 1024);
    assert.equal(one.perSequenceBytes, 4096 * 12 * 1024);
    assert.equal(four.kvCacheBytes, 4 * one.kvCacheBytes);
    assert.equal(four.totalBytes, four.weightBytes + four.kvCacheBytes + four.computeBytes + four.tokenizerBytes);
  });
});
