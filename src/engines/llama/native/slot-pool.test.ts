import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { createSlotPool } from './slot-pool.js';

const never = new AbortController().signal;

describe('native slot pool', () => {
  it('gives a request the free slot holding the longest shared prefix', async () => {
    const pool = createSlotPool(3);
    const a = (await pool.acquire([1, 2, 3], never))!;
    const b = (await pool.acquire([7, 8, 9], never))!;
    a.release([1, 2, 3, 4, 5]);
    b.release([7, 8, 9, 10]);
    const next = (await pool.acquire([7, 8, 9, 11], never))!;
    assert.equal(next.slot, b.slot);
    assert.equal(next.reuse, 3);
    next.release(null);
  });

  it('never reuses the whole prompt: its last token is evaluated again for the first logits', async () => {
    const pool = createSlotPool(1);
    const first = (await pool.acquire([1, 2, 3], never))!;
    first.release([1, 2, 3, 4]);
    const again = (await pool.acquire([1, 2, 3], never))!;
    assert.equal(again.reuse, 2);
  });

  it('reuses nothing when prefix reuse is off or the slot state is unknown', async () => {
    const off = createSlotPool(1, { prefixReuse: false });
    (await off.acquire([1, 2], never))!.release([1, 2, 3]);
    assert.equal((await off.acquire([1, 2, 5], never))!.reuse, 0);
    const unknown = createSlotPool(1);
    (await unknown.acquire([1, 2], never))!.release(null);
    assert.equal((await unknown.acquire([1, 2, 5], never))!.reuse, 0);
  });

  it('among slots with nothing shared, takes the least recently used', async () => {
    const pool = createSlotPool(2);
    const a = (await pool.acquire([1], never))!;
    const b = (await pool.acquire([2], never))!;
    b.release([2, 2]);
    a.release([1, 1]);
    assert.equal((await pool.acquire([9], never))!.slot, b.slot);
  });

  it('serves waiters first in, first out, and wakes them with null on close', async () => {
    const pool = createSlotPool(1);
    const holder = (await pool.acquire([1], never))!;
    const order: string[] = [];
    const first = pool.acquire([2], never).then((lease) => {
      order.push('first');
      return lease;
    });
    const second = pool.acquire([3], never).then((lease) => {
      order.push(lease ? 'second' : 'second:null');
      return lease;
    });
    assert.equal(pool.queued, 2);
    holder.release([1]);
    const granted = await first;
    assert.ok(granted);
    pool.close();
    assert.equal(await second, null);
    assert.deepEqual(order, ['first', 'second:null']);
  });

  it('drops a waiter whose signal aborts', async () => {
    const pool = createSlotPool(1);
    const holder = (await pool.acquire([1], never))!;
    const controller = new AbortController();
    const waiting = pool.acquire([2], controller.signal);
    controller.abort();
    assert.equal(await waiting, null);
    assert.equal(pool.queued, 0);
    holder.release([1]);
    assert.equal(pool.active, 0);
  });
});
