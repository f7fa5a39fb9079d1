/**
 * The largest node of a cluster, which the paper's scores use to normalise resource amounts
 * (the simulator hard-codes 128 cores and 8 GPUs, the largest node of the Alibaba trace).
 */
import type { ClusterState } from '../cluster-state.js';

export interface ClusterMaxima {
  readonly cpuMilli: number;
  readonly acceleratorMilli: number;
}

export function clusterMaxima(state: ClusterState): ClusterMaxima {
  let cpuMilli = 1;
  let acceleratorMilli = 1;
  for (let i = 0; i < state.nodeCount; i++) {
    cpuMilli = Math.max(cpuMilli, state.cpuCap[i] as number);
    let acc = 0;
    for (let k = state.accStart[i] as number; k < (state.accStart[i + 1] as number); k++) acc += state.accCap[k] as number;
    acceleratorMilli = Math.max(acceleratorMilli, acc);
  }
  return { cpuMilli, acceleratorMilli };
}
