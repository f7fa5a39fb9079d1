/**
 * bench/gateway: what a gateway adds on the hot path. One mock OpenAI-compatible upstream (a fixed
 * 16-token reply, written at once) is loaded in the same run four ways:
 *   direct   the mock itself (the baseline every figure is a ratio to),
 *   relay    a bare Node.js reverse proxy (node:http + undici, bytes passed through, nothing
 *            checked): the floor any Node.js gateway pays for being a process in the path,
 *   tessera  Tessera's `openai` engine in front of it, with metering fully ON for the key used
 *            (auth, key → tenant, per-key and per-tenant rate limits, budget reservation against a
 *            hard monthly limit, priced settlement into the ledger, streamed progress journaled),
 *   portkey  the Portkey AI gateway (@portkey-ai/gateway 1.15.2, bench/gateway's own node_modules),
 * with autocannon at 1, 16 and 64 connections on loopback, non-streaming and streaming separately.
 * Every response's time is recorded (fractional ms), so p50/p99 are exact below a millisecond;
 * "added" latency is the target's percentile minus direct's at the same mode and connections.
 * The mock, the relay, Tessera and Portkey each run in their own child process; the load generator is this one.
 *
 *   npm run build && node dist/bench/gateway/index.js [options]       (or: node --import tsx bench/gateway/index.ts)
 *   --duration S          seconds per point (default 10)
 *   --connections 1,16,64 connection counts
 *   --only direct,relay,tessera,portkey
 *   --modes json,stream   non-streaming, streaming (default both)
 *   --warmup S            unmeasured load per target and mode before the first point (default 2)
 *   --pin                 taskset: load generator + mock on CPU 0, the gateway under test on CPU 1
 *   --cpu-prof            profile the Tessera process during the measured points (V8 .cpuprofile per mode
 *                         in bench/work/gateway/prof) and print where its CPU time goes
 *   --soak MINUTES        instead of the matrix: Tessera alone under steady load (streamed and
 *                         non-streamed alternately) for MINUTES, memory sampled throughout
 *   --soak-connections N  connections for the soak (default 16)
 *   --calm S              wait up to S seconds for other processes to leave the cores (< 15 % busy) first
 *   --results FILE        default bench/gateway/results.md;  --no-write  print only
 */
import { spawnSync } from 'node:child_process';
import { stat, writeFile } from 'node:fs/promises';
import { join, relative } from 'node:path';
import { parseArgs } from 'node:util';
import { createTestModel } from '../../src/models/index.js';
import { Samples, percentile, procSample, runLoad, type LoadResult } from './load.js';
import {
  BENCH_DIR,
  REPO_ROOT,
  WORK_DIR,
  describePlacement,
  ensurePortkey,
  pinSelf,
  startChild,
  startPortkey,
  type Child,
  type Placement,
} from './procs.js';
import { summarizeProfile } from './profile.js';
import {
  MODE_TITLES,
  baselineOf,
  count,
  describeLoad,
  machineLine,
  machineLoad,
  mb,
  ms,
  renderMaxTable,
  renderTable,
  signedMs,
  writeSection,
  type MachineLoad,
  type Mode,
  type Point,
  type Target,
} from './report.js';
import { MAX_TOKENS, MODEL, PROMPT, REPLY, UPSTREAM_KEY, requestBody } from './workload.js';

const ALL_TARGETS: Target[] = ['direct', 'relay', 'tessera', 'portkey'];
const ALL_MODES: Mode[] = ['json', 'stream'];

interface Options {
  durationS: number;
  connections: number[];
  targets: Target[];
  modes: Mode[];
  warmupS: number;
  /** Rounds of the whole matrix, interleaved; tables show each figure's median over them. */
  repeat: number;
  pin: boolean;
  cpuProf: boolean;
  soakMinutes?: number;
  soakConnections: number;
  /** Longest wait (s) for the machine to be calm (< 15 % busy) before starting. */
  calmS: number;
  results: string;
  write: boolean;
}

const USAGE = `usage: node dist/bench/gateway/index.js [options]
  --duration S            seconds per point (default 10)
  --connections 1,16,64   connection counts (default 1,16,64)
  --only direct,relay,tessera,portkey
  --modes json,stream     non-streaming and/or streaming (default both)
  --warmup S              unmeasured load per target and mode first (default 2)
  --repeat N              N interleaved rounds of every point; tables show medians (default 1)
  --pin                   taskset: load generator + mock on CPU 0, gateway under test on CPU 1
  --cpu-prof              profile the Tessera process and print where its CPU time goes
  --soak MINUTES          Tessera alone under steady load for MINUTES, memory over time
  --soak-connections N    connections during the soak (default 16)
  --calm S                wait up to S s for the machine to be < 15 % busy before starting (default 0)
  --results FILE          default bench/gateway/results.md
  --no-write              print only`;

