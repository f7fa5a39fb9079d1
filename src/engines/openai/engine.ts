/**
 * The `openai` engine: serves a model from an OpenAI-compatible upstream (vLLM, SGLang,
 * llama-server, Ollama, a hosted API). Requests pass through (request-body.ts); the upstream
 * always streams with `stream_options.include_usage`, and its SSE chunks become engine events.
 * - Usage is the upstream's own count (its tokenizer). An upstream that sends none gets an
 *   estimate (prompt: characters / 4; completion: streamed chunks, usually one token each) — the
 *   one place the "never estimates" rule of the contract cannot hold.
 * - Upstream HTTP failures before the first event are thrown as catalog errors from the first
 *   `next()` (upstream-errors.ts); a stream that breaks after events were sent throws
 *   `upstream_error` from a later `next()` (there is no truthful `done` to send).
 * - Abort (the caller's signal or `close()`) cancels the upstream HTTP request: undici destroys
 *   the connection, which is how vLLM and llama-server learn to stop generating.
 */
import { Agent, request, type Dispatcher } from 'undici';
import { TesseraError, isTesseraError } from '../../core/errors.js';
import type { ChatRequest, CompletionRequest, Engine, EngineCapabilities, EngineEvent, EmbeddingResult } from '../types.js';
import { groupedEvents } from '../event-groups.js';
import { ChunkReader, replyAsChunk, type UpstreamChunk } from './chunk-reader.js';
import { chatBody, chatPromptText, completionBody, estimateTokens } from './request-body.js';
import { parseSseBatches } from './sse-parse.js';
import { SlotQueue } from './slot-queue.js';
import { Cancel } from './cancel.js';
import { callUpstream, type UpstreamResponse } from './upstream-call.js';
import { upstreamConnectionError, upstreamStatusError } from './upstream-errors.js';

export interface OpenAIUpstreamEngineOptions {
  /** The name clients use in `model`. */
  name: string;
  /** Base URL including the API prefix, e.g. `http://gpu1:8000/v1`. */
  baseUrl: string;
  /** Sent as `Authorization: Bearer …`; never logged. */
  apiKey?: string;
  /** The model name the upstream expects; default `name`. */
  upstreamModel?: string;
  /** Default: the upstream's `/models` entry (`max_model_len`, `context_length`), else 8192. */
  contextLength?: number;
  /** Requests in flight to the upstream at once; more wait here (stats().queued). Default 64. */
  slots?: number;
  /** What the upstream supports; default everything (the upstream refuses what it cannot do). */
  capabilities?: Partial<EngineCapabilities>;
  /** An undici dispatcher to use instead of the engine's own keep-alive Agent (not closed by the engine). */
  dispatcher?: Dispatcher;
}

const DEFAULT_CONTEXT_LENGTH = 8192;
const DISCOVERY_TIMEOUT_MS = 5000;

/** A non-streamed reply as the payloads a stream would have carried (one chunk, then [DONE]). */
async function singleReply(response: UpstreamResponse): Promise<Array<Array<string | UpstreamChunk>>> {
  return [[replyAsChunk(await response.text()), '[DONE]']];
}

function headerValue(value: string | string[] | undefined): string | undefined {
  return Array.isArray(value) ? value[0] : value;
}

