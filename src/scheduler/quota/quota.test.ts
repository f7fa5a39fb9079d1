import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { QuotaManager, type QuotaRequest } from './quota.js';

const GPU = 1000;
const req = (id: string, queue: string, gpus: number, priority = 0, type = 'H100'): QuotaRequest => ({ id, queue, type, milli: gpus * GPU, priority });

/** Two teams of one cohort with 4 H100 each; a third queue outside it. */
function manager(extra: Partial<{ borrowingLimit: number; lendingLimit: number; closed: boolean; weights: [number, number] }> = {}) {
  return new QuotaManager({
    queues: [
      {
        name: 'a',
        cohort: 'c',
        nominal: { H100: 4 * GPU },
        ...(extra.borrowingLimit !== undefined ? { borrowingLimit: { H100: extra.borrowingLimit * GPU } } : {}),
        ...(extra.lendingLimit !== undefined ? { lendingLimit: { H100: extra.lendingLimit * GPU } } : {}),
        weight: extra.weights?.[0] ?? 1,
      },
      { name: 'b', cohort: 'c', nominal: { H100: 4 * GPU }, weight: extra.weights?.[1] ?? 1 },
      { name: 'x', cohort: 'c', nominal: { T4: 2 * GPU } },
      { name: 'solo', nominal: { H100: 1 * GPU } },
    ],
    ...(extra.closed ? { closedTypes: ['H100'] } : {}),
  });
}

function admitAll(q: QuotaManager, requests: QuotaRequest[]): void {
  for (const r of requests) {
    const v = q.check(r);
    assert.equal(v.code, 'fit', `${r.id} should fit: ${JSON.stringify(v)}`);
    q.admit(r);
  }
}

