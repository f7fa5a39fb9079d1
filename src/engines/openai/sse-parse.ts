/**
 * Server-sent events → the `data` of each event, as the WHATWG EventSource rules say: lines end
 * with \n, \r\n or \r (also split across network chunks); several `data:` lines of one event are
 * joined with \n; a blank line ends the event; comments (`:`) and other fields are ignored. A
 * last event without its blank line is still delivered (some upstreams close right after it).
 *
 * `SseDecoder` is the synchronous core: a network chunk in, the events it completes out (no
 * generator step per line or event, which counts when an upstream sends a whole reply at once).
 */
import { StringDecoder } from 'node:string_decoder';

export class SseDecoder {
  // Node's native UTF-8 decoder (keeps a character split across chunks for the next one); a
  // TextDecoder goes through ICU and costs several times more per request.
  readonly #decoder = new StringDecoder('utf8');
  #buffer = '';
  /** The `data` of the event being read, its lines joined with \n; null before its first one. */
  #data: string | null = null;
  /** A chunk ending in \r may be the first half of \r\n; the \n must then not end another line. */
  #skipLeadingNewline = false;

  /** The events completed by `chunk`. */
  push(chunk: Uint8Array | string): string[] {
    this.#buffer += typeof chunk === 'string' ? chunk : this.#decoder.write(chunk);
    const out: string[] = [];
    this.#takeLines(out);
    return out;
  }

  /** The events left when the stream ends (a last line or event without its terminator). */
  end(): string[] {
    this.#buffer += this.#decoder.end();
    const out: string[] = [];
    this.#takeLines(out);
    if (this.#buffer !== '') this.#onLine(this.#buffer, out);
    this.#buffer = '';
    if (this.#data !== null) out.push(this.#data);
    this.#data = null;
    return out;
  }

  #takeLines(out: string[]): void {
    const buffer = this.#buffer;
    // Almost every upstream ends lines with \n alone: find them with indexOf (native search)
    // rather than looking at every character.
    if (!this.#skipLeadingNewline && buffer.indexOf('\r') < 0) {
      let start = 0;
      for (let end = buffer.indexOf('\n'); end >= 0; end = buffer.indexOf('\n', start)) {
        this.#onLine(buffer.slice(start, end), out);
        start = end + 1;
      }
      this.#buffer = start === 0 ? buffer : buffer.slice(start);
      return;
    }
    let start = 0;
    for (let i = 0; i < buffer.length; i++) {
      const ch = buffer.charCodeAt(i);
      if (ch === 10 && this.#skipLeadingNewline && i === start) {
        start = i + 1;
        this.#skipLeadingNewline = false;
        continue;
      }
      this.#skipLeadingNewline = false;
      if (ch !== 10 && ch !== 13) continue;
      this.#onLine(buffer.slice(start, i), out);
      if (ch === 13) {
        if (i + 1 < buffer.length) {
          if (buffer.charCodeAt(i + 1) === 10) i += 1;
        } else this.#skipLeadingNewline = true;
      }
      start = i + 1;
    }
    this.#buffer = start === 0 ? buffer : buffer.slice(start);
  }

  #onLine(line: string, out: string[]): void {
    if (line === '') {
      if (this.#data !== null) out.push(this.#data);
      this.#data = null;
      return;
    }
    if (line.charCodeAt(0) === 58 /* : */) return;
    const colon = line.indexOf(':');
    const field = colon < 0 ? line : line.slice(0, colon);
    if (field !== 'data') return;
    let value = colon < 0 ? '' : line.slice(colon + 1);
    if (value.charCodeAt(0) === 32 /* space */) value = value.slice(1);
    // Without an array per event: a reply's worth of them was a tenth of what a request allocated.
    this.#data = this.#data === null ? value : `${this.#data}\n${value}`;
  }
}

/** The events of a whole stream, one `data` at a time. */
export async function* parseSse(chunks: AsyncIterable<Uint8Array | string>): AsyncGenerator<string> {
  const decoder = new SseDecoder();
  for await (const chunk of chunks) yield* decoder.push(chunk);
  yield* decoder.end();
}

/** The events of a whole stream, in the groups each network chunk completed. */
export async function* parseSseBatches(chunks: AsyncIterable<Uint8Array | string>): AsyncGenerator<string[]> {
  const decoder = new SseDecoder();
  for await (const chunk of chunks) {
    const events = decoder.push(chunk);
    if (events.length > 0) yield events;
  }
  const last = decoder.end();
  if (last.length > 0) yield last;
}
