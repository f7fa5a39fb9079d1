/**
 * Event-driven replay of a trace with arrivals and departures, shared by modes `replay` and `quota`.
 *
 * Contracts:
 * - pods arrive at their creation time (ties: by name) and, once running, stay for their traced
 *   duration (deletion − creation), so a pod that waited finishes later than in the trace;
 * - at equal times departures are processed before arrivals;
 * - a pod that cannot start waits; after every departure the waiting pods are retried in the
 *   admission's order (FIFO unless the admission reorders them); within one retry pass a shape that
 *   failed is not retried (capacity only shrinks during a pass);
 * - an admission hook may refuse, or evict running pods first (quota preemption); evicted pods go
 *   back to waiting and their remaining run time is lost (they restart from scratch).
 * Pods without creation and deletion times make the run fail with a clear message.
 */
import { ClusterState, type DemandSpec } from '../cluster-state.js';
import { compileTypical, typicalDemands, PAPER_TYPICAL_OPTIONS } from '../fragmentation.js';
import type { Demand, NodeSpec, Placement } from '../model.js';
import { createScheduler } from '../policies.js';
import { createRandom } from '../random.js';
import type { Scheduler } from '../framework.js';
import type { TracePod } from '../trace.js';
import { FragMeter } from './frag-meter.js';
import { randomRank } from './paper.js';

export interface TimelinePod {
  readonly index: number;
  readonly pod: TracePod;
  readonly spec: DemandSpec;
  readonly duration: number;
}

export interface Running {
  readonly pod: TimelinePod;
  readonly spec: DemandSpec;
  readonly placement: Placement;
  readonly start: number;
}

/** What an admission hook can do with the cluster while deciding. */
export interface TimelineOps {
  readonly state: ClusterState;
  readonly scheduler: Scheduler;
  readonly running: ReadonlyMap<number, Running>;
  /** Places `spec` for `pod` now; null when it does not fit. */
  place(pod: TimelinePod, spec: DemandSpec): Running | null;
  /** Stops a running pod (eviction) and puts it back to waiting. */
  evict(index: number): void;
  /** Re-places an evicted pod exactly where it was (to undo a failed preemption). */
  restore(run: Running): void;
}

export interface Admission {
  /** Tries to start `pod` now; returns the run or null to keep it waiting. */
  tryStart(pod: TimelinePod, ops: TimelineOps): Running | null;
  /** Called when a running pod stops (finished or evicted). */
  stopped(run: Running, evicted: boolean): void;
  /** Reorders the waiting pods before a retry pass (default: as given, i.e. FIFO). */
  order?(waiting: TimelinePod[]): TimelinePod[];
}

export interface TimelinePoint {
  /** Percentage of the trace's time span. */
  readonly timePct: number;
  readonly allocatedPct: number;
  readonly fragPct: number;
  readonly fragRatioPct: number;
  readonly waiting: number;
}

export interface PodOutcome {
  readonly started: boolean;
  /** Seconds from creation to the last start (or to the end of the trace when never started). */
  readonly waitS: number;
  readonly evictions: number;
}

export interface TimelineResult {
  readonly totalGpus: number;
  readonly points: readonly TimelinePoint[];
  readonly outcomes: readonly PodOutcome[];
  /** Time-weighted mean of allocated accelerator % over the trace span. */
  readonly meanAllocatedPct: number;
  readonly meanFragRatioPct: number;
}

export interface TimelineOptions {
  readonly nodes: readonly NodeSpec[];
  readonly pods: readonly TracePod[];
  readonly policy: string;
  readonly seed: number;
  readonly admission?: Admission;
  /** Arrival-time compression: creation times are divided by this factor around the first one while
   *  durations stay, multiplying the offered load (default 1 = the trace as it happened). */
  readonly load?: number;
}

const defaultAdmission: Admission = {
  tryStart: (pod, ops) => ops.place(pod, pod.spec),
  stopped: () => undefined,
};

