/**
 * Reads the configuration layers the CLI is given: the optional JSON file (`--config`,
 * `$TESSERA_CONFIG`, else `./tessera.config.json` when present), the `TESSERA_*` environment,
 * and flags; `compileConfig` merges and validates them.
 */
import { existsSync, readFileSync } from 'node:fs';
import { compileConfig, configFromEnv, type Config } from '../core/config.js';

export function loadConfig(
  flags: Record<string, unknown>,
  env: Record<string, string | undefined>,
  configPath?: string,
): Config {
  const path = configPath ?? env.TESSERA_CONFIG ?? (existsSync('tessera.config.json') ? 'tessera.config.json' : undefined);
  let fileLayer: Record<string, unknown> = {};
  if (path) {
    let text: string;
    try {
      text = readFileSync(path, 'utf8');
    } catch (err) {
      throw new Error(`Cannot read the config file ${path}: ${(err as Error).message}`, { cause: err });
    }
    try {
      fileLayer = JSON.parse(text) as Record<string, unknown>;
    } catch (err) {
      throw new Error(`The config file ${path} is not valid JSON: ${(err as Error).message}`, { cause: err });
    }
  }
  return compileConfig(fileLayer, configFromEnv(env), flags);
}
