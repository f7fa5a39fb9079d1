import { useState, type ReactNode } from 'react';
import { isOperator, useSession } from './auth/session';
import { Link } from './ui/Link';

const ROLE_LABEL = { admin: 'platform admin', tenant_admin: 'tenant admin', member: 'member' } as const;

/** Top bar with the pages this key's role may open; on a phone the links fold into a menu. */
export function Shell({ path, onSignOut, children }: { path: string; onSignOut: () => void; children: ReactNode }) {
  const { me, role } = useSession();
  const [open, setOpen] = useState(false);
  const links = [{ href: '/chat', label: 'Chat' }];
  if (isOperator(role)) {
    links.push({ href: '/usage', label: 'Usage & bills' }, { href: '/tenants', label: 'Tenants' }, { href: '/keys', label: 'Keys' }, { href: '/audit', label: 'Audit' });
  }
  if (role === 'admin') links.push({ href: '/models', label: 'Models' }, { href: '/fleet', label: 'Fleet' });
  const active = (href: string) => path === href || path.startsWith(`${href}/`);
  return (
    <div className="shell">
      <header className="topbar">
        <span className="brand">Tessera</span>
        <button type="button" className="menu-toggle" aria-expanded={open} aria-label="Menu" onClick={() => setOpen(!open)}>
          ☰
        </button>
        <nav className={open ? 'nav open' : 'nav'} aria-label="Pages" onClick={() => setOpen(false)}>
          {links.map((l) => (
            <Link key={l.href} href={l.href} className={active(l.href) ? 'active' : undefined} aria-current={active(l.href) ? 'page' : undefined}>
              {l.label}
            </Link>
          ))}
        </nav>
        <span className="whoami" data-testid="whoami" title={me.prefix}>
          {me.name} · {ROLE_LABEL[role]}
        </span>
        <button type="button" className="link-button" onClick={onSignOut}>
          Sign out
        </button>
      </header>
      <div className="content">{children}</div>
    </div>
  );
}
