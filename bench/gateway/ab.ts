/**
 * Interleaved A/B of two Tessera builds: this checkout (the candidate) against another checkout
 * (the baseline: another commit, built). On a shared VM a run's speed drifts by ±40 % within
 * minutes, so two separate runs cannot show a change of a few percent. Here both Tessera
 * processes run at once in front of one mock upstream, and the load goes to them in short bursts,
 * one after the other, the order shuffled per round: a round's two figures are taken seconds
 * apart, so the drift mostly cancels in their ratio. The processes are started afresh for each
 * of several pairs, since a process keeps its own small bias for its whole life.
 *
 * The figure is the gateway's CPU time per response: its process, every thread (the store's
 * background thread and V8's helpers included), from /proc, over the burst and a short pause
 * after it in which the background thread writes the burst's ledger rows. The result is the
 * median of the rounds' ratios candidate / baseline, with the interquartile range.
 *
 * Usage: node dist/bench/gateway/ab.js --baseline DIR [--pairs 4] [--rounds 6] [--burst 2] [--connections 64]
 *          [--mode json|stream]
 *   DIR is a checkout whose dist/ is built, for example:
 *     git worktree add /tmp/base HEAD~1 && ln -s "$PWD/node_modules" "$PWD/build" /tmp/base/ &&
 *     (cd /tmp/base && npx tsc -p tsconfig.json)
 */
import { existsSync } from 'node:fs';
import { stat } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { createTestModel } from '../../src/models/index.js';
import { procSample, runLoad, statCpuMs } from './load.js';
import { WORK_DIR, startChild, type Child } from './procs.js';
import type { Mode } from './report.js';
import { MODEL, REPLY, UPSTREAM_KEY, requestBody } from './workload.js';

const USAGE = 'usage: node dist/bench/gateway/ab.js --baseline DIR [--pairs 4] [--rounds 6] [--burst 2] [--connections 64] [--mode json|stream]';
/** After a burst: the background thread's gathering delay (10 ms) and its apply, with room to spare. */
const SETTLE_MS = 300;

interface Side {
  name: 'baseline' | 'candidate';
  child: Child;
}

interface Burst {
  cpuMsPerResponse: number;
  /** The part of it on the main thread (the event loop); the rest is the store's thread and V8's. */
  mainMsPerResponse: number;
  rps: number;
}

