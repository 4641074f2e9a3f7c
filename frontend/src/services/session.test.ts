import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { api, ApiError, retryAfterSeconds } from './api';
import {
  carriesStorefrontKey, configureSession, csrfToken, expectSession, isExpiredSession, isPublishableKey, onSessionEnded, pageHasNoSession, readStorefrontMeta,
  refreshSession, resetSessionForTests, sessionFetch, setPageStorefrontKeyForTests, setSession, setStorefrontKey, storefrontKey,
  withStorefrontAccess,
} from './session';

const EXPIRED = { type: 'about:blank', title: 'Session expired', status: 401, detail: 'the session token has expired; refresh it or log in again', code: 'SESSION_EXPIRED' };
const NO_SESSION = { type: 'about:blank', title: 'Unauthorized', status: 401, detail: 'log in first: this needs a session', code: 'UNAUTHORIZED' };

function json(status: number, body: unknown, headers: Record<string, string> = {}): Response {
  return new Response(JSON.stringify(body), { status, headers: { 'Content-Type': status >= 400 ? 'application/problem+json' : 'application/json', ...headers } });
}

interface Call { url: string; method: string; headers: Headers; credentials?: RequestCredentials }

/** A pretend API: the access cookie is "valid" or "expired"; a refresh makes it valid after
 * `release()` is called (so tests can hold several requests while it runs). */
function fakeServer(options: { refreshStatus?: number } = {}) {
  const calls: Call[] = [];
  let cookie: 'valid' | 'expired' | 'none' = 'valid';
  let release: () => void = () => undefined;
  let gate = Promise.resolve();
  const fetch = vi.fn(async (url: string, init: RequestInit = {}) => {
    calls.push({ url, method: init.method ?? 'GET', headers: new Headers(init.headers), credentials: init.credentials });
    if (url.endsWith('/api/v1/auth/refresh')) {
      await gate;
      if ((options.refreshStatus ?? 200) !== 200) {
        cookie = 'none';
        return json(options.refreshStatus!, { ...NO_SESSION, detail: 'no valid refresh token' });
      }
      cookie = 'valid';
      return json(200, { user: {}, client: {} });
    }
    if (url.endsWith('/api/v1/auth/login')) return json(401, { ...NO_SESSION, detail: 'wrong email or password' });
    if (cookie === 'expired') return json(401, EXPIRED);
    if (cookie === 'none') return json(401, NO_SESSION);
    return json(200, { ok: true });
  });
  configureSession({ fetch, refreshUrl: '/api/v1/auth/refresh' });
  return {
    calls,
    fetch,
    expire() { cookie = 'expired'; },
    end() { cookie = 'none'; },
    hold() { gate = new Promise((resolve) => { release = resolve; }); },
    release: () => release(),
    refreshes: () => calls.filter((c) => c.url.endsWith('/auth/refresh')).length,
  };
}

beforeEach(() => resetSessionForTests());
afterEach(() => resetSessionForTests());

