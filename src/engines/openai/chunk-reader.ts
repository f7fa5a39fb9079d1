/**
 * Upstream stream chunks (chat.completion.chunk or text_completion) → engine events. Tool call
 * deltas arrive in pieces keyed by `index` (id and name first, then argument fragments); they are
 * joined and emitted as one `tool_calls` event when the choice finishes, because the engine
 * contract carries whole calls. Usage comes from whichever chunk carries it (OpenAI: a last chunk
 * with no choices; some servers: the finishing chunk).
 *
 * Most frames of a stream are one token's text in the same JSON around it (id, model, created,
 * index…), and parsing each whole frame was the gateway's largest cost per streamed request
 * (bench/gateway). `FrameShape` reads such a frame's text without parsing the rest.
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

/** Shapes one stream may learn (frames after the last one learned are parsed whole). */
const MAX_LEARNINGS = 4;

export class ChunkReader {
  /** Chunks that carried text or a tool call fragment: the token estimate when no usage comes. */
  contentChunks = 0;
  usage: Usage | undefined;
  upstreamFinish: string | undefined;
  /** Tool calls being joined, by index; made at the first fragment (most replies have none). */
  #calls: Map<number, ToolCall> | null = null;
  #callsSent = false;
  /** The shape of the last text-only frame, once one was seen (null also when it could not be learned). */
  #shape: FrameShape | null = null;
  #learnings = 0;
  /** Frames parsed as whole JSON (the others were read through the learned shape). */
  framesParsed = 0;

  /**
   * Appends the events of one SSE `data` payload (already known not to be `[DONE]`), or of a
   * chunk already parsed (a non-streamed reply, `replyAsChunk`), to `into`, and returns it. Throws
   * in-band errors.
   */
  read(data: string | UpstreamChunk, into: EngineEvent[] = []): EngineEvent[] {
    if (typeof data !== 'string') return this.#events(data, into);
    const text = this.#shape?.textOf(data);
    if (text !== undefined) return this.#pushText(text, into);
    this.framesParsed += 1;
    const chunk = JSON.parse(data) as UpstreamChunk;
    const before = into.length;
    this.#events(chunk, into);
    // A frame whose only news is its text: the next ones are likely the same but for the text.
    // Learning costs a parse; an upstream whose frames differ in more than their text (a
    // per-frame nonce, say) is given a few tries, not one per frame.
    const only = into.length === before + 1 ? into[before] : undefined;
    if (this.#learnings < MAX_LEARNINGS && only?.type === 'text' && isPlainText(chunk)) {
      this.#learnings += 1;
      this.#shape = FrameShape.learn(data, only.text);
    }
    return into;
  }

  #pushText(text: string | null | undefined, into: EngineEvent[]): EngineEvent[] {
    if (text) {
      this.contentChunks += 1;
      into.push({ type: 'text', text });
    }
    return into;
  }

  #events(chunk: UpstreamChunk, events: EngineEvent[]): EngineEvent[] {
    if (chunk.error !== undefined) throw inBandError(chunk.error);
    if (chunk.usage && typeof chunk.usage.prompt_tokens === 'number') {
      const cached = chunk.usage.prompt_tokens_details?.cached_tokens;
      this.usage = {
        promptTokens: chunk.usage.prompt_tokens,
        completionTokens: chunk.usage.completion_tokens ?? 0,
        ...(typeof cached === 'number' && cached > 0 ? { cachedPromptTokens: cached } : {}),
      };
    }
    // n is always 1 upstream (Tessera refuses n > 1), so only the first choice matters.
    const choice = chunk.choices?.[0];
    if (!choice) return events;
    this.#pushText(textOf(chunk), events);
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

/** The text a chunk carries: a chat delta's content or a completion's text. */
function textOf(chunk: UpstreamChunk): string | null | undefined {
  const choice = chunk.choices?.[0];
  return choice?.delta ? choice.delta.content : choice?.text;
}

/** A chunk that changes nothing in the reader but its text: no error, usage, tool call or finish. */
function isPlainText(chunk: UpstreamChunk): boolean {
  const choice = chunk.choices?.[0];
  return chunk.error === undefined && typeof chunk.usage?.prompt_tokens !== 'number' && !choice?.delta?.tool_calls && !choice?.finish_reason;
}

/**
 * A frame's JSON with a hole where its text goes: `prefix` + a JSON string + `suffix`. A frame
 * that starts with the prefix, ends with the suffix and has exactly one JSON string between them is
 * the learned frame with another text, so the reader handles it as it did that one, with the new text;
 * JSON.parse of the string alone decides that (a `"a","b":"c"` in the hole is no string and fails).
 */
export class FrameShape {
  private constructor(
    private readonly prefix: string,
    private readonly suffix: string,
  ) {}

  /**
   * The shape of `frame`, whose text is `text`, or null. The text's JSON form must occur once in the
   * frame: then that occurrence is the text's own, if the frame wrote the text as JSON.stringify
   * does. Without a backslash in the frame every string in it is written so (JSON.stringify only
   * differs by escapes). Otherwise the frame with a probe string in that place must parse to a
   * chunk whose text is the probe, which proves the hole is the text (and not, say, a model name
   * equal to it, with the text itself written as `\u0068i`).
   */
  static learn(frame: string, text: string): FrameShape | null {
    const literal = JSON.stringify(text);
    const at = frame.indexOf(literal);
    if (at < 0 || frame.lastIndexOf(literal) !== at) return null;
    const shape = new FrameShape(frame.slice(0, at), frame.slice(at + literal.length));
    if (frame.indexOf('\\') < 0) return shape;
    const probe = '\u0000probe';
    try {
      return textOf(JSON.parse(`${shape.prefix}${JSON.stringify(probe)}${shape.suffix}`) as UpstreamChunk) === probe ? shape : null;
    } catch {
      return null;
    }
  }

  /** The text of `frame` when it has this shape; undefined when it has not. */
  textOf(frame: string): string | undefined {
    const { prefix, suffix } = this;
    const end = frame.length - suffix.length;
    // Slices compared with ===: Node 20's startsWith took 0.6 µs for a 100-character prefix, this 0.06.
    if (end - prefix.length < 2 || frame.charCodeAt(prefix.length) !== 0x22 || frame.slice(0, prefix.length) !== prefix || frame.slice(end) !== suffix) return undefined;
    const literal = frame.slice(prefix.length, end);
    // Most tokens' JSON has no escape, quote or control character inside its quotes: the text is
    // what lies between them. Anything else is left to JSON.parse, which also refuses what is no string.
    if (PLAIN_STRING.test(literal)) return literal.slice(1, -1);
    try {
      const text: unknown = JSON.parse(literal);
      return typeof text === 'string' ? text : undefined;
    } catch {
      return undefined;
    }
  }
}

/** A JSON string literal without escapes: quotes around characters that need none. */
// eslint-disable-next-line no-control-regex
const PLAIN_STRING = /^"[^"\\\u0000-\u001f]*"$/;

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
