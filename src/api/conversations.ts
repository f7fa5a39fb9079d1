/**
 * /api/conversations: the console's chat history, stored per tenant and key. The console streams
 * replies from /v1/chat/completions itself and then saves them here; an assistant message that
 * names its request id gets its tokens and cost from the ledger (entries of the same key only).
 */
import type { FastifyInstance, FastifyRequest } from 'fastify';
import { z } from 'zod';
import { TesseraError } from '../core/errors.js';
import type { ConversationMessage, ConversationOwner, ConversationRecord, Store } from '../store/index.js';
import { parseBody } from './validate.js';

const settings = z.record(z.string().max(64), z.union([z.number(), z.string().max(200), z.boolean(), z.null()])).nullable();

const conversationBody = z.strictObject({
  title: z.string().max(200).optional(),
  model: z.string().min(1).max(200).nullable().optional(),
  system_prompt: z.string().max(100_000).nullable().optional(),
  settings: settings.optional(),
});

const messageBody = z.strictObject({
  role: z.enum(['system', 'user', 'assistant']),
  content: z.string().max(1_000_000),
  model: z.string().max(200).nullable().optional(),
  /** The `x-request-id` of the completion that produced an assistant message. */
  request_id: z.string().max(100).nullable().optional(),
});

const truncateBody = z.strictObject({ after_seq: z.number().int().min(0) });

function owner(request: FastifyRequest): ConversationOwner {
  const key = request.apiKey;
  if (!key) throw new TesseraError('missing_api_key');
  return { tenantId: key.tenantId, keyId: key.id };
}

const notFound = (id: string) => new TesseraError('not_found', `No conversation '${id}'.`);

export function registerConversationRoutes(app: FastifyInstance, deps: { store: Store }): void {
  const { conversations, billing } = deps.store;
  type Params = { Params: { id: string } };

  app.get('/api/conversations', async (request) => ({
    object: 'list',
    data: (await conversations.list(owner(request))).map(conversationJson),
  }));

  app.post('/api/conversations', async (request, reply) => {
    const body = parseBody(conversationBody, request.body ?? {});
    const created = await conversations.create(owner(request), fromBody(body));
    return reply.code(201).send(conversationJson(created));
  });

  app.get<Params>('/api/conversations/:id', async (request) => {
    const who = owner(request);
    const found = await conversations.get(who, request.params.id);
    if (!found) throw notFound(request.params.id);
    // A reply saved before its request settled (a stopped stream) gets its usage once the ledger has it.
    const messages = await Promise.all(found.messages.map(async (m) => {
      if (m.requestId === null || m.promptTokens !== null) return m;
      const entry = (await billing.ledger({ tenantId: who.tenantId, keyId: who.keyId, requestId: m.requestId, limit: 1 }))[0];
      return entry ? { ...m, promptTokens: entry.promptTokens, completionTokens: entry.completionTokens, costMicros: entry.amountMicros } : m;
    }));
    return { ...conversationJson(found), messages: messages.map(messageJson) };
  });

  app.patch<Params>('/api/conversations/:id', async (request) => {
    const updated = await conversations.update(owner(request), request.params.id, fromBody(parseBody(conversationBody, request.body)));
    if (!updated) throw notFound(request.params.id);
    return conversationJson(updated);
  });

  app.delete<Params>('/api/conversations/:id', async (request) => {
    if (!(await conversations.remove(owner(request), request.params.id))) throw notFound(request.params.id);
    return { id: request.params.id, object: 'conversation.deleted', deleted: true };
  });

  app.post<Params>('/api/conversations/:id/messages', async (request, reply) => {
    const who = owner(request);
    const body = parseBody(messageBody, request.body);
    const entry = body.request_id
      ? (await billing.ledger({ tenantId: who.tenantId, keyId: who.keyId, requestId: body.request_id, limit: 1 }))[0]
      : undefined;
    const saved = await conversations.append(who, request.params.id, {
      role: body.role,
      content: body.content,
      model: body.model ?? entry?.model ?? null,
      requestId: body.request_id ?? null,
      promptTokens: entry?.promptTokens ?? null,
      completionTokens: entry?.completionTokens ?? null,
      costMicros: entry?.amountMicros ?? null,
    });
    if (!saved) throw notFound(request.params.id);
    return reply.code(201).send(messageJson(saved));
  });

  /** Deletes the messages after `after_seq`: regenerate and edit-and-resend start from there. */
  app.post<Params>('/api/conversations/:id/truncate', async (request) => {
    const removed = await conversations.truncate(owner(request), request.params.id, parseBody(truncateBody, request.body).after_seq);
    if (removed === null) throw notFound(request.params.id);
    return { removed };
  });
}

function fromBody(body: z.infer<typeof conversationBody>) {
  return { title: body.title, model: body.model, systemPrompt: body.system_prompt, settings: body.settings };
}

function conversationJson(c: ConversationRecord) {
  return {
    id: c.id,
    object: 'conversation',
    title: c.title,
    model: c.model,
    system_prompt: c.systemPrompt,
    settings: c.settings,
    created_at: c.createdAt.toISOString(),
    updated_at: c.updatedAt.toISOString(),
  };
}

function messageJson(m: ConversationMessage) {
  return {
    id: m.id,
    seq: m.seq,
    role: m.role,
    content: m.content,
    model: m.model,
    request_id: m.requestId,
    usage: m.promptTokens === null ? null : { prompt_tokens: m.promptTokens, completion_tokens: m.completionTokens, cost_micros: m.costMicros },
    created_at: m.createdAt.toISOString(),
  };
}