describe('CSRF header and cookies', () => {
  it('sends the token on unsafe methods only, and only while logged in', async () => {
    const server = fakeServer();
    setSession('csrf-1');
    for (const method of ['GET', 'HEAD', 'OPTIONS', 'POST', 'PUT', 'PATCH', 'DELETE', 'post', 'delete']) {
      await sessionFetch('/api/v1/things', { method });
    }
    await sessionFetch('/api/v1/things');
    const sent = server.calls.map((c) => [c.method, c.headers.get('X-CSRF-Token')]);
    expect(sent).toEqual([
      ['GET', null], ['HEAD', null], ['OPTIONS', null],
      ['POST', 'csrf-1'], ['PUT', 'csrf-1'], ['PATCH', 'csrf-1'], ['DELETE', 'csrf-1'], ['post', 'csrf-1'], ['delete', 'csrf-1'],
      ['GET', null],
    ]);

    setSession(null);
    await sessionFetch('/api/v1/things', { method: 'POST' });
    expect(server.calls.at(-1)!.headers.has('X-CSRF-Token')).toBe(false);
  });

  it('sends the cookies of the app\'s origin with every request and keeps the caller\'s headers', async () => {
    const server = fakeServer();
    setSession('csrf-1');
    await sessionFetch('/api/v1/things', { method: 'POST', headers: { 'Content-Type': 'application/json', Accept: 'application/json' } });
    await sessionFetch('/blobs/a.glb');
    expect(server.calls.map((c) => c.credentials)).toEqual(['same-origin', 'same-origin']);
    expect(server.calls[0].headers.get('Content-Type')).toBe('application/json');
    expect(server.calls[0].headers.get('Accept')).toBe('application/json');
  });

  it('the API client goes through it: credentials and the token on a save, not on a read', async () => {
    const server = fakeServer();
    setSession('csrf-2');
    await api.listProducts();
    await api.createConfiguration('p1', 'Mine', {});
    expect(server.calls.map((c) => [c.method, c.credentials, c.headers.get('X-CSRF-Token')])).toEqual([
      ['GET', 'same-origin', null],
      ['POST', 'same-origin', 'csrf-2'],
    ]);
  });
});

describe('before the app knows who is logged in', () => {
  it('holds unsafe requests until the CSRF token is known, not reads', async () => {
    const server = fakeServer();
    expectSession();
    const save = sessionFetch('/api/v1/configurations', { method: 'POST', body: '{}' });
    expect((await sessionFetch('/api/v1/products')).status).toBe(200);
    await new Promise((resolve) => setTimeout(resolve, 10));
    expect(server.calls.map((c) => c.url)).toEqual(['/api/v1/products']);
    setSession('csrf-3');
    expect((await save).status).toBe(200);
    expect(server.calls.at(-1)!.headers.get('X-CSRF-Token')).toBe('csrf-3');
  });

  it('lets them go without a token once it is known that nobody is logged in', async () => {
    const server = fakeServer();
    expectSession();
    const job = sessionFetch('/api/v1/jobs', { method: 'POST', body: '{}' });
    setSession(null);
    expect((await job).status).toBe(200);
    expect(server.calls[0].headers.has('X-CSRF-Token')).toBe(false);
  });
});

