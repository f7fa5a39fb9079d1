/**
 * The Engine contract: what every way of running a model (embedded llama.cpp, an upstream
 * OpenAI-compatible server, the deterministic fake) offers to the layers above. The shared
 * conformance suite in `conformance.ts` checks every implementation against it.
 *
 * Contracts:
 * - `chat`/`complete` return an async iterable of events. Refusals that can be known before
 *   generation starts (prompt longer than the context, unsupported feature) are thrown as
 *   `TesseraError` from the first `next()`, before any event, so the HTTP layer can still answer
 *   with a proper status code.
 * - Every stream that starts ends with exactly one `done` event carrying the real token counts,
 *   also when `signal` aborts (finishReason `abort`, usage = tokens actually produced). Consumers
 *   that want to stop abort the signal and keep reading until `done`; they never `break` early.
 * - The one exception: an engine that fails mid-generation (an upstream connection breaks) throws
 *   a `TesseraError` from `next()` after the events it did produce; there is no honest `done` to
 *   send. Consumers treat the throw as the end and record what was streamed.
 * - `signal` may be shared by many requests and outlive each of them (the HTTP layer passes one
 *   per client connection). Whatever an engine adds to it (an `abort` listener) it removes when
 *   the request ends, and it never passes it to `AbortSignal.any` (core/abort.ts says why).
 * - Text deltas concatenate to the full completion text (no `stop` sequence included).
 * - Token counts are the engine's own tokenizer counts, never estimates.
 */

export type JsonSchema = Record<string, unknown>;

export interface Sampling {
  /** 0 = greedy. Default 1 (OpenAI's default). */
  temperature?: number;
  topP?: number;
  topK?: number;
  /** Same seed + same request + same thread count = same output. */
  seed?: number;
  maxTokens?: number;
  /** Up to 4 strings; generation ends before the first occurrence, which is not returned. */
  stop?: string[];
  presencePenalty?: number;
  frequencyPenalty?: number;
}

export interface ToolCall {
  id: string;
  name: string;
  /** JSON text, as OpenAI sends it. */
  arguments: string;
}

export interface ChatMessage {
  role: 'system' | 'user' | 'assistant' | 'tool';
  content: string | null;
  name?: string;
  toolCalls?: ToolCall[];
  toolCallId?: string;
}

export interface ToolDefinition {
  name: string;
  description?: string;
  parameters?: JsonSchema;
}

export type ToolChoice = 'none' | 'auto' | 'required' | { name: string };

export type ResponseFormat =
  | { type: 'text' }
  | { type: 'json_object' }
  | { type: 'json_schema'; name?: string; schema: JsonSchema };

export interface ChatRequest {
  messages: ChatMessage[];
  sampling: Sampling;
  responseFormat?: ResponseFormat;
  tools?: ToolDefinition[];
  toolChoice?: ToolChoice;
  /** The validated OpenAI request body, for engines that pass requests through (openai upstream). */
  raw?: Record<string, unknown>;
}

export interface CompletionRequest {
  prompt: string;
  sampling: Sampling;
  raw?: Record<string, unknown>;
}

export interface Usage {
  promptTokens: number;
  completionTokens: number;
  /** Prompt tokens served from a reused KV-cache prefix (billed as cached input later). */
  cachedPromptTokens?: number;
}

export type FinishReason = 'stop' | 'length' | 'tool_calls' | 'abort';

export type EngineEvent =
  /**
   * `usage`, when the engine knows it: the request's tokens so far (prompt, and completion up to
   * and including this text). Metering journals it so a crash bills what was delivered.
   */
  | { type: 'text'; text: string; usage?: Usage }
  | { type: 'tool_calls'; calls: ToolCall[] }
  | { type: 'done'; finishReason: FinishReason; usage: Usage };

export interface EmbeddingResult {
  embeddings: number[][];
  promptTokens: number;
}

export interface EngineCapabilities {
  chat: boolean;
  completion: boolean;
  embeddings: boolean;
  tools: boolean;
  jsonSchema: boolean;
}

export interface EngineInfo {
  /** The name clients use in `model`. */
  name: string;
  kind: EngineKind;
  contextLength: number;
  capabilities: EngineCapabilities;
  /** True for generated test models: their output is noise, and clients are told so. */
  randomWeights: boolean;
  /** Where it runs, e.g. `cpu`, `cuda`, `vulkan`, `metal`, or the upstream URL's host. */
  device: string;
}

export interface EngineStats {
  /** Sequences currently decoding. */
  active: number;
  /** Requests waiting for a free sequence. */
  queued: number;
  /** Sequences the engine can decode together. */
  slots: number;
  /** Engines with a decode loop of their own: its steps and where its time went, in ms. */
  decodeLoop?: { steps: number; decodeMs: number; sampleMs: number; busyMs: number; graphsReused: number };
}

export type EngineKind = 'llama' | 'openai' | 'fake';

export interface Engine {
  readonly info: EngineInfo;
  chat(req: ChatRequest, signal: AbortSignal): AsyncIterable<EngineEvent>;
  complete(req: CompletionRequest, signal: AbortSignal): AsyncIterable<EngineEvent>;
  embed(input: string[], signal: AbortSignal): Promise<EmbeddingResult>;
  stats(): EngineStats;
  /** Frees the model and its contexts; pending requests end with `abort`. Idempotent. */
  close(): Promise<void>;
}
