/**
 * Per-tenant spending state, kept in memory and rebuilt from the ledger at start: charges this
 * month, the net balance (charges − credits), and what running requests have reserved.
 *
 * `reserve` is synchronous: check and hold happen in one step of the event loop, so concurrent
 * requests can never together exceed a hard limit or a prepaid balance. This is exact for one
 * Tessera process per database; several replicas over PostgreSQL need the reservation in the
 * database (SELECT … FOR UPDATE on the tenant row), which the store interface leaves room for.
 */
import type { TenantRecord } from '../store/index.js';

interface TenantSpend {
  monthKey: number;
  monthCharges: number;
  /** Charges minus credits, all time. A prepaid tenant's balance is −net. */
  net: number;
  reserved: number;
}

export type Reservation =
  | { ok: true }
  | { ok: false; shortMicros: number; reason: 'monthly_limit' | 'balance' };

/** The UTC calendar month of `at` as one number (year × 12 + month): cheap to compare on every request. */
export function monthKeyOf(at: Date): number {
  return at.getUTCFullYear() * 12 + at.getUTCMonth();
}

export function monthStartOf(at: Date): Date {
  return new Date(Date.UTC(at.getUTCFullYear(), at.getUTCMonth(), 1));
}

export class BudgetBook {
  readonly #spend = new Map<string, TenantSpend>();

  constructor(private readonly now: () => Date) {}

  load(balances: ReadonlyArray<{ tenantId: string; netMicros: number; monthChargesMicros: number }>): void {
    const monthKey = monthKeyOf(this.now());
    this.#spend.clear();
    for (const b of balances) this.#spend.set(b.tenantId, { monthKey, monthCharges: b.monthChargesMicros, net: b.netMicros, reserved: 0 });
  }

  reserve(tenant: TenantRecord, amount: number): Reservation {
    const s = this.#of(tenant.id);
    if (tenant.prepaid) {
      const available = -s.net - s.reserved;
      if (amount > available) return { ok: false, shortMicros: amount - available, reason: 'balance' };
    }
    if (tenant.monthlyLimitMicros !== null && tenant.limitMode === 'hard') {
      const available = tenant.monthlyLimitMicros - s.monthCharges - s.reserved;
      if (amount > available) return { ok: false, shortMicros: amount - available, reason: 'monthly_limit' };
    }
    s.reserved += amount;
    return { ok: true };
  }

  /** Replaces a reservation with the real charge (0 releases it). */
  settle(tenantId: string, reserved: number, charged: number): void {
    const s = this.#of(tenantId);
    s.reserved -= reserved;
    s.monthCharges += Math.max(charged, 0);
    s.net += charged;
  }

  credit(tenantId: string, amount: number): void {
    this.#of(tenantId).net -= amount;
  }

  /** True when a soft (or hard) monthly limit is passed: for alerts and the budget view. */
  overLimit(tenant: TenantRecord): boolean {
    return tenant.monthlyLimitMicros !== null && this.#of(tenant.id).monthCharges > tenant.monthlyLimitMicros;
  }

  view(tenantId: string): { monthChargesMicros: number; balanceMicros: number; reservedMicros: number } {
    const s = this.#of(tenantId);
    return { monthChargesMicros: s.monthCharges, balanceMicros: -s.net, reservedMicros: s.reserved };
  }

  #of(tenantId: string): TenantSpend {
    const monthKey = monthKeyOf(this.now());
    let s = this.#spend.get(tenantId);
    if (!s) {
      s = { monthKey, monthCharges: 0, net: 0, reserved: 0 };
      this.#spend.set(tenantId, s);
    } else if (s.monthKey !== monthKey) {
      s.monthKey = monthKey; // a new month: spending starts again from zero
      s.monthCharges = 0;
    }
    return s;
  }
}
