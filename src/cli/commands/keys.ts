/**
 * `tessera keys …` on a running server: create (in a tenant, with a role, model allow-list, labels
 * and rate limits), list, revoke, and per-key rate limits. Needs an admin or tenant-admin key.
 */
import { Command, InvalidArgumentError } from 'commander';
import { callServer, resolveTarget } from '../http-client.js';

interface KeyBody {
  id: string;
  name: string;
  role: string;
  prefix: string;
  tenant_id: string;
  allowed_models: string[] | null;
  labels: Record<string, string> | null;
  created_at: string;
  expires_at: string | null;
  revoked_at: string | null;
  last_used_at: string | null;
  secret?: string;
}

/** The `--url`/`--key` options every server command takes. */
export function withTarget(cmd: Command): Command {
  return cmd
    .option('--url <url>', 'server URL (default $TESSERA_URL or http://127.0.0.1:8080)')
    .option('--key <key>', 'API key (default $TESSERA_API_KEY)');
}

/** A whole number ≥ `min` (money is integer micro-units; limits are whole counts). */
export function wholeNumber(min: number) {
  return (value: string): number => {
    const n = Number(value);
    if (!/^-?\d+$/.test(value.trim()) || !Number.isSafeInteger(n) || n < min) {
      throw new InvalidArgumentError(`must be a whole number${min === 0 ? ' ≥ 0' : min === 1 ? ' ≥ 1' : ''}`);
    }
    return n;
  };
}

function label(value: string, previous: Record<string, string> = {}): Record<string, string> {
  const at = value.indexOf('=');
  if (at <= 0) throw new InvalidArgumentError('a label is name=value');
  return { ...previous, [value.slice(0, at)]: value.slice(at + 1) };
}

export function keysCommand(env: Record<string, string | undefined>): Command {
  const keys = new Command('keys').description('Create, list and revoke API keys on a running server (needs an admin or tenant admin key).');

  withTarget(keys.command('create'))
    .description('Create a key; its secret is shown once')
    .requiredOption('--name <name>', 'a label for the key')
    .option('--role <role>', 'admin, tenant_admin or member', 'member')
    .option('--tenant <id>', "the key's tenant (default: your key's tenant)")
    .option('--models <list>', 'comma-separated models the key may use (default: all)')
    .option('--label <name=value>', 'a label (repeatable)', label)
    .option('--rpm <n>', 'requests per minute for this key', wholeNumber(1))
    .option('--tpm <n>', 'tokens per minute for this key', wholeNumber(1))
    .option('--expires <iso-time>', 'expiry time, e.g. 2027-01-01T00:00:00Z')
    .option('--json', 'print JSON')
    .action(async (opts) => {
      const created = await callServer<KeyBody>(resolveTarget(opts, env), 'POST', '/api/keys', {
        name: opts.name,
        role: opts.role,
        ...(opts.tenant ? { tenant_id: opts.tenant } : {}),
        expires_at: opts.expires ?? null,
        allowed_models: opts.models ? String(opts.models).split(',').map((m) => m.trim()).filter(Boolean) : null,
        labels: opts.label ?? null,
        rpm: opts.rpm ?? null,
        tpm: opts.tpm ?? null,
      });
      if (opts.json) return console.log(JSON.stringify(created, null, 2));
      console.log(`Created key ${created.id} (${created.role}, tenant ${created.tenant_id}). Its secret, shown only now:\n\n  ${created.secret}\n`);
    });

  withTarget(keys.command('list'))
    .description('List keys (secrets are never shown)')
    .option('--tenant <id>', "one tenant's keys (admin)")
    .option('--json', 'print JSON')
    .action(async (opts) => {
      const query = opts.tenant ? `?tenant=${encodeURIComponent(opts.tenant)}` : '';
      const { data } = await callServer<{ data: KeyBody[] }>(resolveTarget(opts, env), 'GET', `/api/keys${query}`);
      if (opts.json) return console.log(JSON.stringify(data, null, 2));
      console.table(
        data.map((k) => ({
          id: k.id,
          name: k.name,
          role: k.role,
          tenant: k.tenant_id,
          prefix: k.prefix,
          models: k.allowed_models?.join(',') ?? '*',
          status: k.revoked_at ? 'revoked' : k.expires_at && new Date(k.expires_at) < new Date() ? 'expired' : 'active',
          'last used': k.last_used_at ?? '-',
        })),
      );
    });

  withTarget(keys.command('revoke'))
    .description('Revoke a key at once')
    .argument('<id>', 'key id (see `tessera keys list`)')
    .action(async (id: string, opts) => {
      await callServer(resolveTarget(opts, env), 'DELETE', `/api/keys/${encodeURIComponent(id)}`);
      console.log(`Revoked ${id}.`);
    });

  withTarget(keys.command('limit'))
    .description('Set the rate limit of a key (with neither --rpm nor --tpm: remove it)')
    .argument('<id>', 'key id')
    .option('--model <model>', 'limit only this model (default: every model)')
    .option('--rpm <n>', 'requests per minute', wholeNumber(1))
    .option('--tpm <n>', 'tokens per minute', wholeNumber(1))
    .action(async (id: string, opts) => {
      const body = { model: opts.model ?? null, rpm: opts.rpm ?? null, tpm: opts.tpm ?? null };
      await callServer(resolveTarget(opts, env), 'PUT', `/api/keys/${encodeURIComponent(id)}/rate-limits`, body);
      console.log(body.rpm === null && body.tpm === null ? `Removed the limit of ${id}.` : `Limited ${id}: ${body.rpm ?? '-'} rpm, ${body.tpm ?? '-'} tpm${body.model ? ` on ${body.model}` : ''}.`);
    });
  return keys;
}