function list<T extends string>(value: string, allowed: readonly T[], what: string): T[] {
  const items = value.split(',').map((s) => s.trim()).filter(Boolean);
  for (const item of items) if (!allowed.includes(item as T)) throw new Error(`unknown ${what} '${item}' (known: ${allowed.join(', ')})`);
  return allowed.filter((a) => items.includes(a));
}

function parseOptions(argv: string[]): Options {
  const { values } = parseArgs({
    args: argv,
    options: {
      duration: { type: 'string', default: '10' },
      connections: { type: 'string', default: '1,16,64' },
      only: { type: 'string', default: ALL_TARGETS.join(',') },
      modes: { type: 'string', default: ALL_MODES.join(',') },
      warmup: { type: 'string', default: '2' },
      repeat: { type: 'string', default: '1' },
      pin: { type: 'boolean', default: false },
      'cpu-prof': { type: 'boolean', default: false },
      soak: { type: 'string' },
      'soak-connections': { type: 'string', default: '16' },
      calm: { type: 'string', default: '0' },
      results: { type: 'string', default: join(BENCH_DIR, 'results.md') },
      'no-write': { type: 'boolean', default: false },
      help: { type: 'boolean', default: false },
    },
  });
  if (values.help) {
    console.log(USAGE);
    process.exit(0);
  }
  const positive = (v: string, what: string) => {
    const n = Number(v);
    if (!(n > 0)) throw new Error(`${what} must be a positive number, not '${v}'`);
    return n;
  };
  const connections = values.connections.split(',').map((c) => Math.round(positive(c, '--connections')));
  const targets = list(values.only, ALL_TARGETS, 'target');
  return {
    durationS: positive(values.duration, '--duration'),
    connections,
    // The baseline is always measured: every figure is a ratio to it.
    targets: targets.includes('direct') ? targets : ['direct', ...targets],
    modes: list(values.modes, ALL_MODES, 'mode'),
    warmupS: values.warmup === '0' ? 0 : positive(values.warmup, '--warmup'),
    repeat: Math.round(positive(values.repeat, '--repeat')),
    pin: values.pin,
    cpuProf: values['cpu-prof'],
    soakMinutes: values.soak === undefined ? undefined : positive(values.soak, '--soak'),
    soakConnections: Math.round(positive(values['soak-connections'], '--soak-connections')),
    calmS: values.calm === '0' ? 0 : positive(values.calm, '--calm'),
    results: values.results,
    write: !values['no-write'],
  };
}

const log = (line: string) => console.log(line);
const tty = process.stdout.isTTY === true;

const body = requestBody;

interface Endpoint {
  target: Target;
  url: string;
  headers: Record<string, string>;
  /** The process whose CPU and memory are the gateway's (none for direct). */
  gateway?: Child;
}

function endpoints(mock: Child, relay: Child | undefined, tessera: Child | undefined, portkey: Child | undefined): Endpoint[] {
  const json = { 'content-type': 'application/json' };
  const out: Endpoint[] = [{ target: 'direct', url: `${mock.url}/chat/completions`, headers: { ...json, authorization: `Bearer ${UPSTREAM_KEY}` } }];
  if (relay) out.push({ target: 'relay', url: `${relay.url}/v1/chat/completions`, headers: { ...json, authorization: `Bearer ${UPSTREAM_KEY}` }, gateway: relay });
  if (tessera) out.push({ target: 'tessera', url: `${tessera.url}/v1/chat/completions`, headers: { ...json, authorization: `Bearer ${tessera.key}` }, gateway: tessera });
  if (portkey) {
    out.push({
      target: 'portkey',
      url: `${portkey.url}/v1/chat/completions`,
      headers: { ...json, authorization: `Bearer ${UPSTREAM_KEY}`, 'x-portkey-provider': 'openai', 'x-portkey-custom-host': mock.url },
      gateway: portkey,
    });
  }
  return out;
}

