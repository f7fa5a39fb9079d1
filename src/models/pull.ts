/**
 * Downloads a GGUF by catalog name or URL into the models directory, the way a flaky network
 * needs: into `NAME.gguf.partial`, resumed with an HTTP Range request after a dropped connection
 * (in this run, after automatic retries, or in a later run), sha256-verified while streaming,
 * checked to be a GGUF, and only then renamed to `NAME.gguf`.
 */
import { createHash, type Hash } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { mkdir, open, rename, rm, stat } from 'node:fs/promises';
import { basename, join } from 'node:path';
import { Agent, interceptors, request, type Dispatcher } from 'undici';
import { TesseraError } from '../core/errors.js';
import { resolveCatalogEntry } from './catalog.js';
import { readGgufHeader } from './gguf/reader.js';

export interface PullProgress {
  name: string;
  receivedBytes: number;
  /** Null until the server says (no Content-Length). */
  totalBytes: number | null;
  /** Bytes that were already on disk from an earlier, interrupted download. */
  resumedFromBytes: number;
}

export interface PullOptions {
  /** A catalog name (`qwen2.5-0.5b-instruct-q4_k_m`) or an http(s) URL of a .gguf file. */
  source: string;
  destDir: string;
  /** Installed name; defaults to the catalog name or the URL's file name without `.gguf`. */
  name?: string;
  /** Expected sha256 (hex); defaults to the catalog's when it has one. */
  sha256?: string;
  onProgress?: (progress: PullProgress) => void;
  signal?: AbortSignal;
  /** Attempts after a dropped connection before giving up (the partial file is kept). */
  retries?: number;
  retryDelayMs?: number;
  dispatcher?: Dispatcher;
}

export interface PullResult {
  name: string;
  path: string;
  bytes: number;
  sha256: string;
  /** True when the file was already installed and nothing was downloaded. */
  alreadyInstalled: boolean;
}

const defaultDispatcher = new Agent({ connect: { timeout: 30_000 } }).compose(interceptors.redirect({ maxRedirections: 10 }));

export function resolvePullSource(source: string, name?: string): { url: string; name: string; sha256?: string } {
  if (/^https?:\/\//i.test(source)) {
    const file = basename(new URL(source).pathname);
    const stem = name ?? file.replace(/\.gguf$/i, '').toLowerCase();
    if (!stem) throw new TesseraError('invalid_request', `Cannot tell a model name from ${source}; pass a name.`);
    return { url: source, name: stem };
  }
  const entry = resolveCatalogEntry(source);
  if (!entry) {
    throw new TesseraError('model_not_found', `"${source}" is not in the catalog and is not an http(s) URL. See \`tessera models list --catalog\`.`);
  }
  return { url: entry.url, name: name ?? entry.name, sha256: entry.sha256 };
}

export async function pullModel(options: PullOptions): Promise<PullResult> {
  const { url, name, sha256: catalogSha } = resolvePullSource(options.source, options.name);
  if (!/^[a-z0-9][a-z0-9._-]*$/i.test(name)) {
    throw new TesseraError('invalid_request', `"${name}" is not a usable model name (letters, digits, . _ - only).`);
  }
  const expected = (options.sha256 ?? catalogSha)?.toLowerCase();
  await mkdir(options.destDir, { recursive: true });
  const path = join(options.destDir, `${name}.gguf`);
  const partial = `${path}.partial`;

  const installed = await stat(path).catch(() => null);
  if (installed) {
    const sha256 = await hashFile(path);
    if (expected && sha256 !== expected) throw checksumError(path, expected, sha256);
    return { name, path, bytes: installed.size, sha256, alreadyInstalled: true };
  }

  const retries = options.retries ?? 5;
  const digest: DigestState = { hash: createHash('sha256'), bytes: 0, coversPartial: false };
  for (let attempt = 0; ; attempt++) {
    try {
      await downloadOnce(url, partial, name, digest, options);
      break;
    } catch (err) {
      const retryable = !(err instanceof TesseraError) && !options.signal?.aborted;
      if (!retryable || attempt >= retries) {
        if (err instanceof TesseraError) throw err;
        const kept = digest.bytes > 0 ? ` ${digest.bytes} bytes are kept in ${partial}; run pull again to resume.` : '';
        throw new TesseraError('download_failed', `Downloading ${url} failed: ${(err as Error).message}.${kept}`, { cause: err });
      }
      await new Promise((r) => setTimeout(r, (options.retryDelayMs ?? 1000) * (attempt + 1)));
    }
  }

  const sha256 = digest.hash.digest('hex');
  if (expected && sha256 !== expected) {
    await rm(partial, { force: true });
    throw checksumError(url, expected, sha256);
  }
  try {
    await readGgufHeader(partial);
  } catch (err) {
    await rm(partial, { force: true });
    throw new TesseraError('invalid_gguf', `${url} is not a GGUF model: ${(err as Error).message}`, { cause: err });
  }
  await rename(partial, path);
  return { name, path, bytes: digest.bytes, sha256, alreadyInstalled: false };
}

