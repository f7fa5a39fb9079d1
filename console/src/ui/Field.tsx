import type { ReactNode } from 'react';

/** A labelled form control with its validation message under it (red border while invalid). */
export function Field({ label, error, children }: { label: string; error?: string; children: ReactNode }) {
  return (
    <label className={error ? 'invalid' : undefined}>
      {label}
      {children}
      {error && <span className="field-error">{error}</span>}
    </label>
  );
}
