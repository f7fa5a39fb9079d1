/**
 * The admin API under /api: tenants, keys, prices, usage and statements, audit. Routes check roles
 * themselves (access.ts); authentication is the caller's `onRequest` hook (server.ts).
 */
import type { FastifyInstance } from 'fastify';
import type { AdminDeps } from './access.js';
import { registerAuditRoutes } from './audit.js';
import { registerKeyRoutes } from './keys.js';
import { registerPriceRoutes } from './prices.js';
import { registerTenantRoutes } from './tenants.js';
import { registerUsageRoutes } from './usage.js';

export type { AdminDeps } from './access.js';

export function registerAdminRoutes(app: FastifyInstance, deps: AdminDeps): void {
  registerTenantRoutes(app, deps);
  registerKeyRoutes(app, deps);
  registerUsageRoutes(app, deps);
  registerAuditRoutes(app, deps);
  // The price book lives in the meter (it prices requests as they start); no meter, no prices API.
  if (deps.meter) registerPriceRoutes(app, deps, deps.meter);
}
