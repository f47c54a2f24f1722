/**
 * `buildApp(deps)`: the HTTP API of `tug serve` as a fastify instance,
 * separate from listening (tests drive it with `app.inject` or over a real
 * socket). Routes live under /oapis/image.theriseunion.io/v1alpha1/ as
 * plugins; every error is a Kubernetes Status; every API route declares the
 * least role it needs (`config.role`), checked before the body is read.
 *
 * Also: /healthz, /readyz (the store answers), /metrics (Prometheus),
 * /openapi.json, and the console from web/dist at / (SPA fallback to
 * index.html) when that directory exists.
 */
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import fastifyStatic from '@fastify/static';
import Fastify, { type FastifyInstance, type FastifyRequest } from 'fastify';
import type { Logger } from 'pino';
import YAML from 'yaml';
import { API_PREFIX } from '../api/types.ts';
import type { Store } from '../store/types.ts';
import { authenticate, hasRole } from './auth.ts';
import { ApiError, badRequest, toStatus } from './errors.ts';
import { type Metrics, createMetrics } from './metrics.ts';
import { openApiDocument } from './openapi.ts';
import { registryHandler, repositoryHandler } from './resources.ts';
import { actionRoutes } from './routes/actions.ts';
import { adminRoutes } from './routes/admin.ts';
import type { RouteContext, SchedulerControl } from './routes/context.ts';
import { resourceRoutes } from './routes/resources.ts';
import { type Secrets, secretAad } from './secrets.ts';
import { createWatchStreams } from './watch.ts';

export type { SchedulerControl } from './routes/context.ts';

/** The console's build output, if the web engineer's build has run. */
export const DEFAULT_WEB_ROOT = fileURLToPath(new URL('../../web/dist', import.meta.url));

export interface AppDeps {
  store: Store;
  /** Seals and opens Registry credentials (src/server/secrets.ts). */
  secrets: Secrets;
  /** pino logger; configure redaction with {@link createLogger}. */
  logger: Logger;
  /** Undefined: manual syncs answer 400, new repositories wait for a scheduler elsewhere. */
  scheduler?: SchedulerControl | undefined;
  metrics?: Metrics | undefined;
  /** Console files; default web/dist of the repo when it exists; null = none. */
  webRoot?: string | null | undefined;
  /** Request body limit in bytes (default 1 MiB). */
  bodyLimit?: number | undefined;
  /** Watch heartbeat interval (default 15 s). */
  heartbeatMs?: number | undefined;
}

const YAML_TYPES = ['application/yaml', 'application/x-yaml', 'text/yaml'];

