/**
 * Helpers shared by this folder's tests: a tiny random-weight model written into a temp dir and
 * an engine configured the way CI can afford it (one thread: two test files run at once on two
 * cores; small contexts).
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createTestModel } from '../../models/index.js';
import type { Engine, EngineEvent } from '../types.js';
import { createLlamaEngine, type LlamaEngineOptions } from './engine.js';

export interface TinyModel {
  path: string;
  remove(): Promise<void>;
}

export async function makeTinyModel(): Promise<TinyModel> {
  const dir = await mkdtemp(join(tmpdir(), 'tessera-llama-'));
  const path = join(dir, 'tiny.gguf');
  await createTestModel(path, { size: 'tiny', seed: 11 });
  return { path, remove: () => rm(dir, { recursive: true, force: true }) };
}

export function makeEngine(modelPath: string, overrides: Partial<LlamaEngineOptions> = {}): Promise<Engine> {
  return createLlamaEngine({
    name: 'tiny-test',
    modelPath,
    gpu: 'off',
    threads: 1,
    contextSize: 2048,
    parallel: 4,
    ...overrides,
  });
}

/** Reads a stream to its end, the way the contract asks consumers to (never breaking early). */
export async function collect(stream: AsyncIterable<EngineEvent>, onEvent?: (event: EngineEvent) => void): Promise<{
  events: EngineEvent[];
  text: string;
  done: Extract<EngineEvent, { type: 'done' }>;
}> {
  const events: EngineEvent[] = [];
  for await (const event of stream) {
    events.push(event);
    onEvent?.(event);
  }
  const done = events.at(-1);
  if (done?.type !== 'done') throw new Error(`stream did not end with done: ${JSON.stringify(events.at(-1))}`);
  const doneCount = events.filter((e) => e.type === 'done').length;
  if (doneCount !== 1) throw new Error(`stream had ${doneCount} done events`);
  const text = events.map((e) => (e.type === 'text' ? e.text : '')).join('');
  return { events, text, done };
}

export const noAbort = (): AbortSignal => new AbortController().signal;
