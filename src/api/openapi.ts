/**
 * The OpenAPI 3.1 document, generated from the same zod schemas that validate requests, so the
 * document cannot drift from what the server accepts.
 */
import { z } from 'zod';
import { errorCatalog } from '../core/errors.js';
import { adminPaths } from './admin/openapi-paths.js';
import { chatCompletionRequest, completionRequest, embeddingRequest } from './openai/schemas.js';

const errorSchema = {
  type: 'object',
  required: ['error'],
  properties: {
    error: {
      type: 'object',
      required: ['message', 'type', 'param', 'code'],
      properties: {
        message: { type: 'string' },
        type: { type: 'string' },
        param: { type: ['string', 'null'] },
        code: { type: 'string', enum: Object.keys(errorCatalog) },
      },
    },
  },
};

function jsonBody(schema: z.ZodType) {
  return { required: true, content: { 'application/json': { schema: z.toJSONSchema(schema, { io: 'input' }) } } };
}

const errorResponses = {
  '400': { description: 'Invalid request', content: { 'application/json': { schema: errorSchema } } },
  '401': { description: 'Missing or invalid API key', content: { 'application/json': { schema: errorSchema } } },
  '404': { description: 'Unknown model', content: { 'application/json': { schema: errorSchema } } },
  '503': { description: 'Model loading or queue full', content: { 'application/json': { schema: errorSchema } } },
};

const generationResponse = (description: string) => ({
  '200': {
    description: `${description}; with \`stream: true\`, server-sent events ending in \`data: [DONE]\``,
    content: { 'application/json': { schema: { type: 'object' } }, 'text/event-stream': { schema: { type: 'string' } } },
  },
  ...errorResponses,
});

export function openApiDocument(version: string) {
  return {
    openapi: '3.1.0',
    info: { title: 'Tessera', version, description: 'OpenAI-compatible inference API and admin API (/api: tenants, keys, prices, usage, statements, audit) of a Tessera server.' },
    components: { securitySchemes: { bearer: { type: 'http', scheme: 'bearer' } } },
    security: [{ bearer: [] }],
    paths: {
      '/v1/chat/completions': {
        post: { summary: 'Chat completion', requestBody: jsonBody(chatCompletionRequest), responses: generationResponse('A chat completion') },
      },
      '/v1/completions': {
        post: { summary: 'Text completion', requestBody: jsonBody(completionRequest), responses: generationResponse('A text completion') },
      },
      '/v1/embeddings': {
        post: {
          summary: 'Embeddings',
          requestBody: jsonBody(embeddingRequest),
          responses: { '200': { description: 'Embedding vectors', content: { 'application/json': { schema: { type: 'object' } } } }, ...errorResponses },
        },
      },
      '/v1/models': { get: { summary: 'Models being served', responses: { '200': { description: 'A list of models' } } } },
      '/healthz': { get: { summary: 'Liveness', security: [], responses: { '200': { description: 'The process is up' } } } },
      '/readyz': {
        get: {
          summary: 'Readiness: every configured model is loaded',
          security: [],
          responses: { '200': { description: 'Ready' }, '503': { description: 'A model is still loading or failed' } },
        },
      },
      '/metrics': { get: { summary: 'Prometheus metrics', security: [], responses: { '200': { description: 'Text exposition format' } } } },
      ...adminPaths(),
    },
  };
}
