/**
 * The console's HTTP client: bearer token from localStorage, Kubernetes
 * Status errors as {@link ApiError}, and a 401 handler that sends the user
 * back to sign-in. Only the `api/<resource>.ts` modules call `request`;
 * hooks and pages call them.
 */
import { API_PREFIX, type List, type Registry, type Repository, type RunLogLine, type Status, type SyncRun } from '../../../src/api/types.ts';

import { type Answer, readAnswer, takeArrived, takeEarly } from './early.ts';

export { API_PREFIX };
export type { List, Registry, Repository, RunLogLine, Status, SyncRun };

const TOKEN_KEY = 'tugboat.token';

export function getToken(): string | null {
  try {
    return localStorage.getItem(TOKEN_KEY);
  } catch {
    return null;
  }
}

export function setToken(token: string | null): void {
  if (token === null) localStorage.removeItem(TOKEN_KEY);
  else localStorage.setItem(TOKEN_KEY, token);
}

type UnauthorizedListener = (message: string) => void;
const unauthorizedListeners = new Set<UnauthorizedListener>();

/** Called when any request answers 401 (token missing, revoked or wrong). */
export function onUnauthorized(fn: UnauthorizedListener): () => void {
  unauthorizedListeners.add(fn);
  return () => unauthorizedListeners.delete(fn);
}

export function notifyUnauthorized(message: string): void {
  for (const fn of unauthorizedListeners) fn(message);
}

/** An error answer of the API (or the network failing: code 0). */
export class ApiError extends Error {
  readonly code: number;
  readonly status: Status | undefined;
  constructor(code: number, message: string, status?: Status) {
    super(message);
    this.name = 'ApiError';
    this.code = code;
    this.status = status;
  }
  /** `details.causes` by field (`spec.tag` -> message). */
  get causes(): { field?: string | undefined; message: string }[] {
    return this.status?.details?.causes ?? [];
  }
}

export interface RequestOptions {
  method?: string;
  body?: unknown;
  contentType?: string;
  signal?: AbortSignal;
  /** Token to use instead of the stored one (sign-in check). */
  token?: string;
  /** Do not broadcast a 401 (sign-in check). */
  quiet401?: boolean;
}

export function authHeaders(token = getToken()): Record<string, string> {
  return token ? { Authorization: `Bearer ${token}` } : {};
}

export async function request<T>(path: string, options: RequestOptions = {}): Promise<T> {
  const headers: Record<string, string> = { Accept: 'application/json', ...authHeaders(options.token ?? getToken()) };
  let body: string | undefined;
  if (options.body !== undefined) {
    headers['Content-Type'] = options.contentType ?? 'application/json';
    body = JSON.stringify(options.body);
  }
  const url = apiUrl(path);
  const method = options.method ?? 'GET';
  let res: Answer;
  try {
    // The first screen's answers may already be on their way (api/early.ts); only for the stored token's plain GETs.
    const early = method === 'GET' && options.token === undefined ? takeEarly(url) : undefined;
    res = await (early ?? fetch(url, { method, headers, body, signal: options.signal }).then(readAnswer));
  } catch (err) {
    if ((err as Error).name === 'AbortError') throw err;
    throw new ApiError(0, `network error: ${(err as Error).message}`);
  }
  const text = res.text;
  let json: unknown;
  try {
    json = text ? JSON.parse(text) : undefined;
  } catch {
    json = undefined;
  }
  if (!res.ok) {
    const status = json && typeof json === 'object' && (json as Status).kind === 'Status' ? (json as Status) : undefined;
    const message = status?.message ?? (text.slice(0, 300) || `${res.status} ${res.statusText}`);
    if (res.status === 401 && !options.quiet401) notifyUnauthorized(message);
    throw new ApiError(res.status, message, status);
  }
  return json as T;
}

/**
 * A GET of the first screen whose answer arrived before the app rendered
 * (api/early.ts), shaped as its query's data: for react-query's
 * `initialData` (see hooks/arrived.ts). At most once per URL.
 */
export function arrived<J, T>(path: string, shape: (json: J) => T): { data: T; at: number } | undefined {
  const a = getToken() ? takeArrived<J>(apiUrl(path)) : undefined;
  try {
    return a && { data: shape(a.data), at: a.at };
  } catch {
    return undefined; // not the shape expected: the query asks again and reports what it gets
  }
}

/** The absolute path of an API path (`namespaces/x/repositories` -> `/oapis/.../namespaces/x/repositories`). */
export function apiUrl(path: string): string {
  return path.startsWith('/') ? path : `${API_PREFIX}/${path}`;
}

export function nsPath(namespace: string | undefined, plural: string, name?: string, sub?: string): string {
  let p = namespace ? `namespaces/${encodeURIComponent(namespace)}/${plural}` : plural;
  if (name !== undefined) p += `/${encodeURIComponent(name)}`;
  if (sub) p += `/${sub}`;
  return p;
}

export function query(params: Record<string, string | number | undefined>): string {
  const u = new URLSearchParams();
  for (const [k, v] of Object.entries(params)) if (v !== undefined && v !== '') u.set(k, String(v));
  const s = u.toString();
  return s ? `?${s}` : '';
}

export const MERGE_PATCH = 'application/merge-patch+json';
