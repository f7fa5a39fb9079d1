/**
 * One HTTP exchange with the upstream through undici's `dispatch` handler API, the layer under
 * `request()`: the body's chunks go straight into a small queue instead of a Readable stream and
 * its promise machinery, which is a tenth of the gateway's CPU per request (bench/gateway).
 *
 * - `callUpstream` resolves with the status and headers once they arrive, and rejects if the
 *   exchange fails before (connection refused, reset, aborted).
 * - The body is read once, by `chunks()` (as it arrives) or `text()` (whole). A connection that
 *   breaks mid-body throws from the reading. Reading slower than the upstream writes pauses the
 *   socket past `HIGH_WATER_BYTES` (back-pressure, as a stream would).
 * - `cancel` aborting destroys the connection (how vLLM and llama-server learn to stop), before
 *   or after the headers; so does `discard()` of a body not read to its end.
 */
import type { IncomingHttpHeaders } from 'node:http';
import type { Dispatcher } from 'undici';
import type { Cancel } from './cancel.js';

/** Unread body bytes above which the upstream's socket is paused. */
const HIGH_WATER_BYTES = 256 * 1024;

export interface UpstreamCall {
  origin: string;
  path: string;
  method: 'GET' | 'POST';
  headers: Record<string, string>;
  body?: string;
}

export interface UpstreamResponse {
  readonly statusCode: number;
  readonly headers: IncomingHttpHeaders;
  /** The body's chunks as they arrive; ends with the response. */
  chunks(): AsyncIterable<Buffer>;
  /** The whole body as UTF-8 text. */
  text(): Promise<string>;
  /** True once the body was received to its end. */
  readonly ended: boolean;
  /** Drops the connection if the body is not read to its end (no-op otherwise). */
  discard(): void;
}

export function callUpstream(dispatcher: Dispatcher, call: UpstreamCall, cancel: Cancel): Promise<UpstreamResponse> {
  return new Promise((resolve, reject) => {
    const body = new BodyQueue();
    let controller: Dispatcher.DispatchController | null = null;
    let started = false;
    if (cancel.aborted) return reject(cancel.reason);
    const unlink = cancel.onAbort((reason) => controller?.abort(reason));

    const handler: Dispatcher.DispatchHandler = {
      onRequestStart(c) {
        controller = c;
        body.controller = c;
        if (cancel.aborted) c.abort(cancel.reason!);
      },
      onResponseStart(_c, statusCode, headers) {
        if (statusCode < 200) return; // informational (100 Continue): the real head follows
        started = true;
        resolve(new Reply(statusCode, headers, body));
      },
      onResponseData(c, chunk) {
        if (body.push(chunk) > HIGH_WATER_BYTES) c.pause();
      },
      onResponseEnd() {
        unlink();
        body.end();
      },
      onResponseError(_c, err) {
        unlink();
        if (started) body.fail(err);
        else reject(err);
      },
    };
    dispatcher.dispatch({ origin: call.origin, path: call.path, method: call.method, headers: call.headers, body: call.body }, handler);
  });
}

class Reply implements UpstreamResponse {
  #read = false;

  constructor(
    readonly statusCode: number,
    readonly headers: IncomingHttpHeaders,
    readonly body: BodyQueue,
  ) {}

  get ended(): boolean {
    return this.body.ended;
  }

  chunks(): AsyncIterable<Buffer> {
    this.#claim();
    return this.body;
  }

  async text(): Promise<string> {
    this.#claim();
    const parts = await this.body.whole();
    return parts.length === 1 ? parts[0].toString('utf8') : Buffer.concat(parts).toString('utf8');
  }

  discard(): void {
    this.body.discard();
  }

  #claim(): void {
    if (this.#read) throw new Error('the upstream response body is read once');
    this.#read = true;
  }
}

/** The received, unread chunks; one reader at a time. */
class BodyQueue implements AsyncIterable<Buffer> {
  controller: Dispatcher.DispatchController | null = null;
  ended = false;
  #chunks: Buffer[] = [];
  #bytes = 0;
  #error: Error | null = null;
  #wake: (() => void) | null = null;
  #whole = false;

  /** Queues a chunk; returns the unread bytes (0 when the whole body is wanted: no back-pressure). */
  push(chunk: Buffer): number {
    this.#chunks.push(chunk);
    this.#bytes += chunk.length;
    this.#notify();
    return this.#whole ? 0 : this.#bytes;
  }

  /**
   * Every chunk, once the body has ended (no iterator and a wake-up per chunk: a reply of one
   * chunk costs one promise).
   */
  whole(): Promise<Buffer[]> {
    this.#whole = true;
    if (this.controller?.paused) this.controller.resume();
    return new Promise((resolve, reject) => {
      const settle = () => {
        if (this.#error) reject(this.#error);
        else if (this.ended) resolve(this.#chunks);
        else this.#wake = settle;
      };
      settle();
    });
  }

  end(): void {
    this.ended = true;
    this.#notify();
  }

  fail(err: Error): void {
    this.#error = err;
    this.#notify();
  }

  discard(): void {
    if (this.ended || this.#error) return;
    this.#error = new Error('the upstream response was discarded');
    this.controller?.abort(this.#error);
  }

  async *[Symbol.asyncIterator](): AsyncGenerator<Buffer> {
    for (;;) {
      if (this.#chunks.length > 0) {
        const chunks = this.#chunks;
        this.#chunks = [];
        this.#bytes = 0;
        if (this.controller?.paused) this.controller.resume();
        yield* chunks;
        continue;
      }
      if (this.#error) throw this.#error;
      if (this.ended) return;
      await new Promise<void>((resolve) => (this.#wake = resolve));
    }
  }

  #notify(): void {
    const wake = this.#wake;
    this.#wake = null;
    wake?.();
  }
}
