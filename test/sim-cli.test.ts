/**
 * `tessera sim` as other tools call it (issue 3's CLI contract): the policy list, one JSON object
 * with mean points at whole arrived percentages, and a table plus a plot without --json.
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtemp, readFile, readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const bin = join(fileURLToPath(new URL('../../', import.meta.url)), 'bin', 'tessera.js');
const sim = (args: string[], cwd?: string) => spawnSync(process.execPath, [bin, 'sim', ...args], { encoding: 'utf8', cwd, timeout: 120_000 });

describe('tessera sim', () => {
  it('lists the policies, one per line', () => {
    const out = sim(['--list-policies']);
    assert.equal(out.status, 0, out.stderr);
    const names = out.stdout.trim().split('\n');
    for (const p of ['random', 'best-fit', 'dot-product', 'gpu-packing', 'gpu-clustering', 'fgd', 'tessera']) assert.ok(names.includes(p), p);
  });

  it('prints one JSON object for a paper run on the default trace, with points from 0 to 130 % arrived', () => {
    const out = sim(['--policy', 'fgd', '--seeds', '42', '--json']);
    assert.equal(out.status, 0, out.stderr);
    const result = JSON.parse(out.stdout) as {
      policy: string; seeds: number[]; totalGpus: number;
      points: Array<{ arrivedPct: number; allocatedPct: number; unallocatedPct: number; fragPct: number; fragRatioPct: number }>;
    };
    assert.equal(result.policy, 'fgd');
    assert.deepEqual(result.seeds, [42]);
    assert.equal(result.totalGpus, 6212);
    assert.deepEqual(result.points.map((p) => p.arrivedPct), Array.from({ length: 131 }, (_, i) => i));
    const at130 = result.points[130];
    assert.ok(Math.abs(at130.allocatedPct + at130.unallocatedPct - 100) < 1e-6, 'allocated + unallocated = 100 %');
    // The paper's FGD leaves 4.61 % unallocated at 130 % (mean of ten seeds); one seed lands near it.
    assert.ok(at130.unallocatedPct > 3.5 && at130.unallocatedPct < 6, `fgd at 130 %: ${at130.unallocatedPct}`);
  });

  it('prints a table and writes an SVG plot with one line per policy', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'tessera-sim-'));
    try {
      const out = sim(['--policy', 'random,fgd', '--seeds', '42'], dir);
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
    const out = sim(['--policy', 'magic', '--seeds', '42', '--json']);
    assert.notEqual(out.status, 0);
    assert.match(out.stderr, /magic/);
  });
});