describe('quotas', () => {
  it('admits within nominal quota, and borrows the cohort’s unused quota', () => {
    const q = manager();
    assert.deepEqual(q.check(req('a1', 'a', 4)), { code: 'fit', borrowing: false });
    q.admit(req('a1', 'a', 4));
    assert.deepEqual(q.check(req('a2', 'a', 3)), { code: 'fit', borrowing: true });
    q.admit(req('a2', 'a', 3));
    assert.equal(q.borrowed('a', 'H100'), 3 * GPU);
    assert.equal(q.check(req('a3', 'a', 2)).code, 'wait', 'the cohort has only 1 H100 left');
    assert.equal(q.check(req('s1', 'solo', 2)).code, 'wait', 'a queue without cohort cannot borrow');
    assert.equal(q.check(req('s2', 'solo', 1)).code, 'fit');
  });

  it('respects borrowing and lending limits', () => {
    const q = manager({ borrowingLimit: 1 });
    admitAll(q, [req('a1', 'a', 4), req('a2', 'a', 1)]);
    assert.match((q.check(req('a3', 'a', 1)) as { reason: string }).reason, /borrowing limit/);
    const lend = manager({ lendingLimit: 1 });
    admitAll(lend, [req('b1', 'b', 4), req('b2', 'b', 1)]);
    assert.equal(lend.check(req('b3', 'b', 1)).code, 'wait', 'a lends only one of its four');
  });

  it('a closed pool is open only to queues with quota in it', () => {
    const q = manager({ closed: true });
    assert.match((q.check(req('x1', 'x', 1)) as { reason: string }).reason, /closed/);
    assert.equal(manager().check(req('x1', 'x', 1)).code, 'fit', 'open pools can be borrowed');
    assert.equal(q.check(req('x2', 'x', 1, 0, 'T4')).code, 'fit');
  });

  it('an owner reclaiming its quota preempts borrowed work, lowest priority first, newest first', () => {
    const q = manager();
    admitAll(q, [req('a1', 'a', 4, 5), req('a-hi', 'a', 1, 9), req('a-lo-old', 'a', 1, 1), req('a-lo-new', 'a', 1, 1), req('b1', 'b', 1)]);
    const v = q.check(req('b2', 'b', 2));
    assert.equal(v.code, 'preempt');
    if (v.code !== 'preempt') return;
    assert.equal(v.reason, 'reclaim');
    assert.deepEqual(v.victims.map((w) => w.id), ['a-lo-new', 'a-lo-old']);
    const three = q.check(req('b3', 'b', 3));
    assert.deepEqual(three.code === 'preempt' && three.victims.map((w) => w.id), ['a-lo-new', 'a-lo-old', 'a-hi'], 'a1 (4 GPUs) would cut into a’s nominal quota');
  });

  it('never preempts work running within its owner’s nominal quota', () => {
    const q = manager();
    // a uses 4 (nominal) + 2 borrowed, with a low-priority 4-GPU job that is partly within nominal.
    admitAll(q, [req('a-big', 'a', 4, 0), req('a-two', 'a', 2, 5)]);
    const v = q.check(req('b1', 'b', 4));
    assert.equal(v.code, 'preempt');
    if (v.code !== 'preempt') return;
    assert.deepEqual(v.victims.map((w) => w.id), ['a-two'], 'a-big would take a below its nominal quota');
    for (const w of v.victims) q.release(w.id);
    q.admit(req('b1', 'b', 4));
    assert.equal(q.check(req('b2', 'b', 1)).code, 'wait', 'nothing borrowed is left to reclaim');
  });

  it('priority preempts lower-priority work of the same queue', () => {
    const q = manager();
    admitAll(q, [req('b-full', 'b', 4), req('a1', 'a', 3, 1), req('a2', 'a', 1, 2)]);
    const v = q.check(req('a-urgent', 'a', 1, 7));
    assert.equal(v.code, 'preempt');
    assert.deepEqual(v.code === 'preempt' && [v.reason, v.victims.map((w) => w.id)], ['priority', ['a1']]);
    assert.equal(q.check(req('a-low', 'a', 1, 0)).code, 'wait');
  });

  it('weighted fair sharing among borrowers', () => {
    const q = new QuotaManager({
      queues: [
        { name: 'owner', cohort: 'c', nominal: { H100: 8 * GPU } },
        { name: 'heavy', cohort: 'c', nominal: {}, weight: 1 },
        { name: 'light', cohort: 'c', nominal: {}, weight: 3 },
      ],
    });
    for (let i = 0; i < 8; i++) q.admit(req(`h${i}`, 'heavy', 1));
    // light (weight 3, share 0) may take from heavy (share 8) until shares balance by weight.
    const taken: string[] = [];
    for (let i = 0; ; i++) {
      const v = q.check(req(`l${i}`, 'light', 1));
      if (v.code !== 'preempt') break;
      assert.equal(v.reason, 'fair-share');
      for (const w of v.victims) {
        q.release(w.id);
        taken.push(w.id);
      }
      q.admit(req(`l${i}`, 'light', 1));
    }
    assert.equal(q.borrowed('light', 'H100') / 3 <= q.borrowed('heavy', 'H100') + 1e-9, true);
    assert.deepEqual([q.borrowed('heavy', 'H100') / GPU, q.borrowed('light', 'H100') / GPU], [2, 6], 'shares 2/1 vs 6/3');
    // pending order prefers the queue with the lower weighted share
    const order = q.pendingOrder([req('p-heavy', 'heavy', 1), req('p-light', 'light', 1)]);
    assert.deepEqual(order.map((r) => r.id), ['p-light', 'p-heavy'], 'after admission light has 7/3 < heavy 3/1');
    // the owner reclaims from both
    const reclaim = q.check(req('o1', 'owner', 8));
    assert.equal(reclaim.code, 'preempt');
    assert.equal(reclaim.code === 'preempt' && reclaim.victims.length, 8);
  });

  it('rejects bad configuration and double admission', () => {
    assert.throws(() => new QuotaManager({ queues: [{ name: 'a', nominal: {} }, { name: 'a', nominal: {} }] }), /twice/);
    assert.throws(() => new QuotaManager({ queues: [{ name: 'a', nominal: { H100: -1 } }] }), /≥ 0/);
    assert.throws(() => new QuotaManager({ queues: [{ name: 'a', nominal: {}, weight: 0 }] }), /weight/);
    const q = manager();
    q.admit(req('a1', 'a', 1));
    assert.throws(() => q.admit(req('a1', 'a', 1)), /already admitted/);
    assert.equal(q.release('nope'), false);
    assert.equal(q.check(req('z', 'nobody', 1)).code, 'wait');
  });
});
