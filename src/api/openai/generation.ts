/**
 * Drives one generation for an HTTP request: opens the gateway stream, answers refusals with a
 * proper status (they arrive before the first event), then either streams SSE chunks or collects
 * a single JSON body. A client that disconnects aborts the generation; the stream is still read
 * to its `done` event so usage records what was produced.
 *
 * The gateway hands events over in batches (what was ready together, already journaled); each
 * batch goes out in one write (sse.ts). The request is settled before the batch with `done`
 * arrives, so the stream's end is written with it.
 */
import type { Socket } from 'node:net';
import type { FastifyReply, FastifyRequest } from 'fastify';
import type { EngineEvent, FinishReason, ToolCall, Usage } from '../../engines/types.js';
import { SseStream } from '../sse.js';

export interface Collected {
  text: string;
  toolCalls: ToolCall[];
  finishReason: FinishReason;
  usage: Usage;
}

/** How an endpoint turns events into its own wire format. */
export interface WireFormat {
  /** Chunk sent before any token (chat sends the assistant role). */
  opening?: () => unknown;
  textChunk: (text: string) => unknown;
  toolCallsChunk?: (calls: ToolCall[]) => unknown;
  closingChunk: (finishReason: FinishReason) => unknown;
  usageChunk: (usage: Usage) => unknown;
  body: (collected: Collected) => unknown;
}

export type OpenStream = (signal: AbortSignal) => AsyncIterator<EngineEvent[]>;

const disconnects = new WeakMap<Socket, AbortSignal>();

/**
 * Aborts when the client's connection closes. One signal per connection, not per request: HTTP/1.1
 * runs a connection's requests one after another, so its close is the disconnect of whichever is
 * in flight (and of none once the last response is out). Making an AbortSignal and listening for
 * `close` per request was 4–5 % of the gateway's CPU (bench/gateway). Engines see one signal for
 * many requests and must remove what they add to it (the `Engine` contract).
 */
export function disconnectSignal(request: FastifyRequest): AbortSignal {
  const socket = request.raw.socket;
  let signal = disconnects.get(socket);
  if (signal) return signal;
  if (socket.destroyed) return AbortSignal.abort();
  const controller = new AbortController();
  socket.once('close', () => controller.abort());
  signal = controller.signal;
  disconnects.set(socket, signal);
  return signal;
}

export async function respondWithGeneration(
  request: FastifyRequest,
  reply: FastifyReply,
  open: OpenStream,
  wire: WireFormat,
  options: { stream: boolean; includeUsage: boolean; requestId: string },
): Promise<unknown> {
  const events = open(disconnectSignal(request));
  // Refusals (context too long, engine errors before generation) throw here, before any byte is
  // sent, and reach the error handler with their real status.
  const first = await events.next();

  if (!options.stream) {
    const collected: Collected = { text: '', toolCalls: [], finishReason: 'stop', usage: { promptTokens: 0, completionTokens: 0 } };
    for (let step = first; !step.done; step = await events.next()) {
      for (const event of step.value) {
        if (event.type === 'text') collected.text += event.text;
        else if (event.type === 'tool_calls') collected.toolCalls.push(...event.calls);
        else {
          collected.finishReason = event.finishReason;
          collected.usage = event.usage;
        }
      }
    }
    return reply.header('x-request-id', options.requestId).send(wire.body(collected));
  }

  reply.hijack();
  const res = reply.raw;
  const sse = new SseStream(res, { 'x-request-id': options.requestId });
  // The opening chunk (and the headers) go out with the first batch.
  let payloads: unknown[] = wire.opening ? [wire.opening()] : [];
  try {
    for (let step = first; !step.done; step = await events.next()) {
      let ended = false;
      for (const event of step.value) {
        if (event.type === 'text') payloads.push(wire.textChunk(event.text));
        else if (event.type === 'tool_calls' && wire.toolCallsChunk) payloads.push(wire.toolCallsChunk(event.calls));
        else if (event.type === 'done') {
          payloads.push(wire.closingChunk(event.finishReason));
          if (options.includeUsage) payloads.push(wire.usageChunk(event.usage));
          ended = true;
        }
      }
      // After a disconnect keep draining (the engine stops soon) but write nothing.
      // Settled before `done` was handed over: the stream may end in the same write.
      if (ended) sse.end(payloads);
      else await sse.send(payloads);
      payloads = [];
    }
    sse.end(payloads);
  } catch (err) {
    // The status is sent: the only honest signal left is an error event, then closing the stream.
    request.log.warn({ err }, 'stream failed after headers were sent');
    const payload =
      err && typeof err === 'object' && 'toJSON' in err && typeof err.toJSON === 'function'
        ? err.toJSON()
        : { error: { message: 'Internal error.', type: 'server_error', param: null, code: 'internal_error' } };
    await sse.send([...payloads, payload]);
    res.end();
  }
  return reply;
}

export function usageBody(usage: Usage) {
  return {
    prompt_tokens: usage.promptTokens,
    completion_tokens: usage.completionTokens,
    total_tokens: usage.promptTokens + usage.completionTokens,
    ...(usage.cachedPromptTokens !== undefined
      ? { prompt_tokens_details: { cached_tokens: usage.cachedPromptTokens } }
      : {}),
  };
}

/** The client is gone when we report `abort`; OpenAI has no such reason, so `stop` it is. */
export function finishReasonBody(reason: FinishReason): 'stop' | 'length' | 'tool_calls' {
  return reason === 'abort' ? 'stop' : reason;
}
