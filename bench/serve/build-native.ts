/**
 * Builds llama.cpp's own `llama-batched-bench` and `llama-server` (for the CPU, or CUDA) from the exact llama.cpp
 * source that node-llama-cpp ships in its npm package (`llama/gitRelease.bundle`, tag in
 * `llama/llama.cpp.info.json`), with node-llama-cpp's own patches applied, so that the native column
 * runs the same kernels as node-llama-cpp's prebuilt binary (modulo `GGML_NATIVE`).
 *
 * Idempotent: the clone is skipped when `bench/work/llama.cpp` already holds the bundle's commit, and
 * the build is skipped when both binaries exist and a stamp file records the same commit + options.
 * Everything lands in `bench/work/` (git-ignored).
 *
 * Usage: node --import tsx bench/serve/build-native.ts [--jobs N (default: available cores)] [--backend cpu|cuda] [--force]
 */
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdir, readFile, readdir, rm, writeFile } from 'node:fs/promises';
import { availableParallelism } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

/**
 * The repository root: the nearest folder above this file that holds the project's package.json
 * (the bench runs from source with tsx, or compiled into some other folder: then the working
 * directory is taken).
 */
export const REPO_ROOT = findRepoRoot(dirname(fileURLToPath(import.meta.url)));

export const WORK_DIR = join(REPO_ROOT, 'bench', 'work');
const NLC_LLAMA_DIR = join(REPO_ROOT, 'node_modules', 'node-llama-cpp', 'llama');
const SRC_DIR = join(WORK_DIR, 'llama.cpp');
const TARGETS = ['llama-batched-bench', 'llama-server'] as const;

/** Where llama.cpp runs: the CPU, or an NVIDIA GPU through CUDA (every layer offloaded). */
export type Backend = 'cpu' | 'cuda';

const buildDir = (backend: Backend) => join(SRC_DIR, `build-${backend}`);
const stampFile = (backend: Backend) => join(buildDir(backend), 'tessera-bench.stamp.json');

/**
 * UI off and no download of a prebuilt UI (the build machines are offline); `tools/ui`'s CMake
 * files must still be present, which a full clone gives. The CPU build is tuned for the machine it
 * runs on; the CUDA build compiles for `CUDA_ARCHITECTURES` only (default 90: H100/H200), the
 * recipe that built on the GPU machine (../shared/notes/llama-engine-facts.md), and not yet run by
 * this script there.
 */
const cudaArchitectures = () => process.env.CUDA_ARCHITECTURES ?? '90';

function cmakeOptions(backend: Backend): string[] {
  const device =
    backend === 'cuda'
      ? ['-DGGML_NATIVE=OFF', '-DGGML_CUDA=ON', `-DCMAKE_CUDA_ARCHITECTURES=${cudaArchitectures()}`]
      : ['-DGGML_NATIVE=ON', '-DGGML_CUDA=OFF'];
  return ['-DCMAKE_BUILD_TYPE=Release', ...device, ...COMMON_CMAKE_OPTIONS];
}

const COMMON_CMAKE_OPTIONS = [
  '-DGGML_VULKAN=OFF',
  '-DGGML_METAL=OFF',
  '-DBUILD_SHARED_LIBS=OFF',
  '-DLLAMA_BUILD_TESTS=OFF',
  '-DLLAMA_BUILD_UI=OFF',
  '-DLLAMA_USE_PREBUILT_UI=OFF',
  '-DLLAMA_OPENSSL=OFF',
];

export interface NativeBuild {
  batchedBench: string;
  server: string;
  /** The llama.cpp tag node-llama-cpp records in llama/llama.cpp.info.json. */
  tag: string;
  commit: string;
}

export interface BuildOptions {
  jobs?: number;
  force?: boolean;
  /** Never clone or build: use the binaries already in bench/work, fail if there are none. */
  skipBuild?: boolean;
  /** Default `cpu`. */
  backend?: Backend;
  onProgress?: (line: string) => void;
}

