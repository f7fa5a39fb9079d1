/**
 * Model name → engine. Engines are created by an injected factory (llama, upstream, fake), so the
 * router knows nothing about how a model runs. A model is `loading` until its engine is ready;
 * requests for it meanwhile get 503 `model_not_ready` instead of waiting on a load of unknown length.
 */
import { TesseraError } from '../core/errors.js';
import type { Engine, EngineInfo } from '../engines/types.js';

export type ModelState =
  | { status: 'loading'; name: string; since: Date }
  | { status: 'ready'; name: string; engine: Engine }
  | { status: 'failed'; name: string; error: string };

export class ModelRouter {
  readonly #models = new Map<string, ModelState>();

  /** Registers `name` and loads it in the background; resolves when the engine is ready (or failed). */
  async load(name: string, create: () => Promise<Engine>, now: Date): Promise<ModelState> {
    if (this.#models.get(name)?.status === 'ready') throw new TesseraError('model_exists', `Model "${name}" is already loaded.`);
    this.#models.set(name, { status: 'loading', name, since: now });
    let state: ModelState;
    try {
      state = { status: 'ready', name, engine: await create() };
    } catch (err) {
      state = { status: 'failed', name, error: err instanceof Error ? err.message : String(err) };
    }
    this.#models.set(name, state);
    return state;
  }

  /** The ready engine for `name`, or the catalog error a client should see. */
  engine(name: string): Engine {
    const state = this.#models.get(name);
    if (!state || state.status === 'failed') {
      throw new TesseraError('model_not_found', `The model '${name}' does not exist or is not loaded.`, { param: 'model' });
    }
    if (state.status === 'loading') throw new TesseraError('model_not_ready', `The model '${name}' is still loading.`);
    return state.engine;
  }

  states(): ModelState[] {
    return [...this.#models.values()];
  }

  ready(): EngineInfo[] {
    return this.states().flatMap((s) => (s.status === 'ready' ? [s.engine.info] : []));
  }

  async unload(name: string): Promise<boolean> {
    const state = this.#models.get(name);
    if (!state) return false;
    this.#models.delete(name);
    if (state.status === 'ready') await state.engine.close();
    return true;
  }

  async closeAll(): Promise<void> {
    const names = [...this.#models.keys()];
    await Promise.all(names.map((n) => this.unload(n)));
  }
}
