/**
 * Starting, placing and stopping the measured processes: the mock upstream and Tessera (child.ts)
 * and the Portkey gateway (its own build from bench/gateway/node_modules, installed on first use
 * with `npm install --prefix bench/gateway`, which applies the `@hono/node-server` override in
 * bench/gateway/package.json that its streaming needs). Every child is a separate node process;
 * with `--pin` each is started under `taskset` on the CPU the placement gives it.
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { createWriteStream, existsSync, readFileSync } from 'node:fs';
import { mkdir } from 'node:fs/promises';
import { createServer } from 'node:net';
import { dirname, extname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { ChildMessage, ChildSettings, ParentMessage } from './child.js';

const HERE = dirname(fileURLToPath(import.meta.url));

/** The repository root: the nearest folder up whose package.json is Tessera's (works from dist/ and from source). */
export const REPO_ROOT = (() => {
  for (let dir = HERE; dir !== dirname(dir); dir = dirname(dir)) {
    const file = join(dir, 'package.json');
    if (existsSync(file) && (JSON.parse(readFileSync(file, 'utf8')) as { name?: string }).name === 'tessera') return dir;
  }
  throw new Error(`no Tessera package.json above ${HERE}`);
})();
export const BENCH_DIR = join(REPO_ROOT, 'bench', 'gateway');
export const WORK_DIR = join(REPO_ROOT, 'bench', 'work', 'gateway');

const PORTKEY_VERSION = '1.15.2';
const HONO_NODE_SERVER = '1.14.1';
const PORTKEY_DIR = join(BENCH_DIR, 'node_modules', '@portkey-ai', 'gateway');

function installedVersion(dir: string): string | undefined {
  try {
    return (JSON.parse(readFileSync(join(dir, 'package.json'), 'utf8')) as { version?: string }).version;
  } catch {
    return undefined;
  }
}

/** Installs the Portkey peer into bench/gateway/node_modules unless the right versions are there. */
export function ensurePortkey(log: (line: string) => void): void {
  const portkey = installedVersion(PORTKEY_DIR);
  const hono = installedVersion(join(BENCH_DIR, 'node_modules', '@hono', 'node-server'));
  if (portkey === PORTKEY_VERSION && hono === HONO_NODE_SERVER) return;
  log(`installing @portkey-ai/gateway@${PORTKEY_VERSION} into bench/gateway/node_modules (found ${portkey ?? 'none'}, @hono/node-server ${hono ?? 'none'})…`);
  const npm = process.platform === 'win32' ? 'npm.cmd' : 'npm';
  const result = spawnSync(npm, ['install', '--prefix', BENCH_DIR, '--no-audit', '--no-fund'], { cwd: REPO_ROOT, stdio: 'inherit' });
  if (result.status !== 0) throw new Error(`npm install --prefix bench/gateway failed (exit ${result.status})`);
  const after = installedVersion(join(BENCH_DIR, 'node_modules', '@hono', 'node-server'));
  if (installedVersion(PORTKEY_DIR) !== PORTKEY_VERSION || after !== HONO_NODE_SERVER) {
    throw new Error(`bench/gateway/node_modules still lacks @portkey-ai/gateway@${PORTKEY_VERSION} with @hono/node-server@${HONO_NODE_SERVER}`);
  }
}

export async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address();
  const port = typeof address === 'object' && address ? address.port : 0;
  await new Promise((resolve) => server.close(resolve));
  return port;
}

export interface Placement {
  /** CPU per process name, or undefined = left to the Linux scheduler. */
  cpus?: { loadgen: number; mock: number; gateway: number };
}

export function describePlacement(placement: Placement): string {
  const c = placement.cpus;
  if (!c) return 'not pinned: the load generator, the mock upstream and the gateway under test are three processes placed by the Linux scheduler on the 2 cores';
  return `pinned with taskset: load generator on CPU ${c.loadgen}, mock upstream on CPU ${c.mock}, the gateway under test (Tessera or Portkey) on CPU ${c.gateway}`;
}

/** Pins this process (all its threads) to one CPU. */
export function pinSelf(cpu: number): void {
  const result = spawnSync('taskset', ['-a', '-p', '-c', String(cpu), String(process.pid)], { encoding: 'utf8' });
  if (result.status !== 0) throw new Error(`taskset failed: ${result.stderr || result.error?.message}`);
}

function command(placementCpu: number | undefined, args: string[]): [string, string[]] {
  return placementCpu === undefined ? [process.execPath, args] : ['taskset', ['-c', String(placementCpu), process.execPath, ...args]];
}

export interface Child {
  name: string;
  url: string;
  /** The member key Tessera created for the benchmark (Tessera only). */
  key?: string;
  /** The node process's own pid (not taskset's: taskset execs node in place, so they are the same). */
  pid: number;
  logFile: string;
  /** process.memoryUsage() of a child.ts process (undefined for Portkey); `gc`: after a full collection. */
  memory(options?: { gc?: boolean }): Promise<NodeJS.MemoryUsage | undefined>;
  /** Tessera's metering journal: transactions committed and operations in them (undefined for others). */
  journal(): Promise<{ commits: number; operations: number } | undefined>;
  /** Starts V8's CPU profiler in a child.ts process. */
  profileStart(): void;
  /** Stops it and writes the profile to `file` (resolves once written). */
  profileStop(file: string): Promise<void>;
  stop(): Promise<void>;
}

