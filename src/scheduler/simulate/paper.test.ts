import assert from 'node:assert/strict';
import { existsSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, it } from 'node:test';
import { ClusterState } from '../cluster-state.js';
import { H100X8, named } from '../fixtures/index.js';
import type { Demand } from '../model.js';
import { createRandom } from '../random.js';
import { fraction, whole } from '../test-helpers.js';
import { parseNodesCsv, parsePodsCsv } from '../trace.js';
import { paperArrivals, randomRank, runPaperSeed } from './paper.js';
import { simulatePaper } from './result.js';
import { pointsOfRun } from './series.js';
import { sharedTraceDir } from './shared-trace.js';

describe('paper mode', () => {
  it('inflates the workload to 130 % of capacity with random copies', () => {
    const state = new ClusterState([named(H100X8, 'a')]);
    const specs = [whole('w', 1), fraction('f', 500)].map((d) => state.compile(d));
    const order = paperArrivals(specs, 8000, 1.3, createRandom(1));
    const requested = order.reduce((s, i) => s + specs[i]!.milli * specs[i]!.count, 0);
    assert.ok(requested <= 10400 && requested > 10400 - 1000, `requested ${requested}`);
    assert.deepEqual([...order.slice(0, 2)].sort(), [0, 1], 'the original workload comes first, shuffled');
  });

  it('random node ranks are a permutation, different per seed', () => {
    const nodes = Array.from({ length: 20 }, (_, i) => named(H100X8, `n${String(i).padStart(2, '0')}`));
    const a = randomRank(nodes, createRandom(1));
    assert.deepEqual([...a].sort((x, y) => x - y), nodes.map((_, i) => i));
    assert.notDeepEqual([...a], [...randomRank(nodes, createRandom(2))]);
  });

  it('records allocation exactly: a cluster that fits everything ends with all requested work placed', () => {
    const nodes = [named(H100X8, 'a'), named(H100X8, 'b')];
    const workload: Demand[] = [whole('w1', 4), whole('w2', 2), fraction('f1', 500), fraction('f2', 500), fraction('f3', 250)];
    const series = runPaperSeed({ nodes, workload, policy: 'best-fit', seed: 7, inflation: 0.5 });
    // 0.5 × 16 000 = 8 000 milli of arrivals at most; every one fits on two empty 8-GPU nodes.
    assert.equal(series.failed, 0);
    for (let e = 0; e < series.arrivedMilli.length; e++) assert.equal(series.usedMilli[e], series.arrivedMilli[e]);
    const last = series.arrivedMilli.length - 1;
    assert.ok(series.arrivedMilli[last]! <= 8000 && series.arrivedMilli[last]! >= 7000);
  });

  it('is deterministic for a seed', () => {
    const nodes = [0, 1, 2, 3].map((i) => named(H100X8, `n${i}`));
    const workload = Array.from({ length: 30 }, (_, i) => (i % 3 === 0 ? whole(`w${i}`, 1 + (i % 4)) : fraction(`f${i}`, 100 + ((i * 37) % 800))));
    for (const policy of ['random', 'fgd', 'tessera']) {
      const a = runPaperSeed({ nodes, workload, policy, seed: 3 });
      const b = runPaperSeed({ nodes, workload, policy, seed: 3 });
      assert.deepEqual([...a.usedMilli], [...b.usedMilli], policy);
      assert.deepEqual([...a.fragMilli], [...b.fragMilli], policy);
    }
  });

  it('points: one per whole arrived percentage, allocated never above arrived', () => {
    const nodes = [0, 1].map((i) => named(H100X8, `n${i}`));
    const workload = Array.from({ length: 40 }, (_, i) => fraction(`f${i}`, 150 + ((i * 53) % 700)));
    const points = pointsOfRun(runPaperSeed({ nodes, workload, policy: 'fgd', seed: 1 }), 130);
    assert.equal(points.length, 131);
    for (const p of points) if (Number.isFinite(p.allocatedPct)) assert.ok(p.allocatedPct <= p.arrivedPct + 1.5, JSON.stringify(p));
  });

  it('on a slice of the shared trace: ports keep their published order, and tessera beats fgd', () => {
    // Every 10th node (122 of the 1,213) and every 10th pod of the default list: small enough for a
    // unit test. test/fixtures/trace holds that slice, so the test runs without the shared folder;
    // when the folder is there, the slice is cut from it (the same rows).
    const dir = sharedTraceDir();
    const nodes = dir
      ? parseNodesCsv(readFileSync(join(dir, 'openb_node_list_gpu_node.csv'), 'utf8')).filter((_, i) => i % 10 === 0)
      : parseNodesCsv(readFileSync(repoFixture('nodes-sample.csv'), 'utf8'));
    const pods = dir
      ? parsePodsCsv(readFileSync(join(dir, 'openb_pod_list_default.csv'), 'utf8')).filter((_, i) => i % 10 === 0)
      : parsePodsCsv(readFileSync(repoFixture('pods-sample.csv'), 'utf8'));
    assert.equal(nodes.length, 122);
    const unalloc = (policy: string) => {
      const r = simulatePaper({ nodes, workload: pods.map((p) => p.demand), policy, seeds: [42, 43, 44] });
      assert.equal(r.totalGpus, nodes.reduce((s, n) => s + n.accelerators.length, 0));
      return r.points[130]!.unallocatedPct;
    };
    const random = unalloc('random');
    const bestFit = unalloc('best-fit');
    const fgd = unalloc('fgd');
    const tessera = unalloc('tessera');
    assert.ok(random > bestFit && bestFit > fgd, `random ${random}, best-fit ${bestFit}, fgd ${fgd}`);
    assert.ok(tessera <= fgd, `tessera ${tessera} vs fgd ${fgd}`);
  });
});

/** test/fixtures/trace/NAME, found from this file (src/ or dist/src/) up to the repository root. */
function repoFixture(name: string): string {
  let dir = dirname(fileURLToPath(import.meta.url));
  for (let i = 0; i < 6; i++) {
    const candidate = join(dir, 'test', 'fixtures', 'trace', name);
    if (existsSync(candidate)) return candidate;
    dir = dirname(dir);
  }
  throw new Error(`test/fixtures/trace/${name} not found above ${fileURLToPath(import.meta.url)}`);
}
