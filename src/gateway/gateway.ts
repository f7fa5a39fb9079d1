/**
 * The serving path between the HTTP edge and the engines: admission (queue limit), timing, metrics
 * and the usage record. Every request that reaches an engine produces exactly one usage row —
 * also when it is refused by the engine, fails midway, or the client goes away (DESIGN.md: meter
 * what was delivered). Billing (the next issue) hooks in here: reserve before, settle after.
 */
import { TesseraError, isTesseraError } from '../core/errors.js';
import type { Engine, EngineEvent, EmbeddingResult, Usage } from '../engines/types.js';
import type { GatewayMetrics } from './metrics.js';
import type { ModelRouter } from './router.js';

export type Endpoint = 'chat' | 'completion' | 'embedding';
export type Outcome = 'ok' | 'error' | 'aborted';

export interface RequestContext {
  requestId: string;
  keyId: string | null;
  model: string;
  endpoint: Endpoint;
}

export interface UsageRow extends RequestContext {
  promptTokens: number;
  completionTokens: number;
  cachedPromptTokens?: number;
  ttftMs: number | null;
  durationMs: number;
  outcome: Outcome;
  errorCode: string | null;
}

/** Where usage rows go (the store). Must be durable when the promise resolves. */
export type UsageSink = (row: UsageRow) => Promise<void>;

export interface GatewayDeps {
  router: ModelRouter;
  metrics: GatewayMetrics;
  recordUsage: UsageSink;
  /** Monotonic milliseconds (performance.now in production). */
  monotonicMs: () => number;
  /** Requests allowed to wait for a sequence per model before refusing with 503. */
  maxQueue: number;
  onUsageError: (err: unknown, row: UsageRow) => void;
}

export class Gateway {
  readonly #deps: GatewayDeps;

  constructor(deps: GatewayDeps) {
    this.#deps = deps;
  }

  /** Resolves the engine and applies admission; throws catalog errors (404, 503). */
  admit(model: string): Engine {
    const engine = this.#deps.router.engine(model);
    const { queued } = engine.stats();
    if (queued >= this.#deps.maxQueue) {
      throw new TesseraError('engine_overloaded', `Model '${model}' has ${queued} requests waiting; retry later.`);
    }
    return engine;
  }

  /**
   * Runs a generation and re-yields its events, measuring and recording as they pass. The
   * consumer must read until `done` (the engine contract); a thrown engine error is re-thrown
   * after the usage row is written.
   */
  async *generate(
    ctx: RequestContext,
    engine: Engine,
    start: (engine: Engine, signal: AbortSignal) => AsyncIterable<EngineEvent>,
    signal: AbortSignal,
  ): AsyncGenerator<EngineEvent> {
    const { metrics, monotonicMs } = this.#deps;
    const startedAt = monotonicMs();
    let firstTokenAt: number | null = null;
    let lastChunkAt = 0;
    let usage: Usage = { promptTokens: 0, completionTokens: 0 };
    let outcome: Outcome = 'error';
    let errorCode: string | null = null;
    try {
      for await (const event of start(engine, signal)) {
        if (event.type === 'done') {
          usage = event.usage;
          outcome = event.finishReason === 'abort' ? 'aborted' : 'ok';
        } else {
          const now = monotonicMs();
          if (firstTokenAt === null) {
            firstTokenAt = now;
            metrics.timeToFirstToken.observe({ model: ctx.model }, (now - startedAt) / 1000);
          } else {
            metrics.interTokenLatency.observe({ model: ctx.model }, (now - lastChunkAt) / 1000);
          }
          lastChunkAt = now;
        }
        yield event;
      }
    } catch (err) {
      errorCode = isTesseraError(err) ? err.code : 'internal_error';
      throw err;
    } finally {
      await this.#settle(ctx, usage, outcome, errorCode, startedAt, firstTokenAt);
    }
  }

  async embed(ctx: RequestContext, engine: Engine, input: string[], signal: AbortSignal): Promise<EmbeddingResult> {
    const startedAt = this.#deps.monotonicMs();
    let promptTokens = 0;
    let outcome: Outcome = 'error';
    let errorCode: string | null = null;
    try {
      const result = await engine.embed(input, signal);
      promptTokens = result.promptTokens;
      outcome = 'ok';
      return result;
    } catch (err) {
      errorCode = isTesseraError(err) ? err.code : 'internal_error';
      throw err;
    } finally {
      await this.#settle(ctx, { promptTokens, completionTokens: 0 }, outcome, errorCode, startedAt, null);
    }
  }

  async #settle(
    ctx: RequestContext,
    usage: Usage,
    outcome: Outcome,
    errorCode: string | null,
    startedAt: number,
    firstTokenAt: number | null,
  ): Promise<void> {
    const { metrics } = this.#deps;
    const durationMs = this.#deps.monotonicMs() - startedAt;
    metrics.requests.inc({ model: ctx.model, endpoint: ctx.endpoint, outcome });
    metrics.requestDuration.observe({ model: ctx.model, endpoint: ctx.endpoint }, durationMs / 1000);
    if (usage.promptTokens) metrics.tokens.inc({ model: ctx.model, kind: 'prompt' }, usage.promptTokens);
    if (usage.completionTokens) metrics.tokens.inc({ model: ctx.model, kind: 'completion' }, usage.completionTokens);
    const row: UsageRow = {
      ...ctx,
      promptTokens: usage.promptTokens,
      completionTokens: usage.completionTokens,
      cachedPromptTokens: usage.cachedPromptTokens,
      ttftMs: firstTokenAt === null ? null : firstTokenAt - startedAt,
      durationMs,
      outcome,
      errorCode,
    };
    try {
      await this.#deps.recordUsage(row);
    } catch (err) {
      // The response is already decided; a failed usage write must be loud but not turn a served
      // request into an error for the client.
      this.#deps.onUsageError(err, row);
    }
  }
}
