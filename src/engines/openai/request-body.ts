/**
 * Engine requests → OpenAI request bodies for the upstream. The structured request is the truth
 * (the gateway may have changed sampling, e.g. capped max_tokens); from `raw`, the validated
 * client body, only fields that carry more than the structured form are copied verbatim
 * (`response_format` and `tools` keep `strict` and descriptions; `user` has no structured form).
 * The upstream streams with usage, except for a client that asked for one JSON reply (`wantsSingleReply`
 * below): the engine's events are then read from that reply.
 */
import type { ChatMessage, ChatRequest, CompletionRequest, ResponseFormat, Sampling, ToolChoice } from '../types.js';

type Body = Record<string, unknown>;

function samplingFields(s: Sampling): Body {
  // undefined fields vanish in JSON.stringify, so the upstream applies its own defaults for them.
  return {
    temperature: s.temperature,
    top_p: s.topP,
    top_k: s.topK, // not OpenAI's; only sent when the client sent it (vLLM, llama-server accept it)
    seed: s.seed,
    max_tokens: s.maxTokens,
    stop: s.stop?.length ? s.stop : undefined,
    presence_penalty: s.presencePenalty,
    frequency_penalty: s.frequencyPenalty,
  };
}

function wireMessage(m: ChatMessage): Body {
  return {
    role: m.role,
    content: m.content,
    name: m.name,
    tool_calls: m.toolCalls?.map((c) => ({ id: c.id, type: 'function', function: { name: c.name, arguments: c.arguments } })),
    tool_call_id: m.toolCallId,
  };
}

function wireToolChoice(choice: ToolChoice | undefined): unknown {
  if (choice === undefined || typeof choice === 'string') return choice;
  return { type: 'function', function: { name: choice.name } };
}

function wireResponseFormat(format: ResponseFormat | undefined): unknown {
  if (format?.type !== 'json_schema') return format;
  return { type: 'json_schema', json_schema: { name: format.name ?? 'response', schema: format.schema } };
}

function copyRaw(body: Body, raw: Body | undefined, keys: string[]): Body {
  for (const key of keys) if (raw?.[key] !== undefined && raw[key] !== null) body[key] = raw[key];
  return body;
}

/**
 * Whether to ask the upstream for one JSON reply instead of a stream: only when the client
 * itself asked not to stream (`raw.stream` false or absent in an HTTP request). Nothing reaches
 * that client before the end, so reassembling an SSE stream would be work for nothing; requests
 * without `raw` (tests, internal callers) keep streaming, whose events they consume.
 */
export function wantsSingleReply(raw: Body | undefined): boolean {
  return raw !== undefined && raw.stream !== true;
}

function streaming(body: Body, raw: Body | undefined): Body {
  if (wantsSingleReply(raw)) {
    body.stream = false;
    delete body.stream_options;
  }
  return body;
}

export function chatBody(model: string, req: ChatRequest): Body {
  const body: Body = {
    model,
    messages: req.messages.map(wireMessage),
    ...samplingFields(req.sampling),
    response_format: wireResponseFormat(req.responseFormat),
    tools: req.tools?.map((t) => ({ type: 'function', function: { name: t.name, description: t.description, parameters: t.parameters } })),
    tool_choice: wireToolChoice(req.toolChoice),
    stream: true,
    stream_options: { include_usage: true },
  };
  return streaming(copyRaw(body, req.raw, req.tools?.length ? ['response_format', 'tools', 'user'] : ['response_format', 'user']), req.raw);
}

export function completionBody(model: string, req: CompletionRequest): Body {
  const body: Body = { model, prompt: req.prompt, ...samplingFields(req.sampling), stream: true, stream_options: { include_usage: true } };
  return streaming(copyRaw(body, req.raw, ['user']), req.raw);
}

/** Rough token count for upstreams that report no usage: ~4 characters per token for English BPE. */
export function estimateTokens(text: string): number {
  return Math.ceil(text.length / 4);
}

export function chatPromptText(req: ChatRequest): string {
  return req.messages.map((m) => m.content ?? '').join('\n');
}
