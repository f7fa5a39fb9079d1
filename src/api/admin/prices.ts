/**
 * /api/prices: the versioned price book. Anyone with a key may read it (members need to know what
 * they pay); only a platform admin adds versions. A version takes effect at `effective_from` (now
 * when absent) and never in the past, so every settled ledger entry keeps the price it was billed
 * at; a second version at the same effective time is refused (the store's unique constraint).
 * Prices are integer micro-units per million tokens, or per accelerator-hour.
 */
import type { FastifyInstance } from 'fastify';
import { z } from 'zod';
import type { Meter } from '../../metering/index.js';
import type { ChipPriceRecord, ModelPriceRecord } from '../../store/index.js';
import { parseBody } from '../validate.js';
import { audit, requireRole, type AdminDeps } from './access.js';

const price = z.number().int('a price is a whole number of micro-units').nonnegative('a price cannot be negative').max(Number.MAX_SAFE_INTEGER);
const effectiveFrom = z.iso.datetime({ offset: true }).optional();

export const modelPriceBody = z.strictObject({
  model: z.string().min(1).max(200),
  input_per_mtok: price,
  cached_input_per_mtok: price.optional(),
  output_per_mtok: price,
  effective_from: effectiveFrom,
});

export const chipPriceBody = z.strictObject({
  chip_type: z.string().min(1).max(100),
  per_hour: price,
  effective_from: effectiveFrom,
});

const listQuery = z.strictObject({ model: z.string().min(1).optional(), chip_type: z.string().min(1).optional() });

export function registerPriceRoutes(app: FastifyInstance, deps: AdminDeps, meter: Meter): void {
  const { store, now } = deps;

  app.get('/api/prices', async (request) => {
    requireRole(request, 'admin', 'tenant_admin', 'member');
    const query = parseBody(listQuery, request.query);
    const at = now();
    const models = await store.billing.modelPrices(query.model);
    const chips = (await store.billing.chipPrices()).filter((p) => query.chip_type === undefined || p.chipType === query.chip_type);
    return {
      object: 'price_book',
      at: at.toISOString(),
      models: models.map((p) => ({ ...modelPriceJson(p), in_force: meter.prices.modelPriceAt(p.model, at)?.id === p.id })),
      chips: chips.map((p) => ({ ...chipPriceJson(p), in_force: meter.prices.chipPriceAt(p.chipType, at)?.id === p.id })),
    };
  });

  app.post('/api/prices/models', async (request, reply) => {
    const actor = requireRole(request, 'admin');
    const body = parseBody(modelPriceBody, request.body);
    const effective = body.effective_from ? new Date(body.effective_from) : now();
    const before = meter.prices.modelPriceAt(body.model, effective);
    // The price book refuses past times; the store refuses negative prices and duplicate times.
    const record = await meter.prices.addModelPrice({
      model: body.model,
      inputPerMTok: body.input_per_mtok,
      // Without a cache discount, cached prompt tokens cost what other prompt tokens cost.
      cachedInputPerMTok: body.cached_input_per_mtok ?? body.input_per_mtok,
      outputPerMTok: body.output_per_mtok,
      effectiveFrom: effective,
    });
    await audit(store, actor, {
      action: 'price.model.create', targetType: 'model_price', targetId: record.id, tenantId: null,
      before: before && modelPriceJson(before), after: modelPriceJson(record),
    });
    // No meter reload: the price book added the version to its memory already.
    return reply.code(201).send(modelPriceJson(record));
  });

  app.post('/api/prices/chips', async (request, reply) => {
    const actor = requireRole(request, 'admin');
    const body = parseBody(chipPriceBody, request.body);
    const effective = body.effective_from ? new Date(body.effective_from) : now();
    const before = meter.prices.chipPriceAt(body.chip_type, effective);
    const record = await meter.prices.addChipPrice({ chipType: body.chip_type, perHour: body.per_hour, effectiveFrom: effective });
    await audit(store, actor, {
      action: 'price.chip.create', targetType: 'chip_price', targetId: record.id, tenantId: null,
      before: before && chipPriceJson(before), after: chipPriceJson(record),
    });
    return reply.code(201).send(chipPriceJson(record));
  });
}

export function modelPriceJson(p: ModelPriceRecord) {
  return {
    id: p.id,
    object: 'model_price',
    model: p.model,
    input_per_mtok: p.inputPerMTok,
    cached_input_per_mtok: p.cachedInputPerMTok,
    output_per_mtok: p.outputPerMTok,
    effective_from: p.effectiveFrom.toISOString(),
    created_at: p.createdAt.toISOString(),
  };
}

function chipPriceJson(p: ChipPriceRecord) {
  return { id: p.id, object: 'chip_price', chip_type: p.chipType, per_hour: p.perHour, effective_from: p.effectiveFrom.toISOString(), created_at: p.createdAt.toISOString() };
}
