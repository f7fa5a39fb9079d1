/**
 * Builds the HTTP server (Fastify). Pure wiring of the API units onto injected dependencies; it
 * does not listen — `main.ts` decides where.
 */
import Fastify, { LogController, type FastifyInstance } from 'fastify';
import type { Registry } from 'prom-client';
import type { LocalNode } from '../fleet/index.js';
import type { Gateway, ModelManager, ModelRouter } from '../gateway/index.js';
import type { Meter } from '../metering/index.js';
import type { Store } from '../store/index.js';
import { registerAdminRoutes } from './admin/index.js';
import { requireKey, type KeyVerifier } from './auth.js';
import { registerConsole } from './console.js';
import { registerConversationRoutes } from './conversations.js';
import { registerModelRoutes } from './models.js';
import { installErrorHandling } from './errors.js';
import { openApiDocument } from './openapi.js';
import { registerOpenAIRoutes } from './openai/routes.js';

export interface ServerDeps {
  store: Store;
  gateway: Gateway;
  router: ModelRouter;
  metricsRegistry: Registry;
  verifyKey: KeyVerifier;
  /** Billing admin (tenants, prices, budgets, statements); absent in tests of the OpenAI layer alone. */
  meter?: Meter;
  /** Model library and fleet views (/api/models, /api/fleet); absent in tests of the OpenAI layer alone. */
  models?: ModelManager;
  node?: LocalNode;
  /** The built web console (console/dist); absent = no console. */
  consoleDir?: string;
  bodyLimit: number;
  logLevel: string;
  version: string;
  now: () => Date;
}

export function buildServer(deps: ServerDeps): FastifyInstance {
  const app = Fastify({
    bodyLimit: deps.bodyLimit,
    logger: {
      level: deps.logLevel,
      // Belt and braces: Fastify does not log headers by default; if anyone adds it, keys stay out.
      redact: ['req.headers.authorization', 'headers.authorization'],
    },
    genReqId: () => '',
    // Per-request access logs only at debug/trace: the hot path logs nothing by default.
    logController: new LogController({ disableRequestLogging: deps.logLevel !== 'debug' && deps.logLevel !== 'trace' }),
  });
  app.decorateRequest('apiKey', null);
  installErrorHandling(app);

  app.get('/healthz', async () => ({ status: 'ok' }));
  app.get('/readyz', async (_request, reply) => {
    const models = deps.router.states().map((s) => ({ name: s.name, status: s.status }));
    const ready = models.length > 0 && models.every((m) => m.status === 'ready');
    return reply.code(ready ? 200 : 503).send({ status: ready ? 'ready' : 'not_ready', models });
  });
  app.get('/metrics', async (_request, reply) => {
    const text = await deps.metricsRegistry.metrics();
    return reply.type(deps.metricsRegistry.contentType).send(text);
  });
  const document = openApiDocument(deps.version);
  app.get('/openapi.json', async () => document);

  // Everything under /v1 and /api needs a key; handlers under /api check the role they need.
  const authenticate = requireKey(deps.verifyKey);
  app.register(async (scope) => {
    scope.addHook('onRequest', authenticate);
    registerOpenAIRoutes(scope, {
      gateway: deps.gateway,
      router: deps.router,
      nowSeconds: () => Math.floor(deps.now().getTime() / 1000),
    });
    registerAdminRoutes(scope, { store: deps.store, meter: deps.meter, now: deps.now });
    registerConversationRoutes(scope, { store: deps.store });
    if (deps.models && deps.node) registerModelRoutes(scope, { models: deps.models, router: deps.router, node: deps.node });
  });
  if (deps.consoleDir) registerConsole(app, deps.consoleDir);
  return app;
}
