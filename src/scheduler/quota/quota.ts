/**
 * Quotas in the style of Kueue: a queue per tenant with a nominal quota per accelerator type; queues
 * in one cohort lend each other their unused quota and borrow from it up to limits; higher priority
 * first; an owner reclaiming its quota preempts borrowed work, lowest priority first; borrowers share
 * what is left by weight. Pure bookkeeping: it decides admissions and names victims, the caller
 * evicts them and places the work (the simulator's quota mode shows the loop).
 *
 * Units: accelerator milli-units (1000 = one whole device), per accelerator type.
 *
 * Accounting for one type T in a cohort (a queue without a cohort is a cohort of its own):
 * - each queue's nominal N_q splits into a lendable part L_q = min(N_q, lendingLimit_q) that goes into
 *   the cohort's pool, and a private part N_q − L_q only it can use;
 * - a queue's usage U_q first fills its private part; the rest, max(0, U_q − (N_q − L_q)), is drawn
 *   from the pool; Σ over the cohort of what is drawn from the pool may not exceed Σ L_q;
 * - a queue borrows max(0, U_q − N_q), which may not exceed its borrowing limit;
 * - a type listed in `closedTypes` is usable only by queues with a nominal quota for it.
 *
 * Preemption contracts:
 * - work running within its owner's nominal quota is never preempted: a victim is eligible only if
 *   its queue's usage minus the victim stays at or above that queue's nominal quota (so only
 *   borrowed capacity is ever taken back); the same rule protects a queue in fair-sharing preemption;
 * - reclaim: a queue that stays within its nominal quota may preempt other queues' borrowed work;
 *   victims are taken lowest priority first, then most recently admitted first;
 * - priority: a workload may preempt lower-priority work of its own queue;
 * - fair sharing: a borrower may preempt another queue's borrowed work only while that queue's
 *   weighted share (borrowed / weight) after the eviction stays at or above the borrower's share
 *   after admission (victims of lower or equal priority only), so borrowers converge to shares
 *   proportional to their weights;
 * - every decision is a value (`fit`, `preempt` with victims, or `wait` with a reason); nothing throws
 *   except configuration errors at construction.
 */

export interface QueueConfig {
  /** Queue name; one queue per tenant. */
  readonly name: string;
  readonly cohort?: string;
  /** Nominal quota per accelerator type, in milli-units. */
  readonly nominal: Readonly<Record<string, number>>;
  /** Most a queue may use above its nominal quota, per type (milli-units); absent = no limit. */
  readonly borrowingLimit?: Readonly<Record<string, number>>;
  /** Most of its nominal quota a queue lends to its cohort, per type (milli-units); absent = all. */
  readonly lendingLimit?: Readonly<Record<string, number>>;
  /** Fair-sharing weight among borrowers (default 1, must be > 0). */
  readonly weight?: number;
}

export interface QuotaConfig {
  readonly queues: readonly QueueConfig[];
  /** Accelerator types (pools) closed to queues that hold no nominal quota for them. */
  readonly closedTypes?: readonly string[];
}

export interface QuotaRequest {
  readonly id: string;
  readonly queue: string;
  /** The accelerator type the work would use; quota is charged against it. */
  readonly type: string;
  readonly milli: number;
  /** Higher is more important (default 0). */
  readonly priority?: number;
}

export interface Admitted {
  readonly id: string;
  readonly queue: string;
  readonly type: string;
  readonly milli: number;
  readonly priority: number;
  /** Admission order (increasing); later admitted work is preempted first among equals. */
  readonly seq: number;
}

export type QuotaVerdict =
  | { readonly code: 'fit'; readonly borrowing: boolean }
  | { readonly code: 'preempt'; readonly reason: 'reclaim' | 'priority' | 'fair-share'; readonly victims: readonly Admitted[]; readonly borrowing: boolean }
  | { readonly code: 'wait'; readonly reason: string };

interface Queue {
  readonly config: QueueConfig;
  readonly cohort: string;
  readonly weight: number;
}

export class QuotaManager {
  private readonly queues = new Map<string, Queue>();
  private readonly cohorts = new Map<string, Queue[]>();
  private readonly closed: ReadonlySet<string>;
  private readonly admitted = new Map<string, Admitted>();
  /** usage[queue][type] in milli-units. */
  private readonly usageBy = new Map<string, Map<string, number>>();
  private seq = 0;

