/**
 * The comparison tables (printed, and written to bench/serve/results.md). Pure formatting: no I/O
 * except `updateResultsFile`, which replaces only the "Serving (bench/serve)" section of the file
 * and keeps everything else.
 */
import { existsSync } from 'node:fs';
import { readFile, writeFile } from 'node:fs/promises';
import type { Aggregate } from './metrics.js';
import type { NativeRow } from './native.js';

/** The three client-measured columns, in table order after native. */
export const CLIENT_COLUMNS = ['server', 'direct', 'http'] as const;
export type ClientColumn = (typeof CLIENT_COLUMNS)[number];
export type Column = 'native' | ClientColumn;

export const COLUMN_TITLES: Record<Column, string> = {
  native: 'llama.cpp llama-batched-bench',
  server: 'llama.cpp llama-server',
  direct: 'node-llama-cpp direct',
  http: 'Tessera HTTP',
};

export interface ServeRow {
  streams: number;
  /** The best repetition of each column (highest decode rate). */
  native?: NativeRow;
  server?: Aggregate;
  direct?: Aggregate;
  http?: Aggregate;
  /** Every repetition, in order: decode tok/s and the CPU pressure while it ran. */
  runs: Record<Column, RunSample[]>;
}

export interface RunSample {
  decodeTokensPerSecond: number;
  /**
   * Share of the run's wall time in which some runnable task waited for a CPU (Linux PSI
   * `/proc/pressure/cpu`, "some"); the benchmark's own threads count too. High values mean the
   * figure was taken on a contended machine.
   */
  cpuPressure?: number;
}

export interface RunInfo {
  date: string;
  machine: string;
  model: string;
  threads: number;
  tokens: number;
  promptTokens: number;
  sampling: 'greedy' | 'nucleus';
  repeat: number;
  llamaCpp: string;
  nodeLlamaCpp: string;
  settings: string[];
  notes: string[];
  command: string;
  durationSeconds: number;
}

export const SECTION_TITLE = '## Serving (bench/serve)';

const dash = '—';

function fmt(value: number | undefined, digits = 1): string {
  return value === undefined || !Number.isFinite(value) ? dash : value.toFixed(digits);
}

function ratio(a: number | undefined, b: number | undefined): string {
  if (a === undefined || b === undefined || !Number.isFinite(a) || !Number.isFinite(b) || b === 0) return '';
  return ` (${(a / b).toFixed(2)})`;
}

export function decodeRate(row: ServeRow, column: Column): number | undefined {
  return column === 'native' ? row.native?.decodeTokensPerSecond : row[column]?.decodeTokensPerSecond;
}

/** Time until every stream has its first token: native T_PP (all prompts in one batch), else measured. */
export function ttftAll(row: ServeRow, column: Column): number | undefined {
  return column === 'native' ? (row.native ? row.native.promptSeconds * 1000 : undefined) : row[column]?.ttftAllMs;
}

/** Runs taken while some task waited for a CPU this share of the time or more are marked. */
export const CONTENDED = 0.25;

/** CPU pressure during the repetition that gave the column's best (reported) rate. */
export function bestPressure(row: ServeRow, column: Column): number | undefined {
  const best = decodeRate(row, column);
  return row.runs[column].find((r) => r.decodeTokensPerSecond === best)?.cpuPressure;
}

function mark(row: ServeRow, column: Column): string {
  const p = bestPressure(row, column);
  return p !== undefined && p >= CONTENDED ? ` †${(p * 100).toFixed(0)}%` : '';
}

/**
 * Decode throughput: aggregate tok/s of every column, with its ratio to native (llama-batched-bench,
 * measured in the same run) in parentheses; then time to first token the same way (a ratio above 1
 * is slower than native).
 */
export function renderTable(rows: ServeRow[], columns: Column[]): string {
  const head = (what: string) => `| streams | ${columns.map((c) => `${COLUMN_TITLES[c]} ${what}`).join(' | ')} |`;
  const rule = `|---:|${columns.map(() => '---:').join('|')}|`;
  const decode = [head('tok/s'), rule];
  const ttft = [head('ms'), rule];
  for (const r of rows) {
    const base = decodeRate(r, 'native');
    decode.push(
      `| ${r.streams} | ${columns.map((c) => `${fmt(decodeRate(r, c))}${c === 'native' ? '' : ratio(decodeRate(r, c), base)}${mark(r, c)}`).join(' | ')} |`,
    );
    const baseT = ttftAll(r, 'native');
    ttft.push(
      `| ${r.streams} | ${columns
        .map((c) => {
          if (c === 'native') return `${fmt(baseT, 0)}${mark(r, c)}`;
          const a = r[c];
          return a ? `${fmt(a.ttftAllMs, 0)}${ratio(a.ttftAllMs, baseT)}, mean ${fmt(a.ttftMeanMs, 0)}${mark(r, c)}` : dash;
        })
        .join(' | ')} |`,
    );
  }
  return [
    '**Aggregate decode tokens/s** (ratio to llama-batched-bench in parentheses)',
    '',
    ...decode,
    '',
    '**Time to first token, ms**: until every stream has its first token (ratio to llama-batched-bench\'s T_PP), and the mean over streams',
    '',
    ...ttft,
    '',
    `† NN%: during that run some task was waiting for a CPU NN% of the time (Linux PSI CPU pressure; marked from ${CONTENDED * 100}%): ` +
      'other work competed for the cores, and the figure says more about that than about the engine.',
  ].join('\n');
}

