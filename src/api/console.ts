/**
 * Serves the built web console (console/dist, made by `npm run build`) at `/`. The console is a
 * static single-page app that signs in with an API key and talks to /v1 and /api like any client,
 * so its files need no authentication.
 *
 * - `/assets/*` are content-hashed by Vite: cached for a year, immutable.
 * - Any other GET that names no file (`/chat/123`, `/usage`) gets index.html, revalidated on every
 *   load (`no-cache` + ETag), so a new build is picked up at once. Paths with a file extension that
 *   do not exist are 404, as are unknown /v1 and /api paths (in the API's error shape).
 * - Files are read when asked, so building the console while the server runs works; a server
 *   without a build answers `/` with a note saying how to build it.
 */
import { readFile, stat } from 'node:fs/promises';
import { extname, resolve, sep } from 'node:path';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { TesseraError } from '../core/errors.js';

const TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.json': 'application/json; charset=utf-8',
  '.map': 'application/json; charset=utf-8',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.ico': 'image/x-icon',
  '.woff2': 'font/woff2',
  '.txt': 'text/plain; charset=utf-8',
};

/**
 * The page may talk only to its own origin. Images are limited to the origin too: a model reply
 * rendered as Markdown must not be able to make the browser fetch (and leak data to) another host.
 */
const CONTENT_SECURITY_POLICY = [
  "default-src 'self'",
  "script-src 'self'",
  "style-src 'self' 'unsafe-inline'",
  "img-src 'self' data:",
  "connect-src 'self'",
  "base-uri 'none'",
  "form-action 'self'",
  "frame-ancestors 'none'",
].join('; ');

/** Paths owned by the API: never answered with the console's index.html. */
const API_PREFIXES = ['/v1/', '/api/'];

export function registerConsole(app: FastifyInstance, distDir: string): void {
  const root = resolve(distDir);

  /** The file under `root` that `urlPath` names, or null when it escapes `root` or is malformed. */
  const fileFor = (urlPath: string): string | null => {
    let decoded: string;
    try {
      decoded = decodeURIComponent(urlPath);
    } catch {
      return null;
    }
    if (decoded.includes('\0')) return null;
    const file = resolve(root, `.${decoded}`);
    return file.startsWith(root + sep) ? file : null;
  };

  /** Sends `file`, or returns null when there is no such file. */
  async function send(request: FastifyRequest, reply: FastifyReply, file: string, cacheControl: string): Promise<FastifyReply | null> {
    const info = await stat(file).catch(() => null);
    if (!info?.isFile()) return null;
    const etag = `"${info.size.toString(16)}-${Math.floor(info.mtimeMs).toString(16)}"`;
    reply
      .header('cache-control', cacheControl)
      .header('etag', etag)
      .header('x-content-type-options', 'nosniff')
      .type(TYPES[extname(file)] ?? 'application/octet-stream');
    if (extname(file) === '.html') reply.header('content-security-policy', CONTENT_SECURITY_POLICY).header('referrer-policy', 'no-referrer');
    if (request.headers['if-none-match'] === etag) return reply.code(304).send();
    return reply.send(await readFile(file));
  }

  async function sendIndex(request: FastifyRequest, reply: FastifyReply): Promise<FastifyReply> {
    const sent = await send(request, reply, resolve(root, 'index.html'), 'no-cache');
    if (sent) return sent;
    return reply
      .code(503)
      .type('text/plain; charset=utf-8')
      .send(`The web console is not built (no ${resolve(root, 'index.html')}). Run \`npm run build\`; the API works without it.`);
  }

  app.get('/', sendIndex);

  app.get('/*', async (request, reply) => {
    const path = request.url.split('?')[0];
    if (API_PREFIXES.some((prefix) => path.startsWith(prefix))) {
      // The same answer the API's not-found handler gives: clients of /v1 and /api get JSON.
      throw new TesseraError('not_found', `Unknown route: ${request.method} ${path}`);
    }
    const file = fileFor(path);
    if (file === null) throw new TesseraError('not_found', `Unknown route: ${request.method} ${path}`);
    const immutable = path.startsWith('/assets/');
    const sent = await send(request, reply, file, immutable ? 'public, max-age=31536000, immutable' : 'no-cache');
    if (sent) return sent;
    // A missing file is a 404; any other path is a console route that the app itself resolves.
    if (immutable || extname(path) !== '') throw new TesseraError('not_found', `Unknown route: ${request.method} ${path}`);
    return sendIndex(request, reply);
  });
}