export async function ensureNativeBuild(options: BuildOptions = {}): Promise<NativeBuild> {
  const say = options.onProgress ?? ((line: string) => console.log(line));
  const jobs = options.jobs ?? availableParallelism();
  const backend = options.backend ?? 'cpu';
  const bundle = join(NLC_LLAMA_DIR, 'gitRelease.bundle');
  if (!existsSync(bundle)) throw new Error(`node-llama-cpp's llama.cpp bundle not found at ${bundle}; run npm install first`);
  const info = JSON.parse(await readFile(join(NLC_LLAMA_DIR, 'llama.cpp.info.json'), 'utf8')) as { tag: string };
  const bundleHead = (await capture('git', ['bundle', 'list-heads', bundle])).split(/\s+/)[0] ?? '';
  if (options.skipBuild) {
    const binaries = { batchedBench: binPath(backend, 'llama-batched-bench'), server: binPath(backend, 'llama-server') };
    for (const path of Object.values(binaries)) {
      if (!existsSync(path)) throw new Error(`--skip-build: ${rel(path)} does not exist; run once without --skip-build`);
    }
    const commit = existsSync(join(SRC_DIR, '.git')) ? (await capture('git', ['-C', SRC_DIR, 'rev-parse', 'HEAD'])).trim() : bundleHead;
    say(`[native] --skip-build: using the llama.cpp ${info.tag} binaries in ${rel(join(buildDir(backend), 'bin'))}`);
    return { ...binaries, tag: info.tag, commit };
  }

  await mkdir(WORK_DIR, { recursive: true });
  const unlock = await lock(say);
  try {
    return await cloneAndBuild(bundle, bundleHead, info.tag, jobs, options.force === true, backend, say);
  } finally {
    await unlock();
  }
}

async function cloneAndBuild(
  bundle: string,
  bundleHead: string,
  tag: string,
  jobs: number,
  force: boolean,
  backend: Backend,
  say: (line: string) => void,
): Promise<NativeBuild> {
  const dir = buildDir(backend);
  const stampPath = stampFile(backend);
  const cmake = cmakeOptions(backend);
  const info = { tag };
  if (!existsSync(join(SRC_DIR, '.git'))) {
    say(`[native] cloning llama.cpp ${info.tag} from node-llama-cpp's bundle into ${rel(SRC_DIR)}`);
    await exec('git', ['-c', 'advice.detachedHead=false', 'clone', '-q', bundle, SRC_DIR], say);
  }
  const commit = (await capture('git', ['-C', SRC_DIR, 'rev-parse', 'HEAD'])).trim();
  if (bundleHead && commit !== bundleHead) {
    throw new Error(`${rel(SRC_DIR)} is at ${commit}, the bundle at ${bundleHead}; delete ${rel(SRC_DIR)} and rerun`);
  }
  await applyPatches(say);

  const stampWanted = JSON.stringify({ commit, options: cmake });
  const binaries = { batchedBench: binPath(backend, 'llama-batched-bench'), server: binPath(backend, 'llama-server') };
  const stamp = existsSync(stampPath) ? await readFile(stampPath, 'utf8') : '';
  if (!force && stamp === stampWanted && existsSync(binaries.batchedBench) && existsSync(binaries.server)) {
    say(`[native] llama.cpp ${info.tag} already built (${rel(dir)})`);
    return { ...binaries, tag: info.tag, commit };
  }

  say(`[native] configuring (cmake, Release, ${backend === 'cuda' ? `CUDA for sm_${cudaArchitectures()}` : 'CPU, GGML_NATIVE=ON'})`);
  await exec('cmake', ['-S', SRC_DIR, '-B', dir, ...cmake], say, { quiet: true });
  say(`[native] building ${TARGETS.join(', ')} with -j ${jobs} (several minutes on 2 cores)`);
  const started = Date.now();
  await exec('cmake', ['--build', dir, '--config', 'Release', '-j', String(jobs), '--target', ...TARGETS], say, {
    // cmake prints "[ 42%] Building …" lines; forward one in ten to show progress without flooding.
    filter: (line, n) => /^\[\s*\d+%\]/.test(line) && (n % 10 === 0 || /Linking/.test(line)),
  });
  for (const path of Object.values(binaries)) if (!existsSync(path)) throw new Error(`build finished but ${path} is missing`);
  await writeFile(stampPath, stampWanted);
  say(`[native] built in ${((Date.now() - started) / 1000).toFixed(0)} s`);
  return { ...binaries, tag: info.tag, commit };
}

/**
 * One build at a time: a second run (another terminal, another engineer) waits for the first
 * instead of configuring and relinking the same tree underneath it. A lock left by a dead process
 * is taken over.
 */
