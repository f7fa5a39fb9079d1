import assert from 'node:assert/strict';
import { it } from 'node:test';
import type { UsageInput } from '../types.js';
import { type NewDatabase, T0, withStore } from './harness.js';

const HOUR = 3_600_000;
const DAY = 24 * HOUR;

function row(requestId: string, overrides: Partial<UsageInput> = {}): UsageInput {
  return {
    requestId,
    keyId: 'key-a',
    model: 'qwen',
    endpoint: 'chat',
    promptTokens: 10,
    completionTokens: 5,
    ttftMs: 12.4,
    durationMs: 80.6,
    outcome: 'ok',
    ...overrides,
  };
}

export function usageConformance(newDatabase: NewDatabase): void {
  it('records a row and reads it back with defaults and whole milliseconds', () =>
    withStore(newDatabase, async (store) => {
      await store.usage.record(row('req-1'));
      await store.usage.record(
        row('req-2', { keyId: null, endpoint: 'embedding', ttftMs: null, outcome: 'error', errorCode: 'upstream_error', cachedPromptTokens: 4 }),
      );
      const [second, first] = await store.usage.list({ limit: 10 });
      assert.deepEqual(first, {
        requestId: 'req-1',
        keyId: 'key-a',
        model: 'qwen',
        endpoint: 'chat',
        promptTokens: 10,
        completionTokens: 5,
        cachedPromptTokens: 0,
        ttftMs: 12,
        durationMs: 81,
        outcome: 'ok',
        errorCode: null,
        createdAt: T0,
      });
      assert.deepEqual(
        [second.requestId, second.keyId, second.endpoint, second.ttftMs, second.errorCode, second.cachedPromptTokens],
        ['req-2', null, 'embedding', null, 'upstream_error', 4],
      );
    }));

  it('is idempotent by request id: a replay, even concurrent, does not double count', () =>
    withStore(newDatabase, async (store) => {
      await store.usage.record(row('req-1', { completionTokens: 7 }));
      await store.usage.record(row('req-1', { completionTokens: 999 }));
      await Promise.all(Array.from({ length: 10 }, () => store.usage.record(row('req-2'))));
      const rows = await store.usage.list({ limit: 100 });
      assert.equal(rows.length, 2);
      assert.equal(rows.find((r) => r.requestId === 'req-1')?.completionTokens, 7, 'first write wins');
      const [total] = await store.usage.totals({ by: 'model' });
      assert.deepEqual([total.requests, total.completionTokens], [2, 12]);
    }));

  it('lists most recent first, filtered by key, model and a half-open time range', () =>
    withStore(newDatabase, async (store) => {
      for (let i = 0; i < 6; i++) {
        await store.usage.record(
          row(`req-${i}`, {
            keyId: i % 2 === 0 ? 'key-a' : 'key-b',
            model: i < 3 ? 'qwen' : 'llama',
            createdAt: new Date(T0.getTime() + i * HOUR),
          }),
        );
      }
      const ids = async (query: Parameters<typeof store.usage.list>[0]) =>
        (await store.usage.list(query)).map((r) => r.requestId);
      assert.deepEqual(await ids({ limit: 3 }), ['req-5', 'req-4', 'req-3']);
      assert.deepEqual(await ids({ limit: 10, keyId: 'key-b' }), ['req-5', 'req-3', 'req-1']);
      assert.deepEqual(await ids({ limit: 10, model: 'qwen', keyId: 'key-a' }), ['req-2', 'req-0']);
      const from = new Date(T0.getTime() + HOUR);
      const to = new Date(T0.getTime() + 3 * HOUR);
      assert.deepEqual(await ids({ limit: 10, from, to }), ['req-2', 'req-1']);
      await assert.rejects(store.usage.list({ limit: 0 }), { code: 'invalid_request' });
      await assert.rejects(store.usage.list({ limit: 1.5 }), { code: 'invalid_request' });
    }));

  it('sums totals by model, by key and by UTC day', () =>
    withStore(newDatabase, async (store) => {
      const day0 = new Date('2026-01-15T23:30:00.000Z');
      const day1 = new Date(day0.getTime() + HOUR);
      await store.usage.record(row('r1', { createdAt: day0, promptTokens: 100, completionTokens: 10 }));
      await store.usage.record(row('r2', { createdAt: day1, model: 'llama', outcome: 'aborted', completionTokens: 3 }));
      await store.usage.record(row('r3', { createdAt: day1, keyId: null, outcome: 'error', cachedPromptTokens: 6 }));
      await store.usage.record(row('r4', { createdAt: new Date(day1.getTime() + DAY) }));

      const byModel = await store.usage.totals({ by: 'model' });
      assert.deepEqual(byModel, [
        { group: 'llama', requests: 1, errors: 0, aborted: 1, promptTokens: 10, completionTokens: 3, cachedPromptTokens: 0 },
        { group: 'qwen', requests: 3, errors: 1, aborted: 0, promptTokens: 120, completionTokens: 20, cachedPromptTokens: 6 },
      ]);
      const byKey = await store.usage.totals({ by: 'key' });
      assert.deepEqual(
        byKey.map((t) => [t.group, t.requests]).sort((a, b) => String(a[0]).localeCompare(String(b[0]))),
        [['key-a', 3], [null, 1]],
      );
      const byDay = await store.usage.totals({ by: 'day' });
      assert.deepEqual(byDay.map((t) => [t.group, t.requests, t.promptTokens]), [
        ['2026-01-15', 1, 100],
        ['2026-01-16', 2, 20],
        ['2026-01-17', 1, 10],
      ]);
      const ranged = await store.usage.totals({ by: 'day', from: day1, to: new Date(day1.getTime() + DAY) });
      assert.deepEqual(ranged.map((t) => t.group), ['2026-01-16']);
      assert.deepEqual(await store.usage.totals({ by: 'model', from: new Date('2030-01-01T00:00:00Z') }), []);
    }));

  it('refuses malformed rows without writing them', () =>
    withStore(newDatabase, async (store) => {
      const bad: Partial<UsageInput>[] = [
        { promptTokens: -1 },
        { completionTokens: 1.5 },
        { durationMs: Number.NaN },
        { ttftMs: -3 },
        { requestId: '' },
        { endpoint: 'images' as 'chat' },
        { outcome: 'maybe' as 'ok' },
      ];
      for (const [i, overrides] of bad.entries()) {
        await assert.rejects(store.usage.record(row(`bad-${i}`, overrides)), { code: 'internal_error' });
      }
      assert.deepEqual(await store.usage.list({ limit: 10 }), []);
    }));
}
