/**
 * Flags of the small bench/serve scripts (loop.ts, prefix.ts, memory.ts): `--name value` pairs
 * with defaults, and the model they use unless told otherwise (the one `bench/serve/run.ts` generates).
 */
export const DEFAULT_BENCH_MODEL = 'bench/work/models/qwen2.5-0.5b-shape-q8_0-seed1.gguf';

/** Reads `--flag value` from `args` (default: this process's arguments), else `fallback`. */
export function flagValue(flag: string, fallback: string, args: string[] = process.argv.slice(2)): string {
  const at = args.indexOf(flag);
  return at >= 0 && args[at + 1] ? args[at + 1]! : fallback;
}
