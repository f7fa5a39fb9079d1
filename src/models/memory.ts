/**
 * How much memory a model needs to serve, as the llama engine's process measures it (resident
 * set): its weights, the KV cache for `parallel` sequences of `contextSize` tokens each, the compute
 * buffers one decode step touches, and the tokenizer. An estimate to decide what fits where before
 * loading; bench/serve/memory.ts compares it with what is measured (bench/RESULTS.md).
 */

export interface MemoryShape {
  weightBytes: number;
  layers: number;
  kvHeads: number;
  headDim: number;
  embedding: number;
  vocab: number;
  /** Feed-forward width; when unknown, Qwen2.5's ratio to the embedding (≈ 5.4) is assumed. */
  feedForward?: number;
}

export interface MemoryEstimate {
  weightBytes: number;
  kvCacheBytes: number;
  computeBytes: number;
  /** llama.cpp's vocabulary, held twice: by the decode loop and by the vocabulary-only model that renders prompts. */
  tokenizerBytes: number;
  totalBytes: number;
  /** KV cache bytes one more sequence of `contextSize` tokens would add. */
  perSequenceBytes: number;
}

export interface MemoryOptions {
  contextSize: number;
  parallel: number;
  /** Bytes per K/V element: 2 for f16 (llama.cpp's default), 1 for q8_0. */
  kvElementBytes?: number;
  /** Tokens per decode step (llama.cpp's n_ubatch, default 512). */
  ubatch?: number;
}

/**
 * Resident bytes per vocabulary entry for the two copies of llama.cpp's vocabulary (token text,
 * scores, the BPE merge table): measured on the Qwen2.5 vocabulary (151,936 entries), see
 * bench/RESULTS.md.
 */
const TOKENIZER_BYTES_PER_TOKEN = 768;

export function estimateMemory(shape: MemoryShape, options: MemoryOptions): MemoryEstimate {
  const kvElementBytes = options.kvElementBytes ?? 2;
  const ubatch = Math.min(options.ubatch ?? 512, options.contextSize * options.parallel);
  // llama.cpp pads the cell count to a multiple of 256.
  const cells = Math.ceil((options.contextSize * options.parallel) / 256) * 256;
  const kvPerCell = 2 * shape.layers * shape.kvHeads * shape.headDim * kvElementBytes;
  const kvCacheBytes = cells * kvPerCell;
  // One step's activations (f32): hidden states and the feed-forward's three projections for a
  // full batch, and one row of logits per sequence (the engines ask for the last token's only).
  // llama.cpp reserves logits for a whole batch, but pages never written are not resident; on an
  // accelerator that reserve (ubatch × vocab × 4 bytes) is real and comes on top.
  const feedForward = shape.feedForward ?? Math.round(shape.embedding * 5.43);
  const computeBytes = ubatch * 4 * (3 * feedForward + 8 * shape.embedding) + Math.min(options.parallel, ubatch) * 4 * shape.vocab;
  const tokenizerBytes = shape.vocab * TOKENIZER_BYTES_PER_TOKEN;
  return {
    weightBytes: shape.weightBytes,
    kvCacheBytes,
    computeBytes,
    tokenizerBytes,
    totalBytes: shape.weightBytes + kvCacheBytes + computeBytes + tokenizerBytes,
    perSequenceBytes: options.contextSize * kvPerCell,
  };
}

export function formatBytes(bytes: number): string {
  const units = ['B', 'KiB', 'MiB', 'GiB', 'TiB'];
  let value = bytes;
  let unit = 0;
  while (value >= 1024 && unit < units.length - 1) {
    value /= 1024;
    unit++;
  }
  return `${value.toFixed(unit === 0 ? 0 : value < 10 ? 2 : 1)} ${units[unit]}`;
}

/** Sequences per model on a CPU: beyond this, aggregate decode speed grows little (bench/serve). */
export const CPU_MAX_PARALLEL = 16;

export interface ParallelChoice {
  parallel: number;
  estimate: MemoryEstimate;
  /** Why this number, for logs and the console. */
  reason: string;
}

/**
 * How many sequences to decode together when the operator did not say: as many `contextSize`-token
 * sequences as 90 % of the free memory holds after the weights and compute buffers, at most
 * `maxParallel`, at least 1. `requested` (the operator's override) wins when given.
 */
export function chooseParallel(
  shape: MemoryShape,
  options: { contextSize: number; freeBytes: number; maxParallel?: number; requested?: number },
): ParallelChoice {
  const single = estimateMemory(shape, { contextSize: options.contextSize, parallel: 1 });
  if (options.requested !== undefined) {
    return { parallel: options.requested, estimate: estimateMemory(shape, { contextSize: options.contextSize, parallel: options.requested }), reason: 'configured' };
  }
  const cap = options.maxParallel ?? CPU_MAX_PARALLEL;
  const room = options.freeBytes * 0.9 - (single.totalBytes - single.kvCacheBytes);
  const byMemory = Math.floor(room / single.perSequenceBytes);
  const parallel = Math.max(1, Math.min(cap, byMemory));
  const reason =
    byMemory >= cap
      ? `${parallel} (the cap; free memory would hold ${byMemory} sequences of ${options.contextSize} tokens)`
      : `${parallel} (${formatBytes(options.freeBytes)} free holds ${Math.max(byMemory, 0)} sequences of ${options.contextSize} tokens${byMemory < 1 ? '; the model may not fit' : ''})`;
  return { parallel, estimate: estimateMemory(shape, { contextSize: options.contextSize, parallel }), reason };
}