describe('refresh when the access token expired', () => {
  it('refreshes once and sends the request again', async () => {
    const server = fakeServer();
    setSession('csrf-1');
    server.expire();
    const response = await sessionFetch('/api/v1/products');
    expect(response.status).toBe(200);
    expect(server.calls.map((c) => c.url)).toEqual(['/api/v1/products', '/api/v1/auth/refresh', '/api/v1/products']);
  });

  it('runs a single refresh for requests refused at the same time', async () => {
    const server = fakeServer();
    setSession('csrf-1');
    server.expire();
    server.hold();
    const pending = [
      sessionFetch('/api/v1/products'),
      sessionFetch('/api/v1/configurations', { method: 'POST', body: '{}' }),
      sessionFetch('/api/v1/jobs/1'),
    ];
    await vi.waitFor(() => expect(server.refreshes()).toBe(1));
    // Another request while the refresh runs waits for it instead of being refused.
    const late = sessionFetch('/api/v1/products/2');
    expect(refreshSession()).toBe(refreshSession()); // the same promise for every caller
    server.release();
    const answers = await Promise.all([...pending, late]);
    expect(answers.map((r) => r.status)).toEqual([200, 200, 200, 200]);
    expect(server.refreshes()).toBe(1);
    const late2 = server.calls.filter((c) => c.url === '/api/v1/products/2');
    expect(late2).toHaveLength(1);
  });

  it('does not refresh again for a request that left before the last refresh finished', async () => {
    const server = fakeServer();
    setSession('csrf-1');
    server.expire();
    let answerSlowly: (r: Response) => void = () => undefined;
    const slow = new Promise<Response>((resolve) => { answerSlowly = resolve; });
    const base = server.fetch.getMockImplementation()!;
    server.fetch.mockImplementation(async (url: string, init?: RequestInit) =>
      (url === '/api/v1/slow' && !server.calls.some((c) => c.url === '/api/v1/slow') ? (server.calls.push({ url, method: 'GET', headers: new Headers() }), slow) : base(url, init)));
    const slowRequest = sessionFetch('/api/v1/slow');
    expect((await sessionFetch('/api/v1/products')).status).toBe(200); // this one refreshed
    answerSlowly(json(401, EXPIRED)); // sent with the old cookie, answered after the refresh
    expect((await slowRequest).status).toBe(200);
    expect(server.refreshes()).toBe(1);
  });

  it('ends the session for the app when the refresh is refused, and gives back the 401', async () => {
    const server = fakeServer({ refreshStatus: 401 });
    const ended = vi.fn();
    onSessionEnded(ended);
    setSession('csrf-1');
    server.expire();
    const response = await sessionFetch('/api/v1/products');
    expect(response.status).toBe(401);
    expect(ended).toHaveBeenCalledTimes(1);
    expect(csrfToken()).toBeNull();
    expect(server.refreshes()).toBe(1);
    // Anonymous now: a refused request is not followed by another refresh.
    await sessionFetch('/api/v1/products');
    expect(server.refreshes()).toBe(1);
  });

  it('keeps the session when the refresh could not reach the server', async () => {
    const server = fakeServer();
    const ended = vi.fn();
    onSessionEnded(ended);
    setSession('csrf-1');
    server.expire();
    const base = server.fetch.getMockImplementation()!;
    server.fetch.mockImplementation(async (url: string, init?: RequestInit) => {
      if (url.endsWith('/auth/refresh')) throw new TypeError('Failed to fetch');
      return base(url, init);
    });
    expect((await sessionFetch('/api/v1/products')).status).toBe(401);
    expect(ended).not.toHaveBeenCalled();
    expect(csrfToken()).toBe('csrf-1');
  });

  it('anonymous: a 401 that is not an expired token is answered as is (no refresh)', async () => {
    const server = fakeServer();
    server.end();
    expect((await sessionFetch('/api/v1/auth/me')).status).toBe(401);
    expect(server.refreshes()).toBe(0);
  });

  it('at start, an expired cookie is refreshed before `me` answers', async () => {
    const server = fakeServer();
    server.expire();
    expect((await sessionFetch('/api/v1/auth/me')).status).toBe(200);
    expect(server.refreshes()).toBe(1);
  });

  it('never refreshes for the auth endpoints themselves, nor for blobs', async () => {
    const server = fakeServer();
    setSession('csrf-1');
    expect((await sessionFetch('/api/v1/auth/login', { method: 'POST' })).status).toBe(401);
    server.expire();
    expect((await sessionFetch('/blobs/x.glb')).status).toBe(401);
    expect(server.refreshes()).toBe(0);
  });

  it('tells an expired token from other refusals', () => {
    expect(isExpiredSession(401, EXPIRED)).toBe(true);
    expect(isExpiredSession(401, { detail: 'the token has expired', code: 'UNAUTHORIZED' })).toBe(false);
    expect(isExpiredSession(401, NO_SESSION)).toBe(false);
    expect(isExpiredSession(403, EXPIRED)).toBe(false);
    expect(isExpiredSession(401, null)).toBe(false);
  });
});

describe('Retry-After', () => {
  it('reads seconds and HTTP dates', () => {
    expect(retryAfterSeconds('120')).toBe(120);
    expect(retryAfterSeconds(null)).toBeNull();
    expect(retryAfterSeconds('soon')).toBeNull();
    const now = Date.parse('2030-01-01T12:00:00Z');
    expect(retryAfterSeconds('Tue, 01 Jan 2030 12:01:30 GMT', now)).toBe(90);
  });

  it('is on the ApiError of a throttled login', async () => {
    configureSession({ fetch: async () => json(429, { ...NO_SESSION, status: 429, title: 'Too many requests', detail: 'too many failed logins' }, { 'Retry-After': '300' }) });
    const error = await api.login('a@b.example', 'x').catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ApiError);
    expect((error as ApiError).status).toBe(429);
    expect((error as ApiError).retryAfterSeconds).toBe(300);
  });
});

