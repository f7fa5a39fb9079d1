export { Gateway, type Endpoint, type Outcome, type RequestContext, type UsageRow, type UsageSink } from './gateway.js';
export { createGatewayMetrics, type GatewayMetrics } from './metrics.js';
export { ModelRouter, type ModelState } from './router.js';
export { ModelManager, type ModelManagerDeps, type PullJob } from './model-manager.js';
