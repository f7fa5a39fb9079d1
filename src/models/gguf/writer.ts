/**
 * Streams a GGUF file: metadata and tensor infos first, then each tensor's bytes at the offsets
 * the header promised (the running sum of padded sizes, in tensor-info order — llama.cpp checks).
 * Tensor data comes from generators, so a 500 MB model is written in small chunks.
 */
import { open } from 'node:fs/promises';
import { alignUp, DEFAULT_ALIGNMENT, GGUF_MAGIC, GGUF_VERSION, tensorBytes, ValueType } from './format.js';

export type GgufValue =
  | { type: ValueType.UINT32 | ValueType.INT32 | ValueType.FLOAT32 | ValueType.UINT64; value: number }
  | { type: ValueType.BOOL; value: boolean }
  | { type: ValueType.STRING; value: string }
  | { type: ValueType.ARRAY; itemType: ValueType.STRING; value: readonly string[] }
  | { type: ValueType.ARRAY; itemType: ValueType.INT32 | ValueType.FLOAT32; value: readonly number[] };

export const gguf = {
  u32: (value: number): GgufValue => ({ type: ValueType.UINT32, value }),
  f32: (value: number): GgufValue => ({ type: ValueType.FLOAT32, value }),
  bool: (value: boolean): GgufValue => ({ type: ValueType.BOOL, value }),
  str: (value: string): GgufValue => ({ type: ValueType.STRING, value }),
  strings: (value: readonly string[]): GgufValue => ({ type: ValueType.ARRAY, itemType: ValueType.STRING, value }),
  i32s: (value: readonly number[]): GgufValue => ({ type: ValueType.ARRAY, itemType: ValueType.INT32, value }),
  f32s: (value: readonly number[]): GgufValue => ({ type: ValueType.ARRAY, itemType: ValueType.FLOAT32, value }),
};

export interface TensorSpec {
  name: string;
  /** dims[0] is the contiguous row, as in ggml. */
  dims: number[];
  type: number;
  /** Yields exactly tensorBytes(type, dims) bytes in total. */
  data(): Iterable<Uint8Array>;
}

export interface WriteProgress {
  tensor: string;
  tensorsWritten: number;
  tensors: number;
  bytesWritten: number;
  totalBytes: number;
}

/** Growable little-endian byte builder for the header. */
class HeaderBuilder {
  private buf = Buffer.alloc(1 << 16);
  length = 0;

  private reserve(n: number): void {
    if (this.length + n <= this.buf.length) return;
    const next = Buffer.alloc(Math.max(this.buf.length * 2, this.length + n));
    this.buf.copy(next, 0, 0, this.length);
    this.buf = next;
  }
  u8(v: number): void { this.reserve(1); this.buf.writeUInt8(v, this.length); this.length += 1; }
  u32(v: number): void { this.reserve(4); this.buf.writeUInt32LE(v, this.length); this.length += 4; }
  i32(v: number): void { this.reserve(4); this.buf.writeInt32LE(v, this.length); this.length += 4; }
  f32(v: number): void { this.reserve(4); this.buf.writeFloatLE(v, this.length); this.length += 4; }
  u64(v: number): void { this.reserve(8); this.buf.writeBigUInt64LE(BigInt(v), this.length); this.length += 8; }
  string(s: string): void {
    const bytes = Buffer.from(s, 'utf8');
    this.u64(bytes.length);
    this.reserve(bytes.length);
    bytes.copy(this.buf, this.length);
    this.length += bytes.length;
  }
  pad(alignment: number): void {
    const target = alignUp(this.length, alignment);
    this.reserve(target - this.length);
    this.buf.fill(0, this.length, target);
    this.length = target;
  }
  bytes(): Buffer { return this.buf.subarray(0, this.length); }
}

function writeValue(h: HeaderBuilder, v: GgufValue): void {
  h.u32(v.type);
  switch (v.type) {
    case ValueType.UINT32: h.u32(v.value); break;
    case ValueType.INT32: h.i32(v.value); break;
    case ValueType.FLOAT32: h.f32(v.value); break;
    case ValueType.UINT64: h.u64(v.value); break;
    case ValueType.BOOL: h.u8(v.value ? 1 : 0); break;
    case ValueType.STRING: h.string(v.value); break;
    case ValueType.ARRAY:
      h.u32(v.itemType);
      h.u64(v.value.length);
      if (v.itemType === ValueType.STRING) for (const s of v.value) h.string(s);
      else if (v.itemType === ValueType.INT32) for (const n of v.value) h.i32(n);
      else for (const n of v.value) h.f32(n);
      break;
  }
}

export async function writeGguf(
  path: string,
  metadata: ReadonlyArray<readonly [string, GgufValue]>,
  tensors: readonly TensorSpec[],
  onProgress?: (p: WriteProgress) => void,
  alignment = DEFAULT_ALIGNMENT,
): Promise<{ bytes: number }> {
  const h = new HeaderBuilder();
  h.u32(GGUF_MAGIC);
  h.u32(GGUF_VERSION);
  h.u64(tensors.length);
  h.u64(metadata.length + (alignment === DEFAULT_ALIGNMENT ? 0 : 1));
  for (const [key, value] of metadata) {
    h.string(key);
    writeValue(h, value);
  }
  if (alignment !== DEFAULT_ALIGNMENT) {
    h.string('general.alignment');
    writeValue(h, gguf.u32(alignment));
  }
  const sizes = tensors.map((t) => tensorBytes(t.type, t.dims));
  let offset = 0;
  tensors.forEach((t, i) => {
    h.string(t.name);
    h.u32(t.dims.length);
    for (const d of t.dims) h.u64(d);
    h.u32(t.type);
    h.u64(offset);
    offset += alignUp(sizes[i], alignment);
  });
  h.pad(alignment);
  const totalBytes = h.length + offset;

  const file = await open(path, 'w');
  try {
    let position = 0;
    const put = async (chunk: Uint8Array): Promise<void> => {
      await file.write(chunk, 0, chunk.length, position);
      position += chunk.length;
    };
    await put(h.bytes());
    for (const [i, t] of tensors.entries()) {
      const start = position;
      for (const chunk of t.data()) await put(chunk);
      if (position - start !== sizes[i]) {
        throw new Error(`tensor ${t.name} produced ${position - start} bytes, expected ${sizes[i]}`);
      }
      const padding = alignUp(sizes[i], alignment) - sizes[i];
      if (padding > 0) await put(new Uint8Array(padding));
      onProgress?.({ tensor: t.name, tensorsWritten: i + 1, tensors: tensors.length, bytesWritten: position, totalBytes });
    }
    return { bytes: position };
  } finally {
    await file.close();
  }
}