export function runTimeline(options: TimelineOptions): TimelineResult {
  const admission = options.admission ?? defaultAdmission;
  const state = new ClusterState(options.nodes);
  const random = createRandom(options.seed);
  const workload: Demand[] = options.pods.map((p) => p.demand);
  const typical = typicalDemands(workload, PAPER_TYPICAL_OPTIONS);
  const scheduler = createScheduler(state, options.policy, { random, typical, nodeRank: randomRank(options.nodes, random), workload });
  const meter = new FragMeter(state, compileTypical(state, typical));
  const pods: TimelinePod[] = options.pods.map((pod, index) => {
    if (pod.creationTime === undefined || pod.deletionTime === undefined) {
      throw new Error(`replay needs creation_time and deletion_time; pod "${pod.demand.id}" has none`);
    }
    return { index, pod, spec: state.compile(pod.demand), duration: Math.max(0, pod.deletionTime - pod.creationTime) };
  });
  const load = options.load ?? 1;
  if (!(load > 0)) throw new RangeError('load must be > 0');
  const firstCreation = pods.reduce((m, p) => Math.min(m, p.pod.creationTime as number), Infinity);
  const arrivalOf = new Float64Array(pods.length);
  for (const p of pods) arrivalOf[p.index] = firstCreation + ((p.pod.creationTime as number) - firstCreation) / load;
  const arrivals = [...pods].sort((a, b) => (arrivalOf[a.index] as number) - (arrivalOf[b.index] as number) || (a.pod.demand.id < b.pod.demand.id ? -1 : 1));
  const t0 = arrivals.length > 0 ? (arrivalOf[(arrivals[0] as TimelinePod).index] as number) : 0;
  const tEnd = pods.reduce((m, p) => Math.max(m, (arrivalOf[p.index] as number) + p.duration), t0);
  const running = new Map<number, Running>();
  const waitS = new Float64Array(pods.length);
  const started = new Uint8Array(pods.length);
  const evictions = new Int32Array(pods.length);
  let waiting: TimelinePod[] = [];
  /** Departures: a binary min-heap of [end time, pod index, start] (start identifies the run). */
  const heap: [number, number, number][] = [];
  const push = (item: [number, number, number]) => {
    heap.push(item);
    for (let i = heap.length - 1; i > 0; ) {
      const p = (i - 1) >> 1;
      if ((heap[p] as [number, number, number])[0] <= item[0]) break;
      heap[i] = heap[p] as [number, number, number];
      heap[p] = item;
      i = p;
    }
  };
  const pop = (): [number, number, number] => {
    const top = heap[0] as [number, number, number];
    const last = heap.pop() as [number, number, number];
    if (heap.length > 0) {
      heap[0] = last;
      for (let i = 0; ; ) {
        const l = 2 * i + 1;
        const r = l + 1;
        let m = i;
        if (l < heap.length && (heap[l] as number[])[0]! < (heap[m] as number[])[0]!) m = l;
        if (r < heap.length && (heap[r] as number[])[0]! < (heap[m] as number[])[0]!) m = r;
        if (m === i) break;
        const tmp = heap[i] as [number, number, number];
        heap[i] = heap[m] as [number, number, number];
        heap[m] = tmp;
        i = m;
      }
    }
    return top;
  };
  let now = t0;
  const ops: TimelineOps = {
    state,
    scheduler,
    running,
    place(pod, spec) {
      const d = scheduler.schedule(state, spec);
      if (d.code !== 'scheduled') return null;
      const run: Running = { pod, spec, placement: d.placement, start: now };
      running.set(pod.index, run);
      meter.refresh(d.placement.nodeIndex);
      push([now + pod.duration, pod.index, now]);
      return run;
    },
    evict(index) {
      const run = running.get(index);
      if (!run) return;
      running.delete(index);
      scheduler.unschedule(state, run.spec, run.placement);
      meter.refresh(run.placement.nodeIndex);
      evictions[index] = (evictions[index] as number) + 1;
      admission.stopped(run, true);
      waiting.push(run.pod);
    },
    restore(run) {
      state.apply(run.spec, run.placement);
      meter.refresh(run.placement.nodeIndex);
      running.set(run.pod.index, run);
      evictions[run.pod.index] = (evictions[run.pod.index] as number) - 1;
      waiting = waiting.filter((p) => p.index !== run.pod.index);
    },
  };
  const start = (pod: TimelinePod): boolean => {
    const run = admission.tryStart(pod, ops);
    if (!run) return false;
    started[pod.index] = 1;
    waitS[pod.index] = now - (arrivalOf[pod.index] as number);
    return true;
  };
  const retryWaiting = () => {
    if (waiting.length === 0) return;
    const order = admission.order ? admission.order(waiting) : waiting;
    const failedShapes = new Set<string>();
    const still: TimelinePod[] = [];
    waiting = [];
    for (const pod of order) {
      const key = `${pod.pod.demand.tenant ?? ''}/${pod.pod.demand.priority ?? 0}/${pod.spec.shapeKey}/${pod.spec.memoryMiB}`;
      if (failedShapes.has(key) || !start(pod)) {
        failedShapes.add(key);
        still.push(pod);
      }
    }
    waiting = [...still, ...waiting];
  };

  // Points and time-weighted means cover the arrival window [first arrival, last arrival]; the
  // drain after the last arrival (long-running pods finishing) would otherwise dominate them.
  const lastArrival = arrivals.length > 0 ? (arrivalOf[(arrivals[arrivals.length - 1] as TimelinePod).index] as number) : t0;
  const span = Math.max(1, lastArrival - t0);
  const buckets = Array.from({ length: 101 }, () => ({ alloc: 0, frag: 0, ratio: 0, waiting: 0, n: 0 }));
  let weightedAlloc = 0;
  let weightedRatio = 0;
  let lastT = t0;
  const total = state.totalAcceleratorMilli;
  const record = (time: number) => {
    const t = Math.min(time, lastArrival);
    const dt = Math.max(0, t - lastT);
    const alloc = (meter.usedMilli / total) * 100;
    const ratio = meter.idleMilli > 0 ? (meter.fragMilli / meter.idleMilli) * 100 : 0;
    weightedAlloc += alloc * dt;
    weightedRatio += ratio * dt;
    lastT = Math.max(lastT, t);
    const b = buckets[Math.min(100, Math.floor(((t - t0) / span) * 100))] as (typeof buckets)[number];
    b.alloc += alloc;
    b.frag += (meter.fragMilli / total) * 100;
    b.ratio += ratio;
    b.waiting += waiting.length;
    b.n++;
  };

  let next = 0;
  while (next < arrivals.length || heap.length > 0) {
    const nextArrival = next < arrivals.length ? (arrivalOf[(arrivals[next] as TimelinePod).index] as number) : Infinity;
    const nextDeparture = heap.length > 0 ? (heap[0] as [number, number, number])[0] : Infinity;
    if (nextDeparture <= nextArrival) {
      const [t, index, runStart] = pop();
      const run = running.get(index);
      if (!run || run.start !== runStart) continue; // an evicted run's stale departure
      record(t);
      now = t;
      running.delete(index);
      scheduler.unschedule(state, run.spec, run.placement);
      meter.refresh(run.placement.nodeIndex);
      admission.stopped(run, false);
      retryWaiting();
    } else {
      const pod = arrivals[next++] as TimelinePod;
      record(nextArrival);
      now = nextArrival;
      if (!start(pod)) waiting.push(pod);
    }
  }
  record(lastArrival);
  for (const pod of waiting) waitS[pod.index] = Math.max(now, tEnd) - (arrivalOf[pod.index] as number);

  let prev = { alloc: 0, frag: 0, ratio: 0, waiting: 0 };
  const points: TimelinePoint[] = buckets.map((b, i) => {
    const v = b.n > 0 ? { alloc: b.alloc / b.n, frag: b.frag / b.n, ratio: b.ratio / b.n, waiting: b.waiting / b.n } : prev;
    prev = v;
    return { timePct: i, allocatedPct: v.alloc, fragPct: v.frag, fragRatioPct: v.ratio, waiting: v.waiting };
  });
  return {
    totalGpus: total / 1000,
    points,
    outcomes: pods.map((p) => ({ started: started[p.index] === 1, waitS: waitS[p.index] as number, evictions: evictions[p.index] as number })),
    meanAllocatedPct: weightedAlloc / span,
    meanFragRatioPct: weightedRatio / span,
  };
}
