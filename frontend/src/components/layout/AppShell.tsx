/** Page frame: header with the brand, navigation and the account menu, main content, skip link. */
import type { ReactNode } from 'react';
import { Link, NavLink } from 'react-router';
import { UserMenu } from './UserMenu';

export function AppShell({ children }: { children: ReactNode }) {
  return (
    <div className="app">
      <a className="skip-link" href="#main">Skip to content</a>
      <header className="app-header">
        <Link to="/" className="brand" aria-label="Configurator home">
          <svg viewBox="0 0 32 32" width="26" height="26" aria-hidden="true">
            <path d="M16 3 28 9.5v13L16 29 4 22.5v-13Z" fill="var(--accent)" />
            <path d="M16 3 28 9.5 16 16 4 9.5Z" fill="var(--accent-light)" />
            <path d="M16 16v13l12-6.5v-13Z" fill="var(--accent-dark)" />
          </svg>
          <span className="brand-name">Configurator</span>
        </Link>
        <div className="app-header-end">
          <nav aria-label="Main" className="app-nav">
            <NavLink to="/" end>Products</NavLink>
            <NavLink to="/saved">Saved</NavLink>
          </nav>
          <UserMenu />
        </div>
      </header>
      <main id="main" className="app-main" tabIndex={-1}>
        {children}
      </main>
    </div>
  );
}
