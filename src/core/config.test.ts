import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { compileConfig, configFromEnv, describeConfig } from './config.js';

describe('config', () => {
  it('has the documented defaults', () => {
    const config = compileConfig({});
    assert.equal(config.host, '127.0.0.1');
    assert.equal(config.port, 8080);
    assert.equal(config.dataDir, './.tessera');
    assert.equal(config.gpu, 'auto');
  });

  it('layers file < env < flags, and ignores undefined flags', () => {
    const config = compileConfig({ port: 1 }, configFromEnv({ TESSERA_PORT: '2', TESSERA_GPU: 'off' }), {
      port: 3,
      gpu: undefined,
    });
    assert.equal(config.port, 3);
    assert.equal(config.gpu, 'off');
  });

  it('rejects unknown keys by name, including nested ones', () => {
    assert.throws(() => compileConfig({ prot: 80 }), /unknown key "prot"/);
    assert.throws(
      () => compileConfig({ models: [{ name: 'a', engine: 'openai', url: 'http://x/v1', colour: 1 }] }),
      /unknown key "models\.0\.colour"/,
    );
  });

  it('rejects wrong types and values with the key path', () => {
    assert.throws(() => compileConfig(configFromEnv({ TESSERA_PORT: 'eighty' })), /port/);
    assert.throws(() => compileConfig({ gpu: 'tpu' }), /gpu/);
    assert.throws(() => compileConfig({ models: [{ name: 'a', engine: 'openai' }] }), /needs a url/);
  });

  it('is frozen after compilation', () => {
    const config = compileConfig({ models: [{ name: 'm', engine: 'fake' }] });
    assert.throws(() => {
      (config as { port: number }).port = 1;
    }, TypeError);
    assert.ok(Object.isFrozen(config.models[0]));
  });

  it('documents every key', () => {
    for (const row of describeConfig()) assert.ok(row.description.length > 0, `${row.key} has no description`);
  });
});
