import assert from 'node:assert/strict';
import { mkdtemp, readFile, rm, truncate, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { TensorType } from './gguf/format.js';
import { readGgufHeader } from './gguf/reader.js';
import { gguf, writeGguf } from './gguf/writer.js';

describe('GGUF writer and reader', () => {
  let dir: string;
  before(async () => { dir = await mkdtemp(join(tmpdir(), 'tessera-gguf-')); });
  after(() => rm(dir, { recursive: true, force: true }));

  it('round-trips metadata of every written type and places tensors at aligned offsets', async () => {
    const path = join(dir, 'roundtrip.gguf');
    const longArray = Array.from({ length: 1000 }, (_, i) => `tok${i}`);
    await writeGguf(path, [
      ['general.architecture', gguf.str('qwen2')],
      ['a.count', gguf.u32(7)],
      ['a.eps', gguf.f32(0.5)],
      ['a.flag', gguf.bool(true)],
      ['a.short', gguf.i32s([1, -2, 3])],
      ['a.long', gguf.strings(longArray)],
    ], [
      { name: 'x', dims: [3], type: TensorType.F32, data: () => [new Uint8Array(12)] },
      { name: 'y', dims: [32, 2], type: TensorType.Q8_0, data: () => [new Uint8Array(68)] },
    ]);
    const header = await readGgufHeader(path);
    assert.equal(header.version, 3);
    assert.equal(header.metadata.get('general.architecture'), 'qwen2');
    assert.equal(header.metadata.get('a.count'), 7);
    assert.equal(header.metadata.get('a.eps'), 0.5);
    assert.equal(header.metadata.get('a.flag'), true);
    assert.deepEqual(header.metadata.get('a.short'), { arrayOf: 5, length: 3, values: [1, -2, 3] });
    assert.deepEqual(header.metadata.get('a.long'), { arrayOf: 8, length: 1000 });
    assert.deepEqual(header.tensors.map((t) => [t.name, t.typeName, t.dims, t.offset]), [
      ['x', 'F32', [3], 0],
      ['y', 'Q8_0', [32, 2], 32], // 12 bytes padded to the 32-byte alignment
    ]);
    assert.equal(header.dataOffset % 32, 0);
    const file = await readFile(path);
    assert.equal(file.length, header.dataOffset + 32 + 96, "every tensor, the last too, is padded to the alignment");
  });

  it('refuses a tensor generator that yields the wrong number of bytes', async () => {
    await assert.rejects(
      writeGguf(join(dir, 'short.gguf'), [], [{ name: 'x', dims: [4], type: TensorType.F32, data: () => [new Uint8Array(8)] }]),
      /produced 8 bytes, expected 16/,
    );
  });

  it('reports files that are not GGUF or end inside the header as invalid_gguf', async () => {
    const text = join(dir, 'notes.gguf');
    await writeFile(text, 'this is not a model');
    await assert.rejects(readGgufHeader(text), { code: 'invalid_gguf', message: /magic/ });

    const cut = join(dir, 'cut.gguf');
    await writeGguf(cut, [['general.architecture', gguf.str('qwen2')], ['a.long', gguf.strings(['x'.repeat(100)])]], []);
    await truncate(cut, 40);
    await assert.rejects(readGgufHeader(cut), { code: 'invalid_gguf', message: /ends inside/ });

    await assert.rejects(readGgufHeader(join(dir, 'missing.gguf')), { code: 'invalid_gguf', message: /no such file/ });
  });
});
