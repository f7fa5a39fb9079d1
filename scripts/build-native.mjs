#!/usr/bin/env node
// Builds Tessera's native decode loop (src/engines/llama/native/decoder.cc) into
// build/native/tessera_llama.node, linked against the libllama that node-llama-cpp ships for this
// platform, so both share one llama.cpp build in the process. Offline: llama.cpp's headers come
// from the source bundle inside node-llama-cpp's npm package, Node's from the running Node.
//
// Optional by design: without a C++ compiler (or on a platform this script does not know) it says
// why and exits 0, and the llama engine runs on node-llama-cpp's own generation loop. Set
// TESSERA_REQUIRE_NATIVE=1 (CI does) to turn that into a failure. Skips the compile when nothing
// changed (stamp in build/native). TESSERA_LLAMA_LIB_DIR overrides the library folder (e.g. a
// CUDA build made with `npx node-llama-cpp source build`).
import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const require = createRequire(join(root, 'package.json'));
const source = join(root, 'src/engines/llama/native/decoder.cc');
const outDir = join(root, 'build/native');
const output = join(outDir, 'tessera_llama.node');
const required = process.env.TESSERA_REQUIRE_NATIVE === '1';

function say(line) {
  console.log(`[native] ${line}`);
}

function giveUp(reason) {
  if (required) {
    console.error(`[native] ${reason}`);
    process.exit(1);
  }
  say(`${reason}\n[native] skipped: the llama engine will use node-llama-cpp's generation loop (slower with many streams).`);
  process.exit(0);
}

if (process.platform !== 'linux') giveUp(`no native build recipe for ${process.platform} yet`);

const nlcDir = findPackage(root, 'node-llama-cpp');
const libDir = process.env.TESSERA_LLAMA_LIB_DIR ?? findPrebuiltLibDir();
const libs = readdirSync(libDir).filter((f) => /^lib(llama|ggml|ggml-base)(\.v[\w.]+)?\.so$/.test(f));
if (!libs.some((f) => f.startsWith('libllama'))) giveUp(`no libllama*.so in ${libDir}`);

const nodeInclude = [join(dirname(process.execPath), '..', 'include', 'node'), '/usr/include/node', '/usr/local/include/node']
  .find((dir) => existsSync(join(dir, 'node_api.h')));
if (!nodeInclude) giveUp(`Node's headers (node_api.h) not found next to ${process.execPath}`);
const addonInclude = require('node-addon-api').include_dir;
const compiler = process.env.CXX ?? 'c++';

const bundle = join(nlcDir, 'llama', 'gitRelease.bundle');
const commit = git(['bundle', 'list-heads', bundle]).split(/\s+/)[0];
const llamaInclude = join(outDir, `llama-include-${commit.slice(0, 12)}`);

const flags = ['-O3', '-std=c++17', '-fPIC', '-shared', '-fexceptions', '-DNAPI_VERSION=8', '-DNAPI_CPP_EXCEPTIONS',
  `-I${nodeInclude}`, `-I${addonInclude}`, `-I${llamaInclude}`];
const link = [...libs.map((f) => join(libDir, f)), `-Wl,-rpath,${libDir}`, '-lpthread'];
const stampFile = join(outDir, 'stamp.json');
const stamp = JSON.stringify({
  source: createHash('sha256').update(readFileSync(source)).digest('hex'),
  commit, compiler, flags, link, node: process.version,
});
if (existsSync(output) && existsSync(join(outDir, 'manifest.json')) && existsSync(stampFile) && readFileSync(stampFile, 'utf8') === stamp) {
  say(`up to date: ${rel(output)}`);
  process.exit(0);
}

mkdirSync(outDir, { recursive: true });
if (!existsSync(join(llamaInclude, 'llama.h'))) extractHeaders();
say(`compiling ${rel(source)} against ${rel(libDir)} (llama.cpp ${commit.slice(0, 12)})`);
const started = Date.now();
try {
  execFileSync(compiler, [...flags, source, '-o', output, ...link], { stdio: ['ignore', 'inherit', 'inherit'] });
} catch (err) {
  rmSync(output, { force: true });
  giveUp(`compiling failed (${err.message.split('\n')[0]})`);
}
writeFileSync(stampFile, stamp);
writeFileSync(join(outDir, 'manifest.json'), JSON.stringify({ libDir, prebuiltCpu: process.env.TESSERA_LLAMA_LIB_DIR === undefined }, null, 2));
say(`built ${rel(output)} in ${((Date.now() - started) / 1000).toFixed(1)} s`);

/** llama.h and the ggml headers it includes, read from the source bundle at the shipped commit. */
function extractHeaders() {
  const repo = join(outDir, 'llama-src.git');
  rmSync(repo, { recursive: true, force: true });
  git(['init', '-q', '--bare', repo]);
  git(['--git-dir', repo, 'fetch', '-q', bundle, commit]);
  mkdirSync(llamaInclude, { recursive: true });
  const headers = ['include/llama.h', ...['ggml', 'ggml-cpu', 'ggml-backend', 'ggml-alloc', 'ggml-opt', 'gguf'].map((h) => `ggml/include/${h}.h`)];
  for (const header of headers) {
    writeFileSync(join(llamaInclude, header.split('/').pop()), git(['--git-dir', repo, 'show', `${commit}:${header}`]));
  }
  rmSync(repo, { recursive: true, force: true });
}

/** node-llama-cpp's prebuilt CPU binaries for this platform (the package it installed). */
function findPrebuiltLibDir() {
  const name = `${process.platform}-${process.arch}`;
  const pkgDir = findPackage(nlcDir, `@node-llama-cpp/${name}`);
  const dir = join(pkgDir, 'bins', name);
  if (!existsSync(dir)) giveUp(`no bins/${name} in @node-llama-cpp/${name}`);
  return dir;
}

/** The folder of package `name` as Node would find it from `from` (node_modules up the tree). */
function findPackage(from, name) {
  for (let dir = from; ; dir = dirname(dir)) {
    const candidate = join(dir, 'node_modules', name);
    if (existsSync(join(candidate, 'package.json'))) return candidate;
    if (dirname(dir) === dir) giveUp(`package ${name} is not installed (run npm install)`);
  }
}

function git(args) {
  try {
    return execFileSync('git', args, { encoding: 'utf8', maxBuffer: 64 * 1024 * 1024, stdio: ['ignore', 'pipe', 'pipe'] });
  } catch (err) {
    giveUp(`git ${args[0]} failed: ${err.message.split('\n')[0]}`);
  }
}

function rel(path) {
  return path.startsWith(root) ? path.slice(root.length + 1) : path;
}
