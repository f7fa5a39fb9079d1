import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { chooseParallel, CPU_MAX_PARALLEL, estimateMemory } from './memory.js';
import { QWEN_SHAPES } from './shapes.js';

const s = QWEN_SHAPES['qwen2.5-7b'];
const shape = { weightBytes: 8e9, layers: s.layers, kvHeads: s.kvHeads, headDim: s.headDim, embedding: s.embedding, vocab: s.vocab };
const GiB = 1024 ** 3;

describe('chooseParallel', () => {
  it('takes as many sequences as 90 % of the free memory holds after weights and compute', () => {
    const one = estimateMemory(shape, { contextSize: 4096, parallel: 1 });
    const free = 12 * GiB;
    const choice = chooseParallel(shape, { contextSize: 4096, freeBytes: free });
    assert.equal(choice.parallel, Math.floor((free * 0.9 - (one.totalBytes - one.kvCacheBytes)) / one.perSequenceBytes));
    assert.ok(choice.parallel > 1 && choice.parallel < CPU_MAX_PARALLEL);
    assert.ok(choice.estimate.totalBytes <= free * 0.9);
    assert.match(choice.reason, /free holds/);
  });

  it('stops at the cap when memory is plentiful, and at one sequence when it is short', () => {
    assert.equal(chooseParallel(shape, { contextSize: 4096, freeBytes: 200 * GiB }).parallel, CPU_MAX_PARALLEL);
    assert.equal(chooseParallel(shape, { contextSize: 4096, freeBytes: 200 * GiB, maxParallel: 64 }).parallel, 64);
    const short = chooseParallel(shape, { contextSize: 4096, freeBytes: 4 * GiB });
    assert.equal(short.parallel, 1);
    assert.match(short.reason, /may not fit/);
  });

  it('uses the operator’s number when given', () => {
    const choice = chooseParallel(shape, { contextSize: 4096, freeBytes: 1 * GiB, requested: 3 });
    assert.equal(choice.parallel, 3);
    assert.equal(choice.estimate.kvCacheBytes, estimateMemory(shape, { contextSize: 4096, parallel: 3 }).kvCacheBytes);
  });
});
