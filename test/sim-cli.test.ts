/**
 * `tessera sim` as other tools call it (issue 3's CLI contract): the policy list, one JSON object
 * with mean points at whole arrived percentages, and a table plus a plot without --json.
 *
 * Runs on test/fixtures/trace, a 1-in-10 sample of the shared Alibaba trace (122 nodes, 626 GPUs,
 * 816 pods) kept in the repository so the test runs wherever the repository is; the default-trace
 * run (6,212 GPUs) is checked too when the shared data folder sits beside the checkout.
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdtemp, readFile, readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('../../', import.meta.url));
const bin = join(root, 'bin', 'tessera.js');
const sample = ['--nodes', join(root, 'test/fixtures/trace/nodes-sample.csv'), '--pods', join(root, 'test/fixtures/trace/pods-sample.csv')];
const sharedTrace = join(root, '..', 'shared', 'data', 'alibaba-gpu-v2023', 'openb_node_list_gpu_node.csv');
const sim = (args: string[], cwd?: string) => spawnSync(process.execPath, [bin, 'sim', ...args], { encoding: 'utf8', cwd, timeout: 120_000 });

interface SimResult {
  policy: string;
  seeds: number[];
  totalGpus: number;
  points: Array<{ arrivedPct: number; allocatedPct: number; unallocatedPct: number; fragPct: number; fragRatioPct: number }>;
}

describe('tessera sim', () => {
  it('lists the policies, one per line', () => {
    const out = sim(['--list-policies']);
    assert.equal(out.status, 0, out.stderr);
    const names = out.stdout.trim().split('\n');
    for (const p of ['random', 'best-fit', 'dot-product', 'gpu-packing', 'gpu-clustering', 'fgd', 'tessera']) assert.ok(names.includes(p), p);
  });

  it('prints one JSON object with mean points from 0 to 130 % arrived', () => {
    const out = sim([...sample, '--policy', 'fgd', '--seeds', '42-43', '--json']);
    assert.equal(out.status, 0, out.stderr);
    const result = JSON.parse(out.stdout) as SimResult;
    assert.deepEqual([result.policy, result.seeds, result.totalGpus], ['fgd', [42, 43], 626]);
    assert.deepEqual(result.points.map((p) => p.arrivedPct), Array.from({ length: 131 }, (_, i) => i));
    for (const p of result.points) assert.ok(Math.abs(p.allocatedPct + p.unallocatedPct - 100) < 1e-6, 'allocated + unallocated = 100 %');
  });

  it('places better with fgd than with random on the sample, as on the full trace', () => {
    const at130 = (policy: string) => (JSON.parse(sim([...sample, '--policy', policy, '--seeds', '42-44', '--json']).stdout) as SimResult).points[130].unallocatedPct;
    assert.ok(at130('fgd') < at130('random'));
  });

  it('prints a table and writes an SVG plot with one line per policy', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'tessera-sim-'));
    try {
      const out = sim([...sample, '--policy', 'random,fgd', '--seeds', '42'], dir);
      assert.equal(out.status, 0, out.stderr);
      assert.match(out.stdout, /fgd/);
      const files = (await readdir(dir)).filter((f) => f.endsWith('.svg'));
      assert.equal(files.length, 1, `files: ${files}`);
      const svg = await readFile(join(dir, files[0]), 'utf8');
      assert.match(svg, /<svg[\s>]/);
      assert.equal((svg.match(/<path /g) ?? []).length, 2, 'one line per policy');
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });

  it('refuses an unknown policy with a clear message', () => {
    const out = sim([...sample, '--policy', 'magic', '--seeds', '42', '--json']);
    assert.notEqual(out.status, 0);
    assert.match(out.stderr, /magic/);
  });

  it('runs the default trace when the shared data is beside the checkout', { skip: !existsSync(sharedTrace) && `no ${sharedTrace}` }, () => {
    const out = sim(['--policy', 'fgd', '--seeds', '42', '--json']);
    assert.equal(out.status, 0, out.stderr);
    const result = JSON.parse(out.stdout) as SimResult;
    assert.equal(result.totalGpus, 6212);
    // The paper's FGD leaves 4.61 % unallocated at 130 % (mean of ten seeds); one seed lands near it.
    assert.ok(result.points[130].unallocatedPct > 3.5 && result.points[130].unallocatedPct < 6);
  });
});
