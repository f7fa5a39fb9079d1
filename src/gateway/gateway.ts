/**
 * The serving path between the HTTP edge and the engines: admission (queue limit), timing, metrics
 * and the usage record. Every request that reaches an engine produces exactly one usage row —
 * also when it is refused by the engine, fails midway, or the client goes away (DESIGN.md: meter
 * what was delivered). Billing (the next issue) hooks in here: reserve before, settle after.
 */
import { TesseraError, isTesseraError } from '../core/errors.js';
import { EVENT_GROUPS, isGrouped } from '../engines/event-groups.js';
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
   * Runs a generation and re-yields its events in batches: the events the engine had ready
   * together (one network read of an upstream, say); for a non-streamed request, all of them.
   * Per batch, a streamed request journals its tokens once, before the batch is handed on, so the
   * client gets them in one write after one commit. The request is settled (or its usage recorded) before the batch that carries `done`
   * is handed on: whoever consumes `done` may acknowledge the whole request. The consumer must
   * read until the generator ends (the engine contract); a thrown engine error is re-thrown after
   * the events before it and after the usage row is written.
   */
  async *generate(
    ctx: RequestContext,
    engine: Engine,
    start: (engine: Engine, signal: AbortSignal) => AsyncIterable<EngineEvent>,
    signal: AbortSignal,
  ): AsyncGenerator<EngineEvent[]> {
    const { metrics, monotonicMs } = this.#deps;
    // Refusals (limits, budget) throw here, before any event: the client gets a proper status.
    const ticket = this.#admit(ctx, engine);
    const startedAt = monotonicMs();
    let events: EventSource;
    try {
      const stream = start(engine, signal);
      events = isGrouped(stream) ? stream[EVENT_GROUPS]() : stream[Symbol.asyncIterator]();
    } catch (err) {
      // An engine that refuses synchronously: the reservation must not outlive the request.
      await this.#settle(ctx, ticket, { promptTokens: 0, completionTokens: 0 }, 'error', isTesseraError(err) ? err.code : 'internal_error', startedAt, null);
      throw err;
    }
    const timeToFirstToken = metrics.timeToFirstToken.labels(ctx.model);
    const interTokenLatency = metrics.interTokenLatency.labels(ctx.model);
    let firstTokenAt: number | null = null;
    let lastChunkAt = 0;
    let usage: Usage = { promptTokens: 0, completionTokens: 0 };
    let outcome: Outcome = 'error';
    let errorCode: string | null = null;
    let textEvents = 0;
    let settled = false;
    // Until the engine's stream ends or throws, it may hold resources (a slot, a connection).
    let open = true;
    let carried: Promise<IteratorResult<Step>> | null = null;
    let held: EngineEvent[] = [];
    try {
      for (;;) {
        // Only streamed requests gain from waiting a turn for more events (one commit, one write).
        const batch: Batch = ctx.streamed ? await readyEvents(events, carried) : oneStep(await events.next());
        carried = batch.next;
        // Events of one batch arrived together: one reading of the clock serves them all.
        const now = monotonicMs();
        let done = false;
        let produced = false;
        for (const event of batch.events) {
          if (event.type === 'done') {
            usage = event.usage;
            outcome = event.finishReason === 'abort' ? 'aborted' : 'ok';
            done = true;
            continue;
          }
          if (event.type === 'text') {
            textEvents += 1;
            usage = event.usage ?? { promptTokens: ctx.promptTokensMax, completionTokens: textEvents };
          }
          produced = true;
        }
        // A batch reaches the client as one chunk: inter-token latency is measured between batches.
        if (produced) {
          if (firstTokenAt === null) {
            firstTokenAt = now;
            timeToFirstToken.observe((now - startedAt) / 1000);
          } else {
            interTokenLatency.observe((now - lastChunkAt) / 1000);
          }
          lastChunkAt = now;
        }
        if (done) {
          // The ledger entry carries every token of this batch: durable before any is sent.
          settled = true;
          const recorded = await this.#settle(ctx, ticket, usage, outcome, errorCode, startedAt, firstTokenAt);
          if (!recorded && ticket && ctx.streamed && batch.events.some((e) => e.type === 'text')) {
            // As when a progress commit fails: tokens that are not billed are not sent.
            throw new TesseraError('internal_error', 'The reply could not be billed, so the rest of it is not sent.');
          }
        } else if (ticket && ctx.streamed && batch.events.some((e) => e.type === 'text')) {
          // What the client is about to receive is billed even if this process dies next.
          await ticket.progress(usage.promptTokens, usage.completionTokens);
        }
        if (ctx.streamed) {
          if (batch.events.length > 0) yield batch.events;
        } else {
          // Nothing of a non-streamed reply reaches the client before all of it: handed on once.
          held.push(...batch.events);
          if (held.length > 0 && (done || batch.ended || batch.error !== undefined)) {
            yield held;
            held = [];
          }
        }
        if (batch.error !== undefined || batch.ended) open = false;
        if (batch.error !== undefined) throw batch.error;
        if (batch.ended) return;
      }
    } catch (err) {
      errorCode = isTesseraError(err) ? err.code : 'internal_error';
      throw err;
    } finally {
      // Stopped early (a failed commit): let the engine release what it holds, as `for await` would.
      if (open && events.return) void events.return(undefined).catch(() => undefined);
      if (!settled) await this.#settle(ctx, ticket, usage, outcome, errorCode, startedAt, firstTokenAt);
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
  ): Promise<boolean> {
    const { metrics } = this.#deps;
    const durationMs = this.#deps.monotonicMs() - startedAt;
    metrics.requests.labels(ctx.model, ctx.endpoint, outcome).inc();
    metrics.requestDuration.labels(ctx.model, ctx.endpoint).observe(durationMs / 1000);
    if (usage.promptTokens) metrics.tokens.labels(ctx.model, 'prompt').inc(usage.promptTokens);
    if (usage.completionTokens) metrics.tokens.labels(ctx.model, 'completion').inc(usage.completionTokens);
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
      return true;
    } catch (err) {
      // The response is already decided; a failed usage write must be loud but not turn a served
      // request into an error for the client.
      this.#deps.onUsageError(err, row);
      return false;
    }
  }
}

