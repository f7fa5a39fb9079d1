/**
 * `tessera tenants …` on a running server: create, list, show (with the budget), change limits,
 * credit, rate limits and free allowances. Money is integer micro-units (1 unit = 1,000,000).
 */
import { Command, InvalidArgumentError } from 'commander';
import { callServer, resolveTarget } from '../http-client.js';
import { wholeNumber, withTarget } from './keys.js';

interface TenantBody {
  id: string;
  name: string;
  kind: string;
  monthly_limit_micros: number | null;
  limit_mode: string;
  prepaid: boolean;
  created_at: string;
}

interface AllowanceBody {
  id: string;
  model: string;
  tokens: number;
  expires_at: string;
  created_at: string;
}

const limitOrNone = (value: string): number | null => (value === 'none' ? null : wholeNumber(0)(value));

function bool(value: string): boolean {
  if (value === 'true' || value === 'yes') return true;
  if (value === 'false' || value === 'no') return false;
  throw new InvalidArgumentError('true or false');
}

/** `12.345678` from micros, for people; JSON output keeps the integer. */
export function units(micros: number | null): string {
  if (micros === null) return '-';
  const sign = micros < 0 ? '-' : '';
  const abs = Math.abs(micros);
  return `${sign}${Math.floor(abs / 1e6)}.${String(abs % 1e6).padStart(6, '0')}`;
}

const path = (id: string, rest = '') => `/api/tenants/${encodeURIComponent(id)}${rest}`;

