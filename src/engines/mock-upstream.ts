/**
 * A small OpenAI-compatible server on 127.0.0.1 (random port), for the openai engine's tests and
 * the gateway benchmark. node:http only, so it costs the benchmark almost nothing. Behaviour:
 * - a token is a whitespace-separated word; prompt tokens = words in all message contents;
 * - the reply is `reply` (or words chosen by a hash of (last message, seed)), cycled one word per
 *   token, `replyTokens` long unless `max_tokens` cuts it (finish `length`); a stop string ends it
 *   before the first occurrence (finish `stop`, the word holding it counted, as the fake engine);
 * - offered tools (tool_choice not `none`) are answered with one call, its arguments streamed in
 *   three fragments as OpenAI does;
 * - `failure` injects an HTTP status, or a stream that breaks (socket destroyed) after N tokens;
 * - `tokenDelayMs` delays every streamed frame (the first too): time to first token and between tokens;
 * - a client that goes away mid-reply is counted in `cancelled` (tests of abort wait on it).
 */
import { createHash } from 'node:crypto';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

const WORDS = ['alpha', 'bravo', 'charlie', 'delta', 'echo', 'foxtrot', 'golf', 'hotel', 'india', 'juliet', 'kilo', 'lima'];

export type MockFailure =
  | { type: 'status'; status: number; message?: string; code?: string; retryAfterS?: number }
  | { type: 'break'; afterTokens: number };

export interface MockUpstreamOptions {
  /** When set, every request must send `Authorization: Bearer <apiKey>` (else 401). */
  apiKey?: string;
  /** Model ids listed and accepted; another id gets 404. */
  models: string[];
  /** Prompt words above this are refused with 400 `context_length_exceeded`. */
  contextLength: number;
  /** Reply text, cycled word by word; default: words chosen by a hash of (last message, seed). */
  reply?: string;
  /** Tokens in a reply that `max_tokens` does not cut. */
  replyTokens: number;
  /** Delay before each streamed token (ms); 0 writes the whole stream at once. */
  tokenDelayMs: number;
  /** False mimics upstreams that never report usage (then the engine estimates). */
  sendUsage: boolean;
  failure?: MockFailure;
  embeddingDims: number;
}

export interface MockUpstream {
  /** Base URL including `/v1`, as an operator would declare it. */
  readonly url: string;
  /** Changes behaviour for later requests. */
  set(options: Partial<MockUpstreamOptions>): void;
  /** The last request's parsed body and Authorization header. */
  readonly last: { path: string; body: Record<string, unknown>; authorization?: string } | undefined;
  readonly requests: number;
  /** Replies whose client went away before the reply ended. */
  readonly cancelled: number;
  /** Resolves once `requests` reaches `count` (the request has been read and is being answered). */
  waitForRequests(count: number): Promise<void>;
  /** Resolves once `cancelled` reaches `count`. */
  waitForCancelled(count: number): Promise<void>;
  close(): Promise<void>;
}

const DEFAULTS: Readonly<MockUpstreamOptions> = Object.freeze({
  models: ['mock-model'],
  contextLength: 4096,
  replyTokens: 16,
  tokenDelayMs: 0,
  sendUsage: true,
  embeddingDims: 8,
});

interface Reply {
  pieces: string[];
  finish: 'stop' | 'length' | 'tool_calls';
  completionTokens: number;
  toolName?: string;
}

function words(text: string): number {
  return text.split(/\s+/).filter(Boolean).length;
}

function contentText(content: unknown): string {
  if (typeof content === 'string') return content;
  if (Array.isArray(content)) return content.map((p: { text?: string }) => p.text ?? '').join(' ');
  return '';
}

function replyWords(options: MockUpstreamOptions, seedText: string, seed: unknown): string[] {
  if (options.reply !== undefined) return options.reply.split(/\s+/).filter(Boolean);
  const digest = createHash('sha256').update(`${seedText}\u0000${String(seed ?? 0)}`).digest();
  return Array.from(digest, (byte) => WORDS[byte % WORDS.length]);
}