  constructor(config: QuotaConfig) {
    for (const q of config.queues) {
      if (this.queues.has(q.name)) throw new Error(`quota: queue "${q.name}" is defined twice`);
      const weight = q.weight ?? 1;
      if (!(weight > 0)) throw new Error(`quota: queue "${q.name}" needs a weight > 0`);
      for (const [field, record] of [['nominal', q.nominal], ['borrowingLimit', q.borrowingLimit], ['lendingLimit', q.lendingLimit]] as const) {
        for (const [type, v] of Object.entries(record ?? {})) {
          if (!(Number.isFinite(v) && v >= 0)) throw new Error(`quota: queue "${q.name}" ${field}.${type} must be a number ≥ 0`);
        }
      }
      const cohort = q.cohort ?? `\u0000${q.name}`;
      const queue: Queue = { config: q, cohort, weight };
      this.queues.set(q.name, queue);
      const members = this.cohorts.get(cohort) ?? [];
      members.push(queue);
      this.cohorts.set(cohort, members);
      this.usageBy.set(q.name, new Map());
    }
    this.closed = new Set(config.closedTypes ?? []);
  }

  hasQueue(name: string): boolean {
    return this.queues.has(name);
  }

  usage(queue: string, type: string): number {
    return this.usageBy.get(queue)?.get(type) ?? 0;
  }

  nominal(queue: string, type: string): number {
    return this.queues.get(queue)?.config.nominal[type] ?? 0;
  }

  /** Milli-units a queue uses above its nominal quota. */
  borrowed(queue: string, type: string): number {
    return Math.max(0, this.usage(queue, type) - this.nominal(queue, type));
  }

  /** Weighted share used for fair sharing: borrowed / weight. */
  share(queue: string, type: string): number {
    const q = this.queues.get(queue);
    return q ? this.borrowed(queue, type) / q.weight : 0;
  }

  admittedWorkloads(): Admitted[] {
    return [...this.admitted.values()];
  }

  get(id: string): Admitted | undefined {
    return this.admitted.get(id);
  }

  /** Decides whether the request could be admitted now, and what it would have to preempt. */
  check(req: QuotaRequest): QuotaVerdict {
    const queue = this.queues.get(req.queue);
    if (!queue) return { code: 'wait', reason: `no queue "${req.queue}"` };
    const type = req.type;
    const nominal = queue.config.nominal[type] ?? 0;
    if (nominal === 0 && this.closed.has(type)) return { code: 'wait', reason: `pool ${type} is closed to queues without quota in it` };
    const priority = req.priority ?? 0;
    const newUsed = this.usage(req.queue, type) + req.milli;
    const over = newUsed - nominal;
    const borrowLimit = queue.config.borrowingLimit?.[type] ?? Infinity;
    if (over > borrowLimit) return { code: 'wait', reason: `borrowing limit of ${req.queue} for ${type} reached` };
    const borrowing = over > 0;
    if (this.fits(queue, type, req.milli, new Map())) return { code: 'fit', borrowing };

    const removed = new Map<string, number>(); // queue → milli evicted (hypothetically)
    const victims: Admitted[] = [];
    /** Takes eligible victims in order until the request fits; true when it does. */
    const take = (candidates: Admitted[]): boolean => {
      for (const v of candidates) {
        if (!this.protectedAfter(v, removed)) {
          victims.push(v);
          removed.set(v.queue, (removed.get(v.queue) ?? 0) + v.milli);
          if (this.fits(queue, type, req.milli, removed)) return true;
        }
      }
      return this.fits(queue, type, req.milli, removed);
    };
    const others = this.cohortMembers(queue)
      .filter((q) => q !== queue)
      .flatMap((q) => this.workloadsOf(q.config.name, type));

    if (!borrowing) {
      // Reclaim: the owner takes back what others borrowed.
      if (take(others)) return { code: 'preempt', reason: 'reclaim', victims, borrowing };
      return { code: 'wait', reason: `${type} quota of cohort is in use and not reclaimable` };
    }
    // Priority within the queue: lower-priority work of the same queue.
    const own = this.workloadsOf(req.queue, type).filter((w) => w.priority < priority);
    const ownVictims: Admitted[] = [];
    for (const v of own) {
      ownVictims.push(v);
      removed.set(v.queue, (removed.get(v.queue) ?? 0) + v.milli);
      if (this.fits(queue, type, req.milli, removed)) return { code: 'preempt', reason: 'priority', victims: ownVictims, borrowing: this.usage(req.queue, type) - (removed.get(req.queue) ?? 0) + req.milli > nominal };
    }
    removed.clear();
    // Fair sharing among borrowers.
    const myShareAfter = over / queue.weight;
    const fairCandidates = others.filter((v) => v.priority <= priority);
    const fair = take(fairCandidates);
    if (fair && victims.every((v) => this.shareAfter(v.queue, type, removed) >= myShareAfter)) {
      return { code: 'preempt', reason: 'fair-share', victims, borrowing };
    }
    return { code: 'wait', reason: `${type} quota of cohort is exhausted` };
  }

