/** Routes of the app. `/embed/:productId` is the configurator alone (for a client's website),
 * outside the app's frame and its account; every other page is inside both. */
import { lazy, Suspense } from 'react';
import { BrowserRouter, Route, Routes } from 'react-router';
import { AppShell } from './components/layout/AppShell';
import { LoadingState } from './components/layout/StatusViews';
import { AuthProvider, useAuth } from './context/AuthContext';
import { ToastProvider } from './context/ToastContext';
import { AccountPage } from './pages/AccountPage';
import { ConfiguratorPage } from './pages/ConfiguratorPage';
import { EmbedPage } from './pages/EmbedPage';
import { ForgotPasswordPage } from './pages/ForgotPasswordPage';
import { HomePage } from './pages/HomePage';
import { LoginPage } from './pages/LoginPage';
import { NotFoundPage } from './pages/NotFoundPage';
import { ResetPasswordPage } from './pages/ResetPasswordPage';
import { SavedPage } from './pages/SavedPage';

// Only admins open it: shoppers never download it.
const AdminPage = lazy(() => import('./pages/admin/AdminPage').then((m) => ({ default: m.AdminPage })));

export function App() {
  return (
    <BrowserRouter>
      <Routes>
        <Route path="/embed/:productId" element={<EmbedPage />} />
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
