import assert from 'node:assert/strict';
import { it } from 'node:test';
import { type NewDatabase, T0, withStore } from './harness.js';

const UPSTREAM_KEY = 'sk-upstream-very-secret-123';

export function modelConformance(newDatabase: NewDatabase): void {
  it('adds, lists, gets and removes declared models', () =>
    withStore(newDatabase, async (store) => {
      const added = await store.models.add({
        name: 'qwen-remote',
        engine: 'openai',
        url: 'http://gpu1:8000/v1',
        apiKey: UPSTREAM_KEY,
        upstreamModel: 'Qwen/Qwen2.5-7B-Instruct',
      });
      await store.models.add({ name: 'local', engine: 'llama', file: '/models/tiny.gguf', contextLength: 2048 });
      assert.deepEqual(added, {
        name: 'qwen-remote',
        engine: 'openai',
        file: null,
        url: 'http://gpu1:8000/v1',
        upstreamModel: 'Qwen/Qwen2.5-7B-Instruct',
        contextLength: null,
        hasApiKey: true,
        createdAt: T0,
      });
      const list = await store.models.list();
      assert.deepEqual(list.map((m) => [m.name, m.hasApiKey, m.contextLength]), [
        ['local', false, 2048],
        ['qwen-remote', true, null],
      ]);
      assert.deepEqual(await store.models.get('qwen-remote'), added);
      assert.equal(await store.models.get('nope'), null);

      assert.equal(await store.models.remove('local'), true);
      assert.equal(await store.models.remove('local'), false, 'remove is idempotent');
      assert.deepEqual((await store.models.list()).map((m) => m.name), ['qwen-remote']);
    }));

  it('keeps the upstream API key out of every listing', () =>
    withStore(newDatabase, async (store) => {
      await store.models.add({ name: 'm', engine: 'openai', url: 'http://h/v1', apiKey: UPSTREAM_KEY });
      for (const shown of [await store.models.list(), await store.models.get('m')]) {
        assert.ok(!JSON.stringify(shown).includes(UPSTREAM_KEY));
      }
      assert.equal(await store.models.getUpstreamSecret('m'), UPSTREAM_KEY);
      assert.equal(await store.models.getUpstreamSecret('other'), null);
      assert.deepEqual(await store.models.declarations(), [
        { name: 'm', engine: 'openai', url: 'http://h/v1', apiKey: UPSTREAM_KEY },
      ]);
      await store.models.remove('m');
      assert.equal(await store.models.getUpstreamSecret('m'), null);
    }));

  it('refuses a second model of the same name with model_exists', () =>
    withStore(newDatabase, async (store) => {
      await store.models.add({ name: 'dup', engine: 'fake' });
      await assert.rejects(store.models.add({ name: 'dup', engine: 'openai', url: 'http://h/v1' }), {
        name: 'TesseraError',
        code: 'model_exists',
      });
      assert.equal((await store.models.get('dup'))?.engine, 'fake', 'the first declaration is untouched');
    }));

  it('refuses declarations an engine cannot start from', () =>
    withStore(newDatabase, async (store) => {
      await assert.rejects(store.models.add({ name: 'a', engine: 'openai' }), { code: 'invalid_request', param: 'url' });
      await assert.rejects(store.models.add({ name: 'b', engine: 'llama' }), { code: 'invalid_request', param: 'file' });
      await assert.rejects(store.models.add({ name: '', engine: 'fake' }), { code: 'invalid_request' });
      await assert.rejects(store.models.add({ name: 'c', engine: 'fake', contextLength: 0 }), { code: 'invalid_request' });
      assert.deepEqual(await store.models.list(), []);
    }));
}
