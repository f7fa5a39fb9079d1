/**
 * Loader for the Alibaba GPU cluster trace (cluster-trace-gpu-v2023, "openb" CSVs) — the only file
 * I/O in the scheduler. Everything else takes the parsed nodes and demands as data.
 *
 * Nodes CSV: sn, cpu_milli, memory_mib, gpu, model.
 * Pods CSV: name, cpu_milli, memory_mib, num_gpu, gpu_milli[, gpu_spec, qos, pod_phase,
 * creation_time, deletion_time, scheduled_time]. As the trace's own YAML converter does, gpu_milli
 * above 1000 is clamped to 1000; num_gpu = 1 with gpu_milli < 1000 is a fraction, otherwise whole
 * devices; gpu_spec "A|B" lists the acceptable types.
 */
import { readFileSync } from 'node:fs';
import type { AcceleratorSpec, Demand, NodeSpec } from './model.js';

/** On-device memory per GPU model of the trace (MiB), from the FGD simulator's table; 0 = undisclosed. */
const GPU_MEMORY_MIB: Readonly<Record<string, number>> = {
  P4: 7611, '2080': 11019, '1080': 11178, M40: 11448, T4: 15109, V100M16: 16160, P100: 16280,
  A10: 22731, '3090': 24268, V100M32: 32510, A100: 81251,
};

export interface TracePod {
  readonly demand: Demand;
  /** Seconds since trace start; absent in files without timing columns. */
  readonly creationTime?: number;
  readonly deletionTime?: number;
  /** Kubernetes QoS class from the trace (LS, Burstable, BE, Guaranteed); absent when not given. */
  readonly qos?: string;
}

function rows(text: string): Record<string, string>[] {
  const lines = text.split(/\r?\n/).filter((l) => l.length > 0);
  const header = (lines[0] ?? '').split(',').map((h) => h.trim());
  return lines.slice(1).map((line) => {
    const cells = line.split(',');
    const row: Record<string, string> = {};
    header.forEach((h, i) => (row[h] = (cells[i] ?? '').trim()));
    return row;
  });
}

function num(row: Record<string, string>, column: string, file: string): number {
  const value = Number(row[column]);
  if (row[column] === undefined || row[column] === '' || !Number.isFinite(value)) {
    throw new Error(`${file}: column "${column}" is missing or not a number in row ${JSON.stringify(row)}`);
  }
  return value;
}

export function parseNodesCsv(text: string, file = 'nodes.csv'): NodeSpec[] {
  return rows(text).map((row) => {
    const gpus = num(row, 'gpu', file);
    const model = row.model ?? '';
    const acc: AcceleratorSpec = { type: model, memoryMiB: GPU_MEMORY_MIB[model] ?? 0, capacityMilli: 1000 };
    return {
      name: row.sn ?? row.name ?? '',
      cpuMilli: num(row, 'cpu_milli', file),
      memoryMiB: num(row, 'memory_mib', file),
      accelerators: gpus > 0 && model !== '' && model !== 'nan' ? Array.from({ length: gpus }, () => acc) : [],
    };
  });
}

export function parsePodsCsv(text: string, file = 'pods.csv'): TracePod[] {
  return rows(text).map((row) => {
    const numGpu = num(row, 'num_gpu', file);
    const rawMilli = row.gpu_milli === undefined || row.gpu_milli === '' ? 1000 : num(row, 'gpu_milli', file);
    const milli = Math.min(1000, Math.max(0, rawMilli));
    const accelerators: Demand['accelerators'] =
      numGpu === 0 || milli === 0
        ? { kind: 'none' }
        : numGpu === 1 && milli < 1000
          ? { kind: 'fraction', milli }
          : { kind: 'whole', count: numGpu };
    const types = (row.gpu_spec ?? '').split('|').filter((t) => t.length > 0 && t !== 'nan');
    const demand: Demand = {
      id: row.name ?? '',
      cpuMilli: num(row, 'cpu_milli', file),
      memoryMiB: num(row, 'memory_mib', file),
      accelerators,
      ...(types.length > 0 ? { acceptableTypes: types } : {}),
    };
    const creation = row.creation_time ? Number(row.creation_time) : undefined;
    const deletion = row.deletion_time ? Number(row.deletion_time) : undefined;
    return {
      demand,
      ...(creation !== undefined && Number.isFinite(creation) ? { creationTime: creation } : {}),
      ...(deletion !== undefined && Number.isFinite(deletion) ? { deletionTime: deletion } : {}),
      ...(row.qos ? { qos: row.qos } : {}),
    };
  });
}

export function loadNodesCsv(path: string): NodeSpec[] {
  return parseNodesCsv(readFileSync(path, 'utf8'), path);
}

export function loadPodsCsv(path: string): TracePod[] {
  return parsePodsCsv(readFileSync(path, 'utf8'), path);
}
