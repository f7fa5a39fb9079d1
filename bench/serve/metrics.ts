/**
 * One definition of "aggregate decode tokens/s" and "time to first token" for the two columns that
 * stream real tokens (Tessera over HTTP, node-llama-cpp direct), chosen to match what
 * `llama-batched-bench` reports for the native column:
 *
 * - native S_TG counts the tokens of the decode steps that run after every prompt has been
 *   processed, divided by the time of those steps;
 * - here the decode window opens when the *last* stream has received its first token (from then on
 *   every stream is decoding) and closes when the last token of any stream arrives; the rate is the
 *   tokens received inside the window divided by its length.
 * - TTFT "all" = time from the common start until every stream has its first token (what native
 *   T_PP measures: all prompts in one batch); TTFT "mean" is the per-request average a client sees.
 *
 * All times are milliseconds from one monotonic clock (performance.now()).
 */

export interface StreamTiming {
  /** When the request (or evaluate loop) was started. */
  startMs: number;
  /** Arrival time of every received token (or SSE chunk, see `tokens`). */
  tokenTimesMs: number[];
  /** Tokens actually produced (from `usage` over HTTP); may differ from tokenTimesMs.length. */
  tokens: number;
  promptTokens: number;
  /** Set when the stream failed; its partial timings are still counted. */
  error?: string;
}

/** Tokens received so far in a running measurement (for progress lines), and its time limit. */
export interface TokenCounter {
  tokens: number;
  /** Aborted when the run has taken too long: streams stop, their partial timings still count. */
  signal?: AbortSignal;
}

export interface Aggregate {
  streams: number;
  totalTokens: number;
  decodeTokensPerSecond: number;
  /** All tokens over the wall time from the first start to the last token (prefill included). */
  endToEndTokensPerSecond: number;
  ttftMeanMs: number;
  ttftAllMs: number;
  wallMs: number;
  errors: string[];
  promptTokens: number;
}

export function aggregate(timings: StreamTiming[]): Aggregate {
  const ok = timings.filter((t) => t.tokenTimesMs.length > 0);
  const start = Math.min(...timings.map((t) => t.startMs));
  const firsts = ok.map((t) => t.tokenTimesMs[0]);
  const lasts = ok.map((t) => t.tokenTimesMs[t.tokenTimesMs.length - 1]);
  const windowStart = Math.max(...firsts);
  const windowEnd = Math.max(...lasts);
  let inWindow = 0;
  for (const t of ok) {
    // When chunks and tokens differ (a chunk can carry several tokens), scale by the chunk share.
    const scale = t.tokens / t.tokenTimesMs.length;
    inWindow += t.tokenTimesMs.filter((ms) => ms > windowStart).length * scale;
  }
  const totalTokens = timings.reduce((sum, t) => sum + t.tokens, 0);
  const windowSeconds = (windowEnd - windowStart) / 1000;
  return {
    streams: timings.length,
    totalTokens,
    // No window (one stream's tokens all arrived in one read): no rate can be taken.
    decodeTokensPerSecond: ok.length > 0 && windowSeconds > 0 ? inWindow / windowSeconds : NaN,
    endToEndTokensPerSecond: ok.length > 0 ? totalTokens / ((windowEnd - start) / 1000) : 0,
    ttftMeanMs: ok.length > 0 ? ok.reduce((s, t) => s + (t.tokenTimesMs[0] - t.startMs), 0) / ok.length : NaN,
    ttftAllMs: ok.length > 0 ? windowStart - start : NaN,
    wallMs: ok.length > 0 ? windowEnd - start : NaN,
    errors: timings.flatMap((t) => (t.error ? [t.error] : [])),
    // Streams that failed before their usage chunk report no prompt count: leave them out.
    promptTokens: mean(timings.map((t) => t.promptTokens).filter((n) => n > 0)),
  };
}

function mean(values: number[]): number {
  return values.length > 0 ? values.reduce((a, b) => a + b, 0) / values.length : NaN;
}

/**
 * Prompts of about `approxTokens` tokens, different per stream (so no stream can reuse another's
 * KV cache), built from plain words that every byte-level BPE vocabulary tokenizes.
 */
export function makePrompt(stream: number, approxWords: number): string {
  const words = ['river', 'stone', 'market', 'cloud', 'engine', 'harbor', 'lamp', 'forest', 'signal', 'paper', 'orbit', 'garden'];
  const out: string[] = [`Stream ${stream}:`];
  for (let i = 0; out.length < approxWords; i++) out.push(words[(i * 7 + stream * 5) % words.length]);
  return out.join(' ');
}