  /** Records an admission (after the caller placed the work). */
  admit(req: QuotaRequest): Admitted {
    if (this.admitted.has(req.id)) throw new Error(`quota: workload "${req.id}" is already admitted`);
    const a: Admitted = { id: req.id, queue: req.queue, type: req.type, milli: req.milli, priority: req.priority ?? 0, seq: this.seq++ };
    this.admitted.set(a.id, a);
    const u = this.usageBy.get(a.queue);
    if (!u) throw new Error(`quota: no queue "${a.queue}"`);
    u.set(a.type, (u.get(a.type) ?? 0) + a.milli);
    return a;
  }

  /** Forgets a workload that finished or was evicted; false when it was not admitted. */
  release(id: string): boolean {
    const a = this.admitted.get(id);
    if (!a) return false;
    this.admitted.delete(id);
    const u = this.usageBy.get(a.queue) as Map<string, number>;
    u.set(a.type, (u.get(a.type) ?? 0) - a.milli);
    return true;
  }

  /**
   * Order in which pending requests should be tried: work within its queue's nominal quota first,
   * then by the queue's weighted share after admission (fair sharing), then priority, then the
   * given order (arrival).
   */
  pendingOrder<T extends QuotaRequest>(pending: readonly T[]): T[] {
    const key = (r: T) => {
      const q = this.queues.get(r.queue);
      const over = this.usage(r.queue, r.type) + r.milli - (q?.config.nominal[r.type] ?? 0);
      return { borrowing: over > 0 ? 1 : 0, share: Math.max(0, over) / (q?.weight ?? 1) };
    };
    return pending
      .map((r, i) => ({ r, i, k: key(r) }))
      .sort((a, b) => a.k.borrowing - b.k.borrowing || a.k.share - b.k.share || (b.r.priority ?? 0) - (a.r.priority ?? 0) || a.i - b.i)
      .map((x) => x.r);
  }

  private cohortMembers(queue: Queue): Queue[] {
    return this.cohorts.get(queue.cohort) ?? [queue];
  }

  /** A queue's admitted work of one type, in preemption order: lowest priority, then newest first. */
  private workloadsOf(queue: string, type: string): Admitted[] {
    return [...this.admitted.values()]
      .filter((w) => w.queue === queue && w.type === type)
      .sort((a, b) => a.priority - b.priority || b.seq - a.seq);
  }

  /** True when evicting `v` (on top of `removed`) would take its queue below its nominal quota. */
  private protectedAfter(v: Admitted, removed: Map<string, number>): boolean {
    const after = this.usage(v.queue, v.type) - (removed.get(v.queue) ?? 0) - v.milli;
    return after < this.nominal(v.queue, v.type);
  }

  private shareAfter(queue: string, type: string, removed: Map<string, number>): number {
    const q = this.queues.get(queue) as Queue;
    return Math.max(0, this.usage(queue, type) - (removed.get(queue) ?? 0) - this.nominal(queue, type)) / q.weight;
  }

  /** Whether `milli` more for `queue` fits its cohort's pool, given hypothetical evictions. */
  private fits(queue: Queue, type: string, milli: number, removed: Map<string, number>): boolean {
    let pool = 0;
    let drawn = 0;
    for (const q of this.cohortMembers(queue)) {
      const nominal = q.config.nominal[type] ?? 0;
      const lendable = Math.min(nominal, q.config.lendingLimit?.[type] ?? Infinity);
      pool += lendable;
      let used = this.usage(q.config.name, type) - (removed.get(q.config.name) ?? 0);
      if (q === queue) used += milli;
      drawn += Math.max(0, used - (nominal - lendable));
    }
    return drawn <= pool;
  }
}
