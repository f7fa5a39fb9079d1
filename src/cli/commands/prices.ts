/**
 * `tessera prices …` on a running server: the versioned price book. Prices are integer micro-units
 * per million tokens (models) or per accelerator-hour (chips); a new version takes effect at
 * --effective-from (default now), never in the past.
 */
import { Command } from 'commander';
import { callServer, resolveTarget } from '../http-client.js';
import { wholeNumber, withTarget } from './keys.js';
import { units } from './tenants.js';

interface PriceBook {
  models: Array<{ id: string; model: string; input_per_mtok: number; cached_input_per_mtok: number; output_per_mtok: number; effective_from: string; in_force: boolean }>;
  chips: Array<{ id: string; chip_type: string; per_hour: number; effective_from: string; in_force: boolean }>;
}

export function pricesCommand(env: Record<string, string | undefined>): Command {
  const prices = new Command('prices').description('The price book: per model and per accelerator type, versioned by effective time.');

  withTarget(prices.command('list'))
    .description('Every price version; * marks the one in force now')
    .option('--model <model>', 'one model only')
    .option('--json', 'print JSON')
    .action(async (opts) => {
      const query = opts.model ? `?model=${encodeURIComponent(opts.model)}` : '';
      const book = await callServer<PriceBook>(resolveTarget(opts, env), 'GET', `/api/prices${query}`);
      if (opts.json) return console.log(JSON.stringify(book, null, 2));
      if (book.models.length === 0 && book.chips.length === 0) return console.log('No prices set: usage is metered at zero cost.');
      if (book.models.length > 0) {
        console.table(book.models.map((p) => ({
          '': p.in_force ? '*' : '', model: p.model, 'input /Mtok': units(p.input_per_mtok), 'cached /Mtok': units(p.cached_input_per_mtok),
          'output /Mtok': units(p.output_per_mtok), from: p.effective_from, id: p.id,
        })));
      }
      if (book.chips.length > 0) {
        console.table(book.chips.map((p) => ({ '': p.in_force ? '*' : '', chip: p.chip_type, 'per hour': units(p.per_hour), from: p.effective_from, id: p.id })));
      }
    });

  withTarget(prices.command('set-model'))
    .description('Add a price version for a model (micro-units per million tokens)')
    .argument('<model>', 'model name')
    .requiredOption('--input <micros>', 'per million prompt tokens', wholeNumber(0))
    .option('--cached-input <micros>', 'per million cached prompt tokens (default: the input price)', wholeNumber(0))
    .requiredOption('--output <micros>', 'per million completion tokens', wholeNumber(0))
    .option('--effective-from <iso-time>', 'when it takes effect (default: now)')
    .option('--json', 'print JSON')
    .action(async (model: string, opts) => {
      const created = await callServer<{ id: string; effective_from: string }>(resolveTarget(opts, env), 'POST', '/api/prices/models', {
        model,
        input_per_mtok: opts.input,
        ...(opts.cachedInput !== undefined ? { cached_input_per_mtok: opts.cachedInput } : {}),
        output_per_mtok: opts.output,
        ...(opts.effectiveFrom ? { effective_from: opts.effectiveFrom } : {}),
      });
      if (opts.json) return console.log(JSON.stringify(created, null, 2));
      console.log(`Price ${created.id} for ${model} takes effect at ${created.effective_from}.`);
    });

  withTarget(prices.command('set-chip'))
    .description('Add a price version for an accelerator type (micro-units per accelerator-hour)')
    .argument('<chip-type>', 'accelerator type, e.g. H100')
    .requiredOption('--per-hour <micros>', 'per accelerator-hour', wholeNumber(0))
    .option('--effective-from <iso-time>', 'when it takes effect (default: now)')
    .option('--json', 'print JSON')
    .action(async (chipType: string, opts) => {
      const created = await callServer<{ id: string; effective_from: string }>(resolveTarget(opts, env), 'POST', '/api/prices/chips', {
        chip_type: chipType,
        per_hour: opts.perHour,
        ...(opts.effectiveFrom ? { effective_from: opts.effectiveFrom } : {}),
      });
      if (opts.json) return console.log(JSON.stringify(created, null, 2));
      console.log(`Price ${created.id} for ${chipType} takes effect at ${created.effective_from}.`);
    });
  return prices;
}
