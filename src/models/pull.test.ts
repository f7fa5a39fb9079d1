import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { createServer, type Server } from 'node:http';
import { mkdtemp, readFile, readdir, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { pullModel, type PullProgress } from './pull.js';
import { createTestModel } from './test-model.js';

/** A file server that honours Range, and can cut a response after `cutAfter` bytes. */
function startFileServer(files: Map<string, Buffer>): Promise<{ url: string; server: Server; cutAfter: { bytes: number | null }; ranges: string[] }> {
  const cutAfter = { bytes: null as number | null };
  const ranges: string[] = [];
  const server = createServer((req, res) => {
    const body = files.get(req.url ?? '');
    if (!body) return void res.writeHead(404).end('no such file');
    const range = /^bytes=(\d+)-$/.exec(req.headers.range ?? '');
    ranges.push(req.headers.range ?? 'none');
    const start = range ? Number(range[1]) : 0;
    if (start >= body.length) return void res.writeHead(416).end();
    res.writeHead(range ? 206 : 200, { 'content-length': body.length - start, 'content-type': 'application/octet-stream' });
    const part = body.subarray(start);
    if (cutAfter.bytes !== null) {
      const n = cutAfter.bytes;
      cutAfter.bytes = null; // only the first response is cut
      // Give the client time to read what was sent before the connection is torn down.
      res.write(part.subarray(0, n), () => setTimeout(() => res.destroy(), 100));
    } else {
      res.end(part);
    }
  });
  return new Promise((resolve) => server.listen(0, '127.0.0.1', () => {
    const { port } = server.address() as { port: number };
    resolve({ url: `http://127.0.0.1:${port}`, server, cutAfter, ranges });
  }));
}

describe('pullModel', () => {
  let dir: string;
  let model: Buffer;
  let digest: string;
  let srv: Awaited<ReturnType<typeof startFileServer>>;

  before(async () => {
    dir = await mkdtemp(join(tmpdir(), 'tessera-pull-'));
    await createTestModel(join(dir, 'source.gguf'), { seed: 3 });
    model = await readFile(join(dir, 'source.gguf'));
    digest = createHash('sha256').update(model).digest('hex');
    srv = await startFileServer(new Map([['/m/Tiny-Model.gguf', model], ['/notes.gguf', Buffer.from('not a model at all')]]));
  });
  after(async () => {
    srv.server.close();
    await rm(dir, { recursive: true, force: true });
  });

  it('downloads a URL into NAME.gguf with progress, verifying the sha256', async () => {
    const dest = join(dir, 'a');
    const seen: PullProgress[] = [];
    const result = await pullModel({ source: `${srv.url}/m/Tiny-Model.gguf`, destDir: dest, sha256: digest, onProgress: (p) => seen.push(p) });
    assert.equal(result.name, 'tiny-model');
    assert.equal(result.sha256, digest);
    assert.deepEqual(await readFile(join(dest, 'tiny-model.gguf')), model);
    assert.deepEqual(seen.at(-1), { name: 'tiny-model', receivedBytes: model.length, totalBytes: model.length, resumedFromBytes: 0 });
    const again = await pullModel({ source: `${srv.url}/m/Tiny-Model.gguf`, destDir: dest });
    assert.equal(again.alreadyInstalled, true);
  });

  it('resumes with a Range request after the connection drops mid-file', async () => {
    const dest = join(dir, 'b');
    srv.cutAfter.bytes = 100_000;
    srv.ranges.length = 0;
    const result = await pullModel({ source: `${srv.url}/m/Tiny-Model.gguf`, destDir: dest, name: 'tiny', sha256: digest, retryDelayMs: 10 });
    assert.equal(srv.ranges.length, 2);
    const resumedFrom = Number(/^bytes=(\d+)-$/.exec(srv.ranges[1])?.[1]);
    assert.ok(resumedFrom > 0 && resumedFrom <= 100_000, `second request asked for ${srv.ranges[1]}`);
    assert.equal(result.sha256, digest);
    assert.deepEqual(await readFile(result.path), model);
  });

  it('resumes a partial file left by an earlier run', async () => {
    const dest = join(dir, 'c');
    await rm(dest, { recursive: true, force: true });
    await pullModel({ source: `${srv.url}/m/Tiny-Model.gguf`, destDir: dest, name: 'warmup' }); // creates the dir
    await writeFile(join(dest, 'tiny.gguf.partial'), model.subarray(0, 54_321));
    srv.ranges.length = 0;
    const result = await pullModel({ source: `${srv.url}/m/Tiny-Model.gguf`, destDir: dest, name: 'tiny', sha256: digest });
    assert.deepEqual(srv.ranges, ['bytes=54321-']);
    assert.equal(result.sha256, digest);
  });

  it('refuses a checksum mismatch, a missing file and a non-GGUF file, installing nothing', async () => {
    const dest = join(dir, 'd');
    await assert.rejects(
      pullModel({ source: `${srv.url}/m/Tiny-Model.gguf`, destDir: dest, sha256: '0'.repeat(64) }),
      { code: 'checksum_mismatch' },
    );
    await assert.rejects(pullModel({ source: `${srv.url}/nope.gguf`, destDir: dest }), { code: 'download_failed', message: /HTTP 404/ });
    await assert.rejects(pullModel({ source: `${srv.url}/notes.gguf`, destDir: dest }), { code: 'invalid_gguf' });
    assert.deepEqual(await readdir(dest), []);
  });

  it('refuses names that are neither catalog entries nor URLs', async () => {
    await assert.rejects(pullModel({ source: 'not-a-model', destDir: join(dir, 'e') }), { code: 'model_not_found' });
    await assert.rejects(stat(join(dir, 'e', 'not-a-model.gguf')));
  });
});