/** Secondary figures: every repetition, tokens really produced, end-to-end rate with prefill, errors. */
export function renderDetails(rows: ServeRow[], columns: Column[]): string {
  const lines = [
    '| streams | column | decode tok/s, every run | tokens produced | prompt tokens / stream | end-to-end tok/s (incl. prefill) | wall s | errors |',
    '|---:|---|---|---:|---:|---:|---:|---|',
  ];
  const runs = (list: RunSample[]) =>
    list.map((v) => `${v.decodeTokensPerSecond.toFixed(1)}${v.cpuPressure === undefined ? '' : ` (CPU pressure ${(v.cpuPressure * 100).toFixed(0)}%)`}`).join(', ');
  for (const r of rows) {
    for (const c of columns) {
      if (c === 'native') {
        const n = r.native;
        if (!n) continue;
        const e2e = (n.streams * n.tokens) / (n.promptSeconds + n.decodeSeconds);
        lines.push(
          `| ${r.streams} | ${COLUMN_TITLES.native} | ${runs(r.runs.native)} | ${n.streams * n.tokens} | ${n.promptTokens} | ${fmt(e2e)} | ` +
            `${fmt(n.promptSeconds + n.decodeSeconds, 2)} | |`,
        );
        continue;
      }
      const a = r[c];
      if (!a) continue;
      lines.push(
        `| ${r.streams} | ${COLUMN_TITLES[c]} | ${runs(r.runs[c])} | ${a.totalTokens} | ${fmt(a.promptTokens, 0)} | ${fmt(a.endToEndTokensPerSecond)} | ` +
          `${fmt(a.wallMs / 1000, 2)} | ${a.errors.length ? a.errors.slice(0, 2).join('; ').replaceAll('|', '/').replaceAll('\n', ' ') : ''} |`,
      );
    }
  }
  return lines.join('\n');
}

export function renderSection(rows: ServeRow[], columns: Column[], info: RunInfo): string {
  return [
    SECTION_TITLE,
    '',
    `- Date: ${info.date}; machine: ${info.machine}`,
    `- Model: ${info.model}`,
    `- Threads: ${info.threads} in every column (os.availableParallelism()); ${info.tokens} new tokens per stream (EOS ignored ` +
      `where the column allows it); prompts of ${info.promptTokens} tokens, different per stream (and per row and run in the HTTP columns); ` +
      `HTTP columns sample ${info.sampling === 'nucleus' ? 'with temperature 0.8, top_p 0.95' : 'greedily'}`,
    `- Repetitions: ${info.repeat} per column and stream count, columns interleaved, best kept; the whole run took ` +
      `${(info.durationSeconds / 60).toFixed(1)} min`,
    `- llama.cpp: ${info.llamaCpp}; node-llama-cpp: ${info.nodeLlamaCpp}`,
    `- Command: \`${info.command}\``,
    '',
    renderTable(rows, columns),
    '',
    'Decode tok/s is aggregate over all streams, best of the repetitions (every run is in the details). The baseline,',
    '`llama-batched-bench`, reports S_TG (decode steps after all prompts are in, no sampling, no HTTP): a kernel bound,',
    'not a server. The other columns are measured on the client over the window in which every stream is decoding',
    '(see bench/README.md); `llama-server` is the real-server peer. "CPU pressure" in the details is the share of each',
    "run's wall time in which some runnable task waited for a CPU (Linux PSI, the benchmark's own threads included): high",
    'values mean that figure was taken while other work competed for the cores.',
    '',
    '<details><summary>Details and settings</summary>',
    '',
    renderDetails(rows, columns),
    '',
    ...info.settings.map((s) => `- ${s}`),
    '',
    '</details>',
    '',
    ...(info.notes.length > 0 ? [...info.notes.map((n) => `> ${n}`), ''] : []),
  ].join('\n');
}

const HEADER = ['# bench/serve results', '', 'Written by `bench/serve/run.ts` (see bench/README.md); one section per benchmark.', ''].join('\n');

/** Replaces the "Serving (bench/serve)" section (up to the next `## ` heading), or appends it. */
export async function updateResultsFile(path: string, section: string): Promise<void> {
  const current = existsSync(path) ? await readFile(path, 'utf8') : HEADER;
  const start = current.indexOf(`${SECTION_TITLE}\n`);
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
