/**
 * Server-sent events → the `data` of each event, as the WHATWG EventSource rules say: lines end
 * with \n, \r\n or \r (also split across network chunks); several `data:` lines of one event are
 * joined with \n; a blank line ends the event; comments (`:`) and other fields are ignored. A
 * last event without its blank line is still delivered (some upstreams close right after it).
 */
export async function* parseSse(chunks: AsyncIterable<Uint8Array | string>): AsyncGenerator<string> {
  const decoder = new TextDecoder();
  let buffer = '';
  let data: string[] = [];
  // A chunk ending in \r may be the first half of \r\n; the \n must then not end another line.
  let skipLeadingNewline = false;

  function* takeLines(): Generator<string> {
    let start = 0;
    for (let i = 0; i < buffer.length; i++) {
      const ch = buffer.charCodeAt(i);
      if (ch === 10 && skipLeadingNewline && i === start) {
        start = i + 1;
        skipLeadingNewline = false;
        continue;
      }
      skipLeadingNewline = false;
      if (ch !== 10 && ch !== 13) continue;
      yield buffer.slice(start, i);
      if (ch === 13) {
        if (i + 1 < buffer.length) {
          if (buffer.charCodeAt(i + 1) === 10) i += 1;
        } else skipLeadingNewline = true;
      }
      start = i + 1;
    }
    buffer = buffer.slice(start);
  }

  function* onLine(line: string): Generator<string> {
    if (line === '') {
      if (data.length > 0) yield data.join('\n');
      data = [];
      return;
    }
    if (line.startsWith(':')) return;
    const colon = line.indexOf(':');
    const field = colon < 0 ? line : line.slice(0, colon);
    if (field !== 'data') return;
    let value = colon < 0 ? '' : line.slice(colon + 1);
    if (value.startsWith(' ')) value = value.slice(1);
    data.push(value);
  }

  for await (const chunk of chunks) {
    buffer += typeof chunk === 'string' ? chunk : decoder.decode(chunk, { stream: true });
    for (const line of takeLines()) yield* onLine(line);
  }
  buffer += decoder.decode();
  for (const line of takeLines()) yield* onLine(line);
  if (buffer !== '') yield* onLine(buffer);
  if (data.length > 0) yield data.join('\n');
}
