import type { ReactNode } from 'react';

/** A message box: `error` for refusals and failures (role=alert), `info` otherwise. */
export function Notice({ kind = 'info', children, testId }: { kind?: 'info' | 'error'; children: ReactNode; testId?: string }) {
  return (
    <div className={`notice notice-${kind}`} role={kind === 'error' ? 'alert' : 'status'} data-testid={testId}>
      {children}
    </div>
  );
}
