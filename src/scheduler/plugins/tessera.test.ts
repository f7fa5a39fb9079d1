import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { ClusterState } from '../cluster-state.js';
import { H100X8, named } from '../fixtures/index.js';
import { createScheduler } from '../policies.js';
import { createRandom } from '../random.js';
import { cpuOnly, fraction, whole } from '../test-helpers.js';
import { gapValues } from './tessera.js';

describe('tessera', () => {
  it('gap values: no gap wastes nothing, a gap never wastes more than itself, exact fits are cheap', () => {
    const V = gapValues([[1000, 0.5], [500, 0.3], [300, 0.2]], 0.01);
    assert.equal(V[0], 0);
    for (let g = 1; g <= 1000; g++) assert.ok(V[g]! <= g + 1e-9 && V[g]! >= 0);
    assert.equal(V[200], 200, 'nothing fits in 200');
    assert.ok(V[500]! < V[450]!, 'a 500 gap can be filled exactly, a 450 gap only by 300');
    assert.ok(V[1000]! < 100, 'a free device mostly ends up well filled');
  });

  it('avoids stranding accelerators behind exhausted CPU', () => {
    const nodes = [named({ ...H100X8, cpuMilli: 64000 }, 'a'), named({ ...H100X8, cpuMilli: 64000 }, 'b')];
    for (let seed = 1; seed <= 5; seed++) {
      const state = new ClusterState(nodes);
      const typical = [{ cpuMilli: 8000, milli: 1000, count: 1, acceptableTypes: [], weight: 1 }];
      const s = createScheduler(state, 'tessera', { random: createRandom(seed), typical, nodeRank: Int32Array.from(seed % 2 ? [0, 1] : [1, 0]) });
      // b already runs six whole GPUs: putting 48 cores of CPU-only work there strands 2 GPUs, on a 8.
      const six = s.schedule(state, state.compile(whole('w', 6, { cpuMilli: 0, acceptableTypes: [] })));
      if (six.code !== 'scheduled') throw new Error('setup failed');
      const busy = six.placement.nodeName;
      const d = s.schedule(state, state.compile(cpuOnly('c', 48000)));
      assert.equal(d.code === 'scheduled' && d.placement.nodeName, busy, `seed ${seed}`);
    }
  });

  it('steers a fraction into the gap that will be filled exactly', () => {
    // Devices with 350 free (a 650 runs there) and 530 free (a 470 runs there); the workload's
    // requests are 650, 470 and 320 — so a 320 belongs next to the 650 (30 left), not the 470 (210 left).
    const nodes = [named(H100X8, 'a'), named(H100X8, 'b')];
    const workload = [...Array.from({ length: 5 }, (_, i) => fraction(`x${i}`, 650)), ...Array.from({ length: 5 }, (_, i) => fraction(`y${i}`, 470)), ...Array.from({ length: 5 }, (_, i) => fraction(`z${i}`, 320))];
    const state = new ClusterState(nodes);
    const typical = [{ cpuMilli: 1000, milli: 1000, count: 1, acceptableTypes: [], weight: 1 }];
    const s = createScheduler(state, 'tessera', { random: createRandom(1), typical, workload, nodeRank: Int32Array.from([0, 1]) });
    const put = (milli: number, node: number, index: number) =>
      state.apply(state.compile(fraction('p', milli)), { demandId: 'p', nodeIndex: node, nodeName: '', acceleratorIndices: [index], milliPerAccelerator: milli });
    put(470, 0, 0);
    put(650, 1, 0);
    const d = s.schedule(state, state.compile(fraction('q', 320)));
    assert.equal(d.code === 'scheduled' && `${d.placement.nodeName}#${d.placement.acceleratorIndices[0]}`, 'b#0');
  });
});
