/**
 * Metering: rate limits, budgets and balances, the price book, and the append-only ledger.
 * docs/metering.md describes the money model and the guarantees.
 */
export { Meter, type AdmissionRequest, type MeterDeps, type SettledUsage, type Ticket } from './meter.js';
export { formatMicros, tokenCostMicros, acceleratorCostMicros } from './money.js';
export { monthStartOf } from './budgets.js';
