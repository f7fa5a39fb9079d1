/**
 * The OpenAI-compatible endpoints under /v1. Handlers validate, translate, and hand over to the
 * gateway; they hold no serving logic of their own.
 */
import type { FastifyInstance, FastifyRequest } from 'fastify';
import { TesseraError } from '../../core/errors.js';
import { newTimeOrderedId } from '../../core/ids.js';
import type { EngineInfo, ToolCall } from '../../engines/types.js';
import type { Endpoint, Gateway, ModelRouter, RequestContext } from '../../gateway/index.js';
import { promptTokensUpperBound } from './token-bound.js';
import { parseBody } from '../validate.js';
import { disconnectSignal, finishReasonBody, respondWithGeneration, usageBody, type WireFormat } from './generation.js';
import { ChunkJson, JsonRest, JsonRestTemplate } from '../sse.js';
import { chatCompletionRequest, completionRequest, embeddingRequest } from './schemas.js';
import { toChatRequest, toCompletionRequest } from './translate.js';

export interface OpenAIRoutesDeps {
  gateway: Gateway;
  router: ModelRouter;
  /** Wall clock in epoch seconds, for `created` fields. */
  nowSeconds: () => number;
}

function context(
  request: FastifyRequest,
  requestId: string,
  model: string,
  endpoint: Endpoint,
  budget: { promptTokensMax: number; maxTokens: number | null; streamed: boolean },
): RequestContext {
  const key = request.apiKey;
  return { requestId, keyId: key?.id ?? null, tenantId: key?.tenantId ?? null, allowedModels: key?.allowedModels ?? null, model, endpoint, ...budget };
}

/** The members after id, object, created and model of a stream chunk with one choice. */
const chatChoice = (delta: object, finish: string | null) => ({ choices: [{ index: 0, delta, logprobs: null, finish_reason: finish }] });
const completionChoice = (text: string, finish: string | null) => ({ choices: [{ index: 0, text, logprobs: null, finish_reason: finish }] });
const CHAT_OPENING = new JsonRest(chatChoice({ role: 'assistant', content: '' }, null));
// Every token's chunk is the same but for its text.
const CHAT_TEXT = new JsonRestTemplate((hole) => chatChoice({ content: hole }, null));
const COMPLETION_TEXT = new JsonRestTemplate((hole) => completionChoice(hole, null));

function toolCallsBody(calls: ToolCall[]) {
  return calls.map((c) => ({ id: c.id, type: 'function' as const, function: { name: c.name, arguments: c.arguments } }));
}

export function modelBody(info: EngineInfo, created: number) {
  return {
    id: info.name,
    object: 'model' as const,
    created,
    owned_by: 'tessera',
    // Tessera's own facts about the model; OpenAI clients ignore unknown fields.
    tessera: {
      engine: info.kind,
      device: info.device,
      context_length: info.contextLength,
      capabilities: info.capabilities,
      random_weights: info.randomWeights,
      ...(info.randomWeights ? { note: 'Test model with random weights: its output is noise.' } : {}),
    },
  };
}

