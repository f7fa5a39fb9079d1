import { useState, type FormEvent } from 'react';
import { Notice } from '../ui/Notice';

/** The key form. `message` explains why the user is here again (refused or expired key). */
export function SignIn({ message, onSubmit }: { message: string | null; onSubmit: (secret: string) => Promise<void> }) {
  const [secret, setSecret] = useState('');
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string | null>(null);

  const submit = async (event: FormEvent) => {
    event.preventDefault();
    const trimmed = secret.trim();
    if (!trimmed) return setError('Enter an API key.');
    setBusy(true);
    setError(null);
    try {
      await onSubmit(trimmed);
    } catch (err) {
      setError(err instanceof Error ? err.message : String(err));
      setBusy(false);
    }
  };

  return (
    <main className="signin">
      <form className="card signin-card" onSubmit={submit} aria-label="Sign in">
        <h1>Tessera</h1>
        <p className="muted">Sign in with an API key. It is kept in this browser tab only.</p>
        {message && <Notice kind="error" testId="signin-message">{message}</Notice>}
        {error && <Notice kind="error" testId="signin-error">{error}</Notice>}
        <label>
          API key
          <input
            name="apiKey"
            type="password"
            autoComplete="off"
            autoFocus
            value={secret}
            onChange={(e) => setSecret(e.target.value)}
            placeholder="sk-tess-…"
          />
        </label>
        <button type="submit" className="primary" disabled={busy}>
          {busy ? 'Checking…' : 'Sign in'}
        </button>
      </form>
    </main>
  );
}
