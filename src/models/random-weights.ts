/**
 * Seeded random tensor data for generated test models. Each tensor gets its own stream derived
 * from (seed, tensor name), so a tensor's bytes do not depend on which tensors precede it.
 * Magnitudes are small (|w| ≈ 0.004–0.06, like a freshly initialised transformer) so activations
 * stay finite through RMS norms; the output is noise by design.
 */
import { TensorType } from './gguf/format.js';

const CHUNK_WORDS = 1 << 16; // 256 KiB of random data per chunk

/** sfc32: small, fast, good-quality 32-bit PRNG; state seeded by splitmix32. */
export function randomStream(seed: number, label: string): () => number {
  let h = seed >>> 0;
  for (let i = 0; i < label.length; i++) h = Math.imul(h ^ label.charCodeAt(i), 0x9e3779b1) >>> 0;
  const splitmix = (): number => {
    h = (h + 0x9e3779b9) >>> 0;
    let z = h;
    z = Math.imul(z ^ (z >>> 16), 0x85ebca6b) >>> 0;
    z = Math.imul(z ^ (z >>> 13), 0xc2b2ae35) >>> 0;
    return (z ^ (z >>> 16)) >>> 0;
  };
  let a = splitmix(), b = splitmix(), c = splitmix(), d = splitmix();
  return () => {
    const t = (((a + b) >>> 0) + d) >>> 0;
    d = (d + 1) >>> 0;
    a = b ^ (b >>> 9);
    b = (c + (c << 3)) >>> 0;
    c = ((c << 21) | (c >>> 11)) >>> 0;
    c = (c + t) >>> 0;
    return t;
  };
}

/** IEEE half-precision bits of a finite float (round to nearest; no NaN handling needed here). */
export function toF16Bits(value: number): number {
  const f32 = new Float32Array([value]);
  const bits = new Uint32Array(f32.buffer)[0];
  const sign = (bits >>> 16) & 0x8000;
  const exp = ((bits >>> 23) & 0xff) - 127 + 15;
  const mant = bits & 0x7fffff;
  if (exp <= 0) return sign | (Math.round((mant | 0x800000) / 2 ** (14 - exp)) & 0x3ff);
  if (exp >= 31) return sign | 0x7c00;
  return sign | (exp << 10) | Math.round(mant / 0x2000);
}

function* randomWords(next: () => number, words: number): Generator<Uint32Array> {
  const buf = new Uint32Array(Math.min(words, CHUNK_WORDS));
  for (let left = words; left > 0; left -= buf.length) {
    const n = Math.min(left, buf.length);
    for (let i = 0; i < n; i++) buf[i] = next();
    yield n === buf.length ? buf : buf.subarray(0, n);
  }
}

/** Random weight bytes of `elements` values in the given type. */
export function* randomTensorData(type: number, elements: number, next: () => number): Generator<Uint8Array> {
  switch (type) {
    case TensorType.F32: {
      const out = new Float32Array(Math.min(elements, CHUNK_WORDS));
      for (let left = elements; left > 0; left -= out.length) {
        const n = Math.min(left, out.length);
        for (let i = 0; i < n; i++) out[i] = (next() / 0x100000000 - 0.5) * 0.06;
        yield new Uint8Array(out.buffer, 0, n * 4);
      }
      return;
    }
    case TensorType.F16: {
      // Two halves per random word: random sign and mantissa, exponent 7..10 (magnitudes ≈ 0.004–0.06).
      const words = elements / 2;
      for (const chunk of randomWords(next, words)) {
        for (let i = 0; i < chunk.length; i++) {
          const r = chunk[i];
          const lo = (r & 0x83ff) | ((7 + ((r >>> 10) & 3)) << 10);
          const hi = ((r >>> 16) & 0x83ff) | ((7 + ((r >>> 26) & 3)) << 10);
          chunk[i] = (lo | (hi << 16)) >>> 0;
        }
        yield new Uint8Array(chunk.buffer, chunk.byteOffset, chunk.length * 4);
      }
      return;
    }
    case TensorType.Q8_0: {
      // Block: f16 scale then 32 int8 quants; value = scale × q.
      const scale = toF16Bits(0.03 / 127);
      const blocks = elements / 32;
      const perChunk = 4096;
      const out = Buffer.alloc(perChunk * 34);
      for (let left = blocks; left > 0; left -= perChunk) {
        const n = Math.min(left, perChunk);
        for (let b = 0; b < n; b++) {
          const base = b * 34;
          out.writeUInt16LE(scale, base);
          for (let w = 0; w < 8; w++) out.writeUInt32LE(next(), base + 2 + w * 4);
        }
        yield out.subarray(0, n * 34);
      }
      return;
    }
    default:
      throw new Error(`random data for ggml type ${type} is not implemented`);
  }
}

/** A constant F32 tensor (norm weights are 1.0). */
export function* constantF32(elements: number, value: number): Generator<Uint8Array> {
  const out = new Float32Array(elements).fill(value);
  yield new Uint8Array(out.buffer);
}
