/**
 * Mode `quota`: the replay of ./replay.ts with the trace split among tenants that share the cluster
 * through quotas (../quota/quota.ts).
 *
 * Set-up (deterministic for a seed):
 * - each pod is given to one of `tenants` tenants, drawn with the seed; its priority comes from its
 *   QoS class (LS 2, Burstable/Guaranteed 1, BE 0) — unless every pod already names a known tenant;
 * - every tenant has a queue in one cohort with an equal nominal share of each accelerator type's
 *   capacity (tenant weights 1); with `closedTypes`, the listed types are held by tenant 0 alone and
 *   closed to the others;
 * - a pod's quota is charged against the accelerator type it lands on: the admission first places it
 *   once over all acceptable types whose quota fits without preemption, then tries the types that
 *   need preemption one by one; preemption is transactional (victims are restored if the pod then
 *   does not fit the nodes). CPU-only pods are not subject to accelerator quota.
 * Reported per tenant: pods, started, never started, waits and how often its pods were preempted.
 */
import type { NodeSpec } from '../model.js';
import { QuotaManager, type QueueConfig } from '../quota/quota.js';
import { createRandom } from '../random.js';
import type { TracePod } from '../trace.js';
import { summarizeWaits, type WaitSummary } from './replay.js';
import { runTimeline, type Admission, type Running, type TimelinePod } from './timeline.js';

export interface QuotaModeOptions {
  readonly nodes: readonly NodeSpec[];
  readonly pods: readonly TracePod[];
  readonly policy: string;
  readonly seeds: readonly number[];
  readonly tenants?: number;
  readonly closedTypes?: readonly string[];
  /** Queues to use instead of the equal split (their names are the tenants). */
  readonly queues?: readonly QueueConfig[];
  /** Offered-load multiplier (see TimelineOptions.load). */
  readonly load?: number;
}

export interface TenantReport extends WaitSummary {
  readonly tenant: string;
  /** Times this tenant's running pods were preempted. */
  readonly preempted: number;
  /** Preemptions this tenant's pods caused. */
  readonly preemptionsCaused: number;
}

export interface QuotaResult {
  readonly policy: string;
  readonly mode: 'quota';
  readonly seeds: readonly number[];
  readonly totalGpus: number;
  readonly meanAllocatedPct: number;
  readonly tenants: readonly TenantReport[];
}

const PRIORITY: Readonly<Record<string, number>> = { LS: 2, Burstable: 1, Guaranteed: 1, BE: 0 };

export function tenantQueues(nodes: readonly NodeSpec[], tenants: number, closedTypes: readonly string[] = []): QueueConfig[] {
  const capacity = new Map<string, number>();
  for (const n of nodes) for (const a of n.accelerators) capacity.set(a.type, (capacity.get(a.type) ?? 0) + a.capacityMilli);
  return Array.from({ length: tenants }, (_, t) => {
    const nominal: Record<string, number> = {};
    for (const [type, milli] of capacity) {
      if (closedTypes.includes(type)) nominal[type] = t === 0 ? milli : 0;
      else nominal[type] = Math.floor(milli / tenants / 10) * 10 + (t === 0 ? milli - Math.floor(milli / tenants / 10) * 10 * tenants : 0);
    }
    return { name: `tenant-${t}`, cohort: 'all', nominal };
  });
}

