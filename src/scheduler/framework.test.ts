import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { ClusterState } from './cluster-state.js';
import { Scheduler, bestFitSelector, type Profile, type ReservePlugin } from './framework.js';
import { ASCEND_910B, CPU_ONLY, H100X8, MIXED_T4_V100, named } from './fixtures/index.js';
import { acceleratorFitFilter, resourcesFitFilter } from './plugins/fit-filter.js';
import { POLICIES, createScheduler, defaultRegistry, resolvePolicyName } from './policies.js';
import { createRandom } from './random.js';
import { cpuOnly, fraction, whole } from './test-helpers.js';

const cluster = () => new ClusterState([H100X8, MIXED_T4_V100, ASCEND_910B, CPU_ONLY]);

function profile(reserves: ReservePlugin[] = [], score = (node: number) => node): Profile {
  return {
    name: 'test',
    filters: [resourcesFitFilter, acceleratorFitFilter],
    scores: [{ plugin: { name: 'by-index', score: (_s, _d, node) => score(node) }, weight: 1 }],
    selector: bestFitSelector,
    reserves,
  };
}

describe('framework', () => {
  it('filters, scores and places on the highest-scoring feasible node', () => {
    const state = cluster();
    const scheduler = new Scheduler(profile(), createRandom(1));
    const d = scheduler.schedule(state, state.compile(whole('a', 1)));
    assert.equal(d.code, 'scheduled');
    assert.equal(d.code === 'scheduled' && d.placement.nodeName, 'ascend-910b-8');
    const cpu = scheduler.schedule(state, state.compile(cpuOnly('b', 4000)));
    assert.equal(cpu.code === 'scheduled' && cpu.placement.nodeName, 'cpu-only');
    assert.deepEqual(cpu.code === 'scheduled' && cpu.placement.acceleratorIndices, []);
  });

  it('returns reasons (never throws) when nothing fits', () => {
    const state = cluster();
    const scheduler = new Scheduler(profile(), createRandom(1));
    const d = scheduler.schedule(state, state.compile(whole('a', 8, { acceptableTypes: ['T4'] })));
    assert.equal(d.code, 'unschedulable');
    if (d.code !== 'unschedulable') return;
    const byReason = Object.fromEntries(d.reasons.map((r) => [r.reason, r.nodes]));
    assert.deepEqual(byReason, { 'accelerator type not acceptable': 2, 'node has no accelerators': 1, 'insufficient free accelerators': 1 });
    const big = scheduler.schedule(state, state.compile(cpuOnly('b', 1_000_000)));
    assert.deepEqual(big.code === 'unschedulable' && big.reasons, [{ plugin: 'resources-fit', reason: 'insufficient cpu', nodes: 4 }]);
    const empty = new Scheduler(profile(), createRandom(1)).schedule(new ClusterState([]), state.compile(cpuOnly('c', 1)));
    assert.equal(empty.code, 'unschedulable');
  });

  it('a refusing reserve plugin undoes earlier reserves and the state', () => {
    const state = cluster();
    const log: string[] = [];
    const ok: ReservePlugin = { name: 'ok', reserve: () => (log.push('reserve ok'), null), unreserve: () => void log.push('unreserve ok') };
    const no: ReservePlugin = { name: 'no', reserve: () => 'quota exhausted', unreserve: () => void log.push('unreserve no') };
    const scheduler = new Scheduler(profile([ok, no]), createRandom(1));
    const before = Array.from(state.accFree);
    const d = scheduler.schedule(state, state.compile(whole('a', 2)));
    assert.deepEqual(d, { code: 'unschedulable', reasons: [{ plugin: 'no', reason: 'quota exhausted', nodes: 1 }] });
    assert.deepEqual(log, ['reserve ok', 'unreserve ok']);
    assert.deepEqual(Array.from(state.accFree), before);
  });

  it('unschedule is the exact inverse of schedule', () => {
    const state = cluster();
    const scheduler = new Scheduler(profile(), createRandom(1));
    const spec = state.compile(fraction('a', 250));
    const snapshot = [Array.from(state.accFree), Array.from(state.cpuFree), Array.from(state.memFree)];
    const d = scheduler.schedule(state, spec);
    assert.equal(d.code, 'scheduled');
    if (d.code === 'scheduled') scheduler.unschedule(state, spec, d.placement);
    assert.deepEqual([Array.from(state.accFree), Array.from(state.cpuFree), Array.from(state.memFree)], snapshot);
  });

  it('ties go to the lowest rank when a rank is given, else are drawn from the random source', () => {
    const nodes = [0, 1, 2, 3].map((i) => named(H100X8, `n${i}`));
    const rankOf = Int32Array.from([3, 1, 0, 2]);
    const ranked = new Scheduler(profile([], () => 7), createRandom(1), rankOf);
    const state = new ClusterState(nodes);
    const d = ranked.schedule(state, state.compile(whole('a', 1)));
    assert.equal(d.code === 'scheduled' && d.placement.nodeName, 'n2');
    const picks = new Set<string>();
    for (let seed = 0; seed < 40; seed++) {
      const s = new ClusterState(nodes);
      const r = new Scheduler(profile([], () => 7), createRandom(seed)).schedule(s, s.compile(whole('a', 1)));
      if (r.code === 'scheduled') picks.add(r.placement.nodeName);
    }
    assert.equal(picks.size, 4);
  });

  it('registry builds every named policy and rejects unknown names', () => {
    for (const p of POLICIES) {
      const state = cluster();
      const s = createScheduler(state, p.name, { random: createRandom(3), typical: [{ cpuMilli: 1000, milli: 1000, count: 1, acceptableTypes: [], weight: 1 }] });
      assert.equal(s.schedule(state, state.compile(fraction('a', 500))).code, 'scheduled', p.name);
    }
    assert.equal(resolvePolicyName('DotProd')?.name, 'dot-product');
    assert.equal(resolvePolicyName('FGD')?.name, 'fgd');
    assert.equal(resolvePolicyName('nope'), undefined);
    assert.throws(() => createScheduler(cluster(), 'nope', { random: createRandom(1), typical: [] }), /unknown policy/);
    const reg = defaultRegistry();
    assert.throws(() => reg.build({ name: 'x', description: '', filters: ['missing'], scores: [], selector: 'best-fit' }, {} as never), /unknown filter plugin "missing"/);
  });
});