/** One request per mode and target: the reply must be the mock's text, whole. */
async function checkReplies(targets: Endpoint[], modes: Mode[]): Promise<void> {
  for (const e of targets) {
    for (const mode of modes) {
      const res = await fetch(e.url, { method: 'POST', headers: e.headers, body: body(mode) });
      const text = await res.text();
      if (res.status !== 200) throw new Error(`${e.target} ${mode}: HTTP ${res.status}: ${text.slice(0, 300)}`);
      let content = '';
      if (mode === 'json') content = (JSON.parse(text) as { choices: Array<{ message: { content: string } }> }).choices[0].message.content;
      else {
        for (const line of text.split('\n')) {
          if (!line.startsWith('data: {')) continue;
          const chunk = JSON.parse(line.slice(6)) as { choices?: Array<{ delta?: { content?: string } }> };
          content += chunk.choices?.[0]?.delta?.content ?? '';
        }
        if (!text.includes('data: [DONE]')) throw new Error(`${e.target} stream: no [DONE]`);
      }
      if (content.trim() !== REPLY) throw new Error(`${e.target} ${mode}: unexpected reply '${content.slice(0, 200)}'`);
    }
  }
}

/** Peak RSS of one process, sampled every 250 ms while a point runs. */
function rssWatch(pid: number | undefined): { stop(): number | undefined } {
  if (pid === undefined) return { stop: () => undefined };
  let peak = procSample(pid)?.rssBytes ?? 0;
  const timer = setInterval(() => (peak = Math.max(peak, procSample(pid)?.rssBytes ?? 0)), 250);
  return { stop: () => (clearInterval(timer), peak) };
}

function progress(prefix: string, durationS: number) {
  return (elapsed: number, responses: number) => {
    if (tty) process.stdout.write(`\r${prefix} ${elapsed}/${Math.ceil(durationS)} s, ${count(responses)} responses   `);
    else if (durationS >= 30 && elapsed % 10 === 0) log(`${prefix} ${elapsed}/${Math.ceil(durationS)} s, ${count(responses)} responses`);
  };
}

async function measure(e: Endpoint, mode: Mode, connections: number, durationS: number, mock: Child, prefix: string): Promise<Point> {
  const gwBefore = e.gateway && procSample(e.gateway.pid);
  const mockBefore = procSample(mock.pid);
  const journalBefore = await e.gateway?.journal();
  const watch = rssWatch(e.gateway?.pid);
  const r: LoadResult = await runLoad({ url: e.url, connections, durationS, headers: e.headers, bodies: [body(mode)], onTick: progress(prefix, durationS) });
  const peak = watch.stop();
  const gwAfter = e.gateway && procSample(e.gateway.pid);
  const mockAfter = procSample(mock.pid);
  const journalAfter = await e.gateway?.journal();
  const perReq = (a: number | undefined, b: number | undefined) => (a === undefined || b === undefined || !r.ok ? undefined : (b - a) / r.ok);
  return {
    target: e.target,
    mode,
    connections,
    ok: r.ok,
    failed: r.failed,
    rps: r.rps,
    p50: r.p50,
    p90: r.p90,
    p99: r.p99,
    max: r.max,
    gatewayCpuMsPerReq: perReq(gwBefore?.cpuMs, gwAfter?.cpuMs),
    mockCpuMsPerReq: perReq(mockBefore?.cpuMs, mockAfter?.cpuMs) ?? NaN,
    loadgenCpuMsPerReq: r.ok ? r.cpuMs / r.ok : NaN,
    journalCommitsPerReq: perReq(journalBefore?.commits, journalAfter?.commits),
    gatewayPeakRss: peak,
  };
}

function pointLine(p: Point, points: Point[]): string {
  const base = baselineOf(points, p);
  const added = p.target === 'direct' || !base ? '' : `, added p50 ${signedMs(p.p50 - base.p50)} p99 ${signedMs(p.p99 - base.p99)}`;
  const cpu = p.gatewayCpuMsPerReq === undefined ? '' : `, ${p.gatewayCpuMsPerReq.toFixed(3)} ms CPU/req`;
  const commits = p.journalCommitsPerReq === undefined ? '' : `, ${p.journalCommitsPerReq.toFixed(2)} journal commits/req`;
  const fail = p.failed ? `, ${p.failed} FAILED` : '';
  return `${count(p.rps)} req/s, p50 ${ms(p.p50)} ms, p99 ${ms(p.p99)} ms${added}${cpu}${commits}${fail}`;
}

