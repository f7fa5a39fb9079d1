/**
 * /api/models (installed, loaded, catalog with memory estimates per chip, downloads, load and
 * unload) and /api/fleet (the nodes and their accelerators, with utilisation history). Reading is
 * open to every key; changing what runs is for platform admins.
 */
import type { FastifyInstance } from 'fastify';
import { z } from 'zod';
import { CHIP_TYPES } from '../core/chips.js';
import { TesseraError } from '../core/errors.js';
import type { LocalNode } from '../fleet/index.js';
import type { ModelManager, ModelRouter, PullJob } from '../gateway/index.js';
import { requireAdmin } from './auth.js';
import { parseBody } from './validate.js';

export interface ModelsApiDeps {
  models: ModelManager;
  router: ModelRouter;
  node: LocalNode;
}

const pullBody = z.strictObject({
  source: z.string().min(1).max(2000),
  name: z.string().regex(/^[a-z0-9][a-z0-9._-]*$/i).max(200).optional(),
  sha256: z.string().regex(/^[0-9a-f]{64}$/i).optional(),
});

export function registerModelRoutes(app: FastifyInstance, deps: ModelsApiDeps): void {
  const { models } = deps;
  type Named = { Params: { name: string } };

  app.get('/api/models', async () => ({ object: 'list', data: await models.list() }));
  app.get('/api/models/catalog', async () => ({ object: 'list', data: await models.catalog(), chips: CHIP_TYPES }));

  app.post('/api/models/pull', async (request, reply) => {
    requireAdmin(request);
    const body = parseBody(pullBody, request.body);
    return reply.code(202).send(jobJson(models.pull(body.source, { name: body.name, sha256: body.sha256 })));
  });
  app.get('/api/models/pulls', async (request) => {
    requireAdmin(request);
    return { object: 'list', data: models.jobs().map(jobJson) };
  });
  app.get<{ Params: { id: string } }>('/api/models/pulls/:id', async (request) => {
    requireAdmin(request);
    const job = models.job(request.params.id);
    if (!job) throw new TesseraError('not_found', `No download '${request.params.id}'.`);
    return jobJson(job);
  });

  app.post<Named>('/api/models/:name/load', async (request) => {
    requireAdmin(request);
    const info = await models.load(request.params.name);
    return { name: info.name, status: 'ready', device: info.device, context_length: info.contextLength };
  });
  app.post<Named>('/api/models/:name/unload', async (request) => {
    requireAdmin(request);
    if (!(await models.unload(request.params.name))) throw new TesseraError('model_not_found', `'${request.params.name}' is not loaded.`);
    return { name: request.params.name, status: 'unloaded' };
  });

  app.get('/api/fleet', async (request) => {
    requireAdmin(request);
    const node = deps.node.view();
    const loaded = deps.router.ready();
    const devices = [...new Set(loaded.map((m) => m.device))];
    return {
      object: 'list',
      data: [{
        ...node,
        samples: node.samples.map((s) => ({ at: s.at.toISOString(), cpu_pct: s.cpuPct, memory_used_bytes: s.memoryUsedBytes, process_rss_bytes: s.processRssBytes })),
        // Accelerators in use as the engines report them (cpu, cuda, vulkan, metal, or an upstream host).
        accelerators: devices.map((device) => ({ device, models: loaded.filter((m) => m.device === device).map((m) => m.name) })),
        models: loaded.map((m) => ({ name: m.name, engine: m.kind, device: m.device })),
      }],
    };
  });
}

function jobJson(job: PullJob) {
  return {
    id: job.id,
    object: 'model.pull',
    source: job.source,
    name: job.name,
    status: job.status,
    received_bytes: job.receivedBytes,
    total_bytes: job.totalBytes,
    error: job.error,
    started_at: job.startedAt.toISOString(),
  };
}
