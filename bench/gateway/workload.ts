/** What every bench/gateway run sends and what the mock answers: shared by the full run and the A/B. */
import type { Mode } from './report.js';

export const MODEL = 'mock-model';
export const UPSTREAM_KEY = 'sk-bench-upstream';
/** 16 words = 16 tokens for the mock. */
export const REPLY = 'the quick brown fox jumps over the lazy dog while the benchmark counts every token it';
export const PROMPT = 'Say something about foxes and dogs.';
export const MAX_TOKENS = 64;

/** One chat completion request, streamed or not. */
export function requestBody(mode: Mode): string {
  return JSON.stringify({ model: MODEL, messages: [{ role: 'user', content: PROMPT }], max_tokens: MAX_TOKENS, stream: mode === 'stream' });
}
