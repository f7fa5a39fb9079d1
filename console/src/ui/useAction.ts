import { useCallback, useState } from 'react';

export interface Action {
  busy: boolean;
  /** The server's refusal (or a network failure), as its message words it. */
  refusal: string | null;
  /** What the last successful run reported. */
  done: string | null;
  /** Runs `send` unless one is running; its result string becomes `done`, a throw becomes `refusal`. */
  run(send: () => Promise<string>): Promise<boolean>;
  clear(): void;
}

/** The state of one form's submission: busy while sending, then done or refused. */
export function useAction(): Action {
  const [busy, setBusy] = useState(false);
  const [refusal, setRefusal] = useState<string | null>(null);
  const [done, setDone] = useState<string | null>(null);
  const clear = useCallback(() => {
    setRefusal(null);
    setDone(null);
  }, []);
  const run = useCallback(async (send: () => Promise<string>) => {
    setBusy(true);
    setRefusal(null);
    setDone(null);
    try {
      setDone(await send());
      return true;
    } catch (err) {
      setRefusal(err instanceof Error ? err.message : String(err));
      return false;
    } finally {
      setBusy(false);
    }
  }, []);
  return { busy, refusal, done, run, clear };
}
