/** The `/api/v1` client. `VITE_API_URL` names the API's origin; empty means the app's own
 * origin (production: the API server also serves this app). */
import type {
  Configuration, ConfigurationCreate, ConfigurationList, ConfigurationUpdate, Job, JobCreate, LoginRequest, Me, Problem,
  Product, ProductList, SignedIn,
} from '../types/api';
import type { ConfigData } from '../types/configSchema';
import { AUTH_PATH, configureSession, REFRESH_PATH, sessionFetch } from './session';

const API_BASE = (import.meta.env.VITE_API_URL ?? '').replace(/\/+$/, '');
configureSession({ refreshUrl: API_BASE + REFRESH_PATH });

/** An error answer of the API (problem+json when the server wrote one) or a network failure. */
export class ApiError extends Error {
  readonly status: number;
  readonly problem: Problem | null;
  /** Seconds to wait before trying again, from the answer's `Retry-After` (429, 503). */
  readonly retryAfterSeconds: number | null;

  constructor(status: number, problem: Problem | null, message: string, retryAfterSeconds: number | null = null) {
    super(message);
    this.name = 'ApiError';
    this.status = status;
    this.problem = problem;
    this.retryAfterSeconds = retryAfterSeconds;
  }

  /** JSON pointer ("/door_count") → message, for errors the server tied to a value. */
  fieldErrors(): Record<string, string> {
    const out: Record<string, string> = {};
    for (const e of this.problem?.errors ?? []) {
      const key = e.pointer?.replace(/^\//, '').split('/')[0];
      if (key && !(key in out)) out[key] = e.message;
    }
    return out;
  }
}

export function apiUrl(path: string): string {
  return API_BASE + path;
}

/** Absolute URL of something the API names: `/blobs/…` is on the API's origin; Azure URLs are absolute already. */
export function resolveApiUrl(url: string): string {
  return new URL(/^[a-z][a-z0-9+.-]*:/i.test(url) ? url : apiUrl(url), window.location.href).href;
}

/** ws(s):// URL of an API path, on the API's origin. */
export function webSocketUrl(path: string): string {
  const url = new URL(apiUrl(path), window.location.href);
  url.protocol = url.protocol === 'https:' ? 'wss:' : 'ws:';
  return url.href;
}

/** `Retry-After` in seconds: a number of seconds or an HTTP date; null when absent or unreadable. */
export function retryAfterSeconds(header: string | null, now = Date.now()): number | null {
  if (!header) return null;
  const value = header.trim();
  if (/^\d+$/.test(value)) return Number(value);
  const at = Date.parse(value);
  return Number.isNaN(at) ? null : Math.max(0, Math.ceil((at - now) / 1000));
}

/** `fetch` through the session (cookies of the app's origin, CSRF token, one refresh when
 * the token expired: ./session), with a network failure turned into an `ApiError` of status
 * 0 saying `unreachable` (an abort stays an abort). */
export async function fetchOrFail(url: string, init: RequestInit, unreachable: string): Promise<Response> {
  try {
    return await sessionFetch(url, init);
  } catch (error) {
    if ((error as Error).name === 'AbortError') throw error;
    throw new ApiError(0, null, unreachable);
  }
}

async function request<T>(method: string, path: string, body?: unknown, signal?: AbortSignal): Promise<{ status: number; data: T }> {
  const response = await fetchOrFail(apiUrl(path), {
    method,
    signal,
    headers: body === undefined ? { Accept: 'application/json' } : { Accept: 'application/json', 'Content-Type': 'application/json' },
    body: body === undefined ? undefined : JSON.stringify(body),
  }, 'The server cannot be reached. Check your connection and try again.');
  if (response.status === 204) return { status: 204, data: undefined as T };
  const type = response.headers.get('Content-Type') ?? '';
  const data = type.includes('json') ? await response.json().catch(() => null) : null;
  if (!response.ok) {
    const problem = data && typeof data === 'object' && 'status' in data ? (data as Problem) : null;
    throw new ApiError(response.status, problem, problem?.detail || problem?.title || `${method} ${path} failed (${response.status})`,
      retryAfterSeconds(response.headers.get('Retry-After')));
  }
  return { status: response.status, data: data as T };
}

const get = async <T>(path: string, signal?: AbortSignal) => (await request<T>('GET', path, undefined, signal)).data;

export const api = {
  /** Sets the session cookies; the CSRF token comes with `me`. */
  login: async (email: string, password: string) => {
    const body: LoginRequest = { email, password };
    return (await request<SignedIn>('POST', `${AUTH_PATH}/login`, body)).data;
  },
  logout: async () => {
    await request<void>('POST', `${AUTH_PATH}/logout`);
  },
  /** 401 when nobody is logged in. */
  me: (signal?: AbortSignal) => get<Me>(`${AUTH_PATH}/me`, signal),

  listProducts: (limit = 50, offset = 0, signal?: AbortSignal) =>
    get<ProductList>(`/api/v1/products?limit=${limit}&offset=${offset}`, signal),
  getProduct: (id: string, signal?: AbortSignal) => get<Product>(`/api/v1/products/${encodeURIComponent(id)}`, signal),

  listConfigurations: (limit = 100, offset = 0, signal?: AbortSignal) =>
    get<ConfigurationList>(`/api/v1/configurations?limit=${limit}&offset=${offset}`, signal),
  createConfiguration: async (productId: string, name: string, configData: ConfigData) => {
    const body: ConfigurationCreate = { product_id: productId, name, config_data: configData };
    return (await request<Configuration>('POST', '/api/v1/configurations', body)).data;
  },
  renameConfiguration: async (id: string, name: string) => {
    const body: ConfigurationUpdate = { name };
    return (await request<Configuration>('PATCH', `/api/v1/configurations/${encodeURIComponent(id)}`, body)).data;
  },
  deleteConfiguration: async (id: string) => {
    await request<void>('DELETE', `/api/v1/configurations/${encodeURIComponent(id)}`);
  },

  /** 200 with a COMPLETED job when the result is cached, else 202 with a queued one. */
  submitJob: async (productId: string, configData: ConfigData, signal?: AbortSignal) => {
    const body: JobCreate = { product_id: productId, config_data: configData };
    return (await request<Job>('POST', '/api/v1/jobs', body, signal)).data;
  },
  getJob: (id: string, signal?: AbortSignal) => get<Job>(`/api/v1/jobs/${encodeURIComponent(id)}`, signal),
  cancelJob: async (id: string) => (await request<Job>('POST', `/api/v1/jobs/${encodeURIComponent(id)}/cancel`)).data,
};