function planReply(options: MockUpstreamOptions, body: Record<string, unknown>, seedText: string): Reply {
  const tools = body.tools as Array<{ function: { name: string } }> | undefined;
  const choice = body.tool_choice as string | { function: { name: string } } | undefined;
  if (tools?.length && choice !== 'none') {
    const toolName = typeof choice === 'object' ? choice.function.name : tools[0].function.name;
    const args = JSON.stringify({ query: seedText.slice(0, 40) });
    const third = Math.ceil(args.length / 3);
    const pieces = [args.slice(0, third), args.slice(third, 2 * third), args.slice(2 * third)];
    return { pieces, finish: 'tool_calls', completionTokens: 3, toolName };
  }
  const vocabulary = replyWords(options, seedText, body.seed);
  const maxTokens = typeof body.max_tokens === 'number' ? body.max_tokens : Infinity;
  const limit = Math.min(options.replyTokens, maxTokens);
  const stops = body.stop === undefined || body.stop === null ? [] : ([] as string[]).concat(body.stop as string | string[]);
  const tokens = Array.from({ length: vocabulary.length > 0 ? limit : 0 }, (_, i) => `${vocabulary[i % vocabulary.length]} `);
  let text = '';
  for (let produced = 0; produced < tokens.length; produced++) {
    text += tokens[produced];
    const stopAt = stops.map((s) => text.indexOf(s)).filter((i) => i >= 0).sort((a, b) => a - b)[0];
    if (stopAt === undefined) continue;
    // Ends before the stop string even when it began in an earlier token: that text is held back
    // (as vLLM does), so the pieces are the tokens cut at `stopAt`.
    const pieces: string[] = [];
    for (let i = 0, at = 0; i <= produced && at < stopAt; at += tokens[i++].length) pieces.push(tokens[i].slice(0, stopAt - at));
    return { pieces, finish: 'stop', completionTokens: produced + 1 };
  }
  const pieces = tokens;
  // Reaching max_tokens is `length` even when the reply would have ended there anyway (as OpenAI).
  return { pieces, finish: pieces.length === maxTokens ? 'length' : 'stop', completionTokens: pieces.length };
}

function sendJson(res: ServerResponse, status: number, payload: unknown, headers: Record<string, string> = {}): void {
  const text = JSON.stringify(payload);
  res.writeHead(status, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(text), ...headers });
  res.end(text);
}

function sendError(res: ServerResponse, status: number, message: string, code: string | null, headers?: Record<string, string>): void {
  const type = status === 429 ? 'rate_limit_error' : status >= 500 ? 'server_error' : 'invalid_request_error';
  sendJson(res, status, { error: { message, type, param: null, code } }, headers);
}

function usageOf(promptTokens: number, reply: Reply) {
  return { prompt_tokens: promptTokens, completion_tokens: reply.completionTokens, total_tokens: promptTokens + reply.completionTokens };
}

function embed(text: string, dims: number): number[] {
  const digest = createHash('sha256').update(text).digest();
  const vector = Array.from({ length: dims }, (_, i) => digest[i % digest.length] / 255 - 0.5);
  const norm = Math.hypot(...vector) || 1;
  return vector.map((v) => v / norm);
}

