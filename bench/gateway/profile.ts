/**
 * A short reading of a V8 `.cpuprofile` (what `node --cpu-prof` writes): self time by function and
 * by where the code lives (Tessera's own files, each node_modules package, node internals), so the
 * costliest parts of the hot path can be named without opening a profiler.
 */
import { readFile } from 'node:fs/promises';

interface ProfileNode {
  id: number;
  callFrame: { functionName: string; url: string; lineNumber: number };
  children?: number[];
}

interface CpuProfile {
  nodes: ProfileNode[];
  startTime: number;
  endTime: number;
  samples: number[];
  timeDeltas: number[];
}

function place(url: string): string {
  if (!url) return '(native / V8)';
  const nm = url.lastIndexOf('/node_modules/');
  if (nm >= 0) {
    const rest = url.slice(nm + '/node_modules/'.length).split('/');
    return rest[0].startsWith('@') ? `${rest[0]}/${rest[1]}` : rest[0];
  }
  if (url.startsWith('node:')) return url;
  // Compiled code keeps its dist/ name: the line numbers are the .js file's, not the source's.
  const dist = url.lastIndexOf('/dist/src/');
  if (dist >= 0) return url.slice(dist + 1);
  const src = url.lastIndexOf('/src/');
  if (src >= 0) return url.slice(src + 1);
  return url.replace(/^file:\/\//, '');
}

const IDLE = new Set(['(idle)', '(program)']);

function label(frame: ProfileNode['callFrame']): string {
  return `${frame.functionName || '(anonymous)'} — ${place(frame.url)}${frame.url ? `:${frame.lineNumber + 1}` : ''}`;
}

/**
 * Markdown tables: self time by place and by function, a native function's time charged to the
 * JavaScript that called it (so `writev` shows as the socket write Tessera asked for), and the
 * inclusive time of Tessera's own functions (src/), which is where the request's time goes.
 */
export async function summarizeProfile(file: string, top = 15): Promise<string> {
  const profile = JSON.parse(await readFile(file, 'utf8')) as CpuProfile;
  const byId = new Map(profile.nodes.map((n) => [n.id, n]));
  const parent = new Map<number, number>();
  for (const n of profile.nodes) for (const c of n.children ?? []) parent.set(c, n.id);
  const selfUs = new Map<number, number>();
  profile.samples.forEach((id, i) => selfUs.set(id, (selfUs.get(id) ?? 0) + (profile.timeDeltas[i] ?? 0)));
  let busy = 0;
  let total = 0;
  const fns = new Map<string, number>();
  const places = new Map<string, number>();
  const inclusive = new Map<string, number>();
  const add = (m: Map<string, number>, k: string, us: number) => m.set(k, (m.get(k) ?? 0) + us);
  for (const [id, us] of selfUs) {
    total += us;
    const frame = byId.get(id)?.callFrame;
    if (!frame || IDLE.has(frame.functionName)) continue;
    // A native leaf is charged to its nearest JavaScript caller.
    let owner = id;
    while (!byId.get(owner)?.callFrame.url && parent.has(owner)) owner = parent.get(owner)!;
    const ownerFrame = byId.get(owner)!.callFrame;
    // The profiler's own start and stop (node:inspector) are not the server's work.
    if (ownerFrame.url === 'node:inspector') continue;
    busy += us;
    const native = frame.url ? '' : `${frame.functionName || '(native)'} ← `;
    add(fns, frame.functionName === '(garbage collector)' ? '(garbage collector)' : `${native}${label(ownerFrame)}`, us);
    add(places, frame.functionName === '(garbage collector)' ? '(garbage collector)' : place(ownerFrame.url), us);
    const seen = new Set<string>();
    for (let n: number | undefined = id; n !== undefined; n = parent.get(n)) {
      const f = byId.get(n)!.callFrame;
      if (!f.url.includes('/src/')) continue;
      const k = label(f);
      if (seen.has(k)) continue;
      seen.add(k);
      add(inclusive, k, us);
    }
  }
  const pct = (us: number) => `${((us / busy) * 100).toFixed(1)} %`;
  const rows = (m: Map<string, number>) =>
    [...m].sort((a, b) => b[1] - a[1]).slice(0, top).map(([k, us]) => `| ${pct(us)} | ${k.replace(/\|/g, '\\|')} |`).join('\n');
  return [
    `${file}: ${(total / 1e6).toFixed(1)} s sampled, ${(busy / 1e6).toFixed(1)} s on the CPU (the profiler's own calls left out); shares are of that busy time.`,
    '',
    '| self | where (native time charged to its JavaScript caller) |',
    '|---:|---|',
    rows(places),
    '',
    '| self | function |',
    '|---:|---|',
    rows(fns),
    '',
    "| inclusive | Tessera's own functions (src/) |",
    '|---:|---|',
    rows(inclusive),
  ].join('\n');
}
