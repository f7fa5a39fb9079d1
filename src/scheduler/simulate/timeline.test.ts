import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { H100X8, named } from '../fixtures/index.js';
import { whole } from '../test-helpers.js';
import type { TracePod } from '../trace.js';
import { simulateQuota } from './quota-mode.js';
import { simulateReplay } from './replay.js';

const pod = (id: string, gpus: number, creationTime: number, deletionTime: number, extra: Partial<TracePod['demand']> = {}): TracePod => ({
  demand: whole(id, gpus, extra),
  creationTime,
  deletionTime,
});

describe('replay mode', () => {
  it('honours creation and deletion times; a pod that does not fit waits for a departure', () => {
    const nodes = [named(H100X8, 'a')];
    const pods = [pod('p1', 6, 0, 100), pod('p2', 4, 10, 30), pod('p3', 2, 20, 50)];
    const r = simulateReplay({ nodes, pods, policy: 'best-fit', seeds: [1] });
    // p2 needs 4 GPUs but only 2 are free until p1 leaves at 100; p3 (2 GPUs) starts at once.
    assert.deepEqual(r.waits, { pods: 3, started: 3, neverStarted: 0, meanWaitS: 30, p50WaitS: 0, p99WaitS: 90, evictions: 0 });
    // Allocation over the arrival window [0, 20]: 6/8 for 0–20 → 75 %.
    assert.equal(r.meanAllocatedPct, 75);
  });

  it('refuses a trace without times', () => {
    assert.throws(() => simulateReplay({ nodes: [H100X8], pods: [{ demand: whole('x', 1) }], policy: 'fgd', seeds: [1] }), /creation_time/);
  });

  it('load compresses arrivals', () => {
    const nodes = [named(H100X8, 'a')];
    const pods = [pod('p1', 8, 0, 100), pod('p2', 8, 1000, 1100)];
    assert.equal(simulateReplay({ nodes, pods, policy: 'fgd', seeds: [1] }).waits.meanWaitS, 0);
    // ×20: p2 arrives at 50 while p1 runs until 100.
    assert.equal(simulateReplay({ nodes, pods, policy: 'fgd', seeds: [1], load: 20 }).waits.p99WaitS, 50);
  });
});

describe('quota mode', () => {
  const queues = [
    { name: 'a', cohort: 'c', nominal: { H100: 4000 } },
    { name: 'b', cohort: 'c', nominal: { H100: 4000 } },
  ];

  it('a borrower is preempted when the owner reclaims, and restarts later', () => {
    const nodes = [named(H100X8, 'n')];
    const pods = [
      ...Array.from({ length: 8 }, (_, i) => pod(`a${i}`, 1, i, 1000 + i, { tenant: 'a' })),
      pod('b0', 2, 10, 60, { tenant: 'b' }),
    ];
    const r = simulateQuota({ nodes, pods, policy: 'fgd', seeds: [1], queues });
    const a = r.tenants.find((t) => t.tenant === 'a')!;
    const b = r.tenants.find((t) => t.tenant === 'b')!;
    assert.equal(b.meanWaitS, 0, 'the owner gets its quota back at once');
    assert.equal(b.preemptionsCaused, 2);
    assert.equal(a.preempted, 2, 'the two newest borrowed pods of a');
    assert.equal(a.started, 8);
    // a6 and a7 (arrived at 6 and 7) restart when b0 leaves at 60.
    assert.equal(a.p99WaitS, 54);
  });

  it('never preempts within nominal quota: an over-asking owner waits', () => {
    const nodes = [named(H100X8, 'n')];
    const pods = [
      ...Array.from({ length: 4 }, (_, i) => pod(`a${i}`, 1, 0, 1000, { tenant: 'a' })),
      ...Array.from({ length: 4 }, (_, i) => pod(`b${i}`, 1, 0, 100, { tenant: 'b' })),
      pod('b-extra', 1, 10, 20, { tenant: 'b' }),
    ];
    const r = simulateQuota({ nodes, pods, policy: 'fgd', seeds: [1], queues });
    const b = r.tenants.find((t) => t.tenant === 'b')!;
    assert.equal(r.tenants.find((t) => t.tenant === 'a')!.preempted, 0);
    assert.equal(b.p99WaitS, 90, 'b-extra waits for one of b’s own pods to finish at 100');
  });
});
