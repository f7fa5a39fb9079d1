/**
 * The one configuration schema. Sources, lowest to highest precedence: defaults → config file
 * (JSON) → environment (`TESSERA_*`) → CLI flags. The merged object is validated once at start-up
 * (unknown keys rejected with the path of the offending key), then frozen. Only `main.ts` and the
 * CLI read `process.env`; they hand the raw layers to `compileConfig`.
 */
import { z } from 'zod';
import { TesseraError } from './errors.js';

const modelDeclaration = z
  .strictObject({
    name: z.string().min(1).describe('Name clients send as `model`.'),
    engine: z.enum(['llama', 'openai', 'fake']),
    file: z.string().optional().describe('GGUF path (engine llama).'),
    url: z.string().url().optional().describe('Base URL of an OpenAI-compatible upstream, e.g. http://gpu1:8000/v1.'),
    apiKey: z.string().optional().describe('Bearer key for the upstream; never logged.'),
    upstreamModel: z.string().optional().describe('Model name the upstream expects, when it differs.'),
    contextLength: z.number().int().positive().optional(),
  })
  .refine((m) => m.engine !== 'openai' || m.url !== undefined, { message: 'engine "openai" needs a url' })
  .refine((m) => m.engine !== 'llama' || m.file !== undefined, { message: 'engine "llama" needs a file' });

export const configSchema = z.strictObject({
  host: z.string().default('127.0.0.1').describe('Interface to listen on.'),
  port: z.number().int().min(0).max(65535).default(8080).describe('TCP port; 0 picks a free one.'),
  dataDir: z.string().default('./.tessera').describe('Where the database, models and logs live.'),
  databaseUrl: z.string().optional().describe('postgres://… for PostgreSQL; default is SQLite in dataDir.'),
  model: z
    .string()
    .optional()
    .describe('Model to load at start: a name in the models dir, a catalog name, or a GGUF path.'),
  gpu: z.enum(['auto', 'off', 'cuda', 'vulkan', 'metal']).default('auto').describe('Accelerator backend for llama.cpp.'),
  threads: z.number().int().positive().optional().describe('CPU threads for llama.cpp; default = available cores.'),
  contextSize: z.number().int().min(64).default(4096).describe('Context window per sequence, in tokens.'),
  parallel: z
    .number()
    .int()
    .min(1)
    .max(256)
    .optional()
    .describe('Sequences decoded together per loaded model; default: as many as free memory holds, at most 16 on a CPU.'),
  nativeLoop: z
    .enum(['auto', 'off', 'require'])
    .default('auto')
    .describe("llama engine: Tessera's native decode loop when built (auto), never (off), or fail without it (require)."),
  bodyLimit: z
    .number()
    .int()
    .positive()
    .default(4 * 1024 * 1024)
    .describe('Largest accepted request body, in bytes.'),
  maxQueue: z.number().int().min(0).default(256).describe('Requests allowed to wait for a sequence before 503.'),
  logLevel: z
    .enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'])
    .default('info')
    .describe('Log verbosity (pino levels).'),
  offline: z.boolean().default(false).describe('Never try to download the default model.'),
  models: z.array(modelDeclaration).default([]).describe('Models served besides the default one.'),
});

export type Config = Readonly<z.infer<typeof configSchema>>;
export type ModelDeclaration = z.infer<typeof modelDeclaration>;
type RawLayer = Record<string, unknown>;

/** Environment variable → config key, with the parser for its text. */
const envBindings: Record<string, { key: keyof z.infer<typeof configSchema>; parse: (v: string) => unknown }> = {
  TESSERA_HOST: { key: 'host', parse: String },
  TESSERA_PORT: { key: 'port', parse: Number },
  TESSERA_DATA_DIR: { key: 'dataDir', parse: String },
  TESSERA_DATABASE_URL: { key: 'databaseUrl', parse: String },
  TESSERA_MODEL: { key: 'model', parse: String },
  TESSERA_GPU: { key: 'gpu', parse: String },
  TESSERA_THREADS: { key: 'threads', parse: Number },
  TESSERA_CONTEXT_SIZE: { key: 'contextSize', parse: Number },
  TESSERA_PARALLEL: { key: 'parallel', parse: Number },
  TESSERA_NATIVE_LOOP: { key: 'nativeLoop', parse: String },
  TESSERA_BODY_LIMIT: { key: 'bodyLimit', parse: Number },
  TESSERA_MAX_QUEUE: { key: 'maxQueue', parse: Number },
  TESSERA_LOG_LEVEL: { key: 'logLevel', parse: String },
  TESSERA_OFFLINE: { key: 'offline', parse: (v) => v === '1' || v.toLowerCase() === 'true' },
};

/** Picks the `TESSERA_*` variables out of an environment. `TESSERA_CONFIG` names the file, not a key. */
export function configFromEnv(env: Record<string, string | undefined>): RawLayer {
  const layer: RawLayer = {};
  for (const [name, binding] of Object.entries(envBindings)) {
    const value = env[name];
    if (value !== undefined && value !== '') layer[binding.key] = binding.parse(value);
  }
  return layer;
}

/** Documentation rows for the README's configuration table, generated from the schema itself. */
export function describeConfig(): Array<{ key: string; env: string | null; default: string; description: string }> {
  const envByKey = new Map(Object.entries(envBindings).map(([env, b]) => [b.key as string, env]));
  return Object.entries(configSchema.shape).map(([key, field]) => {
    const parsed = z.object({ v: field }).safeParse({});
    const def = parsed.success ? JSON.stringify(parsed.data.v) : '';
    return { key, env: envByKey.get(key) ?? null, default: def ?? '', description: field.description ?? '' };
  });
}

/**
 * Merges the layers (later wins; `undefined` values do not override) and validates the result.
 * Throws `TesseraError('invalid_config')` naming every offending key.
 */
export function compileConfig(...layers: RawLayer[]): Config {
  const merged: RawLayer = {};
  for (const layer of layers) {
    for (const [key, value] of Object.entries(layer)) if (value !== undefined) merged[key] = value;
  }
  const result = configSchema.safeParse(merged);
  if (!result.success) {
    const problems = result.error.issues.map((issue) => {
      const path = issue.path.join('.') || '(root)';
      return issue.code === 'unrecognized_keys'
        ? `unknown key${issue.keys.length > 1 ? 's' : ''} ${issue.keys.map((k) => `"${[...issue.path, k].join('.')}"`).join(', ')}`
        : `${path}: ${issue.message}`;
    });
    throw new TesseraError('invalid_config', `Invalid configuration: ${problems.join('; ')}`);
  }
  return deepFreeze(result.data);
}

function deepFreeze<T>(value: T): T {
  if (value && typeof value === 'object') {
    for (const inner of Object.values(value)) deepFreeze(inner);
    Object.freeze(value);
  }
  return value;
}
