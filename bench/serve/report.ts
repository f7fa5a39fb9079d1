/**
 * The comparison table (printed and written to bench/RESULTS.md). Pure formatting: no I/O except
 * `updateResultsFile`, which replaces only the "bench/serve" section and keeps every other section.
 */
import { existsSync } from 'node:fs';
import { readFile, writeFile } from 'node:fs/promises';
import type { Aggregate } from './metrics.js';
import type { NativeRow } from './native.js';

export interface ServeRow {
  streams: number;
  /** The best repetition of each column (highest decode rate). */
  http?: Aggregate;
  direct?: Aggregate;
  native?: NativeRow;
  /** Decode tok/s of every repetition, in order. */
  runs: { http: number[]; direct: number[]; native: number[] };
}

export interface RunInfo {
  date: string;
  machine: string;
  model: string;
  threads: number;
  tokens: number;
  promptTokens: number;
  repeat: number;
  llamaCpp: string;
  nodeLlamaCpp: string;
  settings: string[];
  notes: string[];
  command: string;
}

const dash = '—';

function fmt(value: number | undefined, digits = 1): string {
  return value === undefined || !Number.isFinite(value) ? dash : value.toFixed(digits);
}

function ratio(a: number | undefined, b: number | undefined): string {
  if (a === undefined || b === undefined || !Number.isFinite(a) || !Number.isFinite(b) || b === 0) return dash;
  return `${((a / b) * 100).toFixed(0)}%`;
}

/** Markdown table: decode throughput side by side with ratios vs native, then time to first token. */
export function renderTable(rows: ServeRow[]): string {
  const lines = [
    '| streams | Tessera HTTP tok/s | node-llama-cpp tok/s | llama.cpp native tok/s | HTTP / native | direct / native | TTFT HTTP ms (mean / all) | TTFT direct ms (mean / all) | TTFT native ms (all) |',
    '|---:|---:|---:|---:|---:|---:|---:|---:|---:|',
  ];
  for (const r of rows) {
    const ttft = (a: Aggregate | undefined) => (a ? `${fmt(a.ttftMeanMs, 0)} / ${fmt(a.ttftAllMs, 0)}` : dash);
    lines.push(
      `| ${r.streams} | ${fmt(r.http?.decodeTokensPerSecond)} | ${fmt(r.direct?.decodeTokensPerSecond)} | ` +
        `${fmt(r.native?.decodeTokensPerSecond)} | ${ratio(r.http?.decodeTokensPerSecond, r.native?.decodeTokensPerSecond)} | ` +
        `${ratio(r.direct?.decodeTokensPerSecond, r.native?.decodeTokensPerSecond)} | ${ttft(r.http)} | ${ttft(r.direct)} | ` +
        `${r.native ? fmt(r.native.promptSeconds * 1000, 0) : dash} |`,
    );
  }
  return lines.join('\n');
}

/** Secondary figures: tokens really produced, end-to-end rate with prefill, errors. */
export function renderDetails(rows: ServeRow[]): string {
  const lines = [
    '| streams | column | decode tok/s, every run | tokens produced | prompt tokens / stream | end-to-end tok/s (incl. prefill) | wall s | errors |',
    '|---:|---|---|---:|---:|---:|---:|---|',
  ];
  for (const r of rows) {
    const runs = (list: number[]) => list.map((v) => v.toFixed(1)).join(', ');
    for (const [name, a, list] of [['Tessera HTTP', r.http, r.runs.http], ['node-llama-cpp', r.direct, r.runs.direct]] as const) {
      if (!a) continue;
      lines.push(
        `| ${r.streams} | ${name} | ${runs(list)} | ${a.totalTokens} | ${fmt(a.promptTokens, 0)} | ${fmt(a.endToEndTokensPerSecond)} | ` +
          `${fmt(a.wallMs / 1000, 2)} | ${a.errors.length ? a.errors.slice(0, 2).join('; ').replaceAll('|', '/') : ''} |`,
      );
    }
    if (r.native) {
      const n = r.native;
      const e2e = (n.streams * (n.promptTokens + n.tokens)) / (n.promptSeconds + n.decodeSeconds);
      lines.push(
        `| ${r.streams} | llama.cpp native | ${runs(r.runs.native)} | ${n.streams * n.tokens} | ${n.promptTokens} | ${fmt(e2e)} (prompt+gen) | ` +
          `${fmt(n.promptSeconds + n.decodeSeconds, 2)} | |`,
      );
    }
  }
  return lines.join('\n');
}

export function renderSection(rows: ServeRow[], info: RunInfo): string {
  return [
    '## bench/serve',
    '',
    `- Date: ${info.date}; machine: ${info.machine}`,
    `- Model: ${info.model}`,
    `- Threads: ${info.threads} (os.availableParallelism()); tokens per stream: ${info.tokens} (EOS ignored where the ` +
      `column allows it); prompt: ${info.promptTokens} tokens per stream, different per stream`,
    `- Repetitions: ${info.repeat} per column and stream count, columns interleaved, best kept`,
    `- llama.cpp: ${info.llamaCpp}; node-llama-cpp: ${info.nodeLlamaCpp}`,
    `- Command: \`${info.command}\``,
    '',
    renderTable(rows),
    '',
    'Decode tok/s is aggregate over all streams, best of the repetitions (every run is in the details). Native =',
    '`llama-batched-bench` S_TG; the other two are measured on the client over the window in which every stream is',
    'decoding (see bench/README.md). TTFT "all" = until every stream has its first token (native: T_PP, all prompts in',
    'one batch); "mean" = what one request waits on average.',
    '',
    '<details><summary>Details and settings</summary>',
    '',
    renderDetails(rows),
    '',
    ...info.settings.map((s) => `- ${s}`),
    '',
    '</details>',
    '',
    ...(info.notes.length > 0 ? [...info.notes.map((n) => `> ${n}`), ''] : []),
  ].join('\n');
}

const HEADER = [
  '# Benchmark results',
  '',
  'Figures printed by the benchmarks in bench/ (how to run them and what they measure: bench/README.md).',
  'Each section is rewritten by its benchmark; numbers from different machines are not comparable.',
  '',
].join('\n');

/** Replaces the `## bench/serve` section (up to the next `## ` heading), or appends it. */
export async function updateResultsFile(path: string, section: string): Promise<void> {
  const current = existsSync(path) ? await readFile(path, 'utf8') : HEADER;
  const start = current.search(/^## bench\/serve\s*$/m);
  let next: string;
  if (start < 0) {
    next = `${current.trimEnd()}\n\n${section.trimEnd()}\n`;
  } else {
    const rest = current.slice(start + 1);
    const endRel = rest.search(/^## /m);
    const end = endRel < 0 ? current.length : start + 1 + endRel;
    next = `${current.slice(0, start)}${section.trimEnd()}\n${end < current.length ? `\n${current.slice(end)}` : ''}`;
  }
  await writeFile(path, next);
}