interface Started {
  mock: Child;
  relay?: Child;
  tessera?: Child;
  portkey?: Child;
  placement: Placement;
}

async function startAll(options: Options): Promise<Started> {
  const withPortkey = options.targets.includes('portkey');
  const withTessera = options.targets.includes('tessera');
  const placement: Placement = options.pin ? { cpus: { loadgen: 0, mock: 0, gateway: 1 } } : {};
  if (placement.cpus) pinSelf(placement.cpus.loadgen);
  if (withPortkey) ensurePortkey(log);
  const localModel = join(WORK_DIR, 'tiny-local.gguf');
  if (withTessera && !(await stat(localModel).catch(() => null))) {
    log('generating the tiny local model Tessera serves beside the openai one…');
    await createTestModel(localModel, { size: 'tiny', seed: 7 });
  }
  log('starting the mock upstream…');
  const mock = await startChild('mock', { role: 'mock', apiKey: UPSTREAM_KEY, model: MODEL, reply: REPLY }, placement.cpus?.mock);
  let relay: Child | undefined;
  if (options.targets.includes('relay')) {
    log('starting the bare relay…');
    relay = await startChild('relay', { role: 'relay', upstreamUrl: mock.url }, placement.cpus?.gateway);
  }
  let tessera: Child | undefined;
  if (withTessera) {
    log('starting Tessera (metering ON)…');
    tessera = await startChild(
      'tessera',
      { role: 'tessera', upstreamUrl: mock.url, upstreamKey: UPSTREAM_KEY, model: MODEL, dataDir: join(WORK_DIR, 'tessera-data'), localModel },
      placement.cpus?.gateway,
    );
  }
  let portkey: Child | undefined;
  if (withPortkey) {
    log('starting Portkey…');
    portkey = await startPortkey(placement.cpus?.gateway);
  }
  return { mock, relay, tessera, portkey, placement };
}

async function stopAll(s: Started): Promise<void> {
  await Promise.all([s.relay?.stop(), s.tessera?.stop(), s.portkey?.stop()]);
  await s.mock.stop();
}

function revision(): string {
  const head = spawnSync('git', ['rev-parse', '--short', 'HEAD'], { cwd: REPO_ROOT, encoding: 'utf8' });
  return head.status === 0 ? head.stdout.trim() : 'unknown';
}

function header(options: Options, placement: Placement, before: MachineLoad, soak = false): string[] {
  return [
    `- Date: ${new Date().toISOString().slice(0, 16).replace('T', ' ')} UTC; machine: ${machineLine()}; Tessera at commit ${revision()} (plus the working tree's edits).`,
    `- Placement: ${describePlacement(placement)}.`,
    `- Machine before the run: ${describeLoad(before)}.`,
    `- Upstream: src/engines/mock-upstream.ts in its own process, a fixed ${REPLY.split(' ').length}-token reply written at once ` +
      `(no token delay); request: chat completion, ${PROMPT.split(' ').length}-word prompt, max_tokens ${MAX_TOKENS}.`,
    `- Load: autocannon 9 (pipelining 1, keep-alive), ${soak ? `${options.durationS} s after ${options.warmupS} s of warm-up` : `${options.durationS} s per point after ${options.warmupS} s of warm-up per target and mode${options.repeat > 1 ? `, ${options.repeat} interleaved rounds (medians)` : ''}`}; ` +
      'latency = each response from request write to last body byte, recorded in fractional ms (sub-millisecond percentiles).',
  ];
}

function busyWarning(before: MachineLoad, after: MachineLoad): string[] {
  if (!(Math.max(before.busy, after.busy) >= 0.15)) return [];
  return [
    '- **The machine was busy**: other processes kept the cores busy before and/or after this run, so every process here ' +
      'waited for a core at times. Absolute req/s are lower and latencies higher than on an idle machine; the targets of a ' +
      'point ran seconds apart, so their ratios are less affected, but repeat on a calm machine before quoting figures.',
  ];
}

/** Waits (up to options.calmS) for the machine to be nearly idle; returns the last reading. */
async function calmMachine(options: Options): Promise<MachineLoad> {
  let load = await machineLoad();
  for (const deadline = Date.now() + options.calmS * 1000; load.busy >= 0.15 && Date.now() < deadline; load = await machineLoad()) {
    log(`waiting for a calm machine (${describeLoad(load)})…`);
    await new Promise((r) => setTimeout(r, 4000));
  }
  return load;
}

