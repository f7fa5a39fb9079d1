/**
 * node-llama-cpp's CUDA backend, and Tessera's native decode loop linked against it, for
 * `bench/serve --gpu cuda` on a GPU machine without network. Scripts the recipe that worked on the
 * H100 (../shared/notes/llama-engine-facts.md):
 *
 * 1. llama.cpp's source where node-llama-cpp builds from (`node_modules/node-llama-cpp/llama/llama.cpp`):
 *    `node-llama-cpp source download --skipBuild`, which clones the git bundle its npm package
 *    ships (no network) and applies its patches.
 * 2. `node-llama-cpp source build --gpu cuda`, with `CMAKE_CUDA_ARCHITECTURES` (CUDA_ARCHITECTURES,
 *    default 90) and `GGML_NATIVE=OFF` given as `NODE_LLAMA_CPP_CMAKE_OPTION_*` variables: about
 *    5.4 minutes on the H100.
 * 3. scripts/build-native.mjs with TESSERA_LLAMA_LIB_DIR set to that build's libraries.
 *
 * node-llama-cpp finds a local build (`getLlama({ build: 'never' })`, as Tessera's runtime and the
 * direct column load it) by a folder name that includes the custom CMake options, which it reads
 * from those same variables at load time: so they are set in this process's environment, and the
 * direct column and the Tessera child process (which inherits it) load this build. Every step is
 * skipped when its output is already there. Not yet run on a GPU machine.
 */
import { spawn } from 'node:child_process';
import { existsSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { REPO_ROOT } from './build-native.js';

const NLC_DIR = join(REPO_ROOT, 'node_modules', 'node-llama-cpp');
const LOCAL_BUILDS = join(NLC_DIR, 'llama', 'localBuilds');

/** The CMake options of the CUDA build, as node-llama-cpp reads them (at build and at load). */
export function cudaCmakeEnv(): Record<string, string> {
  return {
    NODE_LLAMA_CPP_CMAKE_OPTION_CMAKE_CUDA_ARCHITECTURES: process.env.CUDA_ARCHITECTURES ?? '90',
    NODE_LLAMA_CPP_CMAKE_OPTION_GGML_NATIVE: 'OFF',
  };
}

/** The folder holding a local CUDA build's libllama, if one was built. */
function cudaLibDir(): string | undefined {
  if (!existsSync(LOCAL_BUILDS)) return undefined;
  for (const build of readdirSync(LOCAL_BUILDS).filter((name) => name.includes('-cuda'))) {
    for (const dir of [join(LOCAL_BUILDS, build, 'Release'), join(LOCAL_BUILDS, build)]) {
      if (existsSync(dir) && readdirSync(dir).some((f) => /^libllama.*\.so$/.test(f))) return dir;
    }
  }
  return undefined;
}

export async function ensureCudaBinding(options: { skipBuild: boolean; onProgress: (line: string) => void }): Promise<void> {
  const say = options.onProgress;
  Object.assign(process.env, cudaCmakeEnv());
  if (options.skipBuild) return;
  const cli = join(NLC_DIR, 'dist', 'cli', 'cli.js');
  if (!existsSync(join(NLC_DIR, 'llama', 'llama.cpp', 'CMakeLists.txt'))) {
    say('[cuda] llama.cpp source for node-llama-cpp: cloning the bundle it ships');
    await run(process.execPath, [cli, 'source', 'download', '--skipBuild', '--noUsageExample'], say);
  }
  let libDir = cudaLibDir();
  if (!libDir) {
    say(`[cuda] building node-llama-cpp's CUDA backend (sm_${cudaCmakeEnv().NODE_LLAMA_CPP_CMAKE_OPTION_CMAKE_CUDA_ARCHITECTURES}; minutes)`);
    await run(process.execPath, [cli, 'source', 'build', '--gpu', 'cuda', '--noUsageExample'], say);
    libDir = cudaLibDir();
    if (!libDir) throw new Error(`node-llama-cpp's CUDA build left no libllama*.so under ${LOCAL_BUILDS}`);
  }
  say(`[cuda] Tessera's native decode loop against ${libDir}`);
  await run(process.execPath, [join(REPO_ROOT, 'scripts', 'build-native.mjs')], say, { TESSERA_LLAMA_LIB_DIR: libDir, TESSERA_REQUIRE_NATIVE: '1' });
}

function run(cmd: string, args: string[], say: (line: string) => void, env: Record<string, string> = {}): Promise<void> {
  return new Promise((resolve, reject) => {
    const child = spawn(cmd, args, { cwd: REPO_ROOT, env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
    const relay = (chunk: Buffer) => {
      for (const line of chunk.toString('utf8').split('\n')) if (line.trim()) say(`  ${line.trimEnd()}`);
    };
    child.stdout.on('data', relay);
    child.stderr.on('data', relay);
    child.once('error', reject);
    child.once('exit', (code) => (code === 0 ? resolve() : reject(new Error(`${cmd} ${args.join(' ')} exited with ${code}`))));
  });
}
