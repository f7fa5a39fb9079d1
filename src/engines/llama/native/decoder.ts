/**
 * The JavaScript side of the native decode loop: opens a decoder (model + one context with N
 * sequences, loaded off the main thread), starts requests on given slots and routes the loop's
 * per-step event batches to each request's listener.
 *
 * The loop never waits for JavaScript; a request's listener gets one call per token it produced
 * and one final call (finish ≠ None). The process is kept alive while requests are in flight.
 */
import { TesseraError } from '../../../core/errors.js';
import { NativeFinish, type NativeAddon, type NativeDecoderHandle, type NativeDecoderInfo, type NativeDecoderOptions, type NativeEvent, type NativeSampling } from './binding.js';

export interface NativeRequest {
  slot: number;
  prompt: Int32Array;
  /** Prompt tokens the slot's KV cache already holds (shared prefix); < prompt.length. */
  reuse: number;
  sampling: NativeSampling;
}

export interface NativeStep {
  /** Sampled tokens so far, end-of-generation token included. */
  generated: number;
  /** Tokens in the sequence's KV cache. */
  nPast: number;
  finish: NativeFinish;
  text: string;
  /** The token sampled this step, -1 when none (abort, error). */
  token: number;
  error?: string;
}

export class NativeDecoder {
  private readonly listeners = new Map<number, (step: NativeStep) => void>();
  private nextId = 1;
  private closed = false;

  private last: NativeDecoderInfo;

  private constructor(private readonly handle: NativeDecoderHandle) {
    this.last = handle.info();
  }

  /** Sizes and the decode thread's counters, read now (the last reading once closed). */
  get info(): NativeDecoderInfo {
    if (!this.closed) this.last = this.handle.info();
    return this.last;
  }

  static async open(addon: NativeAddon, options: NativeDecoderOptions): Promise<NativeDecoder> {
    // Events can only arrive once a request is started, i.e. after `open` has returned.
    const ready: { decoder?: NativeDecoder } = {};
    const handle = new addon.Decoder(options, (events) => ready.decoder?.dispatch(events));
    try {
      await handle.load();
    } catch (err) {
      handle.close();
      throw new TesseraError('invalid_gguf', `llama.cpp could not load ${options.modelPath}: ${err instanceof Error ? err.message : String(err)}`, { cause: err });
    }
    ready.decoder = new NativeDecoder(handle);
    return ready.decoder;
  }

  /** Starts a request; `listener` is called for every step until one with `finish` set. Returns its id. */
  start(request: NativeRequest, listener: (step: NativeStep) => void): number {
    if (this.closed) throw new TesseraError('model_not_ready', 'The model has been unloaded.');
    const id = this.nextId++;
    if (this.nextId > 0x7fffffff) this.nextId = 1;
    if (this.listeners.size === 0) this.handle.ref();
    this.listeners.set(id, listener);
    this.handle.submit(id, request.slot, request.prompt, request.reuse, request.sampling);
    return id;
  }

  /** Ends a running request: its listener gets a final `Abort` step. */
  cancel(id: number): void {
    if (this.listeners.has(id)) this.handle.cancel(id);
  }

  tokenize(text: string, addSpecial: boolean, parseSpecial: boolean): Int32Array {
    return this.handle.tokenize(text, addSpecial, parseSpecial);
  }

  get inFlight(): number {
    return this.listeners.size;
  }

  /** Stops the loop (every running request ends with `Abort`) and frees the model. Idempotent. */
  close(): void {
    if (this.closed) return;
    this.closed = true;
    this.handle.close();
  }

  private dispatch(events: NativeEvent[]): void {
    for (const [id, generated, nPast, finish, text, token, error] of events) {
      const listener = this.listeners.get(id);
      if (!listener) continue;
      if (finish !== NativeFinish.None) {
        this.listeners.delete(id);
        if (this.listeners.size === 0 && !this.closed) this.handle.unref();
      }
      listener({ generated, nPast, finish, text, token, error });
    }
  }
}
