/**
 * What `tessera models inspect` shows about a GGUF: architecture, size, quantisation, context
 * length, the dimensions the memory estimate needs, and whether it is a generated test model.
 */
import { stat } from 'node:fs/promises';
import { TesseraError } from '../core/errors.js';
import { FILE_TYPES, tensorBytes } from './gguf/format.js';
import { readGgufHeader, type GgufMetaValue } from './gguf/reader.js';

export interface ModelInfo {
  path: string;
  fileBytes: number;
  /** Bytes of tensor data (what is loaded into memory). */
  weightBytes: number;
  name: string | null;
  architecture: string;
  parameters: number;
  /** `general.file_type` when present, else the most common tensor type by bytes. */
  quantization: string;
  contextLength: number | null;
  embedding: number | null;
  feedForward: number | null;
  layers: number | null;
  heads: number | null;
  kvHeads: number | null;
  headDim: number | null;
  vocab: number | null;
  hasChatTemplate: boolean;
  randomWeights: boolean;
  tensorCount: number;
}

export async function inspectGguf(path: string): Promise<ModelInfo> {
  const [header, { size }] = await Promise.all([readGgufHeader(path), stat(path)]);
  const meta = header.metadata;
  const architecture = meta.get('general.architecture');
  if (typeof architecture !== 'string') throw new TesseraError('invalid_gguf', `${path} has no general.architecture.`);
  const num = (key: string): number | null => {
    const v: GgufMetaValue | undefined = meta.get(`${architecture}.${key}`);
    return typeof v === 'number' ? v : typeof v === 'bigint' ? Number(v) : null;
  };

  let parameters = 0;
  let weightBytes = 0;
  const bytesByType = new Map<string, number>();
  for (const t of header.tensors) {
    const bytes = tensorBytes(t.type, t.dims);
    parameters += t.dims.reduce((a, b) => a * b, 1);
    weightBytes += bytes;
    bytesByType.set(t.typeName, (bytesByType.get(t.typeName) ?? 0) + bytes);
  }
  const end = header.tensors.reduce((max, t) => Math.max(max, header.dataOffset + t.offset + tensorBytes(t.type, t.dims)), header.dataOffset);
  if (end > size) throw new TesseraError('invalid_gguf', `${path} is truncated: its tensors need ${end} bytes, the file has ${size}.`);

  const fileType = meta.get('general.file_type');
  const dominant = [...bytesByType.entries()].sort((x, y) => y[1] - x[1])[0]?.[0] ?? 'unknown';
  const heads = num('attention.head_count');
  const embedding = num('embedding_length');
  const tokens = meta.get('tokenizer.ggml.tokens');
  const name = meta.get('general.name');
  return {
    path,
    fileBytes: size,
    weightBytes,
    name: typeof name === 'string' ? name : null,
    architecture,
    parameters,
    quantization: typeof fileType === 'number' ? (FILE_TYPES[fileType] ?? `file type ${fileType}`) : dominant,
    contextLength: num('context_length'),
    embedding,
    feedForward: num('feed_forward_length'),
    layers: num('block_count'),
    heads,
    kvHeads: num('attention.head_count_kv') ?? heads,
    headDim: num('attention.key_length') ?? (heads && embedding ? embedding / heads : null),
    vocab: typeof tokens === 'object' && tokens !== null && 'length' in tokens ? tokens.length : null,
    hasChatTemplate: typeof meta.get('tokenizer.chat_template') === 'string',
    randomWeights: meta.get('tessera.random_weights') === true,
    tensorCount: header.tensors.length,
  };
}