export function registerOpenAIRoutes(app: FastifyInstance, deps: OpenAIRoutesDeps): void {
  const { gateway, router, nowSeconds } = deps;

  app.post('/v1/chat/completions', async (request, reply) => {
    const body = parseBody(chatCompletionRequest, request.body);
    const chatRequest = toChatRequest(body);
    const engine = gateway.admit(body.model);
    const id = newTimeOrderedId('chatcmpl');
    const created = nowSeconds();
    const chunks = new ChunkJson({ id, object: 'chat.completion.chunk', created, model: body.model });
    const wire: WireFormat = {
      opening: () => chunks.of(CHAT_OPENING),
      textChunk: chunks.filler(CHAT_TEXT),
      toolCallsChunk: (calls) => chunks.of(chatChoice({ tool_calls: toolCallsBody(calls).map((c, index) => ({ index, ...c })) }, null)),
      closingChunk: (reason) => chunks.of(chatChoice({}, finishReasonBody(reason))),
      usageChunk: (usage) => chunks.of({ choices: [], usage: usageBody(usage) }),
      body: (c) => ({
        id,
        object: 'chat.completion',
        created,
        model: body.model,
        choices: [
          {
            index: 0,
            message: {
              role: 'assistant',
              content: c.toolCalls.length > 0 && c.text === '' ? null : c.text,
              refusal: null,
              ...(c.toolCalls.length > 0 ? { tool_calls: toolCallsBody(c.toolCalls) } : {}),
            },
            logprobs: null,
            finish_reason: finishReasonBody(c.finishReason),
          },
        ],
        usage: usageBody(c.usage),
      }),
    };
    const ctx = context(request, id, body.model, 'chat', {
      promptTokensMax: promptTokensUpperBound({ messages: body.messages, tools: body.tools }),
      maxTokens: chatRequest.sampling.maxTokens ?? null,
      streamed: body.stream === true,
    });
    return respondWithGeneration(
      request,
      reply,
      (signal) => gateway.generate(ctx, engine, (e, s) => e.chat(chatRequest, s), signal)[Symbol.asyncIterator](),
      wire,
      { stream: body.stream === true, includeUsage: body.stream_options?.include_usage === true, requestId: id },
    );
  });

  app.post('/v1/completions', async (request, reply) => {
    const body = parseBody(completionRequest, request.body);
    const completion = toCompletionRequest(body);
    const engine = gateway.admit(body.model);
    const id = newTimeOrderedId('cmpl');
    const created = nowSeconds();
    const base = { id, object: 'text_completion' as const, created, model: body.model };
    const chunks = new ChunkJson(base);
    const wire: WireFormat = {
      textChunk: chunks.filler(COMPLETION_TEXT),
      closingChunk: (reason) => chunks.of(completionChoice('', finishReasonBody(reason))),
      usageChunk: (usage) => chunks.of({ choices: [], usage: usageBody(usage) }),
      body: (c) => ({ ...base, ...completionChoice(c.text, finishReasonBody(c.finishReason)), usage: usageBody(c.usage) }),
    };
    const ctx = context(request, id, body.model, 'completion', {
      promptTokensMax: promptTokensUpperBound({ prompt: body.prompt }),
      maxTokens: completion.sampling.maxTokens ?? null,
      streamed: body.stream === true,
    });
    return respondWithGeneration(
      request,
      reply,
      (signal) => gateway.generate(ctx, engine, (e, s) => e.complete(completion, s), signal)[Symbol.asyncIterator](),
      wire,
      { stream: body.stream === true, includeUsage: body.stream_options?.include_usage === true, requestId: id },
    );
  });

  app.post('/v1/embeddings', async (request, reply) => {
    const body = parseBody(embeddingRequest, request.body);
    const engine = gateway.admit(body.model);
    if (!engine.info.capabilities.embeddings) {
      throw new TesseraError('unsupported_feature', `Model '${body.model}' does not serve embeddings.`, { param: 'model' });
    }
    const input = typeof body.input === 'string' ? [body.input] : body.input;
    const id = newTimeOrderedId('emb');
    const ctx = context(request, id, body.model, 'embedding', { promptTokensMax: promptTokensUpperBound({ input }), maxTokens: 0, streamed: false });
    const result = await gateway.embed(ctx, engine, input, disconnectSignal(request));
    const dims = result.embeddings[0]?.length ?? 0;
    if (body.dimensions !== undefined && body.dimensions !== dims) {
      throw new TesseraError('unsupported_feature', `This model returns ${dims} dimensions; it cannot shorten them.`, {
        param: 'dimensions',
      });
    }
    const encode = (vector: number[]) =>
      body.encoding_format === 'base64' ? Buffer.from(new Float32Array(vector).buffer).toString('base64') : vector;
    return reply.header('x-request-id', id).send({
      object: 'list',
      data: result.embeddings.map((vector, index) => ({ object: 'embedding', index, embedding: encode(vector) })),
      model: body.model,
      usage: { prompt_tokens: result.promptTokens, total_tokens: result.promptTokens },
    });
  });

  app.get('/v1/models', async () => ({
    object: 'list',
    data: router.ready().map((info) => modelBody(info, nowSeconds())),
  }));

  app.get<{ Params: { model: string } }>('/v1/models/:model', async (request) => {
    const info = router.ready().find((m) => m.name === request.params.model);
    if (!info) throw new TesseraError('model_not_found', `The model '${request.params.model}' does not exist.`, { param: 'model' });
    return modelBody(info, nowSeconds());
  });
}
