/**
 * OpenAI chat messages → node-llama-cpp chat history, which the chat wrapper (picked from the
 * GGUF's chat template) renders into the model's prompt format.
 *
 * Tool round-trip: node-llama-cpp keeps a function call and its result together in one item of
 * the model's response, while OpenAI sends the call (assistant `tool_calls`) and the result
 * (`role: tool`, `tool_call_id`) as separate messages. Results are attached to their call by id.
 *
 * Contract: the returned history ends with a model item (empty unless the request ended with an
 * assistant message, which the model then continues), exactly as `LlamaChat.generateResponse`
 * would complete it, so the prompt tokens counted from it are the ones evaluated.
 */
import type { ChatHistoryItem, ChatModelFunctionCall, ChatModelResponse } from 'node-llama-cpp';
import type { ChatMessage } from '../types.js';
import { TesseraError } from '../../core/errors.js';

export function toChatHistory(messages: ChatMessage[]): ChatHistoryItem[] {
  if (messages.length === 0) {
    throw new TesseraError('invalid_request', 'messages must contain at least one message.', { param: 'messages' });
  }
  const history: ChatHistoryItem[] = [];
  /** Calls waiting for their `tool` message, by OpenAI tool_call id. */
  const openCalls = new Map<string, ChatModelFunctionCall>();

  messages.forEach((message, index) => {
    const text = message.content ?? '';
    switch (message.role) {
      case 'system':
        history.push({ type: 'system', text });
        break;
      case 'user':
        history.push({ type: 'user', text });
        break;
      case 'assistant': {
        const response: ChatModelResponse['response'] = [];
        if (text !== '') response.push(text);
        (message.toolCalls ?? []).forEach((call, callIndex) => {
          const item: ChatModelFunctionCall = {
            type: 'functionCall',
            name: call.name,
            params: parseArguments(call.arguments, `messages[${index}].tool_calls[${callIndex}].function.arguments`),
            result: null,
            startsNewChunk: callIndex === 0,
          };
          openCalls.set(call.id, item);
          response.push(item);
        });
        history.push({ type: 'model', response });
        break;
      }
      case 'tool': {
        const call = message.toolCallId === undefined ? undefined : openCalls.get(message.toolCallId);
        if (!call) {
          throw new TesseraError(
            'invalid_request',
            `messages[${index}] (role tool) must answer a tool call of an earlier assistant message; ` +
              `tool_call_id ${JSON.stringify(message.toolCallId ?? null)} does not match any.`,
            { param: `messages[${index}].tool_call_id` },
          );
        }
        openCalls.delete(message.toolCallId!);
        call.result = parseResult(text);
        break;
      }
      default:
        throw new TesseraError('invalid_request', `messages[${index}].role is not supported.`, {
          param: `messages[${index}].role`,
        });
    }
  });

  if (history.at(-1)?.type !== 'model') history.push({ type: 'model', response: [] });
  return history;
}

function parseArguments(text: string, param: string): unknown {
  try {
    return text.trim() === '' ? {} : JSON.parse(text);
  } catch {
    throw new TesseraError('invalid_request', `${param} must be JSON text.`, { param });
  }
}

/** Tool results are usually JSON; a plain-text result is kept as a string. */
function parseResult(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return text;
  }
}
