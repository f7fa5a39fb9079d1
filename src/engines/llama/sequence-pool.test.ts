/**
 * The sequence pool with stand-in sequences: FIFO hand-over, state cleared before reuse, and
 * waiters that abort or are woken by close.
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import type { LlamaContextSequence } from 'node-llama-cpp';
import { createSequencePool } from './sequence-pool.js';

function fakeSequence(name: string, cleared: string[]): LlamaContextSequence {
  return { disposed: false, name, clearHistory: async () => void cleared.push(name) } as unknown as LlamaContextSequence;
}

describe('sequence pool', () => {
  it('hands sequences out at once, then to waiters first-in first-out, clearing each in between', async () => {
    const cleared: string[] = [];
    const pool = createSequencePool([fakeSequence('a', cleared), fakeSequence('b', cleared)], (err) => assert.fail(String(err)));
    const signal = new AbortController().signal;
    const first = (await pool.acquire(signal))!;
    const second = (await pool.acquire(signal))!;
    assert.deepEqual({ active: pool.active, queued: pool.queued, slots: pool.slots }, { active: 2, queued: 0, slots: 2 });

    const order: string[] = [];
    const third = pool.acquire(signal).then((lease) => (order.push('third'), lease!));
    const fourth = pool.acquire(signal).then((lease) => (order.push('fourth'), lease!));
    assert.equal(pool.queued, 2);
    await second.release();
    const thirdLease = await third;
    assert.equal(thirdLease.sequence, second.sequence);
    assert.deepEqual(cleared, ['b']);
    await first.release();
    await fourth;
    assert.deepEqual(order, ['third', 'fourth']);
    assert.equal(pool.active, 2);
    await second.release(); // a second release of the same lease is a no-op
    assert.deepEqual(cleared, ['b', 'a']);
  });

  it('resolves null for a waiter that aborts, and for everyone once closed', async () => {
    const pool = createSequencePool([fakeSequence('a', [])], (err) => assert.fail(String(err)));
    const held = (await pool.acquire(new AbortController().signal))!;
    const leaving = new AbortController();
    const waiting = pool.acquire(leaving.signal);
    const staying = pool.acquire(new AbortController().signal);
    leaving.abort();
    assert.equal(await waiting, null);
    assert.equal(pool.queued, 1);
    pool.close();
    assert.equal(await staying, null);
    assert.equal(await pool.acquire(new AbortController().signal), null);
    await held.release();
    assert.equal(pool.active, 0);
  });
});
