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

/** A payload serialised already (`ChunkJson`): written as it is. */
export class SerializedJson {
  constructor(readonly json: string) {}
}

/**
 * The JSON of one stream's chunks: objects that begin with the same members (`base`: id, object,
 * created, model) and end with their own (`rest`: choices, usage). `base` is serialised once per
 * stream, at its first chunk (a request that never streams pays nothing); a rest that is the same
 * for every stream (chat's opening chunk, a token's chunk around its text) once per process, as a
 * `JsonRest` or `JsonRestTemplate`. A token then costs a JSON.stringify of its text, and the
 * stream's other chunks one of their own few members, instead of a whole object each (bench/gateway).
 * Byte for byte what JSON.stringify({ ...base, ...rest }) gives; rest's keys must not repeat base's.
 */
export class ChunkJson {
  readonly #base: object;
  #head: string | undefined;

  constructor(base: object) {
    this.#base = base;
  }

  /** `{ ...base, ...rest }`. */
  of(rest: JsonRest | object): SerializedJson {
    return new SerializedJson(this.#baseHead() + (rest instanceof JsonRest ? rest.json : membersJson(rest)));
  }

  /** `{ ...base, ...shape(value) }` for each value, `shape` being the template's. */
  filler(template: JsonRestTemplate): (value: string) => SerializedJson {
    let head: string | undefined;
    return (value) => new SerializedJson((head ??= this.#baseHead() + template.head) + JSON.stringify(value) + template.tail);
  }

  /** The base's JSON without its closing brace. */
  #baseHead(): string {
    if (this.#head === undefined) {
      const json = JSON.stringify(this.#base);
      if (json === '{}') throw new Error('a chunk base needs members');
      this.#head = json.slice(0, -1);
    }
    return this.#head;
  }
}

/** An object's members as they continue another object: `,"choices":[…]}`. */
export class JsonRest {
  readonly json: string;

  constructor(rest: object) {
    this.json = membersJson(rest);
  }
}

const HOLE = '\u0000hole\u0000';
const HOLE_JSON = JSON.stringify(HOLE);

/** A rest with one string member that changes: `head + JSON.stringify(value) + tail`. */
export class JsonRestTemplate {
  readonly head: string;
  readonly tail: string;

  constructor(shape: (hole: string) => object) {
    const json = membersJson(shape(HOLE));
    const at = json.indexOf(HOLE_JSON);
    if (at < 0 || json.indexOf(HOLE_JSON, at + 1) >= 0) throw new Error('a JSON template needs its hole exactly once');
    this.head = json.slice(0, at);
    this.tail = json.slice(at + HOLE_JSON.length);
  }
}

function membersJson(rest: object): string {
  const json = JSON.stringify(rest);
  if (json === '{}' || json[0] !== '{') throw new Error('a chunk rest must be an object with members');
  return `,${json.slice(1)}`;
}

function events(payloads: unknown[]): string {
  let text = '';
  for (const payload of payloads) text += `data: ${payload instanceof SerializedJson ? payload.json : JSON.stringify(payload)}\n\n`;
  return text;
}