async function lock(say: (line: string) => void): Promise<() => Promise<void>> {
  const path = join(WORK_DIR, 'llama.cpp-build.lock');
  let told = false;
  for (;;) {
    try {
      await writeFile(path, String(process.pid), { flag: 'wx' });
      return () => rm(path, { force: true });
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
      const holder = Number(await readFile(path, 'utf8').catch(() => ''));
      if (!Number.isInteger(holder) || holder <= 0 || !alive(holder)) {
        await rm(path, { force: true });
        continue;
      }
      if (!told) say(`[native] waiting for the llama.cpp build of process ${holder} to finish`);
      told = true;
      await new Promise((r) => setTimeout(r, 3000));
    }
  }
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}

function findRepoRoot(from: string): string {
  for (let dir = from; ; dir = dirname(dir)) {
    const pkg = join(dir, 'package.json');
    if (existsSync(pkg) && existsSync(join(dir, 'bench', 'serve'))) return dir;
    if (dirname(dir) === dir) return process.cwd();
  }
}

function binPath(backend: Backend, name: string): string {
  return join(buildDir(backend), 'bin', name);
}

/** Applies node-llama-cpp's `llama/patches/*.diff` unless already applied (checked with --reverse). */
async function applyPatches(say: (line: string) => void): Promise<void> {
  const dir = join(NLC_LLAMA_DIR, 'patches');
  if (!existsSync(dir)) return;
  for (const name of (await readdir(dir)).filter((f) => f.endsWith('.diff') || f.endsWith('.patch')).sort()) {
    const patch = join(dir, name);
    const applied = await succeeds('git', ['-C', SRC_DIR, 'apply', '--reverse', '--check', patch]);
    if (applied) continue;
    say(`[native] applying node-llama-cpp patch ${name}`);
    await exec('git', ['-C', SRC_DIR, 'apply', patch], say);
  }
}

function rel(path: string): string {
  return path.startsWith(REPO_ROOT) ? path.slice(REPO_ROOT.length + 1) : path;
}

interface ExecOptions {
  quiet?: boolean;
  filter?: (line: string, n: number) => boolean;
}

function exec(cmd: string, args: string[], say: (line: string) => void, opts: ExecOptions = {}): Promise<void> {
  return new Promise((resolveExec, reject) => {
    const child = spawn(cmd, args, { stdio: ['ignore', 'pipe', 'pipe'] });
    const tail: string[] = [];
    let n = 0;
    const onData = (chunk: Buffer) => {
      for (const line of chunk.toString().split('\n')) {
        if (!line.trim()) continue;
        tail.push(line);
        if (tail.length > 40) tail.shift();
        n += 1;
        if (opts.filter ? opts.filter(line, n) : !opts.quiet) say(`  ${line}`);
      }
    };
    child.stdout.on('data', onData);
    child.stderr.on('data', onData);
    child.on('error', reject);
    child.on('close', (code) => {
      if (code === 0) resolveExec();
      else reject(new Error(`${cmd} ${args.join(' ')} exited with ${code}\n${tail.join('\n')}`));
    });
  });
}

function capture(cmd: string, args: string[]): Promise<string> {
  return new Promise((resolveCapture, reject) => {
    const child = spawn(cmd, args, { stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    let err = '';
    child.stdout.on('data', (c: Buffer) => (out += c.toString()));
    child.stderr.on('data', (c: Buffer) => (err += c.toString()));
    child.on('error', reject);
    child.on('close', (code) => (code === 0 ? resolveCapture(out) : reject(new Error(`${cmd} failed: ${err}`))));
  });
}

function succeeds(cmd: string, args: string[]): Promise<boolean> {
  return new Promise((resolveOk) => {
    const child = spawn(cmd, args, { stdio: 'ignore' });
    child.on('error', () => resolveOk(false));
    child.on('close', (code) => resolveOk(code === 0));
  });
}

if (process.argv[1] && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  const args = process.argv.slice(2);
  const jobsAt = args.indexOf('--jobs');
  const jobs = jobsAt >= 0 ? Number(args[jobsAt + 1]) : availableParallelism();
  const backendAt = args.indexOf('--backend');
  const backend = backendAt >= 0 ? (args[backendAt + 1] as Backend) : 'cpu';
  if (backend !== 'cpu' && backend !== 'cuda') throw new Error('--backend takes cpu or cuda');
  ensureNativeBuild({ jobs, force: args.includes('--force'), backend })
    .then((b) => console.log(`[native] ${b.batchedBench}\n[native] ${b.server}`))
    .catch((err: unknown) => {
      console.error(err instanceof Error ? err.message : err);
      process.exitCode = 1;
    });
}
