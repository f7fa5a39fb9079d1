/**
 * How much memory a model needs to serve: its weights, the KV cache for `parallel` sequences of
 * `contextSize` tokens each (node-llama-cpp gives every sequence its own cells), and llama.cpp's
 * compute buffers for one batch. An estimate to decide what fits where before loading;
 * bench/serve compares it with what is measured.
 */

export interface MemoryShape {
  weightBytes: number;
  layers: number;
  kvHeads: number;
  headDim: number;
  embedding: number;
  vocab: number;
}

export interface MemoryEstimate {
  weightBytes: number;
  kvCacheBytes: number;
  computeBytes: number;
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

export function estimateMemory(shape: MemoryShape, options: MemoryOptions): MemoryEstimate {
  const kvElementBytes = options.kvElementBytes ?? 2;
  const ubatch = Math.min(options.ubatch ?? 512, options.contextSize * options.parallel);
  // llama.cpp pads the cell count to a multiple of 256.
  const cells = Math.ceil((options.contextSize * options.parallel) / 256) * 256;
  const kvPerCell = 2 * shape.layers * shape.kvHeads * shape.headDim * kvElementBytes;
  const kvCacheBytes = cells * kvPerCell;
  // One batch of activations (f32): logits for the outputs plus a few hidden-state buffers.
  const computeBytes = ubatch * 4 * (shape.vocab + 8 * shape.embedding);
  return {
    weightBytes: shape.weightBytes,
    kvCacheBytes,
    computeBytes,
    totalBytes: shape.weightBytes + kvCacheBytes + computeBytes,
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
