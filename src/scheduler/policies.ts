/**
 * Plugin registry and the named policies built from it.
 *
 * Plugins are registered by name (filters, scores, accelerator selectors); a policy is a named list
 * of filters, weighted scores and one selector. The paper's baselines use one score plugin with
 * weight 1000, as the FGD simulator's run scripts configure them.
 */
import type { ClusterState } from './cluster-state.js';
import { Scheduler, bestFitSelector, type AcceleratorSelector, type FilterPlugin, type Profile, type ReservePlugin, type ScorePlugin } from './framework.js';
import { compileTypical, type CompiledTypical, type TypicalDemand } from './fragmentation.js';
import type { Demand } from './model.js';
import type { RandomSource } from './random.js';
import { bestFitScore } from './plugins/best-fit.js';
import { clusterMaxima, type ClusterMaxima } from './plugins/cluster-maxima.js';
import { dotProductScore } from './plugins/dot-product.js';
import { fgdPlugins } from './plugins/fgd.js';
import { acceleratorFitFilter, resourcesFitFilter } from './plugins/fit-filter.js';
import { gpuClusteringScore } from './plugins/gpu-clustering.js';
import { gpuPackingScore } from './plugins/gpu-packing.js';
import { randomFitSelector, randomScore } from './plugins/random-score.js';
import { tesseraPlugins } from './plugins/tessera.js';

/** Everything a plugin factory may need; `shared` lets a score and a selector share one engine. */
export interface PluginContext {
  readonly state: ClusterState;
  readonly random: RandomSource;
  readonly typical: CompiledTypical;
  readonly maxima: ClusterMaxima;
  readonly maxAcceleratorsPerNode: number;
  readonly shared: Map<string, unknown>;
  /** The workload the target shapes were drawn from, when known (policies may re-estimate). */
  readonly workload: readonly Demand[];
}

type Factory<T> = (ctx: PluginContext) => T;

export class PluginRegistry {
  private readonly filters = new Map<string, Factory<FilterPlugin>>();
  private readonly scores = new Map<string, Factory<ScorePlugin>>();
  private readonly selectors = new Map<string, Factory<AcceleratorSelector>>();
  private readonly reserves = new Map<string, Factory<ReservePlugin>>();

  registerFilter(name: string, factory: Factory<FilterPlugin>): this {
    this.filters.set(name, factory);
    return this;
  }
  registerScore(name: string, factory: Factory<ScorePlugin>): this {
    this.scores.set(name, factory);
    return this;
  }
  registerSelector(name: string, factory: Factory<AcceleratorSelector>): this {
    this.selectors.set(name, factory);
    return this;
  }
  registerReserve(name: string, factory: Factory<ReservePlugin>): this {
    this.reserves.set(name, factory);
    return this;
  }

  build(config: PolicyConfig, ctx: PluginContext): Profile {
    const get = <T>(map: Map<string, Factory<T>>, name: string, kind: string): T => {
      const factory = map.get(name);
      if (!factory) throw new Error(`unknown ${kind} plugin "${name}"`);
      return factory(ctx);
    };
    return {
      name: config.name,
      filters: config.filters.map((n) => get(this.filters, n, 'filter')),
      scores: config.scores.map((s) => ({ plugin: get(this.scores, s.name, 'score'), weight: s.weight })),
      selector: get(this.selectors, config.selector, 'selector'),
      reserves: (config.reserves ?? []).map((n) => get(this.reserves, n, 'reserve')),
    };
  }
}

export interface PolicyConfig {
  readonly name: string;
  readonly description: string;
  readonly filters: readonly string[];
  readonly scores: readonly { readonly name: string; readonly weight: number }[];
  readonly selector: string;
  readonly reserves?: readonly string[];
}

function shared<T>(ctx: PluginContext, key: string, make: () => T): T {
  if (!ctx.shared.has(key)) ctx.shared.set(key, make());
  return ctx.shared.get(key) as T;
}

const fgd = (ctx: PluginContext) => shared(ctx, 'fgd', () => fgdPlugins(ctx.typical, ctx.maxAcceleratorsPerNode));
const tessera = (ctx: PluginContext) => shared(ctx, 'tessera', () => tesseraPlugins(ctx));

