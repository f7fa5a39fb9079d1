/**
 * Server-sent events on a raw Node response. The events that are ready together (one batch from
 * the gateway) go out in one `write` — one chunk of the chunked body, one socket write — and the
 * last batch goes out with the end of the body. Writes are not awaited per event (that would add
 * a round trip per token); a full socket buffer is waited out (`drain`), so a slow client cannot
 * make the server buffer an unbounded reply. The status and headers leave with the first batch.
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
  }

  get closed(): boolean {
    return this.#res.destroyed || this.#res.writableEnded;
  }

  /** Sends one `data:` event per payload in one write; resolves at once unless the socket buffer is full. */
  async send(payloads: unknown[]): Promise<void> {
    if (this.closed || payloads.length === 0) return;
    if (!this.#res.write(events(payloads))) await Promise.race([once(this.#res, 'drain'), once(this.#res, 'close')]);
  }

  /** Sends the payloads and `[DONE]`, and ends the response, in one write. */
  end(payloads: unknown[] = []): void {
    if (this.closed) return;
    this.#res.end(`${events(payloads)}data: [DONE]\n\n`);
  }
}

/** A payload serialised already (`jsonTemplate`): written as it is. */
export class SerializedJson {
  constructor(readonly json: string) {}
}

const HOLE = '\u0000hole\u0000';
const HOLE_JSON = JSON.stringify(HOLE);

/**
 * For a payload sent many times with one string changed (each token's stream chunk): serialises
 * `shape` once around a placeholder, at the first call (a request that never streams pays
 * nothing), and splices each value's JSON in, so a token costs a JSON.stringify of its text
 * instead of the whole chunk. Byte for byte what JSON.stringify gives.
 */
export function jsonTemplate(shape: (hole: string) => unknown): (value: string) => SerializedJson {
  let template: { head: string; tail: string } | undefined;
  return (value) => {
    if (!template) {
      const json = JSON.stringify(shape(HOLE));
      const at = json.indexOf(HOLE_JSON);
      if (at < 0 || json.indexOf(HOLE_JSON, at + 1) >= 0) throw new Error('a JSON template needs its hole exactly once');
      template = { head: json.slice(0, at), tail: json.slice(at + HOLE_JSON.length) };
    }
    return new SerializedJson(template.head + JSON.stringify(value) + template.tail);
  };
}

function events(payloads: unknown[]): string {
  let text = '';
  for (const payload of payloads) text += `data: ${payload instanceof SerializedJson ? payload.json : JSON.stringify(payload)}\n\n`;
  return text;
}
