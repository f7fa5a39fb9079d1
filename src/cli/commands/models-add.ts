/**
 * `tessera models add NAME --upstream URL`: declares a model served by an OpenAI-compatible
 * upstream (vLLM, SGLang, llama-server, Ollama, MindIE, a hosted API). Stored in the data dir's
 * database; the server loads declared models when it starts.
 */
import { Command } from 'commander';
import { join, resolve } from 'node:path';
import { mkdir } from 'node:fs/promises';
import { openStore } from '../../store/index.js';

export function modelsAddCommand(dataDir: () => string): Command {
  return new Command('add')
    .description('Declare a model served by an OpenAI-compatible upstream server')
    .argument('<name>', 'the name clients will send as `model`')
    .requiredOption('--upstream <url>', 'base URL of the upstream API, e.g. http://gpu1:8000/v1')
    .option('--upstream-model <name>', 'model name the upstream expects, when it differs')
    .option('--api-key-env <var>', 'environment variable holding the upstream API key (keeps it out of shell history)')
    .action(async (name: string, opts) => {
      let url: URL;
      try {
        url = new URL(opts.upstream);
      } catch {
        throw new Error(`--upstream must be a URL like http://host:8000/v1 (got "${opts.upstream}")`);
      }
      const apiKey = opts.apiKeyEnv ? process.env[opts.apiKeyEnv] : undefined;
      if (opts.apiKeyEnv && !apiKey) throw new Error(`$${opts.apiKeyEnv} is not set`);
      const dir = resolve(dataDir());
      await mkdir(dir, { recursive: true });
      const store = await openStore({ kind: 'sqlite', file: join(dir, 'tessera.db') }, { now: () => new Date() });
      try {
        await store.models.add({ name, engine: 'openai', url: url.toString().replace(/\/$/, ''), apiKey, upstreamModel: opts.upstreamModel });
      } finally {
        await store.close();
      }
      console.log(`Declared ${name} → ${url.origin}${url.pathname}. A running server serves it after its next start.`);
    });
}
