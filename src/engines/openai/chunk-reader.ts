/**
 * Upstream stream chunks (chat.completion.chunk or text_completion) → engine events. Tool call
 * deltas arrive in pieces keyed by `index` (id and name first, then argument fragments); they are
 * joined and emitted as one `tool_calls` event when the choice finishes, because the engine
 * contract carries whole calls. Usage comes from whichever chunk carries it (OpenAI: a last chunk
 * with no choices; some servers: the finishing chunk).
 */
import type { EngineEvent, FinishReason, ToolCall, Usage } from '../types.js';
import { inBandError } from './upstream-errors.js';

export interface UpstreamChunk {
  error?: unknown;
  choices?: Array<{
    text?: string | null;
    delta?: {
      content?: string | null;
      tool_calls?: Array<{ index?: number; id?: string; function?: { name?: string; arguments?: string } }>;
    };
    finish_reason?: string | null;
  }>;
  usage?: { prompt_tokens?: number; completion_tokens?: number; prompt_tokens_details?: { cached_tokens?: number } | null } | null;
}

export class ChunkReader {
  /** Chunks that carried text or a tool call fragment: the token estimate when no usage comes. */
  contentChunks = 0;
  usage: Usage | undefined;
  upstreamFinish: string | undefined;
  /** Tool calls being joined, by index; made at the first fragment (most replies have none). */
  #calls: Map<number, ToolCall> | null = null;
  #callsSent = false;

  /**
   * Events for one SSE `data` payload (already known not to be `[DONE]`), or for a chunk already
   * parsed (a non-streamed reply, `replyAsChunk`). Throws in-band errors.
   */
  read(data: string | UpstreamChunk): EngineEvent[] {
    const chunk = typeof data === 'string' ? (JSON.parse(data) as UpstreamChunk) : data;
    if (chunk.error !== undefined) throw inBandError(chunk.error);
    if (chunk.usage && typeof chunk.usage.prompt_tokens === 'number') {
      const cached = chunk.usage.prompt_tokens_details?.cached_tokens;
      this.usage = {
        promptTokens: chunk.usage.prompt_tokens,
        completionTokens: chunk.usage.completion_tokens ?? 0,
        ...(typeof cached === 'number' && cached > 0 ? { cachedPromptTokens: cached } : {}),
      };
    }
    const events: EngineEvent[] = [];
    // n is always 1 upstream (Tessera refuses n > 1), so only the first choice matters.
    const choice = chunk.choices?.[0];
    if (!choice) return events;
    const text = choice.delta ? choice.delta.content : choice.text;
    if (text) {
      this.contentChunks += 1;
      events.push({ type: 'text', text });
    }
    const fragments = choice.delta?.tool_calls;
    if (fragments) for (const delta of fragments) {
      this.contentChunks += 1;
      const index = delta.index ?? 0;
      const calls = (this.#calls ??= new Map());
      const call = calls.get(index) ?? { id: '', name: '', arguments: '' };
      if (delta.id) call.id = delta.id;
      if (delta.function?.name) call.name += delta.function.name;
      if (delta.function?.arguments) call.arguments += delta.function.arguments;
      calls.set(index, call);
    }
    if (choice.finish_reason) {
      this.upstreamFinish = choice.finish_reason;
      events.push(...this.flushCalls());
    }
    return events;
  }

  /** The joined tool calls, once; also called at stream end for upstreams that never finish a choice. */
  flushCalls(): EngineEvent[] {
    if (this.#callsSent || !this.#calls) return [];
    this.#callsSent = true;
    const calls = [...this.#calls.entries()].sort(([a], [b]) => a - b).map(([index, call]) => ({ ...call, id: call.id || `call_${index}` }));
    return [{ type: 'tool_calls', calls }];
  }

  get finishReason(): FinishReason {
    if (this.#calls || this.upstreamFinish === 'tool_calls' || this.upstreamFinish === 'function_call') return 'tool_calls';
    // `content_filter` and unknown reasons end the turn like `stop`: the text so far is the answer.
    return this.upstreamFinish === 'length' ? 'length' : 'stop';
  }

  /** True once the upstream finished its choice; a stream that closes before that broke. */
  get finished(): boolean {
    return this.upstreamFinish !== undefined;
  }
}

interface UpstreamReply {
  error?: unknown;
  choices?: Array<{
    text?: string | null;
    message?: { content?: string | null; tool_calls?: Array<{ id?: string; function?: { name?: string; arguments?: string } }> | null };
    finish_reason?: string | null;
  }>;
  usage?: UpstreamChunk['usage'];
}

/**
 * A non-streamed reply (`chat.completion` or `text_completion` JSON) as the one chunk a stream
 * would have carried, so both paths go through the same reader: message → delta, each tool call
 * with its index. Handed to the reader as an object (no second JSON round trip).
 */
export function replyAsChunk(text: string): UpstreamChunk {
  const reply = JSON.parse(text) as UpstreamReply;
  if (reply.error !== undefined) return { error: reply.error };
  const choice = reply.choices?.[0];
  const message = choice?.message;
  const chunk: UpstreamChunk = {
    usage: reply.usage,
    choices: choice
      ? [{
          ...(message
            ? { delta: { content: message.content, tool_calls: message.tool_calls?.map((call, index) => ({ index, ...call })) } }
            : { text: choice.text }),
          finish_reason: choice.finish_reason,
        }]
      : [],
  };
  return chunk;
}
