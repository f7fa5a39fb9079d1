/**
 * Column (d): llama.cpp's own `llama-server`, built from the same source as `llama-batched-bench`,
 * as the peer a real server is measured against: same model, `-np N` slots for N streams, the same
 * threads, per-slot context and flash-attention setting as the other columns, and the same requests
 * as the Tessera column (N concurrent streaming `/v1/completions`, fixed `max_tokens`, greedy) plus
 * `ignore_eos`, which llama-server understands and the OpenAI API has no field for.
 *
 * One server per stream count, started on a free loopback port and stopped after the row.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { createServer } from 'node:net';
import { request } from 'undici';

export interface LlamaServerOptions {
  binary: string;
  model: string;
  /** Slots (`-np`): one per stream. */
  slots: number;
  threads: number;
  /** Tokens per slot; the context is `perSequenceContext · slots` cells, split evenly among the slots. */
  perSequenceContext: number;
  flashAttention: 'on' | 'off' | 'auto';
  /** Layers offloaded to the GPU (`-ngl`); absent on a CPU build. */
  gpuLayers?: number;
  onProgress?: (line: string) => void;
}

export interface LlamaServerHandle {
  url: string;
  /** The command line, model path and port left out, for the record. */
  command: string;
  close(): Promise<void>;
}

/** Servers still running, stopped if the benchmark exits before closing them. */
const running = new Set<ChildProcess>();
process.once('exit', () => {
  for (const child of running) child.kill('SIGKILL');
});

export function llamaServerArgs(o: LlamaServerOptions, port: number): string[] {
  return [
    '-m', o.model,
    '--host', '127.0.0.1',
    '--port', String(port),
    '-np', String(o.slots),
    '-c', String(o.perSequenceContext * o.slots),
    '-t', String(o.threads),
    '-tb', String(o.threads),
    '-fa', o.flashAttention,
    '--no-webui',
    ...(o.gpuLayers === undefined ? [] : ['-ngl', String(o.gpuLayers)]),
  ];
}

export async function startLlamaServer(o: LlamaServerOptions): Promise<LlamaServerHandle> {
  const say = o.onProgress ?? (() => undefined);
  const port = await freePort();
  const args = llamaServerArgs(o, port);
  const command = ['llama-server', ...args].join(' ').replace(o.model, 'MODEL').replace(`--port ${port}`, '--port PORT');
  say(`[llama-server] starting: ${command}`);
  const child = spawn(o.binary, args, { stdio: ['ignore', 'pipe', 'pipe'] });
  running.add(child);
  const tail: string[] = [];
  let exited: string | undefined;
  const onData = (chunk: Buffer) => {
    for (const line of chunk.toString().split('\n')) {
      if (!line.trim()) continue;
      tail.push(line);
      if (tail.length > 30) tail.shift();
    }
  };
  child.stdout?.on('data', onData);
  child.stderr?.on('data', onData);
  const exitPromise = new Promise<void>((resolveExit) => {
    child.on('exit', (code, signal) => {
      exited = `exited with ${code ?? signal}`;
      running.delete(child);
      resolveExit();
    });
    child.on('error', (err) => {
      exited = `could not start: ${err.message}`;
      running.delete(child);
      resolveExit();
    });
  });
  const close = async (): Promise<void> => {
    if (exited === undefined) {
      child.kill('SIGTERM');
      const timer = setTimeout(() => child.kill('SIGKILL'), 10_000);
      await exitPromise;
      clearTimeout(timer);
    }
  };

  const url = `http://127.0.0.1:${port}`;
  const deadline = Date.now() + 180_000;
  try {
    // /health answers 503 while the model loads and 200 once the slots are ready.
    for (;;) {
      if (exited !== undefined) throw new Error(`llama-server ${exited}:\n${tail.join('\n')}`);
      if (Date.now() > deadline) throw new Error(`llama-server not ready after 180 s:\n${tail.join('\n')}`);
      const ok = await request(`${url}/health`, { headersTimeout: 2000, bodyTimeout: 2000 })
        .then(async (res) => {
          await res.body.dump();
          return res.statusCode === 200;
        })
        .catch(() => false);
      if (ok) break;
      await new Promise((r) => setTimeout(r, 250));
    }
  } catch (err) {
    await close();
    throw err;
  }
  say(`[llama-server] ready at ${url} (${o.slots} slot${o.slots > 1 ? 's' : ''})`);
  return { url, command, close };
}

function freePort(): Promise<number> {
  return new Promise((resolvePort, reject) => {
    const server = createServer();
    server.unref();
    server.on('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      const port = typeof address === 'object' && address ? address.port : 0;
      server.close(() => resolvePort(port));
    });
  });
}
