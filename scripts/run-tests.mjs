#!/usr/bin/env node
// Runs every compiled *.test.js under dist/ with node's built-in test runner, whose closing
// summary (`# pass N`, `# fail N`) CI reads. Pass path fragments to run a subset:
//   node scripts/run-tests.mjs scheduler test/api
import { readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { spawnSync } from 'node:child_process';

function collect(dir, out) {
  for (const name of readdirSync(dir)) {
    const path = join(dir, name);
    if (statSync(path).isDirectory()) collect(path, out);
    else if (name.endsWith('.test.js')) out.push(path);
  }
  return out;
}

const filters = process.argv.slice(2);
const files = collect('dist', [])
  .filter((f) => !f.startsWith(join('dist', 'bench')))
  .filter((f) => filters.length === 0 || filters.some((frag) => f.includes(frag)))
  .sort();
if (files.length === 0) {
  console.error('no test files found under dist/ (did `npm run build` run?)');
  process.exit(1);
}
// Files run in parallel processes; the suites that start llama.cpp set their own thread counts
// so two concurrent files do not oversubscribe a 2-core machine.
const result = spawnSync(process.execPath, ['--test', '--test-concurrency=2', ...files], { stdio: 'inherit' });
process.exit(result.status ?? 1);