export function simulateQuota(options: QuotaModeOptions): QuotaResult {
  const queues = options.queues ?? tenantQueues(options.nodes, options.tenants ?? 4, options.closedTypes);
  const tenantNames = queues.map((q) => q.name);
  /** Pods that already name a known tenant keep it (and their priority); others are dealt out. */
  const preassigned = options.pods.length > 0 && options.pods.every((p) => p.demand.tenant !== undefined && tenantNames.includes(p.demand.tenant));
  const types = [...new Set(options.nodes.flatMap((n) => n.accelerators.map((a) => a.type)))];
  const perTenant = new Map<string, { outcomes: { started: boolean; waitS: number; evictions: number }[]; caused: number }>();
  for (const t of tenantNames) perTenant.set(t, { outcomes: [], caused: 0 });
  let allocated = 0;
  let totalGpus = 0;
  for (const seed of options.seeds) {
    const random = createRandom(seed ^ 0x5eed);
    const pods: TracePod[] = preassigned
      ? [...options.pods]
      : options.pods.map((p) => ({
          ...p,
          demand: { ...p.demand, tenant: tenantNames[random.int(tenantNames.length)] as string, priority: PRIORITY[p.qos ?? ''] ?? 0 },
        }));
    const quota = new QuotaManager({ queues, closedTypes: options.closedTypes ?? [] });
    const typeOf = new Map<number, string>();
    const caused = new Map<string, number>();
    const admission: Admission = {
      tryStart(pod: TimelinePod, ops) {
        const d = pod.pod.demand;
        if (pod.spec.count === 0) return ops.place(pod, pod.spec);
        const milli = pod.spec.milli * pod.spec.count;
        const candidates = (d.acceptableTypes && d.acceptableTypes.length > 0 ? d.acceptableTypes : types).filter((t) => types.includes(t));
        const verdicts = candidates.map((type) => ({ type, v: quota.check({ id: d.id, queue: d.tenant as string, type, milli, priority: d.priority ?? 0 }) }));
        // One placement over every type whose quota fits as is; the quota is charged to the type it lands on.
        const fitting = verdicts.filter((x) => x.v.code === 'fit').map((x) => x.type);
        if (fitting.length > 0) {
          const run = ops.place(pod, ops.state.compile({ ...d, acceptableTypes: fitting }));
          if (run) {
            const k = (ops.state.accStart[run.placement.nodeIndex] as number) + (run.placement.acceleratorIndices[0] as number);
            const type = ops.state.typeNames[ops.state.accType[k] as number] as string;
            quota.admit({ id: String(pod.index), queue: d.tenant as string, type, milli, priority: d.priority ?? 0 });
            typeOf.set(pod.index, type);
            return run;
          }
        }
        // Then the types that need preemption, one at a time, transactionally.
        for (const { type, v } of verdicts) {
          if (v.code !== 'preempt') continue;
          const spec = ops.state.compile({ ...d, acceptableTypes: [type] });
          const evicted: Running[] = [];
          for (const w of v.victims) {
            const run = ops.running.get(Number(w.id));
            if (run) {
              evicted.push(run);
              ops.evict(run.pod.index);
            }
          }
          const run = ops.place(pod, spec);
          if (run) {
            quota.admit({ id: String(pod.index), queue: d.tenant as string, type, milli, priority: d.priority ?? 0 });
            typeOf.set(pod.index, type);
            if (evicted.length > 0) caused.set(d.tenant as string, (caused.get(d.tenant as string) ?? 0) + evicted.length);
            return run;
          }
          for (const r of evicted.reverse()) {
            ops.restore(r);
            quota.admit({ id: String(r.pod.index), queue: r.pod.pod.demand.tenant as string, type: typeOf.get(r.pod.index) as string, milli: r.spec.milli * r.spec.count, priority: r.pod.pod.demand.priority ?? 0 });
          }
        }
        return null;
      },
      stopped(run) {
        quota.release(String(run.pod.index));
      },
      order(waiting) {
        const reqs = waiting.map((p) => ({ id: String(p.index), queue: p.pod.demand.tenant as string, type: typeOf.get(p.index) ?? types[0] ?? '', milli: p.spec.milli * p.spec.count, priority: p.pod.demand.priority ?? 0, pod: p }));
        return quota.pendingOrder(reqs).map((r) => r.pod);
      },
    };
    const result = runTimeline({ nodes: options.nodes, pods, policy: options.policy, seed, admission, ...(options.load ? { load: options.load } : {}) });
    totalGpus = result.totalGpus;
    allocated += result.meanAllocatedPct;
    result.outcomes.forEach((o, i) => perTenant.get(pods[i]?.demand.tenant as string)?.outcomes.push(o));
    for (const [t, n] of caused) (perTenant.get(t) as { caused: number }).caused += n;
  }
  return {
    policy: options.policy,
    mode: 'quota',
    seeds: [...options.seeds],
    totalGpus,
    meanAllocatedPct: allocated / Math.max(1, options.seeds.length),
    tenants: [...perTenant.entries()].map(([tenant, v]) => {
      const w = summarizeWaits(v.outcomes);
      return { tenant, ...w, preempted: w.evictions, preemptionsCaused: v.caused };
    }),
  };
}
