/**
 * The filters every policy shares (the FGD simulator runs Kubernetes' NodeResourcesFit plus its
 * Open-GPU-Share filter):
 * - `resources-fit`: free CPU and memory cover the request;
 * - `accelerator-fit`: for accelerator work, the node has accessible accelerators of an acceptable
 *   type and a concrete assignment exists (whole devices entirely free, or one device with room for
 *   the fraction).
 */
import { acceleratorsFit } from '../accelerator-fit.js';
import type { ClusterState, DemandSpec } from '../cluster-state.js';
import type { FilterPlugin } from '../framework.js';

export const resourcesFitFilter: FilterPlugin = {
  name: 'resources-fit',
  filter(state: ClusterState, spec: DemandSpec, node: number): string | null {
    if ((state.cpuFree[node] as number) < spec.cpuMilli) return 'insufficient cpu';
    if ((state.memFree[node] as number) < spec.memoryMiB) return 'insufficient memory';
    return null;
  },
};

export const acceleratorFitFilter: FilterPlugin = {
  name: 'accelerator-fit',
  filter(state: ClusterState, spec: DemandSpec, node: number): string | null {
    if (spec.count === 0) return null;
    if (state.acceleratorCount(node) === 0) return 'node has no accelerators';
    const mask = state.nodeTypeMask[node] as number;
    if (!spec.anyType && (mask & spec.typeMask) === 0) return 'accelerator type not acceptable';
    if (!acceleratorsFit(state, spec, node)) return 'insufficient free accelerators';
    return null;
  },
};
