/**
 * Transformer shapes of the Qwen family (from each model's config.json), used to generate test
 * models with real dimensions and to estimate memory for catalog models before downloading them.
 */

export interface ModelShape {
  architecture: 'qwen2' | 'qwen3';
  layers: number;
  embedding: number;
  heads: number;
  kvHeads: number;
  /** Per-head width; embedding / heads unless the model says otherwise (Qwen3: 128). */
  headDim: number;
  feedForward: number;
  vocab: number;
  /** Tokens before the special tokens (Qwen2.5: 151,643); rows after the specials are padding. */
  regularTokens: number;
  tiedEmbeddings: boolean;
  contextLength: number;
  ropeFreqBase: number;
  rmsEpsilon: number;
}

const qwen25 = (s: Pick<ModelShape, 'layers' | 'embedding' | 'heads' | 'kvHeads' | 'feedForward' | 'vocab' | 'tiedEmbeddings'>): ModelShape => ({
  architecture: 'qwen2',
  headDim: s.embedding / s.heads,
  regularTokens: 151_643,
  contextLength: 32_768,
  ropeFreqBase: 1_000_000,
  rmsEpsilon: 1e-6,
  ...s,
});

const qwen3 = (s: Pick<ModelShape, 'layers' | 'embedding' | 'heads' | 'kvHeads' | 'feedForward' | 'tiedEmbeddings'>): ModelShape => ({
  architecture: 'qwen3',
  headDim: 128,
  vocab: 151_936,
  regularTokens: 151_643,
  contextLength: 40_960,
  ropeFreqBase: 1_000_000,
  rmsEpsilon: 1e-6,
  ...s,
});

export const QWEN_SHAPES = {
  'qwen2.5-0.5b': qwen25({ layers: 24, embedding: 896, heads: 14, kvHeads: 2, feedForward: 4864, vocab: 151_936, tiedEmbeddings: true }),
  'qwen2.5-1.5b': qwen25({ layers: 28, embedding: 1536, heads: 12, kvHeads: 2, feedForward: 8960, vocab: 151_936, tiedEmbeddings: true }),
  'qwen2.5-3b': qwen25({ layers: 36, embedding: 2048, heads: 16, kvHeads: 2, feedForward: 11_008, vocab: 151_936, tiedEmbeddings: true }),
  'qwen2.5-7b': qwen25({ layers: 28, embedding: 3584, heads: 28, kvHeads: 4, feedForward: 18_944, vocab: 152_064, tiedEmbeddings: false }),
  'qwen2.5-14b': qwen25({ layers: 48, embedding: 5120, heads: 40, kvHeads: 8, feedForward: 13_824, vocab: 152_064, tiedEmbeddings: false }),
  'qwen2.5-32b': qwen25({ layers: 64, embedding: 5120, heads: 40, kvHeads: 8, feedForward: 27_648, vocab: 152_064, tiedEmbeddings: false }),
  'qwen2.5-72b': qwen25({ layers: 80, embedding: 8192, heads: 64, kvHeads: 8, feedForward: 29_568, vocab: 152_064, tiedEmbeddings: false }),
  'qwen3-0.6b': qwen3({ layers: 28, embedding: 1024, heads: 16, kvHeads: 8, feedForward: 3072, tiedEmbeddings: true }),
  'qwen3-1.7b': qwen3({ layers: 28, embedding: 2048, heads: 16, kvHeads: 8, feedForward: 6144, tiedEmbeddings: true }),
  'qwen3-4b': qwen3({ layers: 36, embedding: 2560, heads: 32, kvHeads: 8, feedForward: 9728, tiedEmbeddings: true }),
  'qwen3-8b': qwen3({ layers: 36, embedding: 4096, heads: 32, kvHeads: 8, feedForward: 12_288, tiedEmbeddings: false }),
  'qwen3-14b': qwen3({ layers: 40, embedding: 5120, heads: 40, kvHeads: 8, feedForward: 17_408, tiedEmbeddings: false }),
  'qwen3-32b': qwen3({ layers: 64, embedding: 5120, heads: 64, kvHeads: 8, feedForward: 25_600, tiedEmbeddings: false }),
} satisfies Record<string, ModelShape>;

export type QwenShapeName = keyof typeof QWEN_SHAPES;

/** Parameters of a shape, counted the way the GGUF's tensors hold them. */
export function parameterCount(s: ModelShape): number {
  const q = s.heads * s.headDim;
  const kv = s.kvHeads * s.headDim;
  // Qwen2 has q/k/v biases; Qwen3 has none but normalises q and k per head.
  const biases = s.architecture === 'qwen2' ? q + 2 * kv : 0;
  const attention = s.embedding * q + 2 * s.embedding * kv + q * s.embedding + biases;
  const qkNorm = s.architecture === 'qwen3' ? 2 * s.headDim : 0;
  const ffn = 3 * s.embedding * s.feedForward;
  const layer = attention + ffn + 2 * s.embedding + qkNorm;
  const embeddings = s.vocab * s.embedding * (s.tiedEmbeddings ? 1 : 2);
  return s.layers * layer + embeddings + s.embedding;
}
