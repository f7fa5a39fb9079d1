/**
 * What the models page and `/api/models` act on: installed GGUF files, the catalog, models loaded
 * in the router, downloads in progress, and load/unload. Loading goes through the same engine
 * factory as start-up; downloads run in the background and report progress for polling.
 */
import { chipsThatFit } from '../core/chips.js';
import { TesseraError } from '../core/errors.js';
import { newId } from '../core/ids.js';
import { freemem } from 'node:os';
import type { ModelDeclaration } from '../core/config.js';
import type { Engine } from '../engines/types.js';
import {
  CATALOG,
  QWEN_SHAPES,
  createModelLibrary,
  chooseParallel,
  estimateMemory,
  inspectGguf,
  pullModel,
  type MemoryShape,
  type ModelInfo,
  type PullProgress,
} from '../models/index.js';
import type { ModelRouter, ModelState } from './router.js';

export interface PullJob {
  id: string;
  source: string;
  name: string | null;
  status: 'running' | 'done' | 'failed';
  receivedBytes: number;
  totalBytes: number | null;
  error: string | null;
  startedAt: Date;
}

export interface ModelManagerDeps {
  modelsDir: string;
  router: ModelRouter;
  createEngine: (decl: ModelDeclaration) => Promise<Engine>;
  contextSize: number;
  /** Sequences per model for estimates; undefined = chosen from free memory, as the engine does. */
  parallel?: number;
  now: () => Date;
}

export class ModelManager {
  readonly #jobs = new Map<string, PullJob>();
  /** GGUF files of loaded models that live outside the library (`--model ./file.gguf`). */
  readonly #files = new Map<string, string>();
  readonly #library;

  constructor(private readonly deps: ModelManagerDeps) {
    this.#library = createModelLibrary(deps.modelsDir);
  }

  /** Loads a declared model through the router, remembering its file for the listing. */
  loadDeclared(decl: ModelDeclaration): Promise<ModelState> {
    if (decl.engine === 'llama' && decl.file) this.#files.set(decl.name, decl.file);
    return this.deps.router.load(decl.name, () => this.deps.createEngine(decl), this.deps.now());
  }

  /** Installed files and loaded models (upstream ones included), by name. */
  async list() {
    const installed = await this.#library.list();
    const states = new Map(this.deps.router.states().map((s) => [s.name, s]));
    const rows = installed.map((m) => ({
      name: m.name,
      status: states.get(m.name)?.status ?? 'installed',
      engine: 'llama',
      file: m.path as string | null,
      info: m.info,
      error: m.error ?? (states.get(m.name)?.status === 'failed' ? (states.get(m.name) as { error: string }).error : null),
      memory: m.info ? this.#estimate(m.info) : null,
      device: readyEngine(states.get(m.name))?.info.device ?? null,
    }));
    for (const [name, state] of states) {
      if (installed.some((m) => m.name === name)) continue;
      const engine = readyEngine(state);
      const file = this.#files.get(name) ?? null;
      const info = file ? await inspectGguf(file).catch(() => null) : null;
      rows.push({
        name, status: state.status, engine: engine?.info.kind ?? 'unknown', file, info,
        error: state.status === 'failed' ? state.error : null, memory: info ? this.#estimate(info) : null, device: engine?.info.device ?? null,
      });
    }
    return rows.sort((a, b) => a.name.localeCompare(b.name));
  }

  async catalog() {
    const installed = new Set((await this.#library.list()).map((m) => m.name));
    return CATALOG.map((e) => {
      const s = QWEN_SHAPES[e.shape];
      const shape = { weightBytes: e.approxBytes, layers: s.layers, kvHeads: s.kvHeads, headDim: s.headDim, embedding: s.embedding, vocab: s.vocab, feedForward: s.feedForward };
      const memory = estimateMemory(shape, { contextSize: this.deps.contextSize, parallel: this.#parallel(shape) });
      return { ...e, installed: installed.has(e.name), memory, fitsOn: chipsThatFit(memory.totalBytes).map((c) => c.id) };
    });
  }

  /** Starts a download; poll `job(id)` for progress. */
  pull(source: string, options: { name?: string; sha256?: string } = {}): PullJob {
    const job: PullJob = { id: newId('pull'), source, name: options.name ?? null, status: 'running', receivedBytes: 0, totalBytes: null, error: null, startedAt: this.deps.now() };
    this.#jobs.set(job.id, job);
    pullModel({
      source, name: options.name, sha256: options.sha256, destDir: this.deps.modelsDir, retries: 2,
      onProgress: (p: PullProgress) => Object.assign(job, { name: p.name, receivedBytes: p.receivedBytes, totalBytes: p.totalBytes }),
    }).then(
      (result) => Object.assign(job, { status: 'done', name: result.name, receivedBytes: result.bytes, totalBytes: result.bytes }),
      (err: unknown) => Object.assign(job, { status: 'failed', error: err instanceof Error ? err.message : String(err) }),
    );
    return job;
  }

  job(id: string): PullJob | undefined {
    return this.#jobs.get(id);
  }

  jobs(): PullJob[] {
    return [...this.#jobs.values()];
  }

  /** Loads an installed model on the embedded engine; resolves when ready (or throws its failure). */
  async load(name: string) {
    const model = await this.#library.get(name).catch(() => null);
    if (!model) throw new TesseraError('model_not_found', `No installed model is named '${name}'.`, { param: 'name' });
    const state = await this.loadDeclared({ name, engine: 'llama', file: model.path });
    if (state.status !== 'ready') throw new TesseraError('internal_error', `Loading ${name} failed: ${state.status === 'failed' ? state.error : state.status}`);
    return state.engine.info;
  }

  async unload(name: string): Promise<boolean> {
    return this.deps.router.unload(name);
  }

  #parallel(shape: MemoryShape): number {
    return chooseParallel(shape, { contextSize: this.deps.contextSize, freeBytes: freemem(), requested: this.deps.parallel }).parallel;
  }

  #estimate(info: ModelInfo) {
    const { layers, kvHeads, headDim, embedding, vocab } = info;
    if (!layers || !kvHeads || !headDim || !embedding || !vocab) return null;
    const shape = { weightBytes: info.weightBytes, layers, kvHeads, headDim, embedding, vocab, feedForward: info.feedForward ?? undefined };
    const memory = estimateMemory(shape, { contextSize: this.deps.contextSize, parallel: this.#parallel(shape) });
    return { ...memory, fitsOn: chipsThatFit(memory.totalBytes).map((c) => c.id) };
  }
}

function readyEngine(state: ReturnType<ModelRouter['states']>[number] | undefined): Engine | undefined {
  return state?.status === 'ready' ? state.engine : undefined;
}
