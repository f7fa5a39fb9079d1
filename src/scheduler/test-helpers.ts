/** Small builders shared by the scheduler's tests (not exported from the unit's index). */
import type { Demand } from './model.js';

export function whole(id: string, count: number, extra: Partial<Demand> = {}): Demand {
  return { id, cpuMilli: 1000, memoryMiB: 1024, accelerators: { kind: 'whole', count }, ...extra };
}

export function fraction(id: string, milli: number, extra: Partial<Demand> = {}): Demand {
  return { id, cpuMilli: 1000, memoryMiB: 1024, accelerators: { kind: 'fraction', milli }, ...extra };
}

export function cpuOnly(id: string, cpuMilli: number, extra: Partial<Demand> = {}): Demand {
  return { id, cpuMilli, memoryMiB: 1024, accelerators: { kind: 'none' }, ...extra };
}
