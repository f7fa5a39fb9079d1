/**
 * The compiled native decode loop (decoder.cc, built by scripts/build-native.mjs into
 * build/native/tessera_llama.node) and its typed surface. Optional: when it was not built (no C++
 * compiler, another platform) `loadNativeAddon` says why and the llama engine uses node-llama-cpp's
 * own generation loop.
 */
import { existsSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

/** Sampling as the native loop takes it (already validated and defaulted by sampling.ts). */
export interface NativeSampling {
  /** 0 = greedy. */
  temperature: number;
  /** 0 = off. */
  topK: number;
  /** 1 = off. */
  topP: number;
  seed: number;
  maxTokens: number;
  presencePenalty: number;
  frequencyPenalty: number;
  penaltyWindow: number;
  /** GBNF with a `root` rule, e.g. from node-llama-cpp's JSON-schema grammar. */
  grammar?: string;
}

/** Finish codes of decoder.cc's `Finish` enum. */
export const enum NativeFinish {
  None = 0,
  Stop = 1,
  Length = 2,
  Abort = 3,
  Error = 4,
}

/**
 * One event per request per decode step: [id, generated, nPast, finish, text, token, error?].
 * `generated` counts sampled tokens (the end-of-generation token included), `nPast` the tokens in
 * the sequence's KV cache, `text` only complete UTF-8 characters.
 */
export type NativeEvent = [id: number, generated: number, nPast: number, finish: NativeFinish, text: string, token: number, error?: string];

export interface NativeDecoderOptions {
  modelPath: string;
  sequences: number;
  /** Tokens per sequence (prompt + completion of one request). */
  contextSize: number;
  threads: number;
  batchSize: number;
  /** Layers offloaded to the accelerator; 0 on CPU. */
  gpuLayers: number;
  flashAttention: 'on' | 'off' | 'auto';
  /** One KV buffer for all sequences (faster attention with many streams). */
  unifiedKv: boolean;
}

export interface NativeDecoderInfo {
  contextSize: number;
  sequences: number;
  vocabulary: number;
  trainContextSize: number;
  /** Decode steps so far, and the decode thread's time: in llama_decode, sampling, and busy in all. */
  steps: number;
  decodeMs: number;
  sampleMs: number;
  busyMs: number;
  /** Decode steps that reused llama.cpp's previous compute graph. */
  graphsReused: number;
}

export interface NativeDecoderHandle {
  load(): Promise<NativeDecoderHandle>;
  submit(id: number, slot: number, prompt: Int32Array, reuse: number, sampling: NativeSampling): void;
  cancel(id: number): void;
  tokenize(text: string, addSpecial: boolean, parseSpecial: boolean): Int32Array;
  info(): NativeDecoderInfo;
  /** Stops the decode thread (running requests end with `abort` events) and frees the model. */
  close(): void;
  ref(): void;
  unref(): void;
}

export interface NativeAddon {
  Decoder: new (options: NativeDecoderOptions, onEvents: (events: NativeEvent[]) => void) => NativeDecoderHandle;
  /** llama.cpp's backend, once per process; true when a CPU device is registered. */
  initBackend(libDir?: string): boolean;
}

/** What scripts/build-native.mjs linked the addon against (build/native/manifest.json). */
export interface NativeBuildManifest {
  libDir: string;
  /** True when that is node-llama-cpp's prebuilt CPU binary folder. */
  prebuiltCpu: boolean;
}

export type NativeAddonLoad =
  | { ok: true; addon: NativeAddon; path: string; manifest: NativeBuildManifest }
  | { ok: false; reason: string };

let cached: NativeAddonLoad | undefined;

export function loadNativeAddon(): NativeAddonLoad {
  cached ??= tryLoad();
  return cached;
}

function tryLoad(): NativeAddonLoad {
  const root = packageRoot(dirname(fileURLToPath(import.meta.url)));
  if (!root) return { ok: false, reason: 'the package root was not found' };
  const path = join(root, 'build', 'native', 'tessera_llama.node');
  if (!existsSync(path)) return { ok: false, reason: `${path} was not built (npm run build:native)` };
  try {
    const addon = createRequire(import.meta.url)(path) as NativeAddon;
    const manifest = JSON.parse(readFileSync(join(dirname(path), 'manifest.json'), 'utf8')) as NativeBuildManifest;
    return { ok: true, addon, path, manifest };
  } catch (err) {
    return { ok: false, reason: `loading ${path} failed: ${err instanceof Error ? err.message : String(err)}` };
  }
}

function packageRoot(from: string): string | null {
  for (let dir = from; ; dir = dirname(dir)) {
    if (existsSync(join(dir, 'package.json')) && existsSync(join(dir, 'scripts', 'build-native.mjs'))) return dir;
    if (dirname(dir) === dir) return null;
  }
}
