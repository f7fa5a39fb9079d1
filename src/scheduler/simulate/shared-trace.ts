/**
 * Test support: finds the shared Alibaba trace (../shared/data/alibaba-gpu-v2023 beside the repo)
 * from the working directory or this file's location; null when it is not there.
 */
import { existsSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

export function sharedTraceDir(): string | null {
  const starts = [resolve(process.cwd()), dirname(fileURLToPath(import.meta.url))];
  for (const start of starts) {
    let dir = start;
    for (let i = 0; i < 10; i++) {
      for (const candidate of [join(dir, '..', 'shared', 'data', 'alibaba-gpu-v2023'), join(dir, 'shared', 'data', 'alibaba-gpu-v2023')]) {
        if (existsSync(join(candidate, 'openb_pod_list_default.csv'))) return candidate;
      }
      const parent = dirname(dir);
      if (parent === dir) break;
      dir = parent;
    }
  }
  return null;
}
