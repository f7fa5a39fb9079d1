/**
 * Counters and histograms for the per-request metrics, where recording a value is an addition.
 *
 * prom-client's `inc` and `observe` check and hash the label object on every call. Its histogram
 * also makes a closure per observation and keys its buckets by the bound as a string. That was
 * about 3 µs per request for the gateway's five calls (bench/gateway). Here a caller picks a
 * series by its label values (a Map lookup per label, no string built) and then records into it.
 * The families sit in the same prom-client Registry as every other metric and appear in
 * `/metrics` in Prometheus' text format, the same as prom-client's own.
 *
 * Only the parts of prom-client's metric interface that a Registry calls are here: `name`, `help`,
 * `type`, `aggregator`, `get()` and `reset()`.
 */
import type { Metric, MetricObjectWithValues, MetricValueWithName, Registry } from 'prom-client';

interface FamilyOptions<L extends string> {
  name: string;
  help: string;
  labelNames: readonly L[];
  registers: Registry[];
}

type Labels<L extends string> = Record<L, string>;

/** One metric name with its series, looked up through one nested Map per label. */
abstract class Family<L extends string, S> {
  readonly name: string;
  readonly help: string;
  readonly aggregator = 'sum' as const;
  abstract readonly type: 'counter' | 'histogram';
  readonly #labelNames: readonly L[];
  #root = new Map<string, unknown>();
  #series: Array<{ labels: Labels<L>; series: S }> = [];

  constructor(options: FamilyOptions<L>) {
    this.name = options.name;
    this.help = options.help;
    this.#labelNames = options.labelNames;
    // A Registry holds anything that answers get() with a metric's name, type and values.
    for (const registry of options.registers) registry.registerMetric(this as unknown as Metric);
  }

  /** The series of these label values, in `labelNames` order, created at first use. */
  labels(...values: string[]): S {
    const last = this.#labelNames.length - 1;
    if (values.length !== last + 1) throw new RangeError(`${this.name} has ${last + 1} labels, got ${values.length} values`);
    let node = this.#root;
    for (let i = 0; i < last; i++) {
      let next = node.get(values[i]) as Map<string, unknown> | undefined;
      if (!next) node.set(values[i], (next = new Map()));
      node = next;
    }
    let series = node.get(values[last]) as S | undefined;
    if (!series) {
      series = this.newSeries();
      node.set(values[last], series);
      const labels = Object.fromEntries(this.#labelNames.map((name, i) => [name, values[i]])) as Labels<L>;
      this.#series.push({ labels, series });
    }
    return series;
  }

  reset(): void {
    this.#root = new Map();
    this.#series = [];
  }

  /** What a Registry formats; `collect` is left out, as these families have nothing to gather at a scrape. */
  get(): Promise<Omit<MetricObjectWithValues<MetricValueWithName<string>>, 'collect'>> {
    const values: Array<MetricValueWithName<string>> = [];
    for (const { labels, series } of this.#series) this.export(labels, series, values);
    return Promise.resolve({ name: this.name, help: this.help, type: this.type as never, aggregator: this.aggregator, values });
  }

  protected abstract newSeries(): S;
  protected abstract export(labels: Labels<L>, series: S, into: Array<MetricValueWithName<string>>): void;
}

export class CounterSeries {
  value = 0;

  inc(amount = 1): void {
    if (!(amount >= 0)) throw new RangeError(`a counter only goes up (got ${amount})`);
    this.value += amount;
  }
}

export class CounterFamily<L extends string> extends Family<L, CounterSeries> {
  readonly type = 'counter';

  protected newSeries(): CounterSeries {
    return new CounterSeries();
  }

  protected export(labels: Labels<L>, series: CounterSeries, into: Array<MetricValueWithName<string>>): void {
    into.push({ labels, value: series.value, metricName: this.name });
  }
}

export class HistogramSeries {
  /** Observations per bucket (not cumulative); the last slot counts those above every bound. */
  readonly counts: Float64Array;
  sum = 0;
  count = 0;

  constructor(private readonly bounds: readonly number[]) {
    this.counts = new Float64Array(bounds.length + 1);
  }

  observe(value: number): void {
    if (!Number.isFinite(value)) throw new TypeError(`not a finite number: ${value}`);
    const bounds = this.bounds;
    let i = 0;
    while (i < bounds.length && value > bounds[i]) i++;
    this.counts[i] += 1;
    this.sum += value;
    this.count += 1;
  }
}

export class HistogramFamily<L extends string> extends Family<L, HistogramSeries> {
  readonly type = 'histogram';
  readonly #bounds: readonly number[];

  constructor(options: FamilyOptions<L> & { buckets: readonly number[] }) {
    super(options);
    const bounds = [...options.buckets].sort((a, b) => a - b);
    if (bounds.length === 0 || bounds.some((b, i) => !Number.isFinite(b) || (i > 0 && b === bounds[i - 1]))) {
      throw new RangeError(`${options.name}: buckets must be distinct finite numbers`);
    }
    this.#bounds = bounds;
  }

  protected newSeries(): HistogramSeries {
    return new HistogramSeries(this.#bounds);
  }

  protected export(labels: Labels<L>, series: HistogramSeries, into: Array<MetricValueWithName<string>>): void {
    let cumulative = 0;
    for (let i = 0; i <= this.#bounds.length; i++) {
      cumulative += series.counts[i];
      const le = i < this.#bounds.length ? this.#bounds[i] : '+Inf';
      into.push({ labels: { le, ...labels }, value: cumulative, metricName: `${this.name}_bucket` });
    }
    into.push({ labels, value: series.sum, metricName: `${this.name}_sum` });
    into.push({ labels, value: series.count, metricName: `${this.name}_count` });
  }
}
