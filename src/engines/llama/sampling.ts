/**
 * OpenAI sampling parameters → node-llama-cpp generation options.
 *
 * OpenAI semantics, not llama.cpp's defaults: temperature defaults to 1, top_p to 1 and top_k is
 * off unless given (llama.cpp would use 40 / 0.95), and there is no repeat penalty unless
 * presence/frequency penalties are asked for (node-llama-cpp would apply 1.1 to the last 64
 * tokens). Ranges are checked here too, although the API layer validates first: the engine is
 * also used directly (benchmarks, CLI).
 */
import { randomInt } from 'node:crypto';
import type { Sampling } from '../types.js';
import { TesseraError } from '../../core/errors.js';

/** How many recent tokens presence/frequency penalties look at. */
const PENALTY_WINDOW_TOKENS = 256;
const MAX_STOP_STRINGS = 4;

export interface LlamaSamplingOptions {
  temperature: number;
  topK: number;
  topP: number;
  seed: number;
  maxTokens: number;
  repeatPenalty:
    | false
    | { lastTokens: number; penalty: number; penalizeNewLine: boolean; presencePenalty: number; frequencyPenalty: number };
  customStopTriggers: string[] | undefined;
}

/**
 * @param maxNewTokens tokens left in the sequence after the prompt; `max_tokens` above it is
 *   capped (the stream then ends with `length`), never shifted out of the context.
 */
export function toLlamaSampling(sampling: Sampling, maxNewTokens: number): LlamaSamplingOptions {
  const temperature = sampling.temperature ?? 1;
  checkRange(temperature, 0, 2, 'temperature');
  const topP = sampling.topP ?? 1;
  checkRange(topP, 0, 1, 'top_p');
  const topK = sampling.topK ?? 0;
  checkInteger(topK, 0, Number.MAX_SAFE_INTEGER, 'top_k');
  if (sampling.maxTokens !== undefined) checkInteger(sampling.maxTokens, 1, Number.MAX_SAFE_INTEGER, 'max_tokens');
  if (sampling.seed !== undefined) checkInteger(sampling.seed, Number.MIN_SAFE_INTEGER, Number.MAX_SAFE_INTEGER, 'seed');
  const presencePenalty = sampling.presencePenalty ?? 0;
  checkRange(presencePenalty, -2, 2, 'presence_penalty');
  const frequencyPenalty = sampling.frequencyPenalty ?? 0;
  checkRange(frequencyPenalty, -2, 2, 'frequency_penalty');
  const stop = sampling.stop ?? [];
  if (stop.length > MAX_STOP_STRINGS || stop.some((s) => typeof s !== 'string')) {
    throw new TesseraError('invalid_request', `stop must be at most ${MAX_STOP_STRINGS} strings.`, { param: 'stop' });
  }
  const stopStrings = stop.filter((s) => s.length > 0);

  return {
    temperature,
    topK,
    topP,
    // llama.cpp seeds are unsigned 32-bit; without a seed each request gets a fresh random one
    // (node-llama-cpp would use the current second, so concurrent requests would share it).
    seed: sampling.seed === undefined ? randomInt(0, 2 ** 32) : ((sampling.seed % 2 ** 32) + 2 ** 32) % 2 ** 32,
    maxTokens: Math.min(sampling.maxTokens ?? Number.MAX_SAFE_INTEGER, maxNewTokens),
    repeatPenalty:
      presencePenalty === 0 && frequencyPenalty === 0
        ? false
        : { lastTokens: PENALTY_WINDOW_TOKENS, penalty: 1, penalizeNewLine: true, presencePenalty, frequencyPenalty },
    customStopTriggers: stopStrings.length > 0 ? stopStrings : undefined,
  };
}

function checkRange(value: number, min: number, max: number, param: string): void {
  if (typeof value !== 'number' || !Number.isFinite(value) || value < min || value > max) {
    throw new TesseraError('invalid_request', `${param} must be a number between ${min} and ${max}.`, { param });
  }
}

function checkInteger(value: number, min: number, max: number, param: string): void {
  if (!Number.isInteger(value) || value < min || value > max) {
    throw new TesseraError('invalid_request', `${param} must be an integer of at least ${min}.`, { param });
  }
}
