/**
 * Known open-weight models and where their GGUF files live. Sizes are estimates from the
 * parameter count and the quantisation's bits per weight (the publisher's file differs by a few
 * percent); `pull` reports the real size from the server. A catalog entry names the shape, so
 * memory can be estimated before anything is downloaded.
 *
 * Files: Qwen2.5 from bartowski's single-file GGUF conversions (Qwen's own repositories split the
 * 7B and larger files into parts), Qwen3 from Qwen's own GGUF repositories.
 */
import { parameterCount, QWEN_SHAPES, type QwenShapeName } from './shapes.js';

export type CatalogQuant = 'q4_k_m' | 'q8_0' | 'f16';

export interface CatalogEntry {
  /** The name users type and the installed file's stem, e.g. `qwen2.5-0.5b-instruct-q4_k_m`. */
  name: string;
  family: 'qwen2.5' | 'qwen3';
  shape: QwenShapeName;
  quant: CatalogQuant;
  url: string;
  parameters: number;
  approxBytes: number;
  /** Known digest of the file; `pull` verifies it when present (or when given one). */
  sha256?: string;
}

/** Average bits per weight of each quantisation as llama.cpp writes it. */
const BITS_PER_WEIGHT: Record<CatalogQuant, number> = { q4_k_m: 4.85, q8_0: 8.5, f16: 16 };

const QUANT_FILE_SUFFIX: Record<CatalogQuant, string> = { q4_k_m: 'Q4_K_M', q8_0: 'Q8_0', f16: 'f16' };

const HF = 'https://huggingface.co';

function entry(shape: QwenShapeName, quant: CatalogQuant): CatalogEntry {
  const [family, size] = shape.split('-') as ['qwen2.5' | 'qwen3', string];
  const parameters = parameterCount(QWEN_SHAPES[shape]);
  const sizeLabel = size.toUpperCase();
  const url = family === 'qwen2.5'
    ? `${HF}/bartowski/Qwen2.5-${sizeLabel}-Instruct-GGUF/resolve/main/Qwen2.5-${sizeLabel}-Instruct-${QUANT_FILE_SUFFIX[quant]}.gguf`
    : `${HF}/Qwen/Qwen3-${sizeLabel}-GGUF/resolve/main/Qwen3-${sizeLabel}-${QUANT_FILE_SUFFIX[quant]}.gguf`;
  return {
    name: family === 'qwen2.5' ? `${shape}-instruct-${quant}` : `${shape}-${quant}`,
    family,
    shape,
    quant,
    url,
    parameters,
    approxBytes: Math.round((parameters * BITS_PER_WEIGHT[quant]) / 8),
  };
}

export const CATALOG: readonly CatalogEntry[] = Object.freeze([
  entry('qwen2.5-0.5b', 'q4_k_m'), entry('qwen2.5-0.5b', 'q8_0'), entry('qwen2.5-0.5b', 'f16'),
  entry('qwen2.5-1.5b', 'q4_k_m'), entry('qwen2.5-1.5b', 'q8_0'), entry('qwen2.5-1.5b', 'f16'),
  entry('qwen2.5-3b', 'q4_k_m'), entry('qwen2.5-3b', 'q8_0'),
  entry('qwen2.5-7b', 'q4_k_m'), entry('qwen2.5-7b', 'q8_0'),
  entry('qwen2.5-14b', 'q4_k_m'), entry('qwen2.5-14b', 'q8_0'),
  entry('qwen2.5-32b', 'q4_k_m'),
  entry('qwen2.5-72b', 'q4_k_m'),
  // Qwen publishes the 0.6B in Q8_0 only.
  entry('qwen3-0.6b', 'q8_0'),
  entry('qwen3-1.7b', 'q8_0'),
  entry('qwen3-4b', 'q4_k_m'), entry('qwen3-4b', 'q8_0'),
  entry('qwen3-8b', 'q4_k_m'), entry('qwen3-8b', 'q8_0'),
  entry('qwen3-14b', 'q4_k_m'),
  entry('qwen3-32b', 'q4_k_m'),
].map((e) => Object.freeze(e)));

const DEFAULT_MODEL = 'qwen2.5-0.5b-instruct-q4_k_m';

/** The model a fresh install serves: the smallest Qwen instruct model, 4-bit. */
export function defaultCatalogEntry(): CatalogEntry {
  return CATALOG.find((e) => e.name === DEFAULT_MODEL)!;
}

/**
 * A catalog entry by exact name, or by name without the quantisation (`qwen2.5-7b-instruct`,
 * `qwen3-8b`), which picks the smallest file. Case-insensitive.
 */
export function resolveCatalogEntry(name: string): CatalogEntry | undefined {
  const wanted = name.toLowerCase();
  const exact = CATALOG.find((e) => e.name === wanted);
  if (exact) return exact;
  return CATALOG.filter((e) => e.name.startsWith(`${wanted}-`) && e.name.slice(wanted.length + 1) === e.quant)
    .sort((a, b) => a.approxBytes - b.approxBytes)[0];
}
