/**
 * Who may call what. Authentication is the default: every route declares the
 * least role it needs in `config.role` (`'public'` being the explicit
 * exception), `config.allNamespaces` when a token scoped to namespaces may not
 * use it, and buildApp refuses to start with a route that declares no role.
 * The gate decides from the route fastify matched (after its router decoded
 * the URL), never from the raw URL: `/%6Fapis/.../whoami` is the whoami route
 * and needs the same token as `/oapis/.../whoami`.
 *
 * Public, all of them declared here or with `role: 'public'` in app.ts:
 * /healthz, /readyz, /openapi.json, the console's files, and unmatched URLs
 * outside /oapis/ (the console's single-page routes, or a 404). An unmatched
 * URL under /oapis/ however it is spelled (encoded, doubled slashes, other
 * case) needs a token: 401 comes before 404, as Kubernetes answers, so
 * probing tells nothing about which routes exist.
 */
import type { FastifyInstance, FastifyRequest, RouteOptions, onRequestAsyncHookHandler } from 'fastify';
import type { Role } from '../api/types.ts';
import type { Store } from '../store/types.ts';
import { authenticate, hasRole } from './auth.ts';
import { forbidden } from './errors.ts';
import type { LoginLimiter } from './login-limiter.ts';

/** What a route declares in `config.role`. */
export type Access = Role | 'public';

/** One registered route (one method), as buildApp exposes them in `app.routeTable()`. */
export interface RouteEntry {
  method: string;
  url: string;
  /** Undefined only for a route that forgot to declare one (buildApp then fails at ready). */
  role: Access | undefined;
  allNamespaces: boolean;
}

/** What an unmatched URL needs (the not-found handler is no route, so it cannot declare one). */
export function unmatchedAccess(url: string): Access {
  return isApiPath(url) ? 'viewer' : 'public';
}

/** True for any spelling of a path under /oapis/ (decoded, dot segments and doubled slashes folded, any case). */
export function isApiPath(url: string): boolean {
  let path = url.split('?')[0]!;
  try {
    path = decodeURIComponent(path);
  } catch {
    // Malformed escapes: judge the raw text.
  }
  path = path.replace(/[\\/]+/g, '/');
  try {
    path = new URL(path, 'http://x').pathname;
  } catch {
    // Keep it as it is.
  }
  path = path.toLowerCase();
  return path === '/oapis' || path.startsWith('/oapis/');
}

/**
 * Records every route of `app` as fastify registers it (including the HEAD
 * routes it adds for GETs and those of plugins), so the attack suite covers a
 * new route without anyone listing it. Options are read when the table is
 * asked for: a plugin's own onRoute hook (app.ts marks the console's files
 * public) runs after this one.
 */
export function collectRoutes(app: FastifyInstance): () => RouteEntry[] {
  const seen: RouteOptions[] = [];
  app.addHook('onRoute', (route) => {
    seen.push(route);
  });
  const table = () =>
    seen.flatMap((r) =>
      [r.method].flat().map((method) => ({ method, url: r.url, role: r.config?.role, allNamespaces: r.config?.allNamespaces === true })),
    );
  app.addHook('onReady', async () => {
    const missing = table().filter((e) => e.role === undefined);
    if (missing.length > 0) {
      throw new Error(`routes without config.role (authentication is the default; declare 'public' explicitly): ${missing.map((e) => `${e.method} ${e.url}`).join(', ')}`);
    }
  });
  return table;
}

/**
 * The onRequest hook that authenticates and checks the role, before any body
 * is read. Sets `request.principal` for every non-public request.
 */
export function accessGate(o: { store: Store; limiter: LoginLimiter }): onRequestAsyncHookHandler {
  return async function gate(request: FastifyRequest) {
    const { role, allNamespaces } = required(request);
    if (role === 'public') return;
    const p = await authenticate(o.store, request.headers.authorization, { limiter: o.limiter, address: request.ip });
    request.principal = p;
    const what = `${request.method} ${request.url.split('?')[0]}`;
    if (!hasRole(p, role)) throw forbidden(`token "${p.name}" (role ${p.role}) may not ${what}: it needs role ${role}`);
    if (allNamespaces && p.namespaces !== undefined) throw forbidden(`token "${p.name}" is limited to namespaces and may not ${what}: it needs a token for every namespace`);
  };
}

function required(request: FastifyRequest): { role: Access; allNamespaces: boolean } {
  if (request.is404) return { role: unmatchedAccess(request.url), allNamespaces: false };
  const config = request.routeOptions.config;
  // collectRoutes makes a missing role fail at start; should one slip through, deny.
  return { role: config.role ?? 'admin', allNamespaces: config.allNamespaces === true };
}
