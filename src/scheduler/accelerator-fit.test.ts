import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { acceleratorsFit, bestFitFraction, wholeIndices } from './accelerator-fit.js';
import { ClusterState } from './cluster-state.js';
import { ASCEND_910B, CPU_ONLY, H100X8, MIXED_T4_V100 } from './fixtures/index.js';
import { createRandom } from './random.js';
import { createScheduler } from './policies.js';
import { cpuOnly, fraction, whole } from './test-helpers.js';

const take = (state: ClusterState, node: number, indices: number[], milli: number) =>
  state.apply(state.compile(fraction('x', milli)), { demandId: 'x', nodeIndex: node, nodeName: '', acceleratorIndices: indices, milliPerAccelerator: milli });

describe('accelerator fit', () => {
  it('whole devices: lowest free indices on an 8×H100 node, none when too few are entirely free', () => {
    const state = new ClusterState([H100X8]);
    take(state, 0, [0], 100);
    assert.deepEqual(wholeIndices(state, state.compile(whole('a', 3)), 0), [1, 2, 3]);
    assert.equal(wholeIndices(state, state.compile(whole('b', 8)), 0), null);
    assert.deepEqual(wholeIndices(state, state.compile(whole('c', 7)), 0), [1, 2, 3, 4, 5, 6, 7]);
  });

  it('whole devices on a mixed node are all of one type', () => {
    const state = new ClusterState([MIXED_T4_V100]);
    take(state, 0, [0], 500); // one T4 partly used: only one T4 entirely free
    assert.deepEqual(wholeIndices(state, state.compile(whole('a', 2)), 0), [2, 3]);
    assert.equal(wholeIndices(state, state.compile(whole('b', 3)), 0), null);
  });

  it('type constraints: acceptable types and minimum device memory', () => {
    const state = new ClusterState([MIXED_T4_V100, ASCEND_910B, CPU_ONLY]);
    const v100 = state.compile(whole('a', 2, { acceptableTypes: ['V100M32'] }));
    assert.deepEqual(wholeIndices(state, v100, 0), [2, 3]);
    assert.equal(acceleratorsFit(state, v100, 1), false);
    assert.equal(acceleratorsFit(state, v100, 2), false);
    const big = state.compile(fraction('b', 500, { minAcceleratorMemoryMiB: 20000 }));
    assert.equal(bestFitFraction(state, big, 0), 2, 'T4s have too little memory');
    const ascend = state.compile(whole('c', 8, { acceptableTypes: ['Ascend910B'] }));
    assert.equal(acceleratorsFit(state, ascend, 0), false);
    assert.equal(acceleratorsFit(state, ascend, 1), true);
    const unknownType = state.compile(whole('d', 1, { acceptableTypes: ['MI300X'] }));
    assert.equal([0, 1, 2].some((n) => acceleratorsFit(state, unknownType, n)), false);
    assert.equal(acceleratorsFit(state, state.compile(cpuOnly('e', 1000)), 2), true);
  });

  it('fractional packing goes onto the tightest device that fits, by index', () => {
    const state = new ClusterState([H100X8]);
    take(state, 0, [5], 600); // device 5: 400 free
    take(state, 0, [2], 300); // device 2: 700 free
    assert.equal(bestFitFraction(state, state.compile(fraction('a', 400)), 0), 5);
    assert.equal(bestFitFraction(state, state.compile(fraction('b', 500)), 0), 2);
    assert.equal(bestFitFraction(state, state.compile(fraction('c', 800)), 0), 0);
  });

  it('a scheduled fraction lands on the reported accelerator index and takes its milli-units', () => {
    const state = new ClusterState([MIXED_T4_V100]);
    const scheduler = createScheduler(state, 'best-fit', { random: createRandom(1), typical: [] });
    const first = scheduler.schedule(state, state.compile(fraction('a', 700, { acceptableTypes: ['V100M32'] })));
    assert.equal(first.code, 'scheduled');
    if (first.code !== 'scheduled') return;
    assert.deepEqual(first.placement.acceleratorIndices, [2]);
    assert.equal(first.placement.milliPerAccelerator, 700);
    assert.equal(state.accFree[2], 300);
    const second = scheduler.schedule(state, state.compile(fraction('b', 300)));
    assert.equal(second.code === 'scheduled' && second.placement.acceleratorIndices[0], 2, 'fills the 300 left on V100 #2');
    assert.equal(state.accFree[2], 0);
  });
});
