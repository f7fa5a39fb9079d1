import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { parseNodesCsv, parsePodsCsv } from './trace.js';

describe('trace loader', () => {
  it('parses nodes: GPU model and count, none for CPU-only rows', () => {
    const nodes = parseNodesCsv('sn,cpu_milli,memory_mib,gpu,model\nn0,32000,262144,0,\nn1,96000,786432,8,V100M32\nn2,64000,262144,2,G1\n');
    assert.deepEqual(nodes.map((n) => [n.name, n.cpuMilli, n.accelerators.length, n.accelerators[0]?.type]), [
      ['n0', 32000, 0, undefined],
      ['n1', 96000, 8, 'V100M32'],
      ['n2', 64000, 2, 'G1'],
    ]);
    assert.equal(nodes[1]!.accelerators[0]!.memoryMiB, 32510);
    assert.equal(nodes[2]!.accelerators[0]!.memoryMiB, 0, 'undisclosed model');
  });

  it('parses pods: fractions, whole devices, CPU-only, type lists, times and QoS', () => {
    const csv = [
      'name,cpu_milli,memory_mib,num_gpu,gpu_milli,gpu_spec,qos,pod_phase,creation_time,deletion_time,scheduled_time',
      'p0,6000,12288,1,460,,LS,Running,10,20,10',
      'p1,88000,327680,8,1000,,Burstable,Succeeded,5,50,5',
      'p2,16000,32768,1,1000,V100M16|V100M32,BE,Running,7,9,7',
      'p3,4000,8192,0,0,,BE,Running,1,2,1',
      'p4,4000,8192,1,1200,nan,LS,Running,1,2,1',
    ].join('\n');
    const pods = parsePodsCsv(csv);
    assert.deepEqual(pods.map((p) => p.demand.accelerators), [
      { kind: 'fraction', milli: 460 },
      { kind: 'whole', count: 8 },
      { kind: 'whole', count: 1 },
      { kind: 'none' },
      { kind: 'whole', count: 1 },
    ]);
    assert.deepEqual(pods[2]!.demand.acceptableTypes, ['V100M16', 'V100M32']);
    assert.equal(pods[4]!.demand.acceptableTypes, undefined, '"nan" means any type');
    assert.deepEqual([pods[0]!.creationTime, pods[0]!.deletionTime, pods[0]!.qos], [10, 20, 'LS']);
  });

  it('files without time columns parse, with a clear error for bad numbers', () => {
    const pods = parsePodsCsv('name,cpu_milli,memory_mib,num_gpu,gpu_milli\np0,1000,1024,2,1000\n');
    assert.equal(pods[0]!.creationTime, undefined);
    assert.throws(() => parsePodsCsv('name,cpu_milli,memory_mib,num_gpu,gpu_milli\np0,x,1024,2,1000\n', 'bad.csv'), /bad.csv: column "cpu_milli"/);
  });
});
