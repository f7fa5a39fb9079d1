/**
 * N concurrent streaming `/v1/completions` requests against an OpenAI-compatible server (Tessera,
 * and llama.cpp's llama-server as its peer), each timed on the client: TTFT is the arrival
 * of the first SSE chunk carrying text, decode rate comes from every chunk's arrival time, and the
 * token count from the final `usage` chunk (`stream_options.include_usage`), so an early stop (EOS)
 * is reported over the tokens really produced, never over `max_tokens`.
 */
import { performance } from 'node:perf_hooks';
import { Agent, request } from 'undici';
import { aggregate, type Aggregate, type StreamTiming, type TokenCounter } from './metrics.js';

export interface HttpLoadOptions {
  baseUrl: string;
  apiKey?: string;
  model: string;
  streams: number;
  tokens: number;
  prompts: string[];
  /** Extra body fields a server understands (e.g. llama-server's `ignore_eos`). */
  extraBody?: Record<string, unknown>;
  /** Incremented for every chunk that carries text. */
  counter?: TokenCounter;
}

export async function runHttpLoad(o: HttpLoadOptions): Promise<Aggregate> {
  // One connection per stream, opened fresh for the row: no head-of-line blocking between streams.
  const agent = new Agent({ connections: o.streams + 1, pipelining: 1, keepAliveTimeout: 30_000 });
  try {
    const startMs = performance.now();
    const timings = await Promise.all(
      Array.from({ length: o.streams }, (_, i) => streamOne(agent, o, o.prompts[i % o.prompts.length], startMs)),
    );
    return aggregate(timings);
  } finally {
    await agent.close();
  }
}

async function streamOne(agent: Agent, o: HttpLoadOptions, prompt: string, startMs: number): Promise<StreamTiming> {
  const tokenTimesMs: number[] = [];
  let usageTokens: number | undefined;
  let promptTokens = 0;
  try {
    const res = await request(`${o.baseUrl}/v1/completions`, {
      method: 'POST',
      dispatcher: agent,
      headers: {
        'content-type': 'application/json',
        accept: 'text/event-stream',
        ...(o.apiKey ? { authorization: `Bearer ${o.apiKey}` } : {}),
      },
      body: JSON.stringify({
        model: o.model,
        prompt,
        max_tokens: o.tokens,
        temperature: 0,
        stream: true,
        stream_options: { include_usage: true },
        ...o.extraBody,
      }),
      signal: o.counter?.signal,
      headersTimeout: 600_000,
      bodyTimeout: 600_000,
    });
    if (res.statusCode !== 200) {
      const text = await res.body.text();
      throw new Error(`HTTP ${res.statusCode}: ${text.slice(0, 300)}`);
    }
    let buffer = '';
    for await (const chunk of res.body) {
      const now = performance.now();
      buffer += (chunk as Buffer).toString('utf8');
      // SSE events are separated by a blank line; several can arrive in one TCP chunk.
      let cut: number;
      while ((cut = buffer.indexOf('\n\n')) >= 0) {
        const event = buffer.slice(0, cut);
        buffer = buffer.slice(cut + 2);
        for (const line of event.split('\n')) {
          if (!line.startsWith('data:')) continue;
          const data = line.slice(5).trim();
          if (data === '[DONE]') continue;
          const payload = JSON.parse(data) as {
            choices?: Array<{ text?: string; delta?: { content?: string } }>;
            usage?: { completion_tokens?: number; prompt_tokens?: number } | null;
          };
          const choice = payload.choices?.[0];
          const text = choice?.text ?? choice?.delta?.content ?? '';
          if (text.length > 0) {
            tokenTimesMs.push(now);
            if (o.counter) o.counter.tokens += 1;
          }
          if (payload.usage?.completion_tokens !== undefined) {
            usageTokens = payload.usage.completion_tokens;
            promptTokens = payload.usage.prompt_tokens ?? 0;
          }
        }
      }
    }
    if (usageTokens === undefined) throw new Error('the stream ended without a usage chunk');
    return { startMs, tokenTimesMs, tokens: usageTokens, promptTokens };
  } catch (err) {
    const error = o.counter?.signal?.aborted
      ? `stopped at the time limit after ${tokenTimesMs.length} chunks`
      : err instanceof Error
        ? err.message
        : String(err);
    return { startMs, tokenTimesMs, tokens: usageTokens ?? tokenTimesMs.length, promptTokens, error };
  }
}
