/**
 * Reads a GGUF file's header (metadata and tensor infos) without touching the tensor data.
 * Real models carry ~150k-entry token and merge arrays in the header; long arrays are kept as
 * their length and element type only, so inspecting a 40 GB model costs a few MB of reads.
 */
import { open } from 'node:fs/promises';
import { TesseraError } from '../../core/errors.js';
import { alignUp, DEFAULT_ALIGNMENT, GGUF_MAGIC, TENSOR_TYPES, ValueType, VALUE_WIDTH } from './format.js';

/** Arrays longer than this are summarised rather than kept. */
const KEEP_ARRAY_MAX = 64;
const MAX_HEADER_BYTES = 512 * 1024 * 1024;

export type GgufArraySummary = { arrayOf: ValueType; length: number; values?: unknown[] };
export type GgufMetaValue = number | bigint | boolean | string | GgufArraySummary;

export interface GgufTensorInfo {
  name: string;
  dims: number[];
  type: number;
  typeName: string;
  offset: number;
}

export interface GgufHeader {
  version: number;
  metadata: Map<string, GgufMetaValue>;
  tensors: GgufTensorInfo[];
  alignment: number;
  /** Absolute file offset where tensor data begins. */
  dataOffset: number;
}

class NeedMore extends Error {}

class Cursor {
  pos = 0;
  constructor(private readonly buf: Buffer, private readonly complete: boolean) {}

  private need(n: number): void {
    if (this.pos + n > this.buf.length) {
      if (this.complete) throw new TesseraError('invalid_gguf', 'The file ends inside its GGUF header.');
      throw new NeedMore();
    }
  }
  u8(): number { this.need(1); return this.buf.readUInt8(this.pos++); }
  u32(): number { this.need(4); const v = this.buf.readUInt32LE(this.pos); this.pos += 4; return v; }
  u64(): number {
    this.need(8);
    const v = this.buf.readBigUInt64LE(this.pos);
    this.pos += 8;
    if (v > BigInt(Number.MAX_SAFE_INTEGER)) throw new TesseraError('invalid_gguf', `A GGUF length or offset is implausibly large (${v}).`);
    return Number(v);
  }
  string(): string {
    const len = this.u64();
    this.need(len);
    const s = this.buf.toString('utf8', this.pos, this.pos + len);
    this.pos += len;
    return s;
  }
  skip(n: number): void { this.need(n); this.pos += n; }
  scalar(type: ValueType): number | bigint | boolean | string {
    switch (type) {
      case ValueType.UINT8: return this.u8();
      case ValueType.INT8: this.need(1); return this.buf.readInt8(this.pos++);
      case ValueType.UINT16: this.need(2); this.pos += 2; return this.buf.readUInt16LE(this.pos - 2);
      case ValueType.INT16: this.need(2); this.pos += 2; return this.buf.readInt16LE(this.pos - 2);
      case ValueType.UINT32: return this.u32();
      case ValueType.INT32: this.need(4); this.pos += 4; return this.buf.readInt32LE(this.pos - 4);
      case ValueType.FLOAT32: this.need(4); this.pos += 4; return this.buf.readFloatLE(this.pos - 4);
      case ValueType.BOOL: return this.u8() !== 0;
      case ValueType.STRING: return this.string();
      case ValueType.UINT64: this.need(8); this.pos += 8; return this.buf.readBigUInt64LE(this.pos - 8);
      case ValueType.INT64: this.need(8); this.pos += 8; return this.buf.readBigInt64LE(this.pos - 8);
      case ValueType.FLOAT64: this.need(8); this.pos += 8; return this.buf.readDoubleLE(this.pos - 8);
      default: throw new TesseraError('invalid_gguf', `Unknown GGUF value type ${type as number}.`);
    }
  }
  value(type: ValueType): GgufMetaValue {
    if (type !== ValueType.ARRAY) return this.scalar(type);
    const arrayOf = this.u32() as ValueType;
    const length = this.u64();
    if (length <= KEEP_ARRAY_MAX) {
      const values: unknown[] = [];
      for (let i = 0; i < length; i++) values.push(this.value(arrayOf));
      return { arrayOf, length, values };
    }
    const width = VALUE_WIDTH[arrayOf];
    if (width !== undefined) this.skip(width * length);
    else for (let i = 0; i < length; i++) this.value(arrayOf);
    return { arrayOf, length };
  }
}

function parse(buf: Buffer, complete: boolean): GgufHeader {
  const c = new Cursor(buf, complete);
  if (buf.length >= 4 && buf.readUInt32LE(0) !== GGUF_MAGIC) throw new TesseraError('invalid_gguf', 'The file does not start with the GGUF magic bytes.');
  c.u32();
  const version = c.u32();
  if (version < 2 || version > 3) throw new TesseraError('invalid_gguf', `GGUF version ${version} is not supported (2 and 3 are).`);
  const tensorCount = c.u64();
  const kvCount = c.u64();
  const metadata = new Map<string, GgufMetaValue>();
  for (let i = 0; i < kvCount; i++) {
    const key = c.string();
    metadata.set(key, c.value(c.u32() as ValueType));
  }
  const tensors: GgufTensorInfo[] = [];
  for (let i = 0; i < tensorCount; i++) {
    const name = c.string();
    const nDims = c.u32();
    if (nDims > 4) throw new TesseraError('invalid_gguf', `Tensor ${name} has ${nDims} dimensions (at most 4 are allowed).`);
    const dims: number[] = [];
    for (let d = 0; d < nDims; d++) dims.push(c.u64());
    const type = c.u32();
    const traits = TENSOR_TYPES[type];
    tensors.push({ name, dims, type, typeName: traits?.name ?? `type${type}`, offset: c.u64() });
  }
  const alignment = typeof metadata.get('general.alignment') === 'number' ? (metadata.get('general.alignment') as number) : DEFAULT_ALIGNMENT;
  return { version, metadata, tensors, alignment, dataOffset: alignUp(c.pos, alignment) };
}

export async function readGgufHeader(path: string): Promise<GgufHeader> {
  const file = await open(path, 'r').catch((err: NodeJS.ErrnoException) => {
    throw new TesseraError('invalid_gguf', `Cannot open ${path}: ${err.code === 'ENOENT' ? 'no such file' : err.message}`);
  });
  try {
    const { size } = await file.stat();
    let want = Math.min(size, 1 << 20);
    for (;;) {
      const buf = Buffer.alloc(want);
      const { bytesRead } = await file.read(buf, 0, want, 0);
      try {
        return parse(buf.subarray(0, bytesRead), bytesRead >= size);
      } catch (err) {
        if (!(err instanceof NeedMore)) throw err;
        if (want >= MAX_HEADER_BYTES) throw new TesseraError('invalid_gguf', 'The GGUF header is larger than 512 MiB.');
        want = Math.min(size, want * 4);
      }
    }
  } finally {
    await file.close();
  }
}
