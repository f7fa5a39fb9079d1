/**
 * `tessera models` as a user runs it, on a fresh data dir: generate, list, inspect (with a memory
 * estimate), import, remove — and refusals with a reason for files that are not usable GGUF.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { copyFile, mkdtemp, readdir, rm, stat, truncate, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const bin = join(fileURLToPath(new URL('../../', import.meta.url)), 'bin', 'tessera.js');

describe('tessera models', () => {
  let dataDir: string;
  const tessera = (...args: string[]) =>
    spawnSync(process.execPath, [bin, 'models', ...args], { encoding: 'utf8', env: { ...process.env, TESSERA_DATA_DIR: dataDir }, timeout: 60_000 });

  before(async () => {
    dataDir = await mkdtemp(join(tmpdir(), 'tessera-models-cli-'));
  });
  after(() => rm(dataDir, { recursive: true, force: true }));

  it('generates a test model into the library and lists it as random weights', () => {
    const created = tessera('create-test', '--size', 'tiny', '--seed', '3', '--name', 'tiny');
    assert.equal(created.status, 0, created.stderr);
    const listed = tessera('list', '--json');
    assert.equal(listed.status, 0, listed.stderr);
    const models = JSON.parse(listed.stdout) as Array<{ name: string; info: { architecture: string; randomWeights: boolean } }>;
    assert.deepEqual(models.map((m) => [m.name, m.info.architecture, m.info.randomWeights]), [['tiny', 'qwen2', true]]);
  });

  it('inspects a model with its memory estimate for the requested context and parallelism', () => {
    const one = JSON.parse(tessera('inspect', 'tiny', '--json', '--context-size', '1024', '--parallel', '1').stdout);
    const four = JSON.parse(tessera('inspect', 'tiny', '--json', '--context-size', '1024', '--parallel', '4').stdout);
    assert.equal(one.quantization, 'F16');
    assert.equal(one.contextLength, 4096);
    assert.equal(four.memory.kvCacheBytes, 4 * one.memory.kvCacheBytes);
    const text = tessera('inspect', 'tiny');
    assert.match(text.stdout, /architecture\s+qwen2/);
    assert.match(text.stdout, /random weights/);
  });

  it('imports a GGUF file under a new name and removes it again', async () => {
    const src = join(dataDir, 'elsewhere.gguf');
    await copyFile(join(dataDir, 'models', 'tiny.gguf'), src);
    const imported = tessera('import', src, '--name', 'copy');
    assert.equal(imported.status, 0, imported.stderr);
    assert.ok(await stat(join(dataDir, 'models', 'copy.gguf')));
    const again = tessera('import', src, '--name', 'copy');
    assert.notEqual(again.status, 0);
    assert.match(again.stderr, /already installed/);
    assert.equal(tessera('rm', 'copy').status, 0);
    assert.notEqual(tessera('rm', 'copy').status, 0);
  });

  it('refuses truncated and non-GGUF files with a reason, installing nothing', async () => {
    const notGguf = join(dataDir, 'notes.gguf');
    await writeFile(notGguf, 'just some text, not a model');
    const refusedText = tessera('import', notGguf);
    assert.notEqual(refusedText.status, 0);
    assert.match(refusedText.stderr, /not start with the GGUF magic/);

    const cut = join(dataDir, 'cut.gguf');
    await copyFile(join(dataDir, 'models', 'tiny.gguf'), cut);
    await truncate(cut, 200_000);
    const refusedCut = tessera('import', cut);
    assert.notEqual(refusedCut.status, 0);
    assert.match(refusedCut.stderr, /truncated/);
    assert.deepEqual((await readdir(join(dataDir, 'models'))).sort(), ['tiny.gguf']);
  });

  it('lists the catalog of known models', () => {
    const catalog = JSON.parse(tessera('list', '--catalog', '--json').stdout) as Array<{ name: string }>;
    assert.ok(catalog.some((e) => e.name === 'qwen2.5-0.5b-instruct-q4_k_m'));
  });
});
