/**
 * What a request needs from the engine's loaded model, passed explicitly to the per-request
 * planners (chat.ts, completion.ts) so they hold no state of their own.
 */
import type { ChatWrapper, Llama, LlamaModel } from 'node-llama-cpp';
import { TesseraError } from '../../core/errors.js';

export interface LoadedModel {
  llama: Llama;
  model: LlamaModel;
  /** Resolved once from the GGUF's `tokenizer.chat_template`. */
  chatWrapper: ChatWrapper;
  /** Tokens one sequence holds: prompt + generated must fit. */
  contextSize: number;
}

/**
 * Tokens left for generation after a prompt of `promptTokens`, or `context_length_exceeded`.
 * One cell stays free: node-llama-cpp needs it to sample the first token.
 */
export function tokensLeftAfterPrompt(loaded: LoadedModel, promptTokens: number, param: 'messages' | 'prompt'): number {
  const left = loaded.contextSize - promptTokens - 1;
  if (left < 1) {
    throw new TesseraError(
      'context_length_exceeded',
      `The prompt is ${promptTokens} tokens long, but this model's context holds ${loaded.contextSize} tokens ` +
        'per request (prompt and completion together). Shorten the prompt.',
      { param },
    );
  }
  return left;
}
