/** The `/api/v1` client. `VITE_API_URL` names the API's origin; empty means the app's own
 * origin (production: the API server also serves this app). */
import type {
  ApiKeyCreate, ApiKeyCreated, ApiKeyList, AuditEventList, Configuration, ConfigurationCreate, ConfigurationList,
  ConfigurationUpdate, Job, JobCreate, LoginRequest, Me, PasswordChange, PasswordResetConfirm, PasswordResetRequest,
  Problem, ProblemError, Product, ProductList, ProductVersionList, Role, SignedIn, User, UserInvite, UserList, UserUpdate,
  VersionCompatibility,
} from '../types/api';
import type { ConfigData } from '../types/configSchema';
import { AUTH_PATH, configureSession, REFRESH_PATH, sessionFetch, withStorefrontAccess } from './session';

const API_BASE = (import.meta.env.VITE_API_URL ?? '').replace(/\/+$/, '');
configureSession({ refreshUrl: API_BASE + REFRESH_PATH, apiBase: API_BASE });

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

  /** The itemised errors of the answer (validation, template contract), possibly none. */
  errors(): ProblemError[] {
    return this.problem?.errors ?? [];
  }
}

export function apiUrl(path: string): string {
  return API_BASE + path;
}

/** Absolute URL of something the API names: `/blobs/…` is on the API's origin; Azure URLs are absolute already. */
export function resolveApiUrl(url: string): string {
  return new URL(/^[a-z][a-z0-9+.-]*:/i.test(url) ? url : apiUrl(url), window.location.href).href;
}

/** ws(s):// URL of an API path, on the API's origin; `?access_key=` while the app acts as
 * the storefront (./session). */
export function webSocketUrl(path: string): string {
  const url = new URL(apiUrl(path), window.location.href);
  url.protocol = url.protocol === 'https:' ? 'wss:' : 'ws:';
  return withStorefrontAccess(url.href);
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

/** `body`: JSON, or a `FormData` sent as multipart (the browser sets its boundary). */
async function request<T>(method: string, path: string, body?: unknown, signal?: AbortSignal): Promise<{ status: number; data: T }> {
  const form = body instanceof FormData;
  const response = await fetchOrFail(apiUrl(path), {
    method,
    signal,
    headers: body === undefined || form ? { Accept: 'application/json' } : { Accept: 'application/json', 'Content-Type': 'application/json' },
    body: body === undefined ? undefined : form ? body : JSON.stringify(body),
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
const send = async <T>(method: string, path: string, body?: unknown) => (await request<T>(method, path, body)).data;
const seg = encodeURIComponent;

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
  /** 204; 403 when `current` is wrong, 422 (pointer `/new_password`) for a refused new one. */
  changePassword: async (current: string, next: string) => {
    const body: PasswordChange = { current_password: current, new_password: next };
    await send<void>('POST', `${AUTH_PATH}/password`, body);
  },
  /** Always 202 (429 when asked too often), whether the email has an account or not. */
  requestPasswordReset: async (email: string) => {
    const body: PasswordResetRequest = { email };
    await send<void>('POST', `${AUTH_PATH}/password-reset`, body);
  },
  /** 204; 400 for a bad link, 422 (pointer `/password`) for a refused password. */
  confirmPasswordReset: async (token: string, password: string) => {
    const body: PasswordResetConfirm = { token, password };
    await send<void>('POST', `${AUTH_PATH}/password-reset/confirm`, body);
  },

  listProducts: (limit = 50, offset = 0, signal?: AbortSignal) =>
    get<ProductList>(`/api/v1/products?limit=${limit}&offset=${offset}`, signal),
  getProduct: (productId: string, signal?: AbortSignal) => get<Product>(`/api/v1/products/${seg(productId)}`, signal),
  /** Multipart: `name`, `description` and the `.blend` as `template`; 422 lists what breaks the template contract. */
  createProduct: (name: string, description: string, template: File) => {
    const form = new FormData();
    form.append('name', name);
    form.append('description', description);
    form.append('template', template, template.name);
    return send<Product>('POST', '/api/v1/products', form);
  },
  replaceTemplate: (productId: string, template: File) => {
    const form = new FormData();
    form.append('template', template, template.name);
    return send<Product>('PUT', `/api/v1/products/${seg(productId)}/template`, form);
  },
  /** Admins: the product's template versions, newest first. */
  listProductVersions: (productId: string, signal?: AbortSignal) =>
    get<ProductVersionList>(`/api/v1/products/${seg(productId)}/versions`, signal),
  /** Admins: version `schemaVersion` against `against` (default: the stored version before it),
   * and the product's saved configurations it would refuse; 404 for a version it does not have. */
  versionCompatibility: (productId: string, schemaVersion: number, against?: number | null, signal?: AbortSignal) =>
    get<VersionCompatibility>(
      `/api/v1/products/${seg(productId)}/versions/${schemaVersion}/compatibility${against != null ? `?against=${against}` : ''}`,
      signal,
    ),

  listConfigurations: (limit = 100, offset = 0, signal?: AbortSignal) =>
    get<ConfigurationList>(`/api/v1/configurations?limit=${limit}&offset=${offset}`, signal),
  /** A saved configuration by id (share links; the storefront may read one, not list them). */
  getConfiguration: (configurationId: string, signal?: AbortSignal) =>
    get<Configuration>(`/api/v1/configurations/${seg(configurationId)}`, signal),
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

  /** 200 with a COMPLETED job when the result is cached, else 202 with a queued one.
   * `options`: the result's format and export (a USDZ for AR, …); none: the exact GLB. */
  submitJob: async (productId: string, configData: ConfigData, signal?: AbortSignal, options?: JobCreate['options']) => {
    const body: JobCreate = { product_id: productId, config_data: configData, ...(options && { options }) };
    return (await request<Job>('POST', '/api/v1/jobs', body, signal)).data;
  },
  getJob: (id: string, signal?: AbortSignal) => get<Job>(`/api/v1/jobs/${encodeURIComponent(id)}`, signal),
  cancelJob: async (id: string) => (await request<Job>('POST', `/api/v1/jobs/${encodeURIComponent(id)}/cancel`)).data,

  // Admins: the client's users, API keys and audit log.
  listUsers: (signal?: AbortSignal) => get<UserList>('/api/v1/users', signal),
  /** 201, the user without a password yet (a set-password link is mailed); 409 for a taken email. */
  inviteUser: (email: string, name: string, role: Role) => {
    const body: UserInvite = { email, name, role };
    return send<User>('POST', '/api/v1/users', body);
  },
  /** 409 when it would leave the client without an admin. */
  updateUser: (userId: string, change: UserUpdate) => send<User>('PATCH', `/api/v1/users/${seg(userId)}`, change),
  removeUser: async (userId: string) => {
    await send<void>('DELETE', `/api/v1/users/${seg(userId)}`);
  },
  listApiKeys: (signal?: AbortSignal) => get<ApiKeyList>('/api/v1/api-keys', signal),
  /** The answer is the only one that holds the key itself. */
  createApiKey: (body: ApiKeyCreate) => send<ApiKeyCreated>('POST', '/api/v1/api-keys', body),
  revokeApiKey: async (keyId: string) => {
    await send<void>('DELETE', `/api/v1/api-keys/${seg(keyId)}`);
  },
  /** Newest first; pass the answer's `next_before` as `before` for the page after. */
  listAuditEvents: (before: number | null, limit = 50, signal?: AbortSignal) =>
    get<AuditEventList>(`/api/v1/audit-events?limit=${limit}${before != null ? `&before=${before}` : ''}`, signal),
};