export function defaultRegistry(): PluginRegistry {
  return new PluginRegistry()
    .registerFilter('resources-fit', () => resourcesFitFilter)
    .registerFilter('accelerator-fit', () => acceleratorFitFilter)
    .registerScore('random', (ctx) => randomScore(ctx.random))
    .registerScore('best-fit', (ctx) => bestFitScore(ctx.maxima))
    .registerScore('dot-product', (ctx) => dotProductScore(ctx.maxima))
    .registerScore('gpu-packing', () => gpuPackingScore())
    .registerScore('gpu-clustering', (ctx) => gpuClusteringScore(ctx.maxima))
    .registerScore('fgd', (ctx) => fgd(ctx).score)
    .registerScore('tessera', (ctx) => tessera(ctx).score)
    .registerSelector('best-fit', () => bestFitSelector)
    .registerSelector('random-fit', (ctx) => randomFitSelector(ctx.random))
    .registerSelector('fgd', (ctx) => fgd(ctx).selector)
    .registerSelector('tessera', (ctx) => tessera(ctx).selector);
}

const FILTERS = ['resources-fit', 'accelerator-fit'] as const;
const one = (name: string, description: string, score: string, selector: string): PolicyConfig => ({
  name,
  description,
  filters: FILTERS,
  scores: [{ name: score, weight: 1000 }],
  selector,
});

/** The policies `tessera sim` knows, in the order the paper lists its baselines, then ours. */
export const POLICIES: readonly PolicyConfig[] = [
  one('random', 'uniformly random feasible node (paper: Random)', 'random', 'random-fit'),
  one('dot-product', 'Tetris-style dot product of free and requested vectors (paper: DotProd)', 'dot-product', 'best-fit'),
  one('gpu-clustering', 'keep same-shaped accelerator work together (paper: GpuClustering)', 'gpu-clustering', 'best-fit'),
  one('gpu-packing', 'fill partly used accelerators, then used nodes (paper: GpuPacking)', 'gpu-packing', 'best-fit'),
  one('best-fit', 'least leftover CPU and accelerator (paper: BestFit)', 'best-fit', 'best-fit'),
  one('fgd', 'fragmentation gradient descent (paper: FGD)', 'fgd', 'fgd'),
  one('tessera', 'ours: fragmentation gradient + eventual gap waste + CPU/memory stranding', 'tessera', 'tessera'),
];

/** Accepts our names and the paper's (Random, DotProd, GpuClustering, GpuPacking, BestFit, FGD). */
export function resolvePolicyName(name: string): PolicyConfig | undefined {
  const key = name.toLowerCase().replace(/[^a-z]/g, '');
  const aliases: Record<string, string> = { dotprod: 'dot-product', dotproduct: 'dot-product', gpuclustering: 'gpu-clustering', gpupacking: 'gpu-packing', bestfit: 'best-fit' };
  const wanted = aliases[key] ?? key;
  return POLICIES.find((p) => p.name === wanted);
}

export interface PolicyOptions {
  readonly random: RandomSource;
  /** Target workload for the fragmentation-aware policies. */
  readonly typical: readonly TypicalDemand[];
  readonly registry?: PluginRegistry;
  /** The workload behind `typical`, for policies that estimate their own target. */
  readonly workload?: readonly Demand[];
  /** Tie-break priority per node (lower wins); default: uniformly random ties. */
  readonly nodeRank?: Int32Array;
}

/** Builds a ready scheduler for a policy on one cluster. Throws on an unknown policy name. */
export function createScheduler(state: ClusterState, policy: string, options: PolicyOptions): Scheduler {
  const config = resolvePolicyName(policy);
  if (!config) throw new Error(`unknown policy "${policy}" (known: ${POLICIES.map((p) => p.name).join(', ')})`);
  let maxAcc = 1;
  for (let i = 0; i < state.nodeCount; i++) maxAcc = Math.max(maxAcc, state.acceleratorCount(i));
  const ctx: PluginContext = {
    state,
    random: options.random,
    typical: compileTypical(state, options.typical),
    maxima: clusterMaxima(state),
    maxAcceleratorsPerNode: maxAcc,
    shared: new Map(),
    workload: options.workload ?? [],
  };
  return new Scheduler((options.registry ?? defaultRegistry()).build(config, ctx), options.random, options.nodeRank);
}
