/**
 * Which model a fresh server loads (issue 2, item 10): the configured one; else the catalog's
 * smallest Qwen instruct GGUF if installed or downloadable; else — offline — a generated tiny test
 * model, announced plainly because its output is noise.
 */
import { existsSync } from 'node:fs';
import { basename, join, resolve } from 'node:path';
import type { Config, ModelDeclaration } from '../core/config.js';
import { TesseraError } from '../core/errors.js';
import { createTestModel, defaultCatalogEntry, formatBytes, pullModel, resolveCatalogEntry, type PullProgress } from '../models/index.js';

export const TEST_MODEL_NAME = 'tessera-tiny-random';

export interface DefaultModelDeps {
  config: Config;
  modelsDir: string;
  log: { info(obj: object, msg: string): void; warn(obj: object, msg: string): void };
  print: (line: string) => void;
}

function llama(name: string, file: string): ModelDeclaration {
  return { name, engine: 'llama', file: resolve(file) };
}

export async function resolveDefaultModel(deps: DefaultModelDeps): Promise<ModelDeclaration | null> {
  const { config, modelsDir, log, print } = deps;
  if (config.model) {
    if (existsSync(config.model)) return llama(basename(config.model).replace(/\.gguf$/i, ''), config.model);
    const installed = join(modelsDir, `${config.model}.gguf`);
    if (existsSync(installed)) return llama(config.model, installed);
    const entry = resolveCatalogEntry(config.model);
    if (!entry) throw new TesseraError('invalid_config', `Model "${config.model}" is not a file, an installed model, or a catalog name.`);
    if (config.offline) throw new TesseraError('invalid_config', `Model "${config.model}" is not installed and the server is offline.`);
    const { path } = await pullModel({ source: entry.name, destDir: modelsDir, onProgress: progressLogger(log) });
    return llama(entry.name, path);
  }

  const entry = defaultCatalogEntry();
  const installed = join(modelsDir, `${entry.name}.gguf`);
  if (existsSync(installed)) return llama(entry.name, installed);
  if (!config.offline) {
    try {
      log.info({ model: entry.name }, 'downloading the default model');
      const { path } = await pullModel({ source: entry.name, destDir: modelsDir, retries: 1, onProgress: progressLogger(log) });
      return llama(entry.name, path);
    } catch (err) {
      log.warn({ err: (err as Error).message }, 'the default model could not be downloaded');
    }
  }
  const testModel = join(modelsDir, `${TEST_MODEL_NAME}.gguf`);
  if (!existsSync(testModel)) await createTestModel(testModel, { size: 'tiny', seed: 42 });
  const notice =
    `No model is configured and ${entry.name} could not be downloaded, so Tessera is serving ` +
    `"${TEST_MODEL_NAME}", a generated test model with random weights: its replies are noise. ` +
    `Serve a real model with --model FILE.gguf or \`tessera models pull NAME\`.`;
  log.warn({ model: TEST_MODEL_NAME }, notice);
  print(notice);
  return llama(TEST_MODEL_NAME, testModel);
}

/** Logs a download's progress every 5%, so a server log shows a long pull moving. */
function progressLogger(log: DefaultModelDeps['log']): (p: PullProgress) => void {
  let lastStep = -1;
  return (p) => {
    if (!p.totalBytes) return;
    const step = Math.floor((p.receivedBytes / p.totalBytes) * 20);
    if (step === lastStep) return;
    lastStep = step;
    log.info({ model: p.name, percent: step * 5 }, `downloading ${p.name}: ${formatBytes(p.receivedBytes)} of ${formatBytes(p.totalBytes)}`);
  };
}