export function tenantsCommand(env: Record<string, string | undefined>): Command {
  const tenants = new Command('tenants').description('Tenants (teams and customers): limits, credits, rate limits, allowances (needs an admin key).');
  const print = (t: TenantBody) =>
    console.log(`${t.id}  ${t.name} (${t.kind})  monthly limit ${units(t.monthly_limit_micros)} (${t.limit_mode})${t.prepaid ? '  prepaid' : ''}`);

  withTarget(tenants.command('create'))
    .description('Create a tenant')
    .argument('<name>', 'a unique name (letters, digits, . _ -)')
    .requiredOption('--kind <kind>', 'internal or external')
    .option('--monthly-limit <micros>', 'monthly spend limit in micro-units', wholeNumber(0))
    .option('--soft', 'alert past the monthly limit instead of refusing')
    .option('--prepaid', 'spend only credited balance')
    .option('--json', 'print JSON')
    .action(async (name: string, opts) => {
      const created = await callServer<TenantBody>(resolveTarget(opts, env), 'POST', '/api/tenants', {
        name,
        kind: opts.kind,
        monthly_limit_micros: opts.monthlyLimit ?? null,
        limit_mode: opts.soft ? 'soft' : 'hard',
        prepaid: Boolean(opts.prepaid),
      });
      if (opts.json) return console.log(JSON.stringify(created, null, 2));
      print(created);
    });

  withTarget(tenants.command('list'))
    .description('List tenants')
    .option('--json', 'print JSON')
    .action(async (opts) => {
      const { data } = await callServer<{ data: TenantBody[] }>(resolveTarget(opts, env), 'GET', '/api/tenants');
      if (opts.json) return console.log(JSON.stringify(data, null, 2));
      console.table(data.map((t) => ({ id: t.id, name: t.name, kind: t.kind, 'monthly limit': units(t.monthly_limit_micros), mode: t.limit_mode, prepaid: t.prepaid })));
    });

  withTarget(tenants.command('show'))
    .description('A tenant with its budget (month charges, balance, reservations)')
    .argument('<id>', 'tenant id or name')
    .option('--json', 'print JSON')
    .action(async (id: string, opts) => {
      const target = resolveTarget(opts, env);
      const tenant = await callServer<TenantBody>(target, 'GET', path(id));
      const budget = await callServer<Record<string, number | boolean | null>>(target, 'GET', path(tenant.id, '/budget'));
      if (opts.json) return console.log(JSON.stringify({ ...tenant, budget }, null, 2));
      print(tenant);
      for (const field of ['month_charges_micros', 'balance_micros', 'reserved_micros', 'remaining_micros'] as const) {
        const value = budget[field];
        console.log(`  ${field.replace(/_micros$/, '').replaceAll('_', ' ')}: ${typeof value === 'number' ? units(value) : '-'}`);
      }
      if (budget.over_limit) console.log('  over its monthly limit');
    });

  withTarget(tenants.command('update'))
    .description("Change a tenant's spend limits")
    .argument('<id>', 'tenant id or name')
    .option('--monthly-limit <micros>', "monthly spend limit in micro-units, or 'none'", limitOrNone)
    .option('--mode <mode>', 'hard (refuse) or soft (alert)')
    .option('--prepaid <bool>', 'true or false', bool)
    .option('--json', 'print JSON')
    .action(async (id: string, opts) => {
      const body: Record<string, unknown> = {};
      if (opts.monthlyLimit !== undefined) body.monthly_limit_micros = opts.monthlyLimit;
      if (opts.mode !== undefined) body.limit_mode = opts.mode;
      if (opts.prepaid !== undefined) body.prepaid = opts.prepaid;
      const updated = await callServer<TenantBody>(resolveTarget(opts, env), 'PATCH', path(id), body);
      if (opts.json) return console.log(JSON.stringify(updated, null, 2));
      print(updated);
    });

  withTarget(tenants.command('credit'))
    .description("Add prepaid credit to a tenant's balance")
    .argument('<id>', 'tenant id or name')
    .argument('<amount-micros>', 'amount in micro-units (1 unit = 1000000)', wholeNumber(1))
    .option('--note <text>', 'why (kept in the ledger)')
    .option('--json', 'print JSON')
    .action(async (id: string, amount: number, opts) => {
      const budget = await callServer<{ balance_micros: number }>(resolveTarget(opts, env), 'POST', path(id, '/credits'), { amount_micros: amount, note: opts.note ?? null });
      if (opts.json) return console.log(JSON.stringify(budget, null, 2));
      console.log(`Credited ${units(amount)}; balance now ${units(budget.balance_micros)}.`);
    });

  withTarget(tenants.command('limit'))
    .description('Set the rate limit of a tenant (with neither --rpm nor --tpm: remove it)')
    .argument('<id>', 'tenant id or name')
    .option('--model <model>', 'limit only this model (default: every model)')
    .option('--rpm <n>', 'requests per minute', wholeNumber(1))
    .option('--tpm <n>', 'tokens per minute', wholeNumber(1))
    .action(async (id: string, opts) => {
      const body = { model: opts.model ?? null, rpm: opts.rpm ?? null, tpm: opts.tpm ?? null };
      await callServer(resolveTarget(opts, env), 'PUT', path(id, '/rate-limits'), body);
      console.log(body.rpm === null && body.tpm === null ? `Removed the limit of ${id}.` : `Limited ${id}: ${body.rpm ?? '-'} rpm, ${body.tpm ?? '-'} tpm${body.model ? ` on ${body.model}` : ''}.`);
    });

  withTarget(tenants.command('allow'))
    .description('Grant a free token allowance for a model, until a date')
    .argument('<id>', 'tenant id or name')
    .requiredOption('--model <model>', 'the model')
    .requiredOption('--tokens <n>', 'free tokens', wholeNumber(1))
    .requiredOption('--expires <iso-time>', 'when the allowance ends, e.g. 2027-01-01T00:00:00Z')
    .action(async (id: string, opts) => {
      const body = { model: opts.model, tokens: opts.tokens, expires_at: opts.expires };
      const created = await callServer<{ id: string }>(resolveTarget(opts, env), 'POST', path(id, '/allowances'), body);
      console.log(`Granted ${opts.tokens} free tokens of ${opts.model} until ${opts.expires} (${created.id}).`);
    });

  withTarget(tenants.command('allowances'))
    .description("A tenant's free token allowances, ended ones included")
    .argument('<id>', 'tenant id or name')
    .option('--json', 'print JSON')
    .action(async (id: string, opts) => {
      const { data } = await callServer<{ data: AllowanceBody[] }>(resolveTarget(opts, env), 'GET', path(id, '/allowances'));
      if (opts.json) return console.log(JSON.stringify(data, null, 2));
      console.table(data.map((a) => ({ id: a.id, model: a.model, tokens: a.tokens, 'expires at': a.expires_at, granted: a.created_at })));
    });

  withTarget(tenants.command('allowance-update'))
    .description('Change an allowance: its tokens or its end')
    .argument('<id>', 'tenant id or name')
    .argument('<allowance>', 'allowance id')
    .option('--tokens <n>', 'free tokens', wholeNumber(1))
    .option('--expires <iso-time>', 'when the allowance ends')
    .action(async (id: string, allowance: string, opts) => {
      const body = { tokens: opts.tokens, expires_at: opts.expires };
      const a = await callServer<AllowanceBody>(resolveTarget(opts, env), 'PATCH', path(id, `/allowances/${encodeURIComponent(allowance)}`), body);
      console.log(`Allowance ${a.id}: ${a.tokens} free tokens of ${a.model} until ${a.expires_at}.`);
    });

  withTarget(tenants.command('allowance-end'))
    .description('End an allowance now (it stays listed, and statements keep what it paid)')
    .argument('<id>', 'tenant id or name')
    .argument('<allowance>', 'allowance id')
    .action(async (id: string, allowance: string, opts) => {
      const a = await callServer<AllowanceBody>(resolveTarget(opts, env), 'DELETE', path(id, `/allowances/${encodeURIComponent(allowance)}`));
      console.log(`Ended allowance ${a.id} (${a.model}) at ${a.expires_at}.`);
    });
  return tenants;
}
