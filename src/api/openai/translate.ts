/**
 * OpenAI request bodies → engine requests. The engine contract (`engines/types.ts`) is OpenAI's
 * model in camelCase, so this is mostly renaming plus the few refusals the API makes up front.
 */
import { TesseraError } from '../../core/errors.js';
import type { ChatMessage, ChatRequest, CompletionRequest, Sampling, ToolChoice } from '../../engines/types.js';
import type { ChatCompletionRequest, CompletionRequestBody } from './schemas.js';

type SamplingBody = Pick<
  ChatCompletionRequest,
  'temperature' | 'top_p' | 'top_k' | 'seed' | 'max_tokens' | 'stop' | 'presence_penalty' | 'frequency_penalty'
>;

function toSampling(body: SamplingBody, maxTokens: number | null | undefined): Sampling {
  const stop = body.stop == null ? undefined : typeof body.stop === 'string' ? [body.stop] : body.stop;
  return {
    temperature: body.temperature ?? undefined,
    topP: body.top_p ?? undefined,
    topK: body.top_k ?? undefined,
    seed: body.seed ?? undefined,
    maxTokens: maxTokens ?? undefined,
    stop: stop?.filter((s) => s.length > 0),
    presencePenalty: body.presence_penalty ?? undefined,
    frequencyPenalty: body.frequency_penalty ?? undefined,
  };
}

type Content = ChatCompletionRequest['messages'][number]['content'];

function contentText(content: Content, index: number): string | null {
  if (content == null) return null;
  if (typeof content === 'string') return content;
  return content
    .map((part, partIndex) => {
      if (part.type !== 'text') {
        throw new TesseraError('unsupported_feature', 'Image inputs are not supported by this model.', {
          param: `messages[${index}].content[${partIndex}]`,
        });
      }
      return (part as { text: string }).text;
    })
    .join('');
}

export function toChatRequest(body: ChatCompletionRequest): ChatRequest {
  const messages: ChatMessage[] = body.messages.map((message, index) => {
    const content = contentText(message.content, index);
    switch (message.role) {
      case 'developer':
        return { role: 'system', content };
      case 'assistant':
        return {
          role: 'assistant',
          content,
          toolCalls: message.tool_calls?.map((c) => ({ id: c.id, name: c.function.name, arguments: c.function.arguments })),
        };
      case 'tool':
        return { role: 'tool', content, toolCallId: message.tool_call_id };
      default:
        return { role: message.role, content, name: message.name };
    }
  });

  let toolChoice: ToolChoice | undefined;
  if (typeof body.tool_choice === 'string') toolChoice = body.tool_choice;
  else if (body.tool_choice) toolChoice = { name: body.tool_choice.function.name };
  if (toolChoice && toolChoice !== 'none' && !body.tools?.length) {
    throw new TesseraError('invalid_request', "'tool_choice' is only allowed when 'tools' are specified.", {
      param: 'tool_choice',
    });
  }
  if (typeof toolChoice === 'object' && !body.tools?.some((t) => t.function.name === (toolChoice as { name: string }).name)) {
    throw new TesseraError('invalid_request', `tool_choice names a function that is not in 'tools'.`, {
      param: 'tool_choice',
    });
  }

  const format = body.response_format;
  return {
    messages,
    sampling: toSampling(body, body.max_completion_tokens ?? body.max_tokens),
    responseFormat:
      format?.type === 'json_schema'
        ? { type: 'json_schema', name: format.json_schema.name, schema: format.json_schema.schema ?? { type: 'object' } }
        : format,
    tools: body.tools?.map((t) => ({
      name: t.function.name,
      description: t.function.description,
      parameters: t.function.parameters,
    })),
    toolChoice,
    raw: body as unknown as Record<string, unknown>,
  };
}

/** OpenAI's text completion defaults `max_tokens` to 16. */
const COMPLETION_DEFAULT_MAX_TOKENS = 16;

export function toCompletionRequest(body: CompletionRequestBody): CompletionRequest {
  const prompt = typeof body.prompt === 'string' ? body.prompt : body.prompt[0];
  return {
    prompt,
    sampling: toSampling(body, body.max_tokens ?? COMPLETION_DEFAULT_MAX_TOKENS),
    raw: body as unknown as Record<string, unknown>,
  };
}
