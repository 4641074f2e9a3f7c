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
 * a reload would otherwise be refused.
 *
 * **Storefront key.** While nobody is logged in, the app acts as the storefront: every API
 * request carries `Authorization: Bearer pk_…`, the publishable key the server writes into the
 * page (`<meta name="configurator-storefront-key">`), or the one an embed page was given
 * (`setStorefrontKey`, which wins). While someone is logged in no Authorization header is sent
 * (the server would let the key win over the session cookie). The session's own endpoints
 * (`me`, refresh, logout, password change) never carry it: they are about the cookie. The job
 * socket cannot carry headers: its URL gets `?access_key=` instead (`withStorefrontAccess`).
 * Since whether the key goes along depends on who is logged in, with a key every API request
 * (reads too) waits until that is known. */
import type { Problem } from '../types/api';

export const AUTH_PATH = '/api/v1/auth';
export const REFRESH_PATH = `${AUTH_PATH}/refresh`;
export const STOREFRONT_META = 'configurator-storefront-key';
/** `<meta name="configurator-session" content="none">`: the page was asked for without a
 * session cookie, so nobody is logged in and `me` need not be asked (its 401 would be a
 * failed request in the console of every anonymous shopper, and a round trip before the
 * first unsafe request). */
export const SESSION_META = 'configurator-session';
export const ACCESS_KEY_PARAM = 'access_key';
/** About the session cookie itself: never sent with the storefront key. */
const SESSION_PATHS = new Set([`${AUTH_PATH}/me`, REFRESH_PATH, `${AUTH_PATH}/logout`, `${AUTH_PATH}/password`]);
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
  /** Origin of the API when it is not the page's (`VITE_API_URL`); null: the page's. */
  apiOrigin: string | null;
  /** The key an embed page was given; it wins over the page's meta tag. */
  storefrontOverride: string | null;
  /** The page's key, read once (undefined: not read yet). */
  storefrontFromPage: string | null | undefined;
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
  apiOrigin: null,
  storefrontOverride: null,
  storefrontFromPage: undefined,
  onEnded: new Set(),
};

/** Where the refresh endpoint is and which origin the API is on (it may differ from the app's). */
export function configureSession(options: { refreshUrl?: string; apiBase?: string; fetch?: Fetch }): void {
  if (options.refreshUrl !== undefined) state.refreshUrl = options.refreshUrl;
  if (options.apiBase !== undefined) state.apiOrigin = absoluteOrigin(options.apiBase);
  if (options.fetch !== undefined) state.fetch = options.fetch;
}

/** A publishable key as the app accepts one: `pk_` and URL-safe characters. Anything else
 * (empty, a secret `sk_` key by mistake) is not sent. */
export function isPublishableKey(value: string | null | undefined): value is string {
  return typeof value === 'string' && /^pk_[A-Za-z0-9_-]{1,200}$/.test(value);
}

/** Whether the page says it was served without a session cookie (SESSION_META). */
export function pageHasNoSession(doc: Pick<Document, 'querySelector'> | undefined): boolean {
  return doc?.querySelector(`meta[name="${SESSION_META}"]`)?.getAttribute('content') === 'none';
}

/** The key of `<meta name="configurator-storefront-key" content="pk_…">`, or null. */
export function readStorefrontMeta(doc: Pick<Document, 'querySelector'> | undefined): string | null {
  const content = doc?.querySelector(`meta[name="${STOREFRONT_META}"]`)?.getAttribute('content')?.trim();
  return isPublishableKey(content) ? content : null;
}

/** The storefront key in use: the embed's, else the page's (read once from its meta tag; in
 * development `VITE_STOREFRONT_KEY` stands in for it), else null. */
export function storefrontKey(): string | null {
  if (state.storefrontOverride) return state.storefrontOverride;
  if (state.storefrontFromPage === undefined) {
    const fromPage = readStorefrontMeta(typeof document === 'undefined' ? undefined : document);
    const fromEnv = import.meta.env?.VITE_STOREFRONT_KEY;
    state.storefrontFromPage = fromPage ?? (isPublishableKey(fromEnv) ? fromEnv : null);
  }
  return state.storefrontFromPage;
}

/** The embed page's key (from its `?key=`): used instead of the page's. An invalid key is
 * ignored (null: back to the page's). */
