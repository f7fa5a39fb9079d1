/**
 * The `tessera` command. Commands that act on a running server (keys, tenants, prices, usage,
 * statement, chat) use its HTTP API; local ones (serve, models, sim) call the modules directly.
 */
import { Command } from 'commander';
import { resolve } from 'node:path';
import { chatCommand } from './commands/chat.js';
import { keysCommand } from './commands/keys.js';
import { modelsCommand } from './commands/models.js';
import { pricesCommand } from './commands/prices.js';
import { serveCommand } from './commands/serve.js';
import { simCommand } from './commands/sim.js';
import { tenantsCommand } from './commands/tenants.js';
import { statementCommand, usageCommand } from './commands/usage.js';

export async function main(argv: string[]): Promise<void> {
  const env = process.env;
  const program = new Command('tessera')
    .description('Tessera: a self-hostable AI cloud (OpenAI-compatible serving, scheduling, metering)')
    .version('0.1.0')
    .showHelpAfterError();
  program.addCommand(serveCommand(env));
  program.addCommand(chatCommand(env));
  program.addCommand(modelsCommand({ dataDir: () => resolve(env.TESSERA_DATA_DIR ?? './.tessera'), env }));
  program.addCommand(keysCommand(env));
  program.addCommand(tenantsCommand(env));
  program.addCommand(pricesCommand(env));
  program.addCommand(usageCommand(env));
  program.addCommand(statementCommand(env));
  program.addCommand(simCommand());
  await program.parseAsync(argv);
}
