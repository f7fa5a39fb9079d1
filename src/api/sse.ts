/**
 * Server-sent events on a raw Node response. Writes are not awaited per chunk (that would add a
 * round trip per token); Node buffers and applies back-pressure via `drain`, which we honour so a
 * slow client cannot make the server buffer an unbounded reply.
 */
import type { ServerResponse } from 'node:http';
import { once } from 'node:events';

export class SseStream {
  readonly #res: ServerResponse;

  constructor(res: ServerResponse, extraHeaders: Record<string, string>) {
    this.#res = res;
    res.writeHead(200, {
      'content-type': 'text/event-stream; charset=utf-8',
      'cache-control': 'no-cache',
      connection: 'keep-alive',
      'x-accel-buffering': 'no',
      ...extraHeaders,
    });
    res.flushHeaders();
  }

  get closed(): boolean {
    return this.#res.destroyed || this.#res.writableEnded;
  }

  /** Sends one `data:` event; resolves at once unless the socket buffer is full. */
  async send(payload: unknown): Promise<void> {
    await this.#write(`data: ${JSON.stringify(payload)}\n\n`);
  }

  async end(): Promise<void> {
    if (this.closed) return;
    await this.#write('data: [DONE]\n\n');
    this.#res.end();
  }

  async #write(text: string): Promise<void> {
    if (this.closed) return;
    if (!this.#res.write(text)) await Promise.race([once(this.#res, 'drain'), once(this.#res, 'close')]);
  }
}
