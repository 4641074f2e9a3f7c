/** Routes of the app. */
import { BrowserRouter, Route, Routes } from 'react-router';
import { AppShell } from './components/layout/AppShell';
import { AuthProvider, useAuth } from './context/AuthContext';
import { ToastProvider } from './context/ToastContext';
import { ConfiguratorPage } from './pages/ConfiguratorPage';
import { HomePage } from './pages/HomePage';
import { LoginPage } from './pages/LoginPage';
import { NotFoundPage } from './pages/NotFoundPage';
import { SavedPage } from './pages/SavedPage';

export function App() {
  return (
    <BrowserRouter>
      <ToastProvider>
        <AuthProvider>
          <AppShell>
            <AppRoutes />
          </AppShell>
        </AuthProvider>
      </ToastProvider>
    </BrowserRouter>
  );
}

/** The pages load their data again when someone logs in or out: it may differ per user. */
function AppRoutes() {
  const { identity } = useAuth();
  return (
    <Routes key={identity}>
      <Route path="/" element={<HomePage />} />
      <Route path="/configure/:productId" element={<ConfiguratorPage />} />
      <Route path="/saved" element={<SavedPage />} />
      <Route path="/login" element={<LoginPage />} />
      <Route path="*" element={<NotFoundPage />} />
    </Routes>
  );
}
