/**
 * The installed models: `NAME.gguf` files in one directory (`<dataDir>/models`). A file is its
 * own record — no index to drift out of sync; `.partial` files are downloads in progress.
 */
import { copyFile, readdir, rename, rm, stat } from 'node:fs/promises';
import { basename, join } from 'node:path';
import { TesseraError } from '../core/errors.js';
import { inspectGguf, type ModelInfo } from './inspect.js';

export interface InstalledModel {
  name: string;
  path: string;
  info: ModelInfo | null;
  /** Why `info` is null: the file is there but not a readable GGUF. */
  error?: string;
}

const NAME = /^[a-z0-9][a-z0-9._-]*$/i;

export function createModelLibrary(dir: string) {
  const pathOf = (name: string): string => join(dir, `${name}.gguf`);

  return {
    dir,
    pathOf,

    async list(): Promise<InstalledModel[]> {
      const files = (await readdir(dir).catch(() => [] as string[])).filter((f) => f.endsWith('.gguf')).sort();
      return Promise.all(files.map(async (file) => {
        const path = join(dir, file);
        const name = file.slice(0, -'.gguf'.length);
        try {
          return { name, path, info: await inspectGguf(path) };
        } catch (err) {
          return { name, path, info: null, error: (err as Error).message };
        }
      }));
    },

    async get(name: string): Promise<InstalledModel | null> {
      const path = pathOf(name);
      if (!(await stat(path).catch(() => null))) return null;
      return { name, path, info: await inspectGguf(path) };
    },

    /** Copies a GGUF into the library after checking it is one; refuses to overwrite. */
    async import(file: string, name = basename(file).replace(/\.gguf$/i, '').toLowerCase()): Promise<InstalledModel> {
      if (!NAME.test(name)) throw new TesseraError('invalid_request', `"${name}" is not a usable model name (letters, digits, . _ - only).`);
      const info = await inspectGguf(file);
      const path = pathOf(name);
      if (await stat(path).catch(() => null)) throw new TesseraError('model_exists', `A model named "${name}" is already installed (${path}).`);
      const partial = `${path}.partial`;
      await copyFile(file, partial);
      await rename(partial, path);
      return { name, path, info: { ...info, path } };
    },

    async remove(name: string): Promise<boolean> {
      const path = pathOf(name);
      const existed = Boolean(await stat(path).catch(() => null));
      await rm(path, { force: true });
      await rm(`${path}.partial`, { force: true });
      return existed;
    },
  };
}

export type ModelLibrary = ReturnType<typeof createModelLibrary>;
