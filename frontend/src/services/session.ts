/** The browser's session with the API, below React: every request the app makes goes through
 * `sessionFetch`, which sends the cookies of the app's origin (`credentials: "same-origin"`),
 * adds `X-CSRF-Token` to unsafe requests while logged in, and, when a request is refused
 * because the access token expired, refreshes the session once and sends it again.
 *
 * Refreshing rotates the refresh token, and presenting a token that was already rotated
 * revokes the whole session; so there is only ever one refresh in flight across the app
 * (`refreshSession` hands every caller the same promise), and a request that was sent before
 * the last refresh finished is retried without refreshing again. A refused refresh (401/403)
 * ends the session for the whole app (`onSessionEnded`); a 5xx or a network failure does not.
 *
 * The server refuses an unsafe request made with the session cookie but without the token
 * (403), so while the app does not know yet whether someone is logged in (`expectSession`,
 * until `setSession`), unsafe requests wait: a page that saves or submits a job at once after
 * a reload would otherwise be refused. */
import type { Problem } from '../types/api';

export const AUTH_PATH = '/api/v1/auth';
export const REFRESH_PATH = `${AUTH_PATH}/refresh`;
const UNSAFE_METHODS = new Set(['POST', 'PUT', 'PATCH', 'DELETE']);

type Fetch = (input: string, init?: RequestInit) => Promise<Response>;

interface SessionState {
  csrfToken: string | null;
  /** Whether the app believes a user is logged in (set by the auth context). */
  signedIn: boolean;
  /** Counts finished refreshes, so a request knows whether one happened since it was sent. */
  generation: number;
  lastRefreshOk: boolean;
  refreshing: Promise<boolean> | null;
  /** Pending while who is logged in is not known yet. */
  known: Promise<void> | null;
  markKnown: () => void;
  fetch: Fetch;
  refreshUrl: string;
  onEnded: Set<() => void>;
}

const state: SessionState = {
  csrfToken: null,
  signedIn: false,
  generation: 0,
  lastRefreshOk: false,
  refreshing: null,
  known: null,
  markKnown: () => undefined,
  fetch: (input, init) => fetch(input, init),
  refreshUrl: REFRESH_PATH,
  onEnded: new Set(),
};

/** Where the refresh endpoint is (the API's origin may differ from the app's). */
export function configureSession(options: { refreshUrl?: string; fetch?: Fetch }): void {
  if (options.refreshUrl !== undefined) state.refreshUrl = options.refreshUrl;
  if (options.fetch !== undefined) state.fetch = options.fetch;
}

/** The auth context tells this module who is logged in: the CSRF token of the session, or
 * null when anonymous. */
export function setSession(csrfToken: string | null): void {
  state.csrfToken = csrfToken;
  state.signedIn = csrfToken !== null;
  state.known = null;
  state.markKnown();
}

/** Who is logged in is being asked: unsafe requests wait for `setSession`. */
export function expectSession(): void {
  if (state.known) return;
  state.known = new Promise((resolve) => { state.markKnown = () => { state.markKnown = () => undefined; resolve(); }; });
}

export function csrfToken(): string | null {
  return state.csrfToken;
}

/** Called when the session ended under the app's feet (a refresh was refused). */
export function onSessionEnded(listener: () => void): () => void {
  state.onEnded.add(listener);
  return () => { state.onEnded.delete(listener); };
}

export function isUnsafeMethod(method: string | undefined): boolean {
  return UNSAFE_METHODS.has((method ?? 'GET').toUpperCase());
}

/** `init` with the cookies of the app's origin and, for an unsafe method while logged in, the
 * CSRF token. Headers the caller set are kept. */
export function withSession(init: RequestInit = {}): RequestInit {
  const headers = new Headers(init.headers);
  if (state.csrfToken && isUnsafeMethod(init.method)) headers.set('X-CSRF-Token', state.csrfToken);
  return { ...init, credentials: 'same-origin', headers };
}

/** Whether an answer says the access token expired (and a refresh may help): the API's
 * `SESSION_EXPIRED` problem, which only a genuine token past its time gets. */
export function isExpiredSession(status: number, problem: Pick<Problem, 'detail' | 'code'> | null): boolean {
  return status === 401 && problem?.code === 'SESSION_EXPIRED';
}

async function readProblem(response: Response): Promise<Problem | null> {
  const type = response.headers.get('Content-Type') ?? '';
  if (!type.includes('json')) return null;
  const data = await response.clone().json().catch(() => null);
  return data && typeof data === 'object' && 'status' in data ? (data as Problem) : null;
}

/** Refresh the session; true when the server gave new cookies. Every caller while one is
 * running gets that same one. A refusal ends the session for the whole app. */
export function refreshSession(): Promise<boolean> {
  if (state.refreshing) return state.refreshing;
  const run = (async () => {
    let ok = false;
    let refused = false;
    try {
      const response = await state.fetch(state.refreshUrl, withSession({ method: 'POST', headers: { Accept: 'application/json' } }));
      ok = response.ok;
      refused = response.status === 401 || response.status === 403;
    } catch {
      // Unreachable: the session may well be good still, so it is not ended.
    } finally {
      state.lastRefreshOk = ok;
      state.generation += 1;
      state.refreshing = null;
    }
    if (refused) {
      setSession(null);
      for (const listener of [...state.onEnded]) listener();
    }
    return ok;
  })();
  state.refreshing = run;
  return run;
}

/** `fetch` for the API: see the module's comment. Requests to the auth endpoints themselves
 * (login, refresh, logout…) are never retried; `me` is. A 401 leads to a refresh when the
 * token expired, or, while logged in, whatever the reason (the refresh then tells whether
 * the session lives on). */
export async function sessionFetch(url: string, init: RequestInit = {}): Promise<Response> {
  const auth = isAuthUrl(url);
  // A refresh is under way: wait for it, so that this request carries the new cookie.
  if (state.known && !auth && isUnsafeMethod(init.method)) await state.known;
  if (state.refreshing && !auth) await state.refreshing;
  const sentAt = state.generation;
  const response = await state.fetch(url, withSession(init));
  if (response.status !== 401 || auth || !isApiUrl(url)) return response;
  if (!state.signedIn && !(await expired(response))) return response;
  // A refresh that finished after this request left already renewed the cookie it lacked.
  const renewed = state.generation !== sentAt ? state.lastRefreshOk : await refreshSession();
  if (!renewed) return response;
  return state.fetch(url, withSession(init));
}

async function expired(response: Response): Promise<boolean> {
  return isExpiredSession(response.status, await readProblem(response));
}

function pathOf(url: string): string {
  return url.replace(/^[a-z][a-z0-9+.-]*:\/\/[^/]+/i, '').split(/[?#]/)[0];
}

/** The API's own routes (not `/blobs/…`, not a storage account's URL). */
function isApiUrl(url: string): boolean {
  return pathOf(url).startsWith('/api/');
}

function isAuthUrl(url: string): boolean {
  const path = pathOf(url);
  return path.startsWith(`${AUTH_PATH}/`) && path !== `${AUTH_PATH}/me`;
}

/** For tests: forget everything. */
export function resetSessionForTests(): void {
  state.csrfToken = null;
  state.signedIn = false;
  state.generation = 0;
  state.lastRefreshOk = false;
  state.refreshing = null;
  state.known = null;
  state.markKnown = () => undefined;
  state.fetch = (input, init) => fetch(input, init);
  state.refreshUrl = REFRESH_PATH;
  state.onEnded.clear();
}
