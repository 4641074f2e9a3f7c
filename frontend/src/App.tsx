/** Routes of the app. `/embed/:productId` is the configurator alone (for a client's website),
 * outside the app's frame and its account; every other page is inside both. */
import { lazy, Suspense } from 'react';
import { BrowserRouter, Route, Routes } from 'react-router';
import { AppShell } from './components/layout/AppShell';
import { LoadingState } from './components/layout/StatusViews';
import { AuthProvider, useAuth } from './context/AuthContext';
import { ToastProvider } from './context/ToastContext';
import { ForgotPasswordPage } from './pages/ForgotPasswordPage';
import { HomePage } from './pages/HomePage';
import { LoginPage } from './pages/LoginPage';
import { NotFoundPage } from './pages/NotFoundPage';
import { ResetPasswordPage } from './pages/ResetPasswordPage';

// The catalogue (`/`) is the page most visitors open first: it carries only what it shows.
// The configurator (controls, rules, the live preview's session), the embed, saved
// configurations and the account load when opened; only admins download the admin pages.
const AdminPage = lazy(() => import('./pages/admin/AdminPage').then((m) => ({ default: m.AdminPage })));
const ConfiguratorPage = lazy(() => import('./pages/ConfiguratorPage').then((m) => ({ default: m.ConfiguratorPage })));
const EmbedPage = lazy(() => import('./pages/EmbedPage').then((m) => ({ default: m.EmbedPage })));
const SavedPage = lazy(() => import('./pages/SavedPage').then((m) => ({ default: m.SavedPage })));
const AccountPage = lazy(() => import('./pages/AccountPage').then((m) => ({ default: m.AccountPage })));

export function App() {
  return (
    <BrowserRouter>
      <Routes>
        <Route path="/embed/:productId" element={<Suspense fallback={<LoadingState label="Loading" />}><EmbedPage /></Suspense>} />
        <Route path="*" element={<MainApp />} />
      </Routes>
    </BrowserRouter>
  );
}

function MainApp() {
  return (
    <ToastProvider>
      <AuthProvider>
        <AppShell>
          <AppRoutes />
        </AppShell>
      </AuthProvider>
    </ToastProvider>
  );
}

/** The pages load their data again when someone logs in or out: it may differ per user. */
function AppRoutes() {
  const { identity } = useAuth();
  return (
    <Suspense fallback={<LoadingState label="Loading" />}>
      <Routes key={identity}>
        <Route path="/" element={<HomePage />} />
        <Route path="/configure/:productId" element={<ConfiguratorPage />} />
        <Route path="/saved" element={<SavedPage />} />
        <Route path="/login" element={<LoginPage />} />
        <Route path="/forgot-password" element={<ForgotPasswordPage />} />
        <Route path="/reset-password" element={<ResetPasswordPage />} />
        <Route path="/account" element={<AccountPage />} />
        <Route path="/admin/*" element={<AdminPage />} />
        <Route path="*" element={<NotFoundPage />} />
      </Routes>
    </Suspense>
  );
}
