/** The header's account corner: "Log in" for anonymous shoppers; for a logged-in user their
 * name and client, opening a small menu with their email, role, "Your account", "Admin" (for
 * admins) and "Log out". */
import { useEffect, useId, useRef, useState } from 'react';
import { Link, useLocation } from 'react-router';
import { useAuth } from '../../context/AuthContext';
import { useToast } from '../../context/ToastContext';
import { LOGIN_PATH, loginPath } from '../../lib/nextPath';
import { hasRole } from '../../lib/roles';

function initials(name: string): string {
  const parts = name.trim().split(/\s+/).filter(Boolean);
  const letters = parts.length > 1 ? [parts[0], parts[parts.length - 1]] : parts;
  return letters.map((p) => [...p][0] ?? '').join('').toUpperCase() || '?';
}

export function UserMenu() {
  const auth = useAuth();
  const location = useLocation();
  const { notify } = useToast();
  const [open, setOpen] = useState(false);
  const [busy, setBusy] = useState(false);
  const root = useRef<HTMLDivElement>(null);
  const button = useRef<HTMLButtonElement>(null);
  const panelId = useId();

  // Another page: the menu closes.
  const [shownAt, setShownAt] = useState(location.key);
  if (shownAt !== location.key) {
    setShownAt(location.key);
    setOpen(false);
  }

  useEffect(() => {
    if (!open) return;
    const outside = (event: PointerEvent) => {
      if (!root.current?.contains(event.target as Node)) setOpen(false);
    };
    const escape = (event: KeyboardEvent) => {
      if (event.key === 'Escape') {
        setOpen(false);
        button.current?.focus();
      }
    };
    document.addEventListener('pointerdown', outside);
    document.addEventListener('keydown', escape);
    return () => {
      document.removeEventListener('pointerdown', outside);
      document.removeEventListener('keydown', escape);
    };
  }, [open]);

  if (auth.status === 'loading') return <div className="user-menu" aria-hidden="true" />;

  if (auth.status === 'anonymous' || !auth.user) {
    const here = location.pathname + location.search + location.hash;
    const onLogin = location.pathname === LOGIN_PATH;
    return (
      <div className="user-menu">
        <Link className="button button-secondary button-small user-login" to={onLogin ? here : loginPath(here)}
          aria-current={onLogin ? 'page' : undefined}>
          Log in
        </Link>
      </div>
    );
  }

  const { user, client } = auth;
  const logOut = async () => {
    setBusy(true);
    try {
      await auth.logout();
      setOpen(false);
      notify('You are logged out.');
    } catch (error) {
      notify(`Logging out failed: ${(error as Error).message}`, { tone: 'error' });
    } finally {
      setBusy(false);
    }
  };

  return (
    <div
      className="user-menu"
      ref={root}
      onBlur={(event) => { if (!root.current?.contains(event.relatedTarget as Node | null)) setOpen(false); }}
    >
      <button
        ref={button}
        type="button"
        className="user-button"
        aria-expanded={open}
        aria-controls={panelId}
        onClick={() => setOpen((o) => !o)}
      >
        <span className="user-avatar" aria-hidden="true">{initials(user.name)}</span>
        <span className="user-text">
          <span className="user-name">{user.name}</span>
          {client && <span className="user-client">{client.name}</span>}
        </span>
        <svg className="user-chevron" viewBox="0 0 16 16" width="14" height="14" aria-hidden="true">
          <path d="m4 6 4 4 4-4" />
        </svg>
      </button>
      <div id={panelId} className="user-panel" hidden={!open}>
        <p className="user-panel-name">{user.name}</p>
        <p className="user-panel-email">{user.email}</p>
        {client && <p className="user-panel-client">{client.name} · <span className="user-role">{user.role}</span></p>}
        <nav className="user-panel-links" aria-label="Account">
          <Link to="/account">Your account</Link>
          {hasRole(user.role, 'admin') && <Link to="/admin">Admin</Link>}
        </nav>
        <button type="button" className="button button-secondary button-small user-logout" onClick={logOut} disabled={busy}>
          {busy ? 'Logging out…' : 'Log out'}
        </button>
      </div>
    </div>
  );
}
