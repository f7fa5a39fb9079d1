import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { ClusterState } from './cluster-state.js';
import { compileTypical, currentNodeFragmentation, typicalDemands } from './fragmentation.js';
import { H100X8, MIXED_T4_V100 } from './fixtures/index.js';
import { cpuOnly, fraction, whole } from './test-helpers.js';

const scratch = () => ({ free: new Int32Array(8), types: new Uint8Array(8) });
const use = (state: ClusterState, node: number, index: number, milli: number, cpuMilli = 0) =>
  state.apply(state.compile(fraction('x', milli, { cpuMilli })), { demandId: 'x', nodeIndex: node, nodeName: '', acceleratorIndices: [index], milliPerAccelerator: milli });

describe('typical demands', () => {
  it('takes the most popular shapes until the threshold is covered and renormalises', () => {
    const workload = [
      ...Array.from({ length: 6 }, (_, i) => whole(`w${i}`, 1)),
      ...Array.from({ length: 3 }, (_, i) => fraction(`f${i}`, 500)),
      cpuOnly('c', 1000),
    ];
    const t = typicalDemands(workload, { popularityThreshold: 0.85, includeCpuOnly: true });
    assert.deepEqual(t.map((s) => [s.milli, s.count]), [[1000, 1], [500, 1]]);
    assert.deepEqual(t.map((s) => s.weight), [6 / 9, 3 / 9]);
    const all = typicalDemands(workload, { popularityThreshold: 1, includeCpuOnly: true });
    assert.equal(all.length, 3);
    assert.ok(Math.abs(all.reduce((s, x) => s + x.weight, 0) - 1) < 1e-12);
  });
});

describe('node fragmentation (FGD definition)', () => {
  const typical = [
    { cpuMilli: 1000, milli: 1000, count: 1, acceptableTypes: [], weight: 0.5 },
    { cpuMilli: 1000, milli: 500, count: 1, acceptableTypes: [], weight: 0.5 },
  ];

  it('an empty node has no fragment; partly used devices are fragments for shapes that cannot use them', () => {
    const state = new ClusterState([H100X8]);
    const c = compileTypical(state, typical);
    const { free, types } = scratch();
    assert.equal(currentNodeFragmentation(state, c, 0, free, types), 0);
    use(state, 0, 0, 700); // 300 left on device 0: unusable by both shapes
    assert.equal(currentNodeFragmentation(state, c, 0, free, types), 300);
    use(state, 0, 1, 400); // 600 left on device 1: usable by the half shape only
    assert.equal(currentNodeFragmentation(state, c, 0, free, types), 0.5 * (300 + 600) + 0.5 * 300);
  });

  it('counts all idle capacity when the node lacks the CPU of a shape, and for CPU-only shapes', () => {
    const state = new ClusterState([H100X8]);
    const c = compileTypical(state, [...typical.slice(0, 1), { cpuMilli: 200_000, milli: 500, count: 1, acceptableTypes: [], weight: 0.5 }]);
    const { free, types } = scratch();
    assert.equal(currentNodeFragmentation(state, c, 0, free, types), 0.5 * 8000);
    const withCpuOnly = compileTypical(state, [{ ...typical[0]!, weight: 0.75 }, { cpuMilli: 1000, milli: 0, count: 0, acceptableTypes: [], weight: 0.25 }]);
    assert.equal(currentNodeFragmentation(state, withCpuOnly, 0, free, types), 0.25 * 8000);
  });

  it('devices of a type a shape does not accept are fragments for it', () => {
    const state = new ClusterState([MIXED_T4_V100]);
    const c = compileTypical(state, [{ cpuMilli: 1000, milli: 1000, count: 1, acceptableTypes: ['V100M32'], weight: 1 }]);
    const { free, types } = scratch();
    assert.equal(currentNodeFragmentation(state, c, 0, free, types), 2000);
    const c2 = compileTypical(state, [{ cpuMilli: 1000, milli: 1000, count: 3, acceptableTypes: ['V100M32'], weight: 1 }]);
    assert.equal(currentNodeFragmentation(state, c2, 0, free, types), 4000, 'cannot fit three V100s: all idle');
  });
});