export async function startMockUpstream(initial: Partial<MockUpstreamOptions> = {}): Promise<MockUpstream> {
  let options: MockUpstreamOptions = { ...DEFAULTS, ...initial };
  let last: MockUpstream['last'];
  let requests = 0;
  let cancelled = 0;
  const waiters: Array<{ counter: () => number; count: number; resolve: () => void }> = [];

  function wake(): void {
    for (const waiter of waiters.filter((w) => w.counter() >= w.count)) {
      waiters.splice(waiters.indexOf(waiter), 1);
      waiter.resolve();
    }
  }

  function waitFor(counter: () => number, count: number): Promise<void> {
    return counter() >= count ? Promise.resolve() : new Promise((resolve) => void waiters.push({ counter, count, resolve }));
  }

  function streamReply(res: ServerResponse, kind: 'chat' | 'text', model: string, reply: Reply, promptTokens: number, includeUsage: boolean): void {
    const id = kind === 'chat' ? 'chatcmpl-mock' : 'cmpl-mock';
    const base = { id, object: kind === 'chat' ? 'chat.completion.chunk' : 'text_completion', created: 1700000000, model };
    const choice = (delta: Record<string, unknown> | string, finish: string | null) =>
      kind === 'chat' ? { index: 0, delta, finish_reason: finish } : { index: 0, text: delta, finish_reason: finish, logprobs: null };
    const frames: string[] = [];
    if (kind === 'chat') frames.push(JSON.stringify({ ...base, choices: [choice({ role: 'assistant', content: '' }, null)] }));
    reply.pieces.forEach((piece, i) => {
      let delta: Record<string, unknown> | string = kind === 'chat' ? { content: piece } : piece;
      if (reply.toolName) {
        const head = i === 0 ? { id: 'call_mock0', type: 'function', function: { name: reply.toolName, arguments: piece } } : {};
        delta = { tool_calls: [{ index: 0, function: { arguments: piece }, ...head }] };
      }
      frames.push(JSON.stringify({ ...base, choices: [choice(delta, null)] }));
    });
    frames.push(JSON.stringify({ ...base, choices: [choice(kind === 'chat' ? {} : '', reply.finish)] }));
    if (includeUsage && options.sendUsage) frames.push(JSON.stringify({ ...base, choices: [], usage: usageOf(promptTokens, reply) }));
    const events = frames.map((frame) => `data: ${frame}\n\n`);
    events.push('data: [DONE]\n\n');
    res.writeHead(200, { 'content-type': 'text/event-stream', 'cache-control': 'no-cache' });
    // Frame k carries token k-1 for chat (frame 0 is the role), token k for text completions.
    const tokenOffset = kind === 'chat' ? 1 : 0;
    const failure = options.failure?.type === 'break' ? options.failure : undefined;
    if (!options.tokenDelayMs) {
      if (failure) {
        // Destroyed once the bytes are handed to the socket, so the client sees them, then the break.
        res.write(events.slice(0, failure.afterTokens + tokenOffset).join(''), () => res.destroy());
      } else res.end(events.join(''));
      return;
    }
    const delay = options.tokenDelayMs;
    let next = 0;
    let timer: NodeJS.Timeout | undefined;
    // A client that leaves stops the reply; no timer outlives it (it would keep a test process alive).
    res.on('close', () => clearTimeout(timer));
    const tick = () => {
      if (res.destroyed) return;
      if (failure && next === failure.afterTokens + tokenOffset) return void res.destroy();
      res.write(events[next++]);
      if (next === events.length) res.end();
      else timer = setTimeout(tick, delay);
    };
    // Headers go out at once and every frame, the first too, waits: a model thinks before its first
    // token, and a client must be able to abort while nothing arrives.
    res.flushHeaders();
    timer = setTimeout(tick, delay);
  }

  function handle(req: IncomingMessage, res: ServerResponse, raw: string): void {
    requests += 1;
    wake(); // waiters resume after this handler has run to its end (they are promise callbacks)
    const path = (req.url ?? '').split('?')[0];
    let body: Record<string, unknown> = {};
    try {
      if (raw) body = JSON.parse(raw) as Record<string, unknown>;
    } catch {
      return sendError(res, 400, 'Invalid JSON body.', null);
    }
    last = { path, body, authorization: req.headers.authorization };
    if (options.apiKey !== undefined && req.headers.authorization !== `Bearer ${options.apiKey}`) {
      return sendError(res, 401, 'Incorrect API key provided.', 'invalid_api_key');
    }
    const failure = options.failure;
    if (failure?.type === 'status') {
      const headers: Record<string, string> = failure.retryAfterS !== undefined ? { 'retry-after': String(failure.retryAfterS) } : {};
      return sendError(res, failure.status, failure.message ?? `Injected failure ${failure.status}.`, failure.code ?? null, headers);
    }
    if (req.method === 'GET' && path === '/v1/models') {
      const data = options.models.map((id) => ({ id, object: 'model', created: 1700000000, owned_by: 'mock', max_model_len: options.contextLength }));
      return sendJson(res, 200, { object: 'list', data });
    }
    if (req.method !== 'POST') return sendError(res, 404, `No route ${req.method} ${path}.`, null);
    const model = String(body.model);
    if (!options.models.includes(model)) return sendError(res, 404, `The model \`${model}\` does not exist.`, 'model_not_found');

    if (path === '/v1/embeddings') {
      const input = ([] as string[]).concat(body.input as string | string[]);
      const data = input.map((text, index) => ({ object: 'embedding', index, embedding: embed(text, options.embeddingDims) }));
      const promptTokens = input.reduce((n, text) => n + words(text), 0);
      return sendJson(res, 200, { object: 'list', data, model, usage: { prompt_tokens: promptTokens, total_tokens: promptTokens } });
    }
    const kind = path === '/v1/chat/completions' ? 'chat' : path === '/v1/completions' ? 'text' : undefined;
    if (!kind) return sendError(res, 404, `No route POST ${path}.`, null);
    const messages = (body.messages ?? []) as Array<{ content?: unknown }>;
    const prompt = kind === 'chat' ? messages.map((m) => contentText(m.content)).join(' ') : contentText(([] as unknown[]).concat(body.prompt)[0]);
    const promptTokens = words(prompt);
    if (promptTokens > options.contextLength) {
      const message =
        `This model's maximum context length is ${options.contextLength} tokens. ` +
        `However, your messages resulted in ${promptTokens} tokens.`;
      return sendError(res, 400, message, 'context_length_exceeded');
    }
    const seedText = kind === 'chat' ? contentText(messages.at(-1)?.content) : prompt;
    const reply = planReply(options, body, seedText);
    const includeUsage = (body.stream_options as { include_usage?: boolean } | undefined)?.include_usage === true;
    res.on('close', () => {
      if (res.writableFinished) return;
      cancelled += 1;
      wake();
    });
    if (body.stream === true) return streamReply(res, kind, model, reply, promptTokens, includeUsage);
    const text = reply.pieces.join('');
    const usage = usageOf(promptTokens, reply);
    const toolCalls = reply.toolName ? [{ id: 'call_mock0', type: 'function', function: { name: reply.toolName, arguments: text } }] : undefined;
    const choice =
      kind === 'chat'
        ? { index: 0, message: { role: 'assistant', content: toolCalls ? null : text, tool_calls: toolCalls }, finish_reason: reply.finish }
        : { index: 0, text, finish_reason: reply.finish, logprobs: null };
    const object = kind === 'chat' ? 'chat.completion' : 'text_completion';
    sendJson(res, 200, { id: 'mock', object, created: 1700000000, model, choices: [choice], ...(options.sendUsage ? { usage } : {}) });
  }

  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => handle(req, res, Buffer.concat(chunks).toString('utf8')));
  });
  server.keepAliveTimeout = 60_000;
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;

  return {
    url: `http://127.0.0.1:${port}/v1`,
    set: (changes) => void (options = { ...options, ...changes }),
    get last() { return last; },
    get requests() { return requests; },
    get cancelled() { return cancelled; },
    waitForRequests: (count) => waitFor(() => requests, count),
    waitForCancelled: (count) => waitFor(() => cancelled, count),
    close: () =>
      new Promise((resolve, reject) => {
        server.close((err) => (err ? reject(err) : resolve()));
        server.closeAllConnections();
      }),
  };
}
