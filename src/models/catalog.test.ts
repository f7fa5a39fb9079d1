import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { CATALOG, defaultCatalogEntry, resolveCatalogEntry } from './catalog.js';

describe('catalog', () => {
  it('lists Qwen2.5 instruct from 0.5B to 72B and Qwen3, each with a GGUF URL and size', () => {
    const shapes = new Set(CATALOG.map((e) => e.shape));
    for (const s of ['qwen2.5-0.5b', 'qwen2.5-1.5b', 'qwen2.5-3b', 'qwen2.5-7b', 'qwen2.5-14b', 'qwen2.5-32b', 'qwen2.5-72b', 'qwen3-8b']) {
      assert.ok(shapes.has(s as never), `${s} is in the catalog`);
    }
    for (const e of CATALOG) {
      assert.match(e.url, /^https:\/\/huggingface\.co\/.+\.gguf$/);
      assert.ok(e.approxBytes > 0.2e9, `${e.name} size`);
    }
    assert.equal(new Set(CATALOG.map((e) => e.name)).size, CATALOG.length, 'names are unique');
  });

  it('resolves exact names, names without a quantisation (smallest file), and nothing else', () => {
    assert.equal(resolveCatalogEntry('qwen2.5-7b-instruct-q8_0')?.quant, 'q8_0');
    assert.equal(resolveCatalogEntry('Qwen2.5-7B-Instruct')?.name, 'qwen2.5-7b-instruct-q4_k_m');
    assert.equal(resolveCatalogEntry('qwen3-0.6b')?.name, 'qwen3-0.6b-q8_0');
    assert.equal(resolveCatalogEntry('qwen2.5-7b'), undefined);
    assert.equal(resolveCatalogEntry('llama-9000'), undefined);
    assert.equal(defaultCatalogEntry().name, 'qwen2.5-0.5b-instruct-q4_k_m');
  });
});
