import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { ClusterState } from '../cluster-state.js';
import { compileTypical } from '../fragmentation.js';
import { H100X8, MIXED_T4_V100, named } from '../fixtures/index.js';
import { createScheduler } from '../policies.js';
import { createRandom } from '../random.js';
import { fraction, whole } from '../test-helpers.js';
import { bestFitScore } from './best-fit.js';
import { clusterMaxima } from './cluster-maxima.js';
import { dotProductScore } from './dot-product.js';
import { fgdPlugins } from './fgd.js';
import { gpuClusteringScore } from './gpu-clustering.js';
import { gpuPackingScore } from './gpu-packing.js';
import { normalizeToHundred } from './normalize.js';
import { randomScore } from './random-score.js';

/** Two 8×H100 nodes and a mixed node; node 0 has device 0 at 300 free and 4 000 CPU used. */
function cluster(): ClusterState {
  const state = new ClusterState([named(H100X8, 'a'), named(H100X8, 'b'), MIXED_T4_V100]);
  const spec = state.compile(fraction('x', 700, { cpuMilli: 4000 }));
  state.apply(spec, { demandId: 'x', nodeIndex: 0, nodeName: 'a', acceleratorIndices: [0], milliPerAccelerator: 700 });
  return state;
}

describe('paper baselines', () => {
  it('best-fit prefers least leftover CPU and accelerator', () => {
    const state = cluster();
    const p = bestFitScore(clusterMaxima(state));
    const spec = state.compile(fraction('d', 200));
    const s = [0, 1, 2].map((n) => p.score(state, spec, n));
    // leftover = ½·cpuLeft/128000 + ½·accLeft/8000
    assert.deepEqual(s, [0, 1, 2].map((n) => Math.trunc((1 - (0.5 * (state.cpuFree[n]! - 1000)) / 128000 - (0.5 * (state.totalFreeMilli(n) - 200)) / 8000) * 100)));
    assert.ok(s[2]! > s[0]! && s[0]! > s[1]!);
    const scores = Float64Array.from(s);
    normalizeToHundred(scores, 3);
    assert.deepEqual(Array.from(scores).sort((a, b) => a - b)[0], 0);
    assert.equal(Math.max(...scores), 100);
  });

  it('dot-product scores trunc(100·(1 − dot/2)) of normalised free and demand vectors', () => {
    const state = cluster();
    const p = dotProductScore(clusterMaxima(state));
    const spec = state.compile(whole('d', 2, { cpuMilli: 16000 }));
    const dot = (n: number) => (state.cpuFree[n]! / 128000) * (16000 / 128000) + (state.totalFreeMilli(n) / 8000) * (2000 / 8000);
    for (const n of [0, 1, 2]) assert.equal(p.score(state, spec, n), Math.trunc(100 * (1 - dot(n) / 2)));
    assert.ok(p.score(state, spec, 2) > p.score(state, spec, 1), 'the smaller node is less aligned');
  });

  it('gpu-packing: partly used devices first, then used nodes, then empty nodes', () => {
    const state = cluster();
    const p = gpuPackingScore();
    const frac = state.compile(fraction('d', 300));
    assert.equal(p.score(state, frac, 0), 100 - Math.trunc(30 / 10), 'fits in the 300 left on a used device');
    assert.equal(p.score(state, frac, 1), 25, 'empty node: 33 − 8');
    const two = state.compile(whole('e', 2));
    assert.equal(p.score(state, two, 0), 48, 'used node, two fresh devices');
    assert.equal(p.score(state, two, 2), 29, 'empty 4-device node: 33 − 4');
  });

  it('gpu-clustering: same-shape nodes first, then empty, then others', () => {
    const state = cluster();
    const p = gpuClusteringScore(clusterMaxima(state));
    const frac = state.compile(fraction('d', 100));
    const two = state.compile(whole('e', 2));
    const fill0 = Math.trunc((25 * (8000 - 7300)) / 8000);
    assert.equal(p.score(state, frac, 0), 75 + fill0, 'node 0 runs only fractions');
    assert.equal(p.score(state, two, 0), fill0, 'node 0 runs only another shape');
    assert.equal(p.score(state, two, 1), 25, 'empty node');
  });

  it('random gives the top score to one feasible node drawn from the random source', () => {
    const state = cluster();
    const counts = [0, 0, 0];
    const p = randomScore(createRandom(9));
    const feasible = Int32Array.from([0, 1, 2]);
    const spec = state.compile(fraction('d', 100));
    for (let i = 0; i < 300; i++) {
      p.prepare!(state, spec, feasible, 3);
      const s = [0, 1, 2].map((n) => p.score(state, spec, n));
      assert.equal(s.filter((x) => x === 100).length, 1);
      counts[s.indexOf(100)]!++;
    }
    assert.ok(counts.every((c) => c > 70), `roughly uniform: ${counts}`);
  });

  it('fgd prefers the placement that fragments least and picks that device', () => {
    const state = cluster();
    const typical = compileTypical(state, [
      { cpuMilli: 1000, milli: 1000, count: 1, acceptableTypes: [], weight: 0.5 },
      { cpuMilli: 1000, milli: 300, count: 1, acceptableTypes: [], weight: 0.5 },
    ]);
    const { score, selector } = fgdPlugins(typical, 8);
    const spec = state.compile(fraction('d', 300));
    score.prepare!(state, spec, Int32Array.from([0, 1, 2]), 3);
    const s = [0, 1, 2].map((n) => score.score(state, spec, n));
    // On node 0 the 300 fills the sliver exactly: fragmentation falls by 0.5·300 (sigmoid(0.15) → 53).
    assert.equal(s[0], Math.trunc(100 / (1 + Math.exp(-0.15))));
    assert.ok(s[0]! > s[1]!);
    assert.deepEqual(selector.select(state, spec, 0), [0]);
  });
});

describe('policies on fixtures', () => {
  it('packing and fragmentation-aware policies fill the exact sliver; best-fit takes the smallest node', () => {
    const typical = [{ cpuMilli: 1000, milli: 1000, count: 1, acceptableTypes: [], weight: 1 }];
    {
      const state = cluster();
      const d = createScheduler(state, 'best-fit', { random: createRandom(1), typical }).schedule(state, state.compile(fraction('d', 300)));
      assert.equal(d.code === 'scheduled' && d.placement.nodeName, 'mixed-t4-v100');
    }
    for (const policy of ['gpu-packing', 'fgd', 'tessera']) {
      const state = cluster();
      const s = createScheduler(state, policy, { random: createRandom(1), typical });
      const d = s.schedule(state, state.compile(fraction('d', 300)));
      assert.equal(d.code === 'scheduled' && `${d.placement.nodeName}#${d.placement.acceleratorIndices[0]}`, 'a#0', policy);
    }
  });

  it('same seed, same decisions', () => {
    const run = (seed: number) => {
      const state = new ClusterState([0, 1, 2, 3, 4].map((i) => named(H100X8, `n${i}`)));
      const s = createScheduler(state, 'random', { random: createRandom(seed), typical: [] });
      return Array.from({ length: 20 }, (_, i) => {
        const d = s.schedule(state, state.compile(fraction(`p${i}`, 100 + 37 * i)));
        return d.code === 'scheduled' ? `${d.placement.nodeIndex}:${d.placement.acceleratorIndices.join()}` : '-';
      }).join(' ');
    };
    assert.equal(run(5), run(5));
    assert.notEqual(run(5), run(6));
  });
});