export async function createOpenAIUpstreamEngine(options: OpenAIUpstreamEngineOptions): Promise<Engine> {
  const base = options.baseUrl.replace(/\/+$/, '');
  const baseUrl = new URL(base);
  const host = baseUrl.host;
  // Origin and path prefix parsed once: requests go straight to the dispatcher (no URL per request).
  const origin = baseUrl.origin;
  const pathPrefix = baseUrl.pathname.replace(/\/+$/, '');
  const model = options.upstreamModel ?? options.name;
  const queue = new SlotQueue(options.slots ?? 64);
  // Connections for every slot plus a few for embeddings and discovery, so a full queue of
  // generations never starves them; keep-alive avoids a TCP handshake per request.
  const ownAgent = options.dispatcher ? undefined : new Agent({ connections: queue.slots + 4, keepAliveTimeout: 30_000 });
  const dispatcher = options.dispatcher ?? ownAgent!;
  const headers: Record<string, string> = { 'content-type': 'application/json', accept: 'application/json, text/event-stream' };
  if (options.apiKey) headers.authorization = `Bearer ${options.apiKey}`;
  /** Requests in flight, so close() can abort them all. */
  const running = new Set<Cancel>();
  let closing: Promise<void> | undefined;

  function post(path: string, body: unknown, cancel: Cancel): Promise<UpstreamResponse> {
    return callUpstream(dispatcher, { origin, path: `${pathPrefix}${path}`, method: 'POST', headers, body: JSON.stringify(body) }, cancel);
  }

  function refuseIfClosed(): void {
    if (closing) throw new TesseraError('model_not_ready', `The model '${options.name}' has been unloaded.`);
  }

  /** A request's cancellation, followed by close() until `unfollow`. */
  function follow(signal: AbortSignal): Cancel {
    const cancel = new Cancel(signal);
    running.add(cancel);
    return cancel;
  }

  function unfollow(cancel: Cancel): void {
    cancel.dispose();
    running.delete(cancel);
  }

  /** The events of one generation, in the groups one upstream read completed (event-groups.ts). */
  async function* generate(path: string, body: Record<string, unknown>, promptText: string, callerSignal: AbortSignal): AsyncGenerator<EngineEvent[]> {
    refuseIfClosed();
    const cancel = follow(callerSignal);
    const reader = new ChunkReader();
    const usage = () => reader.usage ?? { promptTokens: estimateTokens(promptText), completionTokens: reader.contentChunks };
    let response: UpstreamResponse | undefined;
    let held = false;
    const release = () => {
      if (held) queue.release();
      held = false;
    };
    try {
      held = queue.tryAcquire(cancel) || (await queue.acquire(cancel));
      if (!held) {
        // Aborted while queued: the upstream never saw the prompt.
        yield [{ type: 'done', finishReason: 'abort', usage: { promptTokens: 0, completionTokens: 0 } }];
        return;
      }
      try {
        response = await post(path, body, cancel);
      } catch (err) {
        if (!cancel.aborted) throw upstreamConnectionError(host, err);
      }
      if (response && response.statusCode !== 200) {
        const text = await response.text().catch(() => '');
        throw upstreamStatusError(response.statusCode, text, headerValue(response.headers['retry-after']));
      }
      let sawDone = false;
      try {
        const single = body.stream === false;
        // After [DONE] the body is still read to its end so the connection goes back to the pool.
        // Payloads come in the groups one network read completed.
        const batches = !response ? [] : single ? await singleReply(response) : parseSseBatches(response.chunks());
        for await (const payloads of batches) {
          // Only an await lets an abort in: checked after each one, not per payload.
          if (cancel.aborted) break;
          const group: EngineEvent[] = [];
          let failure: { error: unknown } | undefined;
          try {
            for (const data of payloads) {
              if (data === '[DONE]') sawDone = true;
              if (sawDone) continue;
              reader.read(data, group);
            }
          } catch (error) {
            // An in-band error: the events before it still go out, as they would one by one.
            failure = { error };
          }
          if (group.length > 0) yield group;
          if (failure) throw failure.error;
          // The consumer may have aborted while we were suspended in `yield`.
          if (cancel.aborted) break;
        }
      } catch (err) {
        if (!cancel.aborted) throw isTesseraError(err) ? err : upstreamConnectionError(host, err, reader.contentChunks);
      }
      if (cancel.aborted) {
        release();
        yield [{ type: 'done', finishReason: 'abort', usage: usage() }];
        return;
      }
      if (!reader.finished && !sawDone) {
        throw upstreamConnectionError(host, new Error('the stream ended before the reply finished'), reader.contentChunks);
      }
      const calls = reader.flushCalls();
      // The slot is free before `done` is delivered, so a consumer that sees `done` sees stats() settled.
      release();
      yield [...calls, { type: 'done', finishReason: reader.finishReason, usage: usage() }];
    } finally {
      release();
      unfollow(cancel);
      response?.discard();
    }
  }

  async function embed(input: string[], callerSignal: AbortSignal): Promise<EmbeddingResult> {
    refuseIfClosed();
    const cancel = follow(callerSignal);
    try {
      let response: UpstreamResponse;
      try {
        response = await post('/embeddings', { model, input }, cancel);
      } catch (err) {
        if (cancel.aborted) throw err;
        throw upstreamConnectionError(host, err);
      }
      const text = await response.text();
      if (response.statusCode !== 200) throw upstreamStatusError(response.statusCode, text, headerValue(response.headers['retry-after']));
      const parsed = JSON.parse(text) as { data?: Array<{ index?: number; embedding?: unknown }>; usage?: { prompt_tokens?: number } };
      const data = [...(parsed.data ?? [])].sort((a, b) => (a.index ?? 0) - (b.index ?? 0));
      if (data.length !== input.length || !data.every((d) => Array.isArray(d.embedding))) {
        throw new TesseraError('upstream_error', `The upstream returned ${data.length} embeddings for ${input.length} inputs.`);
      }
      const promptTokens = parsed.usage?.prompt_tokens ?? input.reduce((n, t) => n + estimateTokens(t), 0);
      return { embeddings: data.map((d) => d.embedding as number[]), promptTokens };
    } finally {
      unfollow(cancel);
    }
  }

  const contextLength = options.contextLength ?? (await discoverContextLength(base, model, headers, dispatcher)) ?? DEFAULT_CONTEXT_LENGTH;

  return {
    info: {
      name: options.name,
      kind: 'openai',
      contextLength,
      capabilities: { chat: true, completion: true, embeddings: true, tools: true, jsonSchema: true, ...options.capabilities },
      randomWeights: false,
      device: host,
    },
    chat: (req: ChatRequest, signal: AbortSignal) => groupedEvents(() => generate('/chat/completions', chatBody(model, req), chatPromptText(req), signal)),
    complete: (req: CompletionRequest, signal: AbortSignal) => groupedEvents(() => generate('/completions', completionBody(model, req), req.prompt, signal)),
    embed,
    stats: () => ({ active: queue.active, queued: queue.queued, slots: queue.slots }),
    close() {
      closing ??= (async () => {
        for (const cancel of running) cancel.abort();
        await ownAgent?.destroy();
      })();
      return closing;
    },
  };
}

/**
 * The upstream's context window from its model list: vLLM reports `max_model_len`, OpenRouter
 * and LM Studio style servers `context_length`. Best effort: an unreachable upstream must not
 * stop Tessera from starting (requests will then report it), so failures give `undefined`.
 */
async function discoverContextLength(
  base: string,
  model: string,
  headers: Record<string, string>,
  dispatcher: Dispatcher,
): Promise<number | undefined> {
  try {
    const response = await request(`${base}/models`, { headers, dispatcher, signal: AbortSignal.timeout(DISCOVERY_TIMEOUT_MS) });
    if (response.statusCode !== 200) {
      await response.body.dump();
      return undefined;
    }
    const list = (await response.body.json()) as { data?: Array<Record<string, unknown>> };
    const entry = list.data?.find((m) => m.id === model);
    const value = [entry?.max_model_len, entry?.context_length, entry?.context_window].find((v) => typeof v === 'number' && v > 0);
    return value as number | undefined;
  } catch {
    return undefined;
  }
}
