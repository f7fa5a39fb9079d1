/**
 * The scheduler unit: a pure library (snapshot in, decisions out; random source injected) plus the
 * trace loader and the simulators behind `tessera sim`. See docs/scheduler.md.
 */
export type { AcceleratorDemand, AcceleratorSpec, Decision, Demand, NodeSpec, Placement, RejectionReason, Scheduled, Unschedulable } from './model.js';
export { demandAcceleratorMilli } from './model.js';
export { ClusterState, type DemandSpec } from './cluster-state.js';
export { Scheduler, type AcceleratorSelector, type FilterPlugin, type Profile, type ReservePlugin, type ScorePlugin } from './framework.js';
export { POLICIES, PluginRegistry, createScheduler, defaultRegistry, resolvePolicyName, type PolicyConfig, type PolicyOptions } from './policies.js';
export { PAPER_TYPICAL_OPTIONS, typicalDemands, type TypicalDemand } from './fragmentation.js';
export { createRandom, shuffleInPlace, type RandomSource } from './random.js';
export { QuotaManager, type Admitted, type QueueConfig, type QuotaConfig, type QuotaRequest, type QuotaVerdict } from './quota/quota.js';
export { loadNodesCsv, loadPodsCsv, parseNodesCsv, parsePodsCsv, type TracePod } from './trace.js';
export { paperJson, simulatePaper, type PaperResult } from './simulate/result.js';
export { simulateReplay, type ReplayResult } from './simulate/replay.js';
export { simulateQuota, type QuotaResult } from './simulate/quota-mode.js';
export { unallocatedSvg } from './simulate/plot.js';
export type { Point } from './simulate/series.js';
