import type { Tenant } from '../api/types';

/** "Tenant" picker for platform admins' filters: all tenants, or one. */
export function TenantSelect({
  tenants,
  value,
  onChange,
  ariaLabel = 'Tenant filter',
  className = 'inline',
}: {
  tenants: Tenant[] | null | undefined;
  value: string;
  onChange: (tenant: string) => void;
  ariaLabel?: string;
  className?: string;
}) {
  return (
    <label className={className}>
      Tenant
      <select aria-label={ariaLabel} value={value} onChange={(e) => onChange(e.target.value)}>
        <option value="">All tenants</option>
        {(tenants ?? []).map((t) => (
          <option key={t.id} value={t.id}>
            {t.name}
          </option>
        ))}
      </select>
    </label>
  );
}