export function setStorefrontKey(key: string | null): void {
  state.storefrontOverride = isPublishableKey(key) ? key : null;
}

/** Whether a request to `url` goes as the storefront: nobody logged in, a key known, an API
 * route of the API's origin other than the session's own endpoints. */
export function carriesStorefrontKey(url: string): boolean {
  if (state.signedIn || !isApiUrl(url)) return false;
  if (isSessionPath(url)) return false;
  return storefrontKey() !== null;
}

/** The job socket's URL with `?access_key=` while the app acts as the storefront (a socket
 * cannot carry an Authorization header); as it is otherwise. */
export function withStorefrontAccess(url: string): string {
  if (!carriesStorefrontKey(url)) return url;
  const parsed = new URL(url, 'http://app.invalid');
  parsed.searchParams.set(ACCESS_KEY_PARAM, storefrontKey()!);
  return /^[a-z][a-z0-9+.-]*:\/\//i.test(url) ? parsed.href : parsed.pathname + parsed.search + parsed.hash;
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
 * CSRF token; for `url`, while nobody is logged in, the storefront key. Headers the caller set
 * are kept. */
export function withSession(init: RequestInit = {}, url?: string): RequestInit {
  const headers = new Headers(init.headers);
  if (state.csrfToken && isUnsafeMethod(init.method)) headers.set('X-CSRF-Token', state.csrfToken);
  if (url !== undefined && !headers.has('Authorization') && carriesStorefrontKey(url)) {
    headers.set('Authorization', `Bearer ${storefrontKey()}`);
  }
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
  // Who is logged in decides the CSRF token (unsafe requests) and, with a storefront key,
  // whether the key goes along (every API request but the session's own).
  if (state.known && !auth && (isUnsafeMethod(init.method) || waitsForIdentity(url))) await state.known;
  // A refresh is under way: wait for it, so that this request carries the new cookie.
  if (state.refreshing && !auth) await state.refreshing;
  const sentAt = state.generation;
  const response = await state.fetch(url, withSession(init, url));
  if (response.status !== 401 || auth || !isApiUrl(url)) return response;
  if (!state.signedIn && !(await expired(response))) return response;
  // A refresh that finished after this request left already renewed the cookie it lacked.
  const renewed = state.generation !== sentAt ? state.lastRefreshOk : await refreshSession();
  if (!renewed) return response;
  return state.fetch(url, withSession(init, url));
}

function waitsForIdentity(url: string): boolean {
  return isApiUrl(url) && !isSessionPath(url) && storefrontKey() !== null;
}

async function expired(response: Response): Promise<boolean> {
  return isExpiredSession(response.status, await readProblem(response));
}

function pathOf(url: string): string {
  return url.replace(/^[a-z][a-z0-9+.-]*:\/\/[^/]+/i, '').split(/[?#]/)[0];
}

/** `scheme://host[:port]` of an absolute URL (a socket's ws/wss read as http/https), else null. */
function absoluteOrigin(url: string): string | null {
  const match = /^([a-z][a-z0-9+.-]*):\/\/([^/?#]+)/i.exec(url);
  if (!match) return null;
  const scheme = match[1].toLowerCase();
  return `${scheme === 'ws' ? 'http' : scheme === 'wss' ? 'https' : scheme}://${match[2].toLowerCase()}`;
}

function isSessionPath(url: string): boolean {
  return SESSION_PATHS.has(pathOf(url).replace(/\/+$/, ''));
}

/** The API's own routes (not `/blobs/…`, not a storage account's URL): a path of the page's
 * origin, or an absolute URL on the API's origin (the page's when none is configured). */
export function isApiUrl(url: string): boolean {
  const origin = absoluteOrigin(url);
  if (origin !== null) {
    const api = state.apiOrigin ?? (typeof location === 'undefined' ? null : location.origin.toLowerCase());
    if (origin !== api) return false;
  }
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
  state.apiOrigin = null;
  state.storefrontOverride = null;
  state.storefrontFromPage = undefined;
  state.onEnded.clear();
}

/** For tests: the key the page would carry (instead of reading a meta tag). */
export function setPageStorefrontKeyForTests(key: string | null): void {
  state.storefrontFromPage = key;
}
