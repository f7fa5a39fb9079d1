/**
 * `tessera usage` (charges grouped by model, key or day) and `tessera statement` (a tenant's bill
 * for a month or range), from a running server's ledger. `--csv` prints the server's CSV as is.
 */
import { Command, Option } from 'commander';
import { callServer, resolveTarget, type ServerTarget } from '../http-client.js';
import { withTarget } from './keys.js';
import { units } from './tenants.js';

interface Sums {
  requests: number;
  prompt_tokens: number;
  cached_tokens: number;
  completion_tokens: number;
  allowance_tokens: number;
  amount_micros: number;
}

interface Statement {
  tenant: { id: string; name: string };
  from: string;
  to: string;
  lines_by_model: Array<Sums & { model: string; price: { id: string; effective_from: string } | null }>;
  lines_by_key: Array<Sums & { key_id: string | null; key_name: string | null }>;
  lines_by_chip: Array<Sums & { chip_type: string }>;
  allowance_tokens_used: number;
  total_micros: number;
  credits_micros: number;
  net_micros: number;
}

function queryString(params: Record<string, string | undefined>): string {
  const search = new URLSearchParams();
  for (const [name, value] of Object.entries(params)) if (value !== undefined) search.set(name, value);
  const text = search.toString();
  return text ? `?${text}` : '';
}

/** CSV is text, not JSON: fetched here rather than through callServer. */
async function fetchCsv(target: ServerTarget, path: string): Promise<string> {
  const response = await fetch(`${target.url}${path}`, { headers: { authorization: `Bearer ${target.key}`, accept: 'text/csv' } }).catch((err: Error) => {
    throw new Error(`Cannot reach Tessera at ${target.url} (${err.message}). Is \`tessera serve\` running?`, { cause: err });
  });
  const text = await response.text();
  if (!response.ok) {
    const error = (JSON.parse(text || 'null') as { error?: { message: string; code: string } } | null)?.error;
    throw new Error(error ? `${error.message} (${error.code})` : `HTTP ${response.status}`);
  }
  return text;
}

const sumsRow = (s: Sums) => ({
  requests: s.requests,
  'prompt tokens': s.prompt_tokens,
  cached: s.cached_tokens,
  'completion tokens': s.completion_tokens,
  'free tokens': s.allowance_tokens,
  amount: units(s.amount_micros),
});

export function usageCommand(env: Record<string, string | undefined>): Command {
  return withTarget(new Command('usage'))
    .description('Usage and charges from the ledger, grouped by model, key or UTC day')
    .option('--tenant <id>', 'tenant id or name (default: all for an admin, else your tenant)')
    .option('--key-id <id>', 'one API key only (--key is the key you call with)')
    .option('--from <time>', 'from (inclusive), ISO-8601 time or date')
    .option('--to <time>', 'to (exclusive), ISO-8601 time or date')
    .addOption(new Option('--by <group>', 'group by').choices(['model', 'key', 'day']).default('model'))
    .option('--csv', 'print CSV')
    .option('--json', 'print JSON')
    .action(async (opts) => {
      const target = resolveTarget(opts, env);
      const path = `/api/usage${queryString({ tenant: opts.tenant, key: opts.keyId, from: opts.from, to: opts.to, by: opts.by, format: opts.csv ? 'csv' : undefined })}`;
      if (opts.csv) {
        process.stdout.write(await fetchCsv(target, path));
        return;
      }
      const result = await callServer<{ data: Array<Sums & { group: string | null }> }>(target, 'GET', path);
      if (opts.json) return console.log(JSON.stringify(result, null, 2));
      if (result.data.length === 0) return console.log('No usage in this range.');
      console.table(result.data.map((r) => ({ [opts.by]: r.group ?? '-', ...sumsRow(r) })));
      console.log(`total: ${units(result.data.reduce((sum, r) => sum + r.amount_micros, 0))}`);
    });
}

export function statementCommand(env: Record<string, string | undefined>): Command {
  return withTarget(new Command('statement'))
    .description("A tenant's statement: lines by model (per price version), key and chip; totals; credits")
    .option('--tenant <id>', 'tenant id or name (default: your tenant)')
    .option('--period <YYYY-MM>', 'a calendar month, UTC (default: this month)')
    .option('--from <time>', 'from (inclusive), instead of --period')
    .option('--to <time>', 'to (exclusive), instead of --period')
    .option('--csv', 'print CSV')
    .option('--json', 'print JSON')
    .action(async (opts) => {
      const target = resolveTarget(opts, env);
      const path = `/api/statements${queryString({ tenant: opts.tenant, period: opts.period, from: opts.from, to: opts.to, format: opts.csv ? 'csv' : undefined })}`;
      if (opts.csv) {
        process.stdout.write(await fetchCsv(target, path));
        return;
      }
      const s = await callServer<Statement>(target, 'GET', path);
      if (opts.json) return console.log(JSON.stringify(s, null, 2));
      console.log(`Statement for ${s.tenant.name} (${s.tenant.id}), ${s.from} to ${s.to}`);
      if (s.lines_by_model.length > 0) console.table(s.lines_by_model.map((l) => ({ model: l.model, 'price from': l.price?.effective_from ?? 'unpriced', ...sumsRow(l) })));
      if (s.lines_by_key.length > 0) console.table(s.lines_by_key.map((l) => ({ key: l.key_id ?? '-', name: l.key_name ?? '-', ...sumsRow(l) })));
      if (s.lines_by_chip.length > 0) console.table(s.lines_by_chip.map((l) => ({ chip: l.chip_type, ...sumsRow(l) })));
      console.log(`free tokens used: ${s.allowance_tokens_used}`);
      console.log(`charges: ${units(s.total_micros)}  credits: ${units(s.credits_micros)}  net: ${units(s.net_micros)}`);
    });
}