async function runMatrix(options: Options): Promise<void> {
  const before = await calmMachine(options);
  log(`machine: ${machineLine()}; ${describeLoad(before)}`);
  const started = await startAll(options);
  const { mock, relay, tessera, portkey, placement } = started;
  const profiles: string[] = [];
  const rounds: Array<{ round: number; point: Point }> = [];
  const memory: Array<{ t: number; rss: number; heap?: number }> = [];
  let memoryTimer: NodeJS.Timeout | undefined;
  try {
    log(`placement: ${describePlacement(placement)}`);
    const targets = endpoints(mock, relay, tessera, portkey);
    await checkReplies(targets, options.modes);
    log('every target returns the whole reply, streamed and not');
    if (options.warmupS > 0) {
      for (const e of targets) {
        for (const mode of options.modes) {
          const prefix = `warm-up ${e.target} ${mode}:`;
          await runLoad({ url: e.url, connections: 16, durationS: options.warmupS, headers: e.headers, bodies: [body(mode)], onTick: progress(prefix, options.warmupS) });
          if (tty) process.stdout.write('\r\x1b[K');
        }
      }
      log('warmed up');
    }
    const t0 = Date.now();
    if (tessera) {
      const sample = async () => {
        const rss = procSample(tessera.pid)?.rssBytes;
        const heap = (await tessera.memory())?.heapUsed;
        if (rss !== undefined) memory.push({ t: (Date.now() - t0) / 1000, rss, heap });
      };
      await sample();
      memoryTimer = setInterval(() => void sample(), 1000);
    }
    const total = options.modes.length * options.connections.length * targets.length * options.repeat;
    let n = 0;
    for (const mode of options.modes) {
      if (options.cpuProf) tessera?.profileStart();
      // Rounds interleaved (every point of a round, then the next round): drift hits all targets alike.
      for (let round = 1; round <= options.repeat; round++) {
        const roundPoints: Point[] = [];
        for (const connections of options.connections) {
          for (const e of targets) {
            n += 1;
            const prefix = `[${String(n).padStart(2)}/${total}] ${mode.padEnd(6)} c=${String(connections).padEnd(3)} ${e.target.padEnd(8)}`;
            const p = await measure(e, mode, connections, options.durationS, mock, prefix);
            roundPoints.push(p);
            rounds.push({ round, point: p });
            if (tty) process.stdout.write('\r\x1b[K');
            log(`${prefix} ${pointLine(p, roundPoints)}`);
          }
        }
      }
      if (options.cpuProf && tessera) {
        const file = join(WORK_DIR, 'prof', `tessera-${mode}.cpuprofile`);
        await tessera.profileStop(file);
        profiles.push(`#### Tessera CPU profile, ${MODE_TITLES[mode]} points\n\n${await summarizeProfile(file)}`);
      }
    }
  } finally {
    clearInterval(memoryTimer);
    await stopAll(started);
  }
  const after = await machineLoad();
  log(`machine after the run: ${describeLoad(after)}`);

  const points = medianPoints(rounds.map((r) => r.point));
  const sections: string[] = [...header(options, placement, before), `- Machine after the run: ${describeLoad(after)}.`, ...busyWarning(before, after), ''];
  if (options.repeat > 1) sections.push(`Every figure below is the median of ${options.repeat} interleaved rounds; the goals list each round.`, '');
  for (const mode of options.modes) {
    sections.push(`### ${MODE_TITLES[mode]}`, '', renderTable(points, mode), '');
  }
  sections.push('### Maximum requests/s', '', renderMaxTable(points, options.targets, options.modes), '');
  if (memory.length > 0) sections.push('### Tessera memory during the run', '', memoryLine(memory), '');
  const goals = goalLines(rounds, options);
  if (goals.length) sections.push('### Goals (issue 5)', '', ...goals, '');
  sections.push(
    '### Notes',
    '',
    '- "added" = the target\'s percentile minus direct\'s, same mode and connection count, same run; at 16 and 64 connections it includes queueing in the gateway.',
    '- Tessera forwards the client\'s choice: a non-streamed request gets one JSON reply from the upstream, a streamed one an SSE stream with usage.',
    '- Portkey\'s stream path waits a fixed 25 ms before the first chunk (a `setTimeout` in its build): its streaming latency is mostly that wait.',
    '- CPU ms/req: CPU time of each process (from /proc) over the point divided by the responses; the three processes share 2 cores.',
  );
  const table = sections.join('\n');
  console.log(`\n${table}`);
  if (profiles.length) console.log(`\n${profiles.join('\n\n')}`);
  if (options.write) {
    await writeSection(options.results, '## Gateway overhead (bench/gateway)', table);
    log(`\nwrote ${relative(REPO_ROOT, options.results)}`);
  }
}

