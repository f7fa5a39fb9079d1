/**
 * The scheduler's data model: what a node offers and what a piece of work asks for.
 *
 * Units (every field says its unit in its name):
 * - CPU in milli-cores (`cpuMilli`: 1000 = one core);
 * - memory in MiB;
 * - accelerator capacity in milli-units (`capacityMilli`, normally 1000 = one whole accelerator).
 *
 * A demand asks for either whole accelerators (1–8, all on one node, all of one type), a fraction of
 * one accelerator (milli-units, placed onto one specific accelerator index) or no accelerator.
 */

export interface AcceleratorSpec {
  /** Chip type, e.g. "H100", "T4", "Ascend910B". Matched exactly against a demand's acceptable types. */
  readonly type: string;
  /** On-device memory in MiB (informational for the policies; a demand may set a minimum). */
  readonly memoryMiB: number;
  /** Schedulable capacity in milli-units; 1000 unless the device is sliced differently. */
  readonly capacityMilli: number;
}

export interface NodeSpec {
  readonly name: string;
  readonly cpuMilli: number;
  readonly memoryMiB: number;
  /** Index in this list is the accelerator index a placement refers to. */
  readonly accelerators: readonly AcceleratorSpec[];
}

export type AcceleratorDemand =
  | { readonly kind: 'none' }
  | { readonly kind: 'whole'; readonly count: number }
  | { readonly kind: 'fraction'; readonly milli: number };

export interface Demand {
  readonly id: string;
  readonly cpuMilli: number;
  readonly memoryMiB: number;
  readonly accelerators: AcceleratorDemand;
  /** Accelerator types the work can run on; absent or empty means any type. */
  readonly acceptableTypes?: readonly string[];
  /** Smallest on-device memory acceptable, in MiB (e.g. a model's weights); absent means any. */
  readonly minAcceleratorMemoryMiB?: number;
  readonly tenant?: string;
  /** Higher runs first and may preempt lower (quota mode only). Default 0. */
  readonly priority?: number;
}

/** Where a demand went: a node and, for accelerator demands, the accelerator indices on it. */
export interface Placement {
  readonly demandId: string;
  readonly nodeIndex: number;
  readonly nodeName: string;
  /** Accelerator indices on the node; one index for a fraction, `count` indices for whole devices. */
  readonly acceleratorIndices: readonly number[];
  /** Milli-units taken from each listed accelerator. */
  readonly milliPerAccelerator: number;
}

/** One reason a demand could not be placed, with how many nodes gave it. */
export interface RejectionReason {
  readonly plugin: string;
  readonly reason: string;
  readonly nodes: number;
}

/** Expected refusal, returned (never thrown) when no node fits. */
export interface Unschedulable {
  readonly code: 'unschedulable';
  readonly reasons: readonly RejectionReason[];
}

export interface Scheduled {
  readonly code: 'scheduled';
  readonly placement: Placement;
}

export type Decision = Scheduled | Unschedulable;

/** Total milli-units of accelerator a demand takes (0 for CPU-only work). */
export function demandAcceleratorMilli(demand: Demand): number {
  const a = demand.accelerators;
  if (a.kind === 'whole') return a.count * 1000;
  if (a.kind === 'fraction') return a.milli;
  return 0;
}