async function openLog(name: string): Promise<{ file: string; stream: NodeJS.WritableStream }> {
  await mkdir(WORK_DIR, { recursive: true });
  const file = join(WORK_DIR, `${name}.log`);
  return { file, stream: createWriteStream(file) };
}

function exited(proc: ChildProcess): Promise<void> {
  return proc.exitCode !== null || proc.signalCode !== null ? Promise.resolve() : new Promise((resolve) => proc.once('exit', () => resolve()));
}

async function stopProcess(proc: ChildProcess, graceful: () => void): Promise<void> {
  if (proc.exitCode !== null || proc.signalCode !== null) return;
  graceful();
  const timer = setTimeout(() => proc.kill('SIGKILL'), 15_000);
  await exited(proc);
  clearTimeout(timer);
}

/**
 * Starts child.ts in a role and waits for its `ready` message. `script`: another checkout's
 * compiled child.js (the A/B's baseline) instead of this one's.
 */
export async function startChild(name: string, settings: ChildSettings, cpu: number | undefined, script?: string): Promise<Child> {
  const ext = script ? '.js' : extname(fileURLToPath(import.meta.url));
  script ??= join(HERE, `child${ext}`);
  const loader = ext === '.ts' ? ['--import', 'tsx'] : [];
  // --expose-gc: the soak reads the live heap after a full collection (only when it asks).
  const [file, args] = command(cpu, [...loader, '--expose-gc', script, JSON.stringify(settings)]);
  const log = await openLog(name);
  const proc = spawn(file, args, { cwd: REPO_ROOT, stdio: ['ignore', 'pipe', 'pipe', 'ipc'] });
  proc.stdout!.pipe(log.stream, { end: false });
  proc.stderr!.pipe(log.stream, { end: false });
  const ready = await new Promise<Extract<ChildMessage, { type: 'ready' }>>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`${name} did not start in 120 s (see ${log.file})`)), 120_000);
    proc.on('message', (message: ChildMessage) => {
      if (message.type !== 'ready' && message.type !== 'error') return;
      clearTimeout(timer);
      if (message.type === 'ready') resolve(message);
      else reject(new Error(`${name} failed to start: ${message.message}`));
    });
    proc.once('exit', (code) => (clearTimeout(timer), reject(new Error(`${name} exited with ${code} before it was ready (see ${log.file})`))));
  });
  type MemoryReply = Extract<ChildMessage, { type: 'memory' }>;
  let waiting: Array<(reply: MemoryReply | undefined) => void> = [];
  const profiled = new Map<string, () => void>();
  proc.on('message', (message: ChildMessage) => {
    if (message.type === 'profiled') profiled.get(message.file)?.();
    if (message.type !== 'memory') return;
    const w = waiting;
    waiting = [];
    for (const resolve of w) resolve(message);
  });
  const tell = (message: ParentMessage) => void (proc.connected && proc.send(message));
  const ask = (gc = false) =>
    new Promise<MemoryReply | undefined>((resolve) => {
      if (!proc.connected) return resolve(undefined);
      waiting.push(resolve);
      tell({ type: 'memory', gc });
    });
  return {
    name,
    url: ready.url,
    key: ready.key,
    pid: proc.pid!,
    logFile: log.file,
    memory: async (options) => (await ask(options?.gc))?.usage,
    journal: async () => (await ask())?.journal,
    profileStart: () => tell({ type: 'profile', action: 'start' }),
    profileStop: (file) =>
      new Promise<void>((resolve) => {
        profiled.set(file, resolve);
        tell({ type: 'profile', action: 'stop', file });
      }),
    stop: () => stopProcess(proc, () => (proc.connected ? tell({ type: 'stop' }) : proc.kill('SIGTERM'))),
  };
}

/** Starts the Portkey gateway on a free loopback port and waits until it answers. */
export async function startPortkey(cpu: number | undefined): Promise<Child> {
  const port = await freePort();
  const [file, args] = command(cpu, [join(PORTKEY_DIR, 'build', 'start-server.js'), '--headless', `--port=${port}`]);
  const log = await openLog('portkey');
  const proc = spawn(file, args, { cwd: BENCH_DIR, stdio: ['ignore', 'pipe', 'pipe'] });
  proc.stdout!.pipe(log.stream, { end: false });
  proc.stderr!.pipe(log.stream, { end: false });
  const url = `http://127.0.0.1:${port}`;
  for (const deadline = Date.now() + 60_000; ; ) {
    if (proc.exitCode !== null) throw new Error(`Portkey exited with ${proc.exitCode} (see ${log.file})`);
    const res = await fetch(`${url}/`).catch(() => undefined);
    if (res) {
      await res.body?.cancel();
      break;
    }
    if (Date.now() > deadline) throw new Error(`Portkey did not answer on ${url} in 60 s (see ${log.file})`);
    await new Promise((r) => setTimeout(r, 200));
  }
  return {
    name: 'portkey',
    url,
    pid: proc.pid!,
    logFile: log.file,
    memory: async () => undefined,
    journal: async () => undefined,
    profileStart: () => undefined,
    profileStop: async () => undefined,
    stop: () => stopProcess(proc, () => proc.kill('SIGTERM')),
  };
}
