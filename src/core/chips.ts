/**
 * Accelerator types Tessera knows by name: vendor, memory, and the backend family that drives
 * them. Used to say where a model fits before it is loaded (the console's memory-per-chip view)
 * and, later, by the scheduler's node inventory. Memory in bytes as sold (GiB-based where the
 * vendor quotes GiB).
 */
export interface ChipType {
  id: string;
  vendor: 'nvidia' | 'amd' | 'huawei' | 'apple' | 'intel' | 'cpu';
  name: string;
  memoryBytes: number;
  backend: 'cuda' | 'rocm' | 'cann' | 'metal' | 'vulkan' | 'cpu';
}

const GiB = 1024 ** 3;

export const CHIP_TYPES: readonly ChipType[] = Object.freeze([
  { id: 'nvidia-t4', vendor: 'nvidia', name: 'NVIDIA T4', memoryBytes: 16 * GiB, backend: 'cuda' },
  { id: 'nvidia-l4', vendor: 'nvidia', name: 'NVIDIA L4', memoryBytes: 24 * GiB, backend: 'cuda' },
  { id: 'nvidia-a10', vendor: 'nvidia', name: 'NVIDIA A10', memoryBytes: 24 * GiB, backend: 'cuda' },
  { id: 'nvidia-a100-40gb', vendor: 'nvidia', name: 'NVIDIA A100 40GB', memoryBytes: 40 * GiB, backend: 'cuda' },
  { id: 'nvidia-a100-80gb', vendor: 'nvidia', name: 'NVIDIA A100 80GB', memoryBytes: 80 * GiB, backend: 'cuda' },
  { id: 'nvidia-h100', vendor: 'nvidia', name: 'NVIDIA H100 80GB', memoryBytes: 80 * GiB, backend: 'cuda' },
  { id: 'nvidia-h200', vendor: 'nvidia', name: 'NVIDIA H200', memoryBytes: 141 * GiB, backend: 'cuda' },
  { id: 'amd-mi300x', vendor: 'amd', name: 'AMD Instinct MI300X', memoryBytes: 192 * GiB, backend: 'rocm' },
  { id: 'huawei-ascend-910b', vendor: 'huawei', name: 'Huawei Ascend 910B', memoryBytes: 64 * GiB, backend: 'cann' },
  { id: 'apple-m3-max-64gb', vendor: 'apple', name: 'Apple M3 Max (64 GB unified)', memoryBytes: 64 * GiB, backend: 'metal' },
]);

/** Fraction of a chip's memory a model may plan to use (the rest: runtime, fragmentation). */
export const USABLE_MEMORY_FRACTION = 0.9;

export function chipsThatFit(bytes: number): ChipType[] {
  return CHIP_TYPES.filter((c) => bytes <= c.memoryBytes * USABLE_MEMORY_FRACTION);
}