function memoryLine(memory: Array<{ t: number; rss: number; heap?: number }>): string {
  const first = memory[0];
  const last = memory[memory.length - 1];
  const peak = memory.reduce((a, m) => Math.max(a, m.rss), 0);
  const heaps = memory.map((m) => m.heap).filter((h): h is number => h !== undefined);
  return (
    `RSS of the Tessera process, sampled every second over the ${last.t.toFixed(0)} s of measured points: ` +
    `${mb(first.rss)} MiB at the start, ${mb(peak)} MiB peak, ${mb(last.rss)} MiB at the end` +
    (heaps.length ? `; V8 heap used ${mb(Math.min(...heaps))}–${mb(Math.max(...heaps))} MiB` : '') +
    '. Whether it stays flat over time is what `--soak` measures.'
  );
}

/** The goals of issue 5, judged on the medians over rounds; each round's figure in parentheses. */
function goalLines(rounds: Array<{ round: number; point: Point }>, options: Options): string[] {
  const lines: string[] = [];
  const ids = [...new Set(rounds.map((r) => r.round))];
  const at = (round: number, t: Target, mode: Mode, c: number) =>
    rounds.find((r) => r.round === round && r.point.target === t && r.point.mode === mode && r.point.connections === c)?.point;
  const each = (values: number[], format: (v: number) => string) => (values.length > 1 ? ` (rounds: ${values.map(format).join(', ')})` : '');
  for (const mode of options.modes) {
    const added = ids.flatMap((round) => {
      const [d, te, pk] = (['direct', 'tessera', 'portkey'] as const).map((t) => at(round, t, mode, 1));
      return d && te && pk ? [{ tessera: te.p50 - d.p50, portkey: pk.p50 - d.p50 }] : [];
    });
    if (added.length === 0) continue;
    const ratios = added.map((a) => a.tessera / a.portkey);
    const r = median(ratios);
    lines.push(
      `- ${MODE_TITLES[mode]}, 1 connection: Tessera adds ${ms(median(added.map((a) => a.tessera)))} ms at p50, Portkey ${ms(median(added.map((a) => a.portkey)))} ms → ` +
        `${r.toFixed(2)} of Portkey's${each(ratios, (v) => v.toFixed(2))} (goal < 0.5): **${r < 0.5 ? 'met' : 'not met'}**.`,
    );
    // The floor: what a process in the path costs before any work of its own (not a goal; context).
    const floors = ids.flatMap((round) => {
      const [d, rl, te] = (['direct', 'relay', 'tessera'] as const).map((t) => at(round, t, mode, 1));
      return d && rl && te ? [{ relay: rl.p50 - d.p50, own: te.p50 - rl.p50 }] : [];
    });
    if (floors.length > 0) {
      lines.push(
        `  - floor: the bare Node.js relay adds ${ms(median(floors.map((f) => f.relay)))} ms${each(floors.map((f) => f.relay), ms)}; ` +
          `Tessera's own work (auth, validation, limits, reservation, ledger, re-serialising) ${ms(median(floors.map((f) => f.own)))} ms on top of it${each(floors.map((f) => f.own), ms)}.`,
      );
    }
  }
  for (const mode of options.modes) {
    const bests = ids.map((round) => rounds.filter((x) => x.round === round && x.point.target === 'tessera' && x.point.mode === mode).reduce((a, x) => Math.max(a, x.point.rps), 0));
    const best = median(bests);
    if (best > 0) lines.push(`- ${MODE_TITLES[mode]}: Tessera's best is ${count(best)} req/s${each(bests, count)} (goal ≥ 5,000): **${best >= 5000 ? 'met' : 'not met'}**.`);
  }
  return lines;
}

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = sorted.length >> 1;
  return sorted.length % 2 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2;
}

