import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { newId, newTimeOrderedId } from './ids.js';

describe('ids', () => {
  it('are a prefix and 24 base62 characters, all different', () => {
    const ids = Array.from({ length: 5000 }, (_, i) => (i % 2 ? newId('key') : newTimeOrderedId('key')));
    for (const id of ids) assert.match(id, /^key-[0-9A-Za-z]{24}$/);
    assert.equal(new Set(ids).size, ids.length);
  });

  it('time-ordered ids sort by their time, whatever their random part', () => {
    const times = [0, 1, 61, 62, Date.UTC(2026, 0, 15), Date.UTC(2026, 0, 15) + 1, Date.UTC(2400, 0, 1)];
    const ids = times.map((t) => newTimeOrderedId('led', t));
    assert.deepEqual([...ids].reverse().sort(), ids);
    assert.equal(newTimeOrderedId('led', 62).slice(4, 12), '00000010');
  });
});