export async function buildApp(deps: AppDeps): Promise<FastifyInstance> {
  const bodyLimit = deps.bodyLimit ?? 1024 * 1024;
  const metrics = deps.metrics ?? createMetrics();
  const app = Fastify({
    loggerInstance: deps.logger,
    bodyLimit,
    return503OnClosing: true,
    // Query strings like ?names=a,b stay strings; nothing else is coerced.
    routerOptions: { ignoreTrailingSlash: true },
  }) as unknown as FastifyInstance;
  const streams = createWatchStreams();

  app.decorateRequest('principal', undefined);

  // Bodies: JSON (default parser), merge patch, YAML (one document).
  const jsonParser = app.getDefaultJsonParser('error', 'error');
  app.addContentTypeParser('application/merge-patch+json', { parseAs: 'string' }, jsonParser);
  app.addContentTypeParser(YAML_TYPES, { parseAs: 'string' }, (_req, body, done) => {
    try {
      const docs = YAML.parseAllDocuments(body as string);
      const list = Array.isArray(docs) ? docs : [docs];
      const real = list.filter((d) => d.contents !== null);
      if (real.length > 1) throw badRequest('the YAML body holds several documents; send one object per request (tug apply -f splits files)');
      const doc = real[0];
      if (!doc) throw badRequest('the YAML body is empty');
      if (doc.errors.length > 0) throw badRequest(`the YAML body cannot be read: ${doc.errors[0]!.message}`);
      done(null, doc.toJS({ maxAliasCount: 50 }));
    } catch (err) {
      done(err instanceof ApiError ? err : badRequest(`the YAML body cannot be read: ${(err as Error).message}`), undefined);
    }
  });

  app.setErrorHandler((err, request, reply) => {
    const status = toStatus(err, (e) => request.log.error({ err: e }, 'internal error'));
    if (status.code === 401) reply.header('www-authenticate', 'Bearer realm="tugboat"');
    void reply.code(status.code).type('application/json').send(status);
  });

  const webRoot = deps.webRoot === null ? undefined : (deps.webRoot ?? DEFAULT_WEB_ROOT);
  const hasWeb = webRoot !== undefined && existsSync(`${webRoot}/index.html`);
  const isApiPath = (url: string) => url.startsWith(`${API_PREFIX}/`) || url === API_PREFIX || url.startsWith('/oapis/');

  app.setNotFoundHandler(async (request, reply) => {
    const path = request.url.split('?')[0]!;
    if (hasWeb && request.method === 'GET' && !isApiPath(path) && !['/healthz', '/readyz', '/metrics', '/openapi.json'].includes(path)) {
      // The console is a single-page app: its routes are index.html's.
      return reply.type('text/html; charset=utf-8').sendFile('index.html');
    }
    const status = new ApiError(404, 'NotFound', `the server could not find the requested resource (${request.method} ${path})`).status;
    return reply.code(404).send(status);
  });

  // Authentication and roles, before bodies are parsed.
  app.addHook('onRequest', async (request) => {
    const role = request.routeOptions.config.role;
    const path = request.url.split('?')[0]!;
    if (role === 'public' || (role === undefined && !isApiPath(path))) return;
    const p = await authenticate(deps.store, request.headers.authorization);
    request.principal = p;
    const needed = role ?? 'viewer';
    if (!hasRole(p, needed)) {
      throw new ApiError(403, 'Forbidden', `token "${p.name}" (role ${p.role}) may not ${request.method} ${path}: it needs role ${needed}`);
    }
  });

  app.addHook('onResponse', async (request, reply) => {
    metrics.httpRequests.inc({ method: request.method, code: String(reply.statusCode) });
  });

  app.addHook('preClose', async () => {
    streams.closeAll();
  });

  app.get('/healthz', { config: { role: 'public' } }, async () => ({ status: 'ok' }));
  app.get('/readyz', { config: { role: 'public' } }, async (_request, reply) => {
    try {
      await deps.store.countTokens();
      return { status: 'ok' };
    } catch (err) {
      reply.code(503);
      return new ApiError(503, 'ServiceUnavailable', `the store does not answer: ${(err as Error).message}`).status;
    }
  });
  app.get('/metrics', { config: { role: 'public' } }, async (_request, reply) => {
    reply.type(metrics.registry.contentType);
    return metrics.registry.metrics();
  });
  const openapi = openApiDocument();
  app.get('/openapi.json', { config: { role: 'public' } }, async () => openapi);

  const ctx: RouteContext = {
    store: deps.store,
    secrets: deps.secrets,
    scheduler: deps.scheduler,
    metrics,
    streams,
    heartbeatMs: deps.heartbeatMs ?? 15_000,
    async audit(request: FastifyRequest, entry) {
      await deps.store.appendAudit({ time: new Date().toISOString(), user: request.principal?.name ?? 'anonymous', ...entry });
    },
    async registryCredentials(namespace, name) {
      const sealed = await deps.store.getSecret('Registry', namespace, name);
      return sealed ? deps.secrets.open(sealed, secretAad(namespace, name)) : undefined;
    },
  };

  await app.register(
    async (api) => {
      resourceRoutes(api, ctx, repositoryHandler);
      resourceRoutes(api, ctx, registryHandler);
      actionRoutes(api, ctx);
      adminRoutes(api, ctx);
    },
    { prefix: API_PREFIX },
  );

  if (hasWeb) {
    await app.register(fastifyStatic, { root: webRoot!, prefix: '/', index: ['index.html'] });
  }

  return app;
}
