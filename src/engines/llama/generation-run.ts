/**
 * The life of one chat or completion request on the llama engine, shared by both:
 * validate and count the prompt → wait (FIFO) for a free sequence → generate, streaming text →
 * free the sequence → `done` with the real token counts.
 *
 * Contracts (those of `Engine`, see ../types.ts):
 * - Refusals known before generation (`context_length_exceeded`, bad parameters, unsupported
 *   schema) are thrown from the first `next()`, before any event and before queueing.
 * - Exactly one `done`, always last, also when the request signal or `close()` aborts; usage then
 *   counts the tokens actually produced. A request aborted while still queued reports 0/0: its
 *   prompt was never evaluated.
 * - The sequence is released (state cleared) before `done` is delivered, so a caller that sees
 *   `done` also sees `stats().active` without it.
 * - A consumer that stops iterating early (`break`) aborts the generation rather than leaving it
 *   running on a sequence nobody reads.
 */
import type { LlamaContextSequence } from 'node-llama-cpp';
import type { EngineEvent, FinishReason, ToolCall } from '../types.js';
import { linkSignals } from '../../core/abort.js';
import { TesseraError, isTesseraError } from '../../core/errors.js';
import { EventChannel, relay } from './event-channel.js';
import type { SequenceLease, SequencePool } from './sequence-pool.js';

export interface GenerationOutcome {
  finishReason: FinishReason;
  toolCalls?: ToolCall[];
}

/** A validated request, ready to run on whichever sequence it is given. */
export interface GenerationPlan {
  /** Exact prompt tokens, from the model's tokenizer. */
  promptTokens: number;
  generate(sequence: LlamaContextSequence, signal: AbortSignal, onText: (text: string) => void): Promise<GenerationOutcome>;
}

export interface RunEnvironment {
  pool: SequencePool;
  /** Aborted by `Engine.close()`: every request in flight or queued ends with `abort`. */
  closeSignal: AbortSignal;
  /** Lets `close()` wait until every started generation has given its sequence back. */
  track(run: Promise<void>): void;
}

export async function* runGeneration(
  env: RunEnvironment,
  requestSignal: AbortSignal,
  prepare: () => Promise<GenerationPlan>,
): AsyncGenerator<EngineEvent, void, undefined> {
  if (env.closeSignal.aborted) throw new TesseraError('model_not_ready', 'The model has been unloaded.');
  const plan = await prepare();

  const consumerGone = new AbortController();
  // Both sources outlive the request (a connection's signal, the engine's): unlinked when it ends.
  const { signal, unlink } = linkSignals([requestSignal, env.closeSignal, consumerGone.signal]);
  const lease = await env.pool.acquire(signal).catch((err: unknown) => {
    unlink();
    throw err;
  });
  if (!lease) {
    unlink();
    yield { type: 'done', finishReason: 'abort', usage: { promptTokens: 0, completionTokens: 0 } };
    return;
  }

  const channel = new EventChannel<EngineEvent>();
  env.track(execute(plan, lease, signal, channel).finally(unlink));
  yield* relay(channel, () => consumerGone.abort());
}

/** Runs the plan on the leased sequence and reports into `channel`. Never rejects. */
async function execute(
  plan: GenerationPlan,
  lease: SequenceLease,
  signal: AbortSignal,
  channel: EventChannel<EngineEvent>,
): Promise<void> {
  const meter = lease.sequence.tokenMeter;
  // "output" tokens are sampling steps: one per generated token, stop-string and EOS included.
  const outputBefore = meter.usedOutputTokens;
  let outcome: GenerationOutcome | undefined;
  let failure: unknown;
  try {
    outcome = await plan.generate(lease.sequence, signal, (text) => {
      if (text !== '') {
        channel.push({ type: 'text', text, usage: { promptTokens: plan.promptTokens, completionTokens: meter.usedOutputTokens - outputBefore } });
      }
    });
  } catch (err) {
    // node-llama-cpp throws the abort reason when aborted before the first token was sampled.
    if (!signal.aborted) failure = err;
  }
  const completionTokens = meter.usedOutputTokens - outputBefore;
  await lease.release();

  if (failure !== undefined) {
    channel.fail(toTesseraError(failure));
    return;
  }
  if (outcome?.toolCalls && outcome.toolCalls.length > 0) channel.push({ type: 'tool_calls', calls: outcome.toolCalls });
  channel.push({
    type: 'done',
    finishReason: outcome?.finishReason ?? 'abort',
    usage: { promptTokens: plan.promptTokens, completionTokens },
  });
  channel.end();
}

function toTesseraError(err: unknown): TesseraError {
  if (isTesseraError(err)) return err;
  const message = err instanceof Error ? err.message : String(err);
  return new TesseraError('internal_error', `llama engine: ${message}`, { cause: err });
}

/** node-llama-cpp's stop reasons → OpenAI finish reasons. */
export function finishReasonOf(stopReason: string): FinishReason {
  switch (stopReason) {
    case 'maxTokens':
      return 'length';
    case 'functionCalls':
      return 'tool_calls';
    case 'abort':
      return 'abort';
    default:
      // eogToken, stopGenerationTrigger (template end), customStopTrigger (a `stop` string)
      return 'stop';
  }
}
