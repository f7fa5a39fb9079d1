/**
 * The series families must read in /metrics exactly as prom-client's own Counter and Histogram
 * would for the same values: scrapers and dashboards cannot tell which one recorded them.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { Counter, Histogram, Registry } from 'prom-client';
import { CounterFamily, HistogramFamily } from './series-metrics.js';

const buckets = [0.01, 0.1, 1];
const observations: Array<[string, string, number]> = [
  ['tiny', 'chat', 0.004],
  ['tiny', 'chat', 0.01], // on a bound: counted in that bucket (le is "less or equal")
  ['tiny', 'chat', 0.5],
  ['tiny', 'chat', 7],
  ['tiny', 'completions', 0.05],
  ['qwen', 'chat', 0.2],
];

function ours(): Registry {
  const registry = new Registry();
  const requests = new CounterFamily({ name: 't_requests_total', help: 'Requests.', labelNames: ['model', 'endpoint'], registers: [registry] });
  const duration = new HistogramFamily({ name: 't_duration_seconds', help: 'Duration.', labelNames: ['model', 'endpoint'], buckets, registers: [registry] });
  for (const [model, endpoint, seconds] of observations) {
    requests.labels(model, endpoint).inc();
    duration.labels(model, endpoint).observe(seconds);
  }
  requests.labels('qwen', 'chat').inc(41);
  return registry;
}

function promClients(): Registry {
  const registry = new Registry();
  const requests = new Counter({ name: 't_requests_total', help: 'Requests.', labelNames: ['model', 'endpoint'], registers: [registry] });
  const duration = new Histogram({ name: 't_duration_seconds', help: 'Duration.', labelNames: ['model', 'endpoint'], buckets, registers: [registry] });
  for (const [model, endpoint, seconds] of observations) {
    requests.inc({ model, endpoint });
    duration.observe({ model, endpoint }, seconds);
  }
  requests.inc({ model: 'qwen', endpoint: 'chat' }, 41);
  return registry;
}

describe('series metrics', () => {
  it('expose the same text as prom-client for the same counts and observations', async () => {
    const text = await ours().metrics();
    assert.equal(text, await promClients().metrics());
    assert.match(text, /^t_requests_total\{model="qwen",endpoint="chat"\} 42$/m);
    assert.match(text, /^t_duration_seconds_bucket\{le="0\.01",model="tiny",endpoint="chat"\} 2$/m);
    assert.match(text, /^t_duration_seconds_bucket\{le="\+Inf",model="tiny",endpoint="chat"\} 4$/m);
    assert.match(text, /^t_duration_seconds_count\{model="tiny",endpoint="chat"\} 4$/m);
  });

  it('hand back the same series for the same label values', () => {
    const family = new CounterFamily({ name: 't_total', help: 'T.', labelNames: ['a', 'b'], registers: [] });
    assert.equal(family.labels('x', 'y'), family.labels('x', 'y'));
    assert.notEqual(family.labels('x', 'y'), family.labels('y', 'x'));
  });

  it('start from nothing after reset', async () => {
    const registry = ours();
    registry.resetMetrics();
    assert.doesNotMatch(await registry.metrics(), /model=/);
  });

  it('refuse a wrong number of label values, a decreasing counter and a non-finite observation', () => {
    const counter = new CounterFamily({ name: 't_total', help: 'T.', labelNames: ['a', 'b'], registers: [] });
    assert.throws(() => counter.labels('only-one'), /has 2 labels, got 1/);
    assert.throws(() => counter.labels('x', 'y').inc(-1), /only goes up/);
    const histogram = new HistogramFamily({ name: 't_seconds', help: 'T.', labelNames: ['a'], buckets, registers: [] });
    assert.throws(() => histogram.labels('x').observe(Number.NaN), /not a finite number/);
    assert.throws(() => new HistogramFamily({ name: 't2', help: 'T.', labelNames: ['a'], buckets: [1, 1], registers: [] }), /distinct/);
  });
});