const PK = 'pk_Page-key_0123456789';
const EMBED_PK = 'pk_Embed-key_abcdef';

/** A document with `<meta name="configurator-storefront-key" content=…>` (or none). */
function pageWith(content: string | null): Pick<Document, 'querySelector'> {
  return {
    querySelector: (selector: string) => (content !== null && selector === 'meta[name="configurator-storefront-key"]'
      ? ({ getAttribute: (name: string) => (name === 'content' ? content : null) } as unknown as Element)
      : null),
  };
}

describe('storefront key', () => {
  const bearer = (call: Call) => call.headers.get('Authorization');

  it('is read from the page\'s meta tag, only as a publishable key', () => {
    expect(readStorefrontMeta(pageWith(PK))).toBe(PK);
    expect(readStorefrontMeta(pageWith(`  ${PK}\n`))).toBe(PK);
    expect(readStorefrontMeta(pageWith(null))).toBeNull();
    expect(readStorefrontMeta(pageWith(''))).toBeNull();
    expect(readStorefrontMeta(pageWith('sk_secret_by_mistake'))).toBeNull();
    expect(readStorefrontMeta(pageWith('pk_has space'))).toBeNull();
    expect(readStorefrontMeta(undefined)).toBeNull();
    expect(isPublishableKey('pk_')).toBe(false);
    expect(isPublishableKey('pk_abc-DEF_123')).toBe(true);
  });

  it('goes with every API request while nobody is logged in, and with none while someone is', async () => {
    const server = fakeServer();
    setPageStorefrontKeyForTests(PK);
    setSession(null);
    await api.listProducts();
    await api.getConfiguration('c1');
    await api.createConfiguration('p1', 'Mine', {});
    await api.submitJob('p1', {});
    await api.cancelJob('j1');
    await api.requestPasswordReset('a@b.example');
    expect(server.calls.map(bearer)).toEqual(Array(6).fill(`Bearer ${PK}`));
    expect(server.calls.every((c) => !c.headers.has('X-CSRF-Token'))).toBe(true);

    server.calls.length = 0;
    setSession('csrf-1');
    await api.listProducts();
    await api.createConfiguration('p1', 'Mine', {});
    expect(server.calls.map(bearer)).toEqual([null, null]);
    expect(server.calls[1].headers.get('X-CSRF-Token')).toBe('csrf-1');

    server.calls.length = 0;
    setSession(null); // logged out
    await api.listProducts();
    expect(server.calls.map(bearer)).toEqual([`Bearer ${PK}`]);
  });

  it('never goes with the session\'s own endpoints, blobs or another origin', async () => {
    const server = fakeServer();
    setPageStorefrontKeyForTests(PK);
    setSession(null);
    for (const url of ['/api/v1/auth/me', '/api/v1/auth/refresh', '/api/v1/auth/logout', '/api/v1/auth/password',
      '/blobs/c/glb/x.glb?expires=1&signature=s', 'https://account.blob.core.windows.net/api/x.glb', 'https://elsewhere.example/api/v1/products']) {
      await sessionFetch(url, { method: url.endsWith('/me') || url.includes('glb') || url.includes('products') ? 'GET' : 'POST' });
    }
    expect(server.calls.map(bearer)).toEqual(Array(7).fill(null));
    expect(carriesStorefrontKey('/api/v1/auth/login')).toBe(true);
    expect(carriesStorefrontKey('/api/v1/auth/password-reset/confirm')).toBe(true);
  });

  it('goes to the API\'s own origin when the API is elsewhere', () => {
    setPageStorefrontKeyForTests(PK);
    configureSession({ apiBase: 'https://api.shop.example' });
    expect(carriesStorefrontKey('https://api.shop.example/api/v1/products')).toBe(true);
    expect(carriesStorefrontKey('https://API.shop.example/api/v1/products')).toBe(true);
    expect(carriesStorefrontKey('https://other.example/api/v1/products')).toBe(false);
    expect(carriesStorefrontKey('https://api.shop.example/blobs/x.glb')).toBe(false);
  });

  it('is not sent when there is none', async () => {
    const server = fakeServer();
    setPageStorefrontKeyForTests(null);
    setSession(null);
    await api.listProducts();
    expect(server.calls.map(bearer)).toEqual([null]);
    expect(storefrontKey()).toBeNull();
  });

  it('an embed page\'s key wins over the page\'s; an invalid one is ignored', async () => {
    const server = fakeServer();
    setPageStorefrontKeyForTests(PK);
    setStorefrontKey(EMBED_PK);
    setSession(null);
    await api.listProducts();
    setStorefrontKey('sk_not_publishable');
    await api.listProducts();
    expect(server.calls.map(bearer)).toEqual([`Bearer ${EMBED_PK}`, `Bearer ${PK}`]);
  });

  it('with a key, reads wait until it is known who is logged in; `me` does not', async () => {
    const server = fakeServer();
    setPageStorefrontKeyForTests(PK);
    expectSession();
    const products = sessionFetch('/api/v1/products');
    expect((await sessionFetch('/api/v1/auth/me')).status).toBe(200);
    await new Promise((resolve) => setTimeout(resolve, 10));
    expect(server.calls.map((c) => c.url)).toEqual(['/api/v1/auth/me']);
    setSession('csrf-1'); // someone is: the cookie speaks, not the key
    expect((await products).status).toBe(200);
    expect(server.calls.map((c) => [c.url, bearer(c)])).toEqual([['/api/v1/auth/me', null], ['/api/v1/products', null]]);

    resetSessionForTests();
    const again = fakeServer();
    setPageStorefrontKeyForTests(PK);
    expectSession();
    const anonymous = sessionFetch('/api/v1/products');
    setSession(null);
    await anonymous;
    expect(again.calls.map(bearer)).toEqual([`Bearer ${PK}`]);
  });

  it('the job socket carries it as ?access_key= while nobody is logged in', () => {
    setPageStorefrontKeyForTests(PK);
    configureSession({ apiBase: 'https://shop.example' });
    setSession(null);
    expect(withStorefrontAccess('wss://shop.example/api/v1/jobs/j1/events'))
      .toBe(`wss://shop.example/api/v1/jobs/j1/events?access_key=${PK}`);
    expect(withStorefrontAccess('/api/v1/jobs/j1/events?x=1')).toBe(`/api/v1/jobs/j1/events?x=1&access_key=${PK}`);
    expect(withStorefrontAccess('wss://elsewhere.example/api/v1/jobs/j1/events')).toBe('wss://elsewhere.example/api/v1/jobs/j1/events');
    setSession('csrf-1');
    expect(withStorefrontAccess('wss://shop.example/api/v1/jobs/j1/events')).toBe('wss://shop.example/api/v1/jobs/j1/events');
  });

  it('a refused refresh leaves the app anonymous: the next request goes with the key', async () => {
    const server = fakeServer({ refreshStatus: 401 });
    setPageStorefrontKeyForTests(PK);
    setSession('csrf-1');
    server.expire();
    expect((await sessionFetch('/api/v1/products')).status).toBe(401);
    expect(server.calls.map(bearer)).toEqual([null, null]);
    server.calls.length = 0;
    await sessionFetch('/api/v1/products');
    expect(server.calls.map(bearer)).toEqual([`Bearer ${PK}`]);
  });
});

describe('a page served without a session cookie', () => {
  const page = (content: string | null): Pick<Document, 'querySelector'> => ({
    querySelector: (selector: string) => (content !== null && selector === 'meta[name="configurator-session"]'
      ? ({ getAttribute: (name: string) => (name === 'content' ? content : null) } as unknown as Element)
      : null),
  });

  it('says nobody is logged in only when its meta tag says none', () => {
    expect(pageHasNoSession(page('none'))).toBe(true);
    expect(pageHasNoSession(page(null))).toBe(false);
    expect(pageHasNoSession(page('some'))).toBe(false);
    expect(pageHasNoSession(undefined)).toBe(false);
  });
});