/** One point per target, mode and connection count: each numeric figure's median over the rounds. */
function medianPoints(all: Point[]): Point[] {
  const groups = new Map<string, Point[]>();
  for (const p of all) {
    const key = `${p.target}|${p.mode}|${p.connections}`;
    groups.set(key, [...(groups.get(key) ?? []), p]);
  }
  return [...groups.values()].map((group) => {
    const merged: Record<string, unknown> = { ...group[0] };
    for (const [field, value] of Object.entries(group[0])) {
      if (typeof value !== 'number' || field === 'connections') continue;
      const values = group.map((p) => (p as unknown as Record<string, number | undefined>)[field]).filter((v): v is number => v !== undefined);
      merged[field] = median(values);
    }
    return merged as unknown as Point;
  });
}

// ---------------------------------------------------------------------------------------------
// Soak: Tessera alone, steady load, memory over time.

interface SoakSample {
  t: number;
  rss: number;
  heapUsed?: number;
  heapTotal?: number;
  external?: number;
}

/** Least-squares slope (y per x). */
function slope(xs: number[], ys: number[]): number {
  const n = xs.length;
  if (n < 2) return 0;
  const mx = xs.reduce((a, b) => a + b, 0) / n;
  const my = ys.reduce((a, b) => a + b, 0) / n;
  let num = 0;
  let den = 0;
  for (let i = 0; i < n; i++) {
    num += (xs[i] - mx) * (ys[i] - my);
    den += (xs[i] - mx) ** 2;
  }
  return den ? num / den : 0;
}

