/**
 * The CLI's client for a running server: base URL and key from flags or `TESSERA_URL` /
 * `TESSERA_API_KEY`. Errors come back in OpenAI's shape and are shown as their message + code.
 */
export interface ServerTarget {
  url: string;
  key: string;
}

export function resolveTarget(options: { url?: string; key?: string }, env: Record<string, string | undefined>): ServerTarget {
  const url = (options.url ?? env.TESSERA_URL ?? 'http://127.0.0.1:8080').replace(/\/+$/, '');
  const key = options.key ?? env.TESSERA_API_KEY;
  if (!key) throw new Error('No API key: pass --key sk-... or set TESSERA_API_KEY (the admin key is printed on first start).');
  return { url, key };
}

export async function callServer<T>(target: ServerTarget, method: string, path: string, body?: unknown): Promise<T> {
  let response: Response;
  try {
    response = await fetch(`${target.url}${path}`, {
      method,
      headers: { authorization: `Bearer ${target.key}`, ...(body === undefined ? {} : { 'content-type': 'application/json' }) },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
  } catch (err) {
    throw new Error(`Cannot reach Tessera at ${target.url} (${(err as Error).cause ?? (err as Error).message}). Is \`tessera serve\` running?`, { cause: err });
  }
  const payload = (await response.json().catch(() => null)) as { error?: { message: string; code: string } } | null;
  if (!response.ok) {
    const error = payload?.error;
    throw new Error(error ? `${error.message} (${error.code})` : `HTTP ${response.status}`);
  }
  return payload as T;
}

/** Reads an SSE body and yields each `data:` payload until `[DONE]`. */
export async function* readSse(body: ReadableStream<Uint8Array>): AsyncGenerator<unknown> {
  const decoder = new TextDecoder();
  let buffer = '';
  for await (const bytes of body as unknown as AsyncIterable<Uint8Array>) {
    buffer += decoder.decode(bytes, { stream: true });
    let boundary: number;
    while ((boundary = buffer.indexOf('\n\n')) >= 0) {
      const event = buffer.slice(0, boundary);
      buffer = buffer.slice(boundary + 2);
      for (const line of event.split('\n')) {
        if (!line.startsWith('data:')) continue;
        const data = line.slice(5).trim();
        if (data === '[DONE]') return;
        yield JSON.parse(data);
      }
    }
  }
}
