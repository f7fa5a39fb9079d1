// The console: sign-in gate, then the page for the current path. Operator pages are chosen here
// by role, so a member who types their URL gets a refusal and the page's code never runs.
import { useCallback, useEffect, useState } from 'react';
import type { ApiError } from './api/client';
import { SignIn } from './auth/SignIn';
import { forgetSecret, isOperator, openSession, SessionContext, storedSecret, type Session } from './auth/session';
import { ChatPage } from './chat/ChatPage';
import { FleetPage } from './fleet/FleetPage';
import { AuditPage } from './admin/AuditPage';
import { KeysPage } from './admin/KeysPage';
import { TenantDetailPage } from './admin/TenantDetailPage';
import { TenantsPage } from './admin/TenantsPage';
import { ModelsPage } from './models/ModelsPage';
import { navigate, usePath } from './router';
import { Shell } from './Shell';
import { Notice } from './ui/Notice';
import { UsagePage } from './usage/UsagePage';

export function App() {
  const [session, setSession] = useState<Session | null>(null);
  const [restoring, setRestoring] = useState(() => storedSecret() !== null);
  const [message, setMessage] = useState<string | null>(null);
  const path = usePath();

  const signOut = useCallback((reason: string | null) => {
    forgetSecret();
    setSession(null);
    setMessage(reason);
  }, []);

  const onUnauthorized = useCallback(
    (error: ApiError) => signOut(`Your API key was refused: ${error.message} Sign in with a valid key.`),
    [signOut],
  );

  const signIn = useCallback(
    async (secret: string) => {
      const opened = await openSession(secret, onUnauthorized);
      setMessage(null);
      setSession(opened);
    },
    [onUnauthorized],
  );

  useEffect(() => {
    const secret = storedSecret();
    if (!secret) return;
    openSession(secret, onUnauthorized)
      .then(setSession, (err: unknown) => {
        forgetSecret();
        setMessage(`Your saved key no longer works: ${err instanceof Error ? err.message : String(err)}`);
      })
      .finally(() => setRestoring(false));
  }, [onUnauthorized]);

  useEffect(() => {
    if (session && path === '/') navigate('/chat', { replace: true });
  }, [session, path]);

  if (restoring && !session) return <p className="muted center">Signing in…</p>;
  if (!session) return <SignIn message={message} onSubmit={signIn} />;
  return (
    <SessionContext.Provider value={session}>
      <Shell path={path} onSignOut={() => signOut(null)}>
        <Page path={path} session={session} />
      </Shell>
    </SessionContext.Provider>
  );
}

function Page({ path, session }: { path: string; session: Session }) {
  const chat = /^\/chat(?:\/([^/]+))?\/?$/.exec(path);
  if (chat || path === '/') return <ChatPage conversationId={chat?.[1] ? decodeURIComponent(chat[1]) : null} />;
  // Models and fleet change what the platform runs: platform admins only.
  const adminPage = path === '/models' ? <ModelsPage /> : path === '/fleet' ? <FleetPage /> : null;
  if (adminPage) {
    if (session.role === 'admin') return adminPage;
    return (
      <div className="page">
        <Notice kind="error" testId="forbidden">
          This page is for platform administrators; your key's role is “{session.role}”.
        </Notice>
      </div>
    );
  }
  const operatorPage = operatorPageAt(path);
  if (!operatorPage) {
    return (
      <div className="page">
        <Notice testId="not-found">No page at {path}.</Notice>
      </div>
    );
  }
  if (!isOperator(session.role)) {
    return (
      <div className="page">
        <Notice kind="error" testId="forbidden">
          This page is for platform and tenant administrators; your key's role is “{session.role}”.
        </Notice>
      </div>
    );
  }
  return operatorPage;
}

/** Pages for platform and tenant admins (the API narrows a tenant admin to its own tenant). */
function operatorPageAt(path: string) {
  const tenant = /^\/tenants\/([^/]+)\/?$/.exec(path);
  if (tenant) return <TenantDetailPage tenantId={decodeURIComponent(tenant[1])} />;
  switch (path) {
    case '/usage':
      return <UsagePage />;
    case '/tenants':
      return <TenantsPage />;
    case '/keys':
      return <KeysPage />;
    case '/audit':
      return <AuditPage />;
    default:
      return null;
  }
}
