/** Who is logged in: asked of `GET /api/v1/auth/me` at start (401: nobody, and the storefront
 * works as for any anonymous shopper), changed by `login` and `logout`, and ended when the
 * session cannot be refreshed any more. The CSRF token of the session is handed to
 * ../services/session, which adds it to every unsafe request. */
import { createContext, useCallback, useContext, useEffect, useMemo, useState, type ReactNode } from 'react';
import { loginPath } from '../lib/nextPath';
import { ApiError, api } from '../services/api';
import { expectSession, onSessionEnded, pageHasNoSession, setSession } from '../services/session';
import type { AccountClient, AccountUser, Me } from '../types/api';
import { useToast } from './ToastContext';

export type AuthStatus = 'loading' | 'anonymous' | 'authenticated';

interface AuthState {
  status: AuthStatus;
  user: AccountUser | null;
  client: AccountClient | null;
  csrfToken: string | null;
}

export interface AuthApi extends AuthState {
  /** Throws the `ApiError` of a refused login (401, 403, 429 with `retryAfterSeconds`…). */
  login(email: string, password: string): Promise<AccountUser>;
  logout(): Promise<void>;
  /** Changes when someone logs in or out, so that pages can load their data again. */
  identity: number;
}

const ANONYMOUS: AuthState = { status: 'anonymous', user: null, client: null, csrfToken: null };
const LOADING: AuthState = { ...ANONYMOUS, status: 'loading' };

const AuthContext = createContext<AuthApi>({
  ...ANONYMOUS,
  identity: 0,
  login: () => Promise.reject(new Error('no AuthProvider')),
  logout: () => Promise.resolve(),
});

export function useAuth(): AuthApi {
  return useContext(AuthContext);
}

function signedIn(me: Me): AuthState {
  return { status: 'authenticated', user: me.user, client: me.client, csrfToken: me.csrf_token };
}

/** Whether an error of `me` means "nobody is logged in" rather than a failure worth telling. */
export function isAnonymousAnswer(error: unknown): boolean {
  return error instanceof ApiError && (error.status === 401 || error.status === 403);
}

export function AuthProvider({ children }: { children: ReactNode }) {
  // Set while rendering, before any page's effect can send an unsafe request. A page served
  // without a session cookie is anonymous at once.
  const [noSession] = useState(() => pageHasNoSession(document));
  const [state, setState] = useState<AuthState>(() => {
    if (noSession) {
      setSession(null);
      return ANONYMOUS;
    }
    expectSession();
    return LOADING;
  });
  const [identity, setIdentity] = useState(0);
  const { notify } = useToast();

  const become = useCallback((next: AuthState) => {
    setSession(next.csrfToken);
    setState(next);
  }, []);

  useEffect(() => {
    if (noSession) return;
    const controller = new AbortController();
    api.me(controller.signal).then(
      (me) => become(signedIn(me)),
      (error: unknown) => {
        if ((error as Error).name === 'AbortError') return;
        // Unreachable or failing: browse anonymously; the pages say what does not work.
        if (!isAnonymousAnswer(error)) console.warn('Could not tell who is logged in:', error);
        become(ANONYMOUS);
      },
    );
    return () => controller.abort();
  }, [become, noSession]);

  useEffect(() => onSessionEnded(() => {
    become(ANONYMOUS);
    setIdentity((n) => n + 1);
    const here = window.location.pathname + window.location.search + window.location.hash;
    notify('Your session has ended. Log in again to continue.', { tone: 'error', action: { label: 'Log in', to: loginPath(here) } });
  }), [become, notify]);

  const login = useCallback(async (email: string, password: string) => {
    await api.login(email, password);
    const me = await api.me();
    become(signedIn(me));
    setIdentity((n) => n + 1);
    return me.user;
  }, [become]);

  const logout = useCallback(async () => {
    await api.logout();
    become(ANONYMOUS);
    setIdentity((n) => n + 1);
  }, [become]);

  const value = useMemo<AuthApi>(() => ({ ...state, identity, login, logout }), [state, identity, login, logout]);
  return <AuthContext.Provider value={value}>{children}</AuthContext.Provider>;
}
