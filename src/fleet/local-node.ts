/**
 * The machine Tessera runs on, as the fleet sees it: its CPUs, memory and accelerators, and a
 * short history of utilisation for the console's charts. The probe is injected (tests pass a fake;
 * remote workers will report the same shape over the agent protocol).
 */
import { cpus, freemem, hostname, loadavg, totalmem } from 'node:os';

export interface NodeProbe {
  hostname(): string;
  cpuCount(): number;
  cpuModel(): string;
  /** 1-minute load average (runnable threads). */
  load(): number;
  totalMemoryBytes(): number;
  freeMemoryBytes(): number;
  processRssBytes(): number;
}

export const osProbe: NodeProbe = {
  hostname: () => hostname(),
  cpuCount: () => cpus().length,
  cpuModel: () => cpus()[0]?.model ?? 'unknown',
  load: () => loadavg()[0],
  totalMemoryBytes: () => totalmem(),
  freeMemoryBytes: () => freemem(),
  processRssBytes: () => process.memoryUsage.rss(),
};

export interface NodeSample {
  at: Date;
  /** Load ÷ CPUs, as a percentage (can pass 100 when oversubscribed). */
  cpuPct: number;
  memoryUsedBytes: number;
  processRssBytes: number;
}

export interface LocalNodeView {
  id: string;
  hostname: string;
  cpus: { count: number; model: string };
  memoryBytes: number;
  samples: NodeSample[];
}

export class LocalNode {
  readonly #samples: NodeSample[] = [];

  constructor(private readonly probe: NodeProbe = osProbe, private readonly capacity = 720) {}

  sample(at: Date): NodeSample {
    const s: NodeSample = {
      at,
      cpuPct: Math.round((this.probe.load() / Math.max(1, this.probe.cpuCount())) * 1000) / 10,
      memoryUsedBytes: this.probe.totalMemoryBytes() - this.probe.freeMemoryBytes(),
      processRssBytes: this.probe.processRssBytes(),
    };
    this.#samples.push(s);
    if (this.#samples.length > this.capacity) this.#samples.shift();
    return s;
  }

  view(): LocalNodeView {
    return {
      id: 'local',
      hostname: this.probe.hostname(),
      cpus: { count: this.probe.cpuCount(), model: this.probe.cpuModel() },
      memoryBytes: this.probe.totalMemoryBytes(),
      samples: [...this.#samples],
    };
  }
}
