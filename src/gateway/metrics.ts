/**
 * Prometheus metrics of the serving path. Created on a registry the caller owns (one per server,
 * never prom-client's global one, so two servers in one process — tests — do not collide).
 */
import { Counter, Gauge, type Registry } from 'prom-client';
import type { EngineStats } from '../engines/types.js';
import type { ModelRouter } from './router.js';
import { CounterFamily, HistogramFamily } from './series-metrics.js';

/**
 * The per-request metrics, recorded on every request: series families whose `labels(...)` is looked
 * up once and whose `inc`/`observe` is an addition (series-metrics.ts says why not prom-client's).
 */
export interface GatewayMetrics {
  requests: CounterFamily<'model' | 'endpoint' | 'outcome'>;
  tokens: CounterFamily<'model' | 'kind'>;
  timeToFirstToken: HistogramFamily<'model'>;
  interTokenLatency: HistogramFamily<'model'>;
  requestDuration: HistogramFamily<'model' | 'endpoint'>;
}

export function createGatewayMetrics(registry: Registry, router: ModelRouter): GatewayMetrics {
  const registers = [registry];
  new Gauge({
    name: 'tessera_queue_depth',
    help: 'Requests waiting for a free sequence, per model.',
    labelNames: ['model'],
    registers,
    collect() {
      this.reset();
      for (const s of router.states()) if (s.status === 'ready') this.set({ model: s.name }, s.engine.stats().queued);
    },
  });
  new Gauge({
    name: 'tessera_active_sequences',
    help: 'Sequences decoding now, per model.',
    labelNames: ['model'],
    registers,
    collect() {
      this.reset();
      for (const s of router.states()) if (s.status === 'ready') this.set({ model: s.name }, s.engine.stats().active);
    },
  });
  new Gauge({
    name: 'tessera_models_loaded',
    help: 'Models by state (loading, ready, failed).',
    labelNames: ['state'],
    registers,
    collect() {
      this.reset();
      for (const state of ['loading', 'ready', 'failed']) this.set({ state }, 0);
      for (const s of router.states()) this.inc({ state: s.status });
    },
  });
  // The native decode loop's own counters (llama models on it): where a step's time goes. Read at
  // each scrape and added as the increase since the last one, so the counters never go down when
  // a model is reloaded (its loop starts again from zero).
  const loopStat = (name: string, help: string, read: (loop: NonNullable<EngineStats['decodeLoop']>) => number) => {
    const seen = new Map<string, number>();
    return new Counter({
      name,
      help,
      labelNames: ['model'],
      registers,
      collect() {
        for (const s of router.states()) {
          const loop = s.status === 'ready' ? s.engine.stats().decodeLoop : undefined;
          if (!loop) continue;
          const now = read(loop);
          const before = seen.get(s.name) ?? 0;
          this.inc({ model: s.name }, now >= before ? now - before : now);
          seen.set(s.name, now);
        }
      },
    });
  };
  loopStat('tessera_decode_steps_total', 'Decode steps (one llama_decode for every running sequence) since the model loaded.', (l) => l.steps);
  loopStat('tessera_decode_seconds_total', 'Time inside llama_decode since the model loaded.', (l) => l.decodeMs / 1000);
  loopStat('tessera_decode_sampling_seconds_total', 'Time sampling next tokens since the model loaded.', (l) => l.sampleMs / 1000);
  loopStat('tessera_decode_busy_seconds_total', 'Time the decode loop was working (not waiting for requests) since the model loaded.', (l) => l.busyMs / 1000);
  return {
    requests: new CounterFamily({
      name: 'tessera_requests_total',
      help: 'Inference requests by model, endpoint and outcome (ok, error, aborted).',
      labelNames: ['model', 'endpoint', 'outcome'],
      registers,
    }),
    tokens: new CounterFamily({
      name: 'tessera_tokens_total',
      help: 'Tokens processed, by model and kind (prompt, completion).',
      labelNames: ['model', 'kind'],
      registers,
    }),
    timeToFirstToken: new HistogramFamily({
      name: 'tessera_time_to_first_token_seconds',
      help: 'From request admission to the first generated token.',
      labelNames: ['model'],
      buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30],
      registers,
    }),
    interTokenLatency: new HistogramFamily({
      name: 'tessera_inter_token_latency_seconds',
      help: 'Time between consecutive chunks of one response (the tokens ready together go out as one chunk).',
      labelNames: ['model'],
      buckets: [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1],
      registers,
    }),
    requestDuration: new HistogramFamily({
      name: 'tessera_request_duration_seconds',
      help: 'Whole request duration, by model and endpoint.',
      labelNames: ['model', 'endpoint'],
      buckets: [0.01, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120],
      registers,
    }),
  };
}
