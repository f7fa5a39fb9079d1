import { Command, InvalidArgumentError } from 'commander';
import { startTessera } from '../../main.js';
import { loadConfig } from '../load-config.js';

function integer(value: string): number {
  const n = Number(value);
  if (!Number.isInteger(n)) throw new InvalidArgumentError('must be an integer');
  return n;
}

export function serveCommand(env: Record<string, string | undefined>): Command {
  return new Command('serve')
    .description('Start the server: OpenAI-compatible API on the embedded llama.cpp engine')
    .option('--config <file>', 'JSON config file (default $TESSERA_CONFIG or ./tessera.config.json)')
    .option('--port <n>', 'TCP port (default 8080)', integer)
    .option('--host <host>', 'interface to listen on (default 127.0.0.1)')
    .option('--data-dir <dir>', 'database, models and logs (default ./.tessera)')
    .option('--model <name|file>', 'model to load: a GGUF file, an installed model or a catalog name')
    .option('--gpu <backend>', 'off | auto | cuda | vulkan | metal (default auto)')
    .option('--threads <n>', 'CPU threads for llama.cpp (default: available cores)', integer)
    .option('--context-size <tokens>', 'context window per sequence (default 4096)', integer)
    .option('--parallel <n>', 'sequences decoded together (default: what free memory holds, at most 16 on a CPU)', integer)
    .option('--offline', 'do not try to download the default model')
    .action(async (opts) => {
      const config = loadConfig(
        {
          port: opts.port,
          host: opts.host,
          dataDir: opts.dataDir,
          model: opts.model,
          gpu: opts.gpu,
          threads: opts.threads,
          contextSize: opts.contextSize,
          parallel: opts.parallel,
          offline: opts.offline,
        },
        env,
        opts.config,
      );
      const server = await startTessera(config, { print: (line) => console.log(line) });
      console.log(`Tessera is serving on ${server.url} (OpenAI API at ${server.url}/v1)`);
      const stop = async (signal: string) => {
        console.log(`\n${signal}: shutting down...`);
        await server.close();
        process.exit(0);
      };
      process.once('SIGINT', () => void stop('SIGINT'));
      process.once('SIGTERM', () => void stop('SIGTERM'));
    });
}
