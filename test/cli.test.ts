/**
 * The `tessera` command as a user runs it: a real child process on a fresh data dir, offline, so
 * the server must fall back to generating the tiny test model and say so.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const repoRoot = fileURLToPath(new URL('../../', import.meta.url));
const bin = join(repoRoot, 'bin', 'tessera.js');

function tessera(args: string[], env: Record<string, string> = {}) {
  return spawnSync(process.execPath, [bin, ...args], { encoding: 'utf8', env: { ...process.env, ...env }, timeout: 60_000 });
}

describe('tessera CLI', () => {
  let dataDir: string;
  let child: ChildProcess;
  let output = '';
  let url = '';
  let adminKey = '';

  before(async () => {
    dataDir = await mkdtemp(join(tmpdir(), 'tessera-cli-'));
    child = spawn(
      process.execPath,
      [bin, 'serve', '--port', '0', '--data-dir', dataDir, '--offline', '--gpu', 'off', '--threads', '1', '--parallel', '2', '--context-size', '256'],
      { env: { ...process.env, TESSERA_LOG_LEVEL: 'info' }, stdio: ['ignore', 'pipe', 'pipe'] },
    );
    child.stdout!.on('data', (d) => (output += d));
    child.stderr!.on('data', (d) => (output += d));
    const deadline = Date.now() + 90_000;
    while (Date.now() < deadline) {
      const match = /serving on (http:\/\/[\d.:]+)/.exec(output);
      const key = /(sk-tess-[A-Za-z0-9_-]+)/.exec(output);
      if (match && key) {
        url = match[1];
        adminKey = key[1];
        const ready = await fetch(`${url}/readyz`).catch(() => null);
        if (ready?.status === 200) return;
      }
      if (child.exitCode !== null) break;
      await new Promise((r) => setTimeout(r, 100));
    }
    throw new Error(`server did not become ready:\n${output}`);
  });

  after(async () => {
    child?.kill('SIGTERM');
    await new Promise((r) => child?.once('exit', r));
    await rm(dataDir, { recursive: true, force: true });
  });

  it('prints the admin key once and serves the generated test model, saying its weights are random', async () => {
    assert.equal(output.match(/sk-tess-/g)?.length, 1, 'key printed exactly once');
    assert.match(output, /random weights/i);
    const models = (await (await fetch(`${url}/v1/models`, { headers: { authorization: `Bearer ${adminKey}` } })).json()) as {
      data: Array<{ tessera: { random_weights: boolean } }>;
    };
    assert.equal(models.data[0].tessera.random_weights, true);
  });

  it('manages keys through the running server', () => {
    const env = { TESSERA_URL: url, TESSERA_API_KEY: adminKey };
    const created = tessera(['keys', 'create', '--name', 'ci', '--json'], env);
    assert.equal(created.status, 0, created.stderr);
    const { id, secret } = JSON.parse(created.stdout);
    assert.match(secret, /^sk-/);
    const listed = tessera(['keys', 'list', '--json'], env);
    assert.equal(listed.status, 0, listed.stderr);
    assert.ok(!listed.stdout.includes(secret), 'list never shows secrets');
    assert.ok(JSON.parse(listed.stdout).some((k: { id: string }) => k.id === id));
    assert.equal(tessera(['keys', 'revoke', id], env).status, 0);
    const refused = tessera(['keys', 'list'], { TESSERA_URL: url, TESSERA_API_KEY: secret });
    assert.notEqual(refused.status, 0);
    assert.match(refused.stderr, /invalid_api_key/);
  });

  it('chats in the terminal, streaming the reply and showing token counts', () => {
    const result = spawnSync(process.execPath, [bin, 'chat', '--max-tokens', '6'], {
      input: 'Hello there\n/exit\n',
      encoding: 'utf8',
      env: { ...process.env, TESSERA_URL: url, TESSERA_API_KEY: adminKey },
      timeout: 60_000,
    });
    assert.equal(result.status, 0, result.stderr);
    assert.match(result.stdout, /random weights/);
    assert.match(result.stdout, /\[\d+ prompt \+ [1-6] completion tokens\]/);
  });

  it('has --help on every command', () => {
    for (const args of [[], ['serve'], ['chat'], ['models'], ['models', 'pull'], ['keys'], ['keys', 'create'], ['sim']]) {
      const result = tessera([...args, '--help']);
      assert.equal(result.status, 0, `${args.join(' ')} --help: ${result.stderr}`);
      assert.match(result.stdout, /Usage:/);
    }
  });

  it('refuses an unknown config key by name', () => {
    const result = tessera(['serve', '--data-dir', dataDir], { TESSERA_CONFIG: join(repoRoot, 'test', 'fixtures', 'bad-config.json') });
    assert.notEqual(result.status, 0);
    assert.match(result.stderr, /unknown key "prot"/);
  });
});
