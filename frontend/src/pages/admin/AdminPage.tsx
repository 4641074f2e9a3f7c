/** `/admin/*`: a client's admins manage its products, users, API keys (and the embed code of
 * its publishable keys) and read its audit log. Nobody logged in goes to the login page; a
 * user without the admin role is told that it is needed. */
import type { ReactNode } from 'react';
import { Navigate, NavLink, Route, Routes } from 'react-router';
import { RequireRole } from '../../components/layout/RequireRole';
import { useAuth } from '../../context/AuthContext';
import { useDocumentTitle } from '../../hooks/useDocumentTitle';
import { NotFoundPage } from '../NotFoundPage';
import { AuditAdmin } from './AuditAdmin';
import { KeysAdmin } from './KeysAdmin';
import { ProductsAdmin } from './ProductsAdmin';
import { UsersAdmin } from './UsersAdmin';

export function AdminPage() {
  return (
    <RequireRole role="admin">
      <AdminArea />
    </RequireRole>
  );
}

const SECTIONS = [
  { path: 'products', label: 'Products' },
  { path: 'users', label: 'Users' },
  { path: 'keys', label: 'API keys & embed' },
  { path: 'audit', label: 'Audit log' },
] as const;

function AdminArea() {
  const { client } = useAuth();
  return (
    <div className="admin">
      <div className="admin-head">
        <h1>Admin</h1>
        {client && <p className="lede">{client.name}</p>}
      </div>
      <nav className="admin-nav" aria-label="Admin sections">
        {SECTIONS.map((section) => <NavLink key={section.path} to={`/admin/${section.path}`}>{section.label}</NavLink>)}
      </nav>
      <Routes>
        <Route index element={<Navigate to="/admin/products" replace />} />
        <Route path="products" element={<Section title="Products"><ProductsAdmin /></Section>} />
        <Route path="users" element={<Section title="Users"><UsersAdmin /></Section>} />
        <Route path="keys" element={<Section title="API keys"><KeysAdmin /></Section>} />
        <Route path="audit" element={<Section title="Audit log"><AuditAdmin /></Section>} />
        <Route path="*" element={<NotFoundPage level={2} />} />
      </Routes>
    </div>
  );
}

function Section({ title, children }: { title: string; children: ReactNode }) {
  useDocumentTitle(`${title} · Admin`);
  return <div className="admin-section">{children}</div>;
}