/** The running sha256 of the partial file: `bytes` of it have been hashed. */
interface DigestState {
  hash: Hash;
  bytes: number;
  coversPartial: boolean;
}

/**
 * One HTTP attempt, resuming from what `partial` holds. Throws a TesseraError for answers a
 * retry cannot fix (404, 403, …) and a plain Error for a dropped connection (retried).
 */
async function downloadOnce(url: string, partial: string, name: string, digest: DigestState, options: PullOptions): Promise<void> {
  if (!digest.coversPartial) {
    // A partial file left by an earlier run: hash it first so the digest covers the whole file.
    digest.bytes = await hashInto(partial, digest.hash);
    digest.coversPartial = true;
  }
  const res = await request(url, {
    method: 'GET',
    headers: digest.bytes > 0 ? { range: `bytes=${digest.bytes}-` } : {},
    dispatcher: options.dispatcher ?? defaultDispatcher,
    signal: options.signal,
  });
  if (res.statusCode === 416 && digest.bytes > 0) {
    await res.body.dump();
    return; // the partial file already holds everything
  }
  if (res.statusCode !== 200 && res.statusCode !== 206) {
    await res.body.dump();
    throw new TesseraError('download_failed', `Downloading ${url} failed: the server answered HTTP ${res.statusCode}.`);
  }
  const resumed = res.statusCode === 206;
  if (!resumed && digest.bytes > 0) {
    // The server ignored the Range header and sends the whole file: start over.
    digest.hash = createHash('sha256');
    digest.bytes = 0;
  }
  const length = Number(res.headers['content-length']);
  const totalBytes = Number.isFinite(length) ? digest.bytes + length : null;
  const resumedFromBytes = digest.bytes;
  const file = await open(partial, resumed ? 'a' : 'w');
  let lastReport = 0;
  try {
    for await (const chunk of res.body as AsyncIterable<Buffer>) {
      await file.write(chunk);
      digest.hash.update(chunk);
      digest.bytes += chunk.length;
      const now = performance.now();
      if (now - lastReport > 100) {
        lastReport = now;
        options.onProgress?.({ name, receivedBytes: digest.bytes, totalBytes, resumedFromBytes });
      }
    }
  } finally {
    await file.close();
  }
  if (totalBytes !== null && digest.bytes !== totalBytes) throw new Error(`connection closed after ${digest.bytes} of ${totalBytes} bytes`);
  options.onProgress?.({ name, receivedBytes: digest.bytes, totalBytes: totalBytes ?? digest.bytes, resumedFromBytes });
}

/** Feeds a file (absent = empty) into `hash`; returns its length. */
async function hashInto(path: string, hash: Hash): Promise<number> {
  let bytes = 0;
  try {
    for await (const chunk of createReadStream(path) as AsyncIterable<Buffer>) {
      hash.update(chunk);
      bytes += chunk.length;
    }
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
  }
  return bytes;
}

async function hashFile(path: string): Promise<string> {
  const hash = createHash('sha256');
  await hashInto(path, hash);
  return hash.digest('hex');
}

function checksumError(what: string, expected: string, actual: string): TesseraError {
  return new TesseraError('checksum_mismatch', `${what} has sha256 ${actual}, expected ${expected}. The file was not installed.`);
}