/** What an engine's stream yields: an event, or a group of events (event-groups.ts). */
type Step = EngineEvent | EngineEvent[];
type EventSource = AsyncIterator<Step>;

interface Batch {
  events: EngineEvent[];
  /** The engine's next step, asked for but not ready in this turn: the next batch starts with it. */
  next: Promise<IteratorResult<Step>> | null;
  /** The engine's stream ended after these events. */
  ended: boolean;
  /** The engine failed after these events (thrown once they are handed on). */
  error?: unknown;
}

/**
 * Most events in one batch, so a flood from an upstream still reaches the client in steps (an
 * engine's group, bounded by one network read, is not split).
 */
const MAX_BATCH = 256;

function oneStep(step: IteratorResult<Step>): Batch {
  if (step.done) return { events: [], next: null, ended: true };
  return { events: Array.isArray(step.value) ? step.value : [step.value], next: null, ended: false };
}

/**
 * Waits for the engine's next event (or group of events), then takes every further one that is
 * ready without waiting for I/O: those that arrive before this turn of the event loop is over (a
 * setImmediate). A step asked for but not ready by then is carried over to the next batch.
 * (Callbacks rather than a Promise.race per step: a race costs several times more than the step.)
 */
function readyEvents(events: EventSource, carried: Promise<IteratorResult<Step>> | null): Promise<Batch> {
  return new Promise((resolve) => {
    const batch: Batch = { events: [], next: null, ended: false };
    let asked: Promise<IteratorResult<Step>> | null = null;
    let turnOver: NodeJS.Immediate | null = null;
    let finished = false;
    const finish = (end: Partial<Batch>) => {
      if (finished) return;
      finished = true;
      if (turnOver) clearImmediate(turnOver);
      resolve(Object.assign(batch, end));
    };
    const onError = (err: unknown) => finish({ error: err });
    // Late results of a step asked for in this batch are ignored here: the next batch awaits it.
    const onStep = (step: IteratorResult<Step>) => {
      if (finished) return;
      if (step.done) return finish({ ended: true });
      if (Array.isArray(step.value)) for (const event of step.value) batch.events.push(event);
      else batch.events.push(step.value);
      if (batch.events.at(-1)?.type === 'done' || batch.events.length >= MAX_BATCH) return finish({});
      turnOver ??= setImmediate(() => {
        turnOver = null;
        finish({ next: asked });
      });
      asked = events.next();
      asked.then(onStep, onError);
    };
    (carried ?? events.next()).then(onStep, onError);
  });
}