/** CPU milliseconds of a process's main thread (its tid is its pid), from /proc. */
function mainThreadCpuMs(pid: number): number {
  return statCpuMs(`/proc/${pid}/task/${pid}/stat`);
}

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      baseline: { type: 'string' },
      pairs: { type: 'string', default: '4' },
      rounds: { type: 'string', default: '6' },
      burst: { type: 'string', default: '2' },
      connections: { type: 'string', default: '64' },
      mode: { type: 'string', default: 'json' },
    },
  });
  if (!values.baseline) throw new Error(USAGE);
  const baselineChild = join(resolve(values.baseline), 'dist', 'bench', 'gateway', 'child.js');
  if (!existsSync(baselineChild)) throw new Error(`${baselineChild} does not exist: build the baseline first (${USAGE})`);
  const pairs = whole(values.pairs, '--pairs');
  const rounds = whole(values.rounds, '--rounds');
  const burstS = whole(values.burst, '--burst');
  const connections = whole(values.connections, '--connections');
  const mode = values.mode as Mode;
  if (mode !== 'json' && mode !== 'stream') throw new Error('--mode takes json or stream');

  const localModel = join(WORK_DIR, 'tiny-local.gguf');
  if (!(await stat(localModel).catch(() => null))) await createTestModel(localModel, { size: 'tiny', seed: 7 });
  const mock = await startChild('mock', { role: 'mock', apiKey: UPSTREAM_KEY, model: MODEL, reply: REPLY }, undefined);
  const settings = (name: string) => ({
    role: 'tessera' as const, upstreamUrl: mock.url, upstreamKey: UPSTREAM_KEY, model: MODEL, dataDir: join(WORK_DIR, `ab-${name}-data`), localModel,
  });
  console.log(`A/B, ${mode}, ${connections} connections, ${pairs} process pairs × ${rounds} rounds of ${burstS} s per side; baseline ${resolve(values.baseline)}`);
  const ratios: number[] = [];
  const mainRatios: number[] = [];
  try {
    for (let pair = 1; pair <= pairs; pair++) {
      // Fresh processes per pair, started in alternating order: one process can be a few per cent
      // faster than another of the same build for its whole life (code placement, hash seeds),
      // which only restarting averages out.
      const sides: Side[] = [];
      try {
        const start = {
          baseline: () => startChild('ab-baseline', settings('baseline'), undefined, baselineChild),
          candidate: () => startChild('ab-candidate', settings('candidate'), undefined),
        };
        for (const name of pair % 2 === 1 ? (['baseline', 'candidate'] as const) : (['candidate', 'baseline'] as const)) {
          sides.push({ name, child: await start[name]() });
        }
        for (const side of sides) await burst(side, mode, connections, burstS); // warm-up: JIT, pools, connections
        const own: number[] = [];
        const ownMain: number[] = [];
        for (let round = 1; round <= rounds; round++) {
          const order = Math.random() < 0.5 ? sides : [...sides].reverse();
          const got = new Map<string, Burst>();
          for (const side of order) got.set(side.name, await burst(side, mode, connections, burstS));
          const base = got.get('baseline')!;
          const cand = got.get('candidate')!;
          own.push(cand.cpuMsPerResponse / base.cpuMsPerResponse);
          ownMain.push(cand.mainMsPerResponse / base.mainMsPerResponse);
          console.log(
            `pair ${pair} round ${String(round).padStart(2)}: baseline ${base.cpuMsPerResponse.toFixed(3)} ms CPU/response ` +
              `(main thread ${base.mainMsPerResponse.toFixed(3)}, ${Math.round(base.rps)} req/s), candidate ${cand.cpuMsPerResponse.toFixed(3)} ` +
              `(${cand.mainMsPerResponse.toFixed(3)}, ${Math.round(cand.rps)} req/s): ${own[own.length - 1].toFixed(3)}`,
          );
        }
        console.log(`pair ${pair}: median ${quantile(own, 0.5).toFixed(3)} (main thread ${quantile(ownMain, 0.5).toFixed(3)})`);
        ratios.push(...own);
        mainRatios.push(...ownMain);
      } finally {
        for (const side of sides) await side.child.stop();
      }
    }
    const cheaper = ratios.filter((r) => r < 1).length;
    console.log(
      `\ncandidate / baseline, CPU per response: median ${quantile(ratios, 0.5).toFixed(3)} ` +
        `(interquartile ${quantile(ratios, 0.25).toFixed(3)}–${quantile(ratios, 0.75).toFixed(3)}); ` +
        `the candidate was cheaper in ${cheaper} of ${ratios.length} rounds; main thread alone: median ${quantile(mainRatios, 0.5).toFixed(3)}`,
    );
  } finally {
    await mock.stop();
  }
}

function quantile(values: number[], q: number): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))];
}

async function burst(side: Side, mode: Mode, connections: number, durationS: number): Promise<Burst> {
  const before = procSample(side.child.pid);
  const mainBefore = mainThreadCpuMs(side.child.pid);
  const load = await runLoad({
    url: `${side.child.url}/v1/chat/completions`,
    connections,
    durationS,
    headers: { 'content-type': 'application/json', authorization: `Bearer ${side.child.key}` },
    bodies: [requestBody(mode)],
  });
  await new Promise((r) => setTimeout(r, SETTLE_MS));
  const after = procSample(side.child.pid);
  const mainAfter = mainThreadCpuMs(side.child.pid);
  if (!before || !after) throw new Error(`${side.name} is gone (see ${side.child.logFile})`);
  if (load.failed > 0) throw new Error(`${side.name}: ${load.failed} requests failed (see ${side.child.logFile})`);
  return { cpuMsPerResponse: (after.cpuMs - before.cpuMs) / load.ok, mainMsPerResponse: (mainAfter - mainBefore) / load.ok, rps: load.rps };
}

function whole(text: string | undefined, flag: string): number {
  const n = Number(text);
  if (!Number.isInteger(n) || n < 1) throw new Error(`${flag} takes a whole number ≥ 1`);
  return n;
}

main().catch((err: unknown) => {
  console.error(err instanceof Error ? err.message : err);
  process.exit(1);
});