async function runSoak(options: Options, minutes: number): Promise<void> {
  const before = await calmMachine(options);
  log(`machine: ${machineLine()}; ${describeLoad(before)}`);
  const started = await startAll({ ...options, targets: ['direct', 'tessera'] });
  const { mock, tessera, placement } = started;
  const durationS = minutes * 60;
  const samples: SoakSample[] = [];
  const windows: Array<{ minute: number; times: Samples; failed: number }> = [];
  let result: LoadResult | undefined;
  let dbBytes = 0;
  try {
    log(`placement: ${describePlacement(placement)}`);
    const [target] = endpoints(mock, undefined, tessera, undefined).filter((e) => e.target === 'tessera');
    await checkReplies([target], ['json', 'stream']);
    const bodies = [body('json'), body('stream')];
    if (options.warmupS > 0) await runLoad({ url: target.url, connections: options.soakConnections, durationS: options.warmupS, headers: target.headers, bodies });
    log(`soak: ${minutes} min at ${options.soakConnections} connections, streamed and non-streamed requests alternating; memory every 5 s`);
    const t0 = Date.now();
    const sample = async () => {
      const rss = procSample(tessera!.pid)?.rssBytes;
      // After a full collection: heapUsed is then the live heap, without the GC's sawtooth.
      const usage = await tessera!.memory({ gc: true });
      if (rss !== undefined) samples.push({ t: (Date.now() - t0) / 1000, rss, heapUsed: usage?.heapUsed, heapTotal: usage?.heapTotal, external: usage?.external });
    };
    await sample();
    const timer = setInterval(() => void sample(), 5000);
    const windowOf = () => {
      const minute = Math.floor((Date.now() - t0) / 60_000);
      let w = windows[windows.length - 1];
      if (!w || w.minute !== minute) windows.push((w = { minute, times: new Samples(), failed: 0 }));
      return w;
    };
    try {
      result = await runLoad({
        url: target.url,
        connections: options.soakConnections,
        durationS,
        headers: target.headers,
        bodies,
        onResponse: (t, status) => {
          const w = windowOf();
          if (status >= 200 && status < 300) w.times.push(t);
          else w.failed += 1;
        },
        onTick: (elapsed, responses) => {
          if (elapsed % 30 !== 0) return;
          const last = samples[samples.length - 1];
          log(`soak ${(elapsed / 60).toFixed(1)}/${minutes} min: ${count(responses)} responses, RSS ${mb(last?.rss)} MiB, heap used ${mb(last?.heapUsed)} MiB`);
        },
      });
    } finally {
      clearInterval(timer);
    }
    await sample();
    for (const f of ['tessera.db', 'tessera.db-wal']) dbBytes += (await stat(join(WORK_DIR, 'tessera-data', f)).catch(() => ({ size: 0 }))).size;
  } finally {
    await stopAll(started);
  }
  const after = await machineLoad();
  log(`machine after the soak: ${describeLoad(after)}`);

  // Memory after the first minute (JIT, caches and pools warm up then) decides flat or growing.
  // The heap is sampled after a full collection (the live heap: what a leak raises), its trend
  // fitted over every sample. RSS follows V8's heap growing and shrinking: its trend is read from
  // each minute's lowest sample, which a leak raises and that sawtooth does not.
  const settled = samples.filter((s) => s.t >= Math.min(60, durationS / 4));
  const liveHeap = settled.filter((s) => s.heapUsed !== undefined);
  const troughs = (value: (s: SoakSample) => number | undefined) => {
    const low = new Map<number, number>();
    for (const s of settled) {
      const v = value(s);
      const minute = Math.floor(s.t / 60);
      if (v !== undefined) low.set(minute, Math.min(low.get(minute) ?? Infinity, v / 2 ** 20));
    }
    return slope([...low.keys()], [...low.values()]);
  };
  const rssSlope = troughs((s) => s.rss);
  const heapSlope = slope(liveHeap.map((s) => s.t / 60), liveHeap.map((s) => s.heapUsed! / 2 ** 20));
  const flat = rssSlope < 1 && heapSlope < 0.5;
  await writeFile(join(WORK_DIR, 'soak-samples.json'), JSON.stringify({ minutes, connections: options.soakConnections, samples }));

  const rows = [
    '| minute | req/s | p50 ms | p99 ms | failed | RSS MiB (low–high in minute) | live heap MiB (low–high in minute) | heap total MiB (end) | external MiB (end) |',
    '|---:|---:|---:|---:|---:|---:|---:|---:|---:|',
  ];
  for (const w of windows) {
    const sorted = w.times.sorted();
    const inMinute = samples.filter((s) => Math.floor(s.t / 60) === w.minute);
    const end = inMinute[inMinute.length - 1];
    const heaps = inMinute.flatMap((s) => (s.heapUsed === undefined ? [] : [s.heapUsed]));
    const seconds = Math.min(60, durationS - w.minute * 60);
    if (seconds <= 0) continue;
    rows.push(
      `| ${w.minute + 1} | ${count(sorted.length / seconds)} | ${ms(percentile(sorted, 50))} | ${ms(percentile(sorted, 99))} | ${w.failed} | ${inMinute.length ? `${mb(Math.min(...inMinute.map((x) => x.rss)))}–${mb(Math.max(...inMinute.map((x) => x.rss)))}` : '–'} | ${heaps.length ? `${mb(Math.min(...heaps))}–${mb(Math.max(...heaps))}` : '–'} | ${mb(end?.heapTotal)} | ${mb(end?.external)} |`,
    );
  }
  const first = samples[0];
  const last = samples[samples.length - 1];
  const text = [
    ...header({ ...options, durationS }, placement, before, true),
    `- Machine after the soak: ${describeLoad(after)}.`,
    ...busyWarning(before, after),
    `- Soak: ${minutes} min at ${options.soakConnections} connections through Tessera (metering ON), non-streamed and streamed requests alternating; ` +
      `${count(result?.ok ?? 0)} responses (${count(result?.rps ?? 0)} req/s), ${result?.failed ?? 0} failed; ledger database ${mb(dbBytes)} MiB at the end.`,
    '',
    rows.join('\n'),
    '',
    `RSS ${mb(first?.rss)} MiB at the start, ${mb(last?.rss)} MiB at the end; live heap ${mb(first?.heapUsed)} → ${mb(last?.heapUsed)} MiB. Trends after the first minute: ` +
      `RSS (each minute's lowest sample) ${rssSlope >= 0 ? '+' : ''}${rssSlope.toFixed(2)} MiB/min, live heap (every sample, after a full GC) ${heapSlope >= 0 ? '+' : ''}${heapSlope.toFixed(2)} MiB/min → ` +
      `**${flat ? 'flat (not growing)' : 'growing'}** (flat = RSS trend < 1 MiB/min and live-heap trend < 0.5 MiB/min; samples in bench/work/gateway/soak-samples.json).`,
  ].join('\n');
  console.log(`\n${text}`);
  if (options.write) {
    await writeSection(options.results, '## Gateway soak (bench/gateway --soak)', text);
    log(`\nwrote ${relative(REPO_ROOT, options.results)}`);
  }
}

async function main(): Promise<void> {
  const options = parseOptions(process.argv.slice(2));
  if (options.soakMinutes !== undefined) await runSoak(options, options.soakMinutes);
  else await runMatrix(options);
}

main().catch((err: unknown) => {
  console.error(err instanceof Error ? (err.stack ?? err.message) : err);
  process.exit(1);
});
