import { Command } from 'commander';
import { callServer, resolveTarget } from '../http-client.js';

interface KeyBody {
  id: string;
  name: string;
  role: string;
  prefix: string;
  created_at: string;
  expires_at: string | null;
  revoked_at: string | null;
  last_used_at: string | null;
  secret?: string;
}

export function keysCommand(env: Record<string, string | undefined>): Command {
  const keys = new Command('keys').description('Create, list and revoke API keys on a running server (needs an admin key).');
  const withTarget = (cmd: Command) =>
    cmd
      .option('--url <url>', 'server URL (default $TESSERA_URL or http://127.0.0.1:8080)')
      .option('--key <key>', 'admin API key (default $TESSERA_API_KEY)');

  withTarget(keys.command('create'))
    .description('Create a key; its secret is shown once')
    .requiredOption('--name <name>', 'a label for the key')
    .option('--role <role>', 'admin or member', 'member')
    .option('--expires <iso-time>', 'expiry time, e.g. 2027-01-01T00:00:00Z')
    .option('--json', 'print JSON')
    .action(async (opts) => {
      const created = await callServer<KeyBody>(resolveTarget(opts, env), 'POST', '/api/keys', {
        name: opts.name,
        role: opts.role,
        expires_at: opts.expires ?? null,
      });
      if (opts.json) return console.log(JSON.stringify(created, null, 2));
      console.log(`Created key ${created.id} (${created.role}). Its secret, shown only now:\n\n  ${created.secret}\n`);
    });

  withTarget(keys.command('list'))
    .description('List keys (secrets are never shown)')
    .option('--json', 'print JSON')
    .action(async (opts) => {
      const { data } = await callServer<{ data: KeyBody[] }>(resolveTarget(opts, env), 'GET', '/api/keys');
      if (opts.json) return console.log(JSON.stringify(data, null, 2));
      console.table(
        data.map((k) => ({
          id: k.id,
          name: k.name,
          role: k.role,
          prefix: k.prefix,
          created: k.created_at,
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
  return keys;
}
