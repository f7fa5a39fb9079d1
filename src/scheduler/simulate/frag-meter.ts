/**
 * Cluster-wide accounting for the simulator: used accelerator milli-units and fragmentation,
 * updated incrementally — only the node a decision touched is recomputed.
 */
import type { ClusterState } from '../cluster-state.js';
import { currentNodeFragmentation, type CompiledTypical } from '../fragmentation.js';

export class FragMeter {
  private readonly nodeFrag: Float64Array;
  private readonly nodeIdle: Float64Array;
  private readonly free: Int32Array;
  private readonly types: Uint8Array;
  fragMilli = 0;
  idleMilli = 0;

  constructor(
    private readonly state: ClusterState,
    private readonly typical: CompiledTypical,
  ) {
    let maxAcc = 1;
    for (let i = 0; i < state.nodeCount; i++) maxAcc = Math.max(maxAcc, state.acceleratorCount(i));
    this.free = new Int32Array(maxAcc);
    this.types = new Uint8Array(maxAcc);
    this.nodeFrag = new Float64Array(state.nodeCount);
    this.nodeIdle = new Float64Array(state.nodeCount);
    for (let i = 0; i < state.nodeCount; i++) this.refresh(i);
  }

  get usedMilli(): number {
    return this.state.totalAcceleratorMilli - this.idleMilli;
  }

  /** Re-reads one node after it changed. */
  refresh(node: number): void {
    const frag = currentNodeFragmentation(this.state, this.typical, node, this.free, this.types);
    const idle = this.state.totalFreeMilli(node);
    this.fragMilli += frag - (this.nodeFrag[node] as number);
    this.idleMilli += idle - (this.nodeIdle[node] as number);
    this.nodeFrag[node] = frag;
    this.nodeIdle[node] = idle;
  }
}
