/** Pages for logged-in users: nobody logged in goes to the login page (and comes back here
 * after), a user without the role needed is told so. */
import type { ReactNode } from 'react';
import { Link, Navigate, useLocation } from 'react-router';
import { useAuth } from '../../context/AuthContext';
import { loginPath } from '../../lib/nextPath';
import { hasRole, ROLE_LABELS } from '../../lib/roles';
import type { Role } from '../../types/api';
import { EmptyState, LoadingState } from './StatusViews';

export function RequireRole({ role, children }: { role?: Role; children: ReactNode }) {
  const auth = useAuth();
  const location = useLocation();
  if (auth.status === 'loading') return <LoadingState label="Checking who is logged in" />;
  if (auth.status !== 'authenticated' || !auth.user) {
    return <Navigate to={loginPath(location.pathname + location.search + location.hash)} replace />;
  }
  if (role && !hasRole(auth.user.role, role)) {
    return (
      <EmptyState title={`This page needs the ${role} role`}>
        <p>
          You are logged in as {auth.user.name} ({auth.user.email}) with the {ROLE_LABELS[auth.user.role].toLowerCase()} role.
          Ask an admin of {auth.client?.name ?? 'your company'} if you need it.
        </p>
        <Link className="button" to="/">See all products</Link>
      </EmptyState>
    );
  }
  return <>{children}</>;
}
