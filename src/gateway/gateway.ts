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
import type { Meter, Ticket } from '../metering/index.js';

export type Endpoint = 'chat' | 'completion' | 'embedding';
export type Outcome = 'ok' | 'error' | 'aborted';

export interface RequestContext {
  requestId: string;
  keyId: string | null;
  /** The key's tenant and model allow-list (metering admission). */
  tenantId: string | null;
  allowedModels: string[] | null;
  model: string;
  endpoint: Endpoint;
  /** Upper bound of the prompt's tokens, for reservations and token rate limits. */
  promptTokensMax: number;
  /** The request's max_tokens; null = up to the context window. */
  maxTokens: number | null;
  /**
   * True when tokens reach the client as they are produced (SSE). Only then is progress journaled
   * before each send; a non-streamed reply is billed at settlement, before it is sent.
   */
  streamed: boolean;
}

export interface UsageRow extends Pick<RequestContext, 'requestId' | 'keyId' | 'model' | 'endpoint'> {
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
  /** Billing: admission (limits, reservations) and exactly-once settlement. Absent = usage rows only. */
  meter?: Meter;
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
    // Refusals (limits, budget) throw here, before any event: the client gets a proper status.
    const ticket = this.#admit(ctx, engine);
    const startedAt = monotonicMs();
    let firstTokenAt: number | null = null;
    let lastChunkAt = 0;
    let usage: Usage = { promptTokens: 0, completionTokens: 0 };
    let outcome: Outcome = 'error';
    let errorCode: string | null = null;
    let textEvents = 0;
    try {
      for await (const event of start(engine, signal)) {
        if (event.type === 'done') {
          usage = event.usage;
          outcome = event.finishReason === 'abort' ? 'aborted' : 'ok';
        } else {
          if (event.type === 'text') {
            textEvents += 1;
            // What the client is about to receive is billed even if this process dies next.
            usage = event.usage ?? { promptTokens: ctx.promptTokensMax, completionTokens: textEvents };
            if (ticket && ctx.streamed) await ticket.progress(usage.promptTokens, usage.completionTokens);
          }
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
      await this.#settle(ctx, ticket, usage, outcome, errorCode, startedAt, firstTokenAt);
    }
  }

  async embed(ctx: RequestContext, engine: Engine, input: string[], signal: AbortSignal): Promise<EmbeddingResult> {
    const ticket = this.#admit(ctx, engine);
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
      await this.#settle(ctx, ticket, { promptTokens, completionTokens: 0 }, outcome, errorCode, startedAt, null);
    }
  }

  #admit(ctx: RequestContext, engine: Engine): Ticket | null {
    const { meter } = this.#deps;
    if (!meter || ctx.tenantId === null) return null;
    const contextLength = engine.info.contextLength;
    return meter.admit({
      requestId: ctx.requestId,
      keyId: ctx.keyId,
      tenantId: ctx.tenantId,
      allowedModels: ctx.allowedModels,
      model: ctx.model,
      endpoint: ctx.endpoint,
      // A prompt longer than the context is refused by the engine; never reserve beyond it.
      promptTokensMax: Math.min(ctx.promptTokensMax, contextLength),
      maxTokens: ctx.endpoint === 'embedding' ? 0 : Math.min(ctx.maxTokens ?? contextLength, contextLength),
      streamed: ctx.streamed,
    });
  }

  async #settle(
    ctx: RequestContext,
    ticket: Ticket | null,
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
      requestId: ctx.requestId,
      keyId: ctx.keyId,
      model: ctx.model,
      endpoint: ctx.endpoint,
      promptTokens: usage.promptTokens,
      completionTokens: usage.completionTokens,
      cachedPromptTokens: usage.cachedPromptTokens,
      ttftMs: firstTokenAt === null ? null : firstTokenAt - startedAt,
      durationMs,
      outcome,
      errorCode,
    };
    try {
      if (ticket) await ticket.settle(usage, row);
      else await this.#deps.recordUsage(row);
    } catch (err) {
      // The response is already decided; a failed usage write must be loud but not turn a served
      // request into an error for the client.
      this.#deps.onUsageError(err, row);
    }
  }
}
