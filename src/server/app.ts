/**
 * `buildApp(deps)`: the HTTP API of `tug serve` as a fastify instance,
 * separate from listening (tests drive it with `app.inject` or over a real
 * socket). Routes live under /oapis/image.theriseunion.io/v1alpha1/ as
 * plugins; every error is a Kubernetes Status; every route declares the
 * least role it needs (`config.role`), checked before the body is read
 * (src/server/access.ts: authentication is the default, public routes are
 * declared). Every response carries the headers of security-headers.ts.
 *
 * Also: /healthz and /readyz (the store answers; public and terse),
 * /metrics (Prometheus; a viewer token for every namespace), /openapi.json,
 * and the console from web/dist at / (SPA fallback to index.html) when that
 * directory exists (or the copy inside a single-file executable: web-assets.ts).
 */
import Fastify, { LogController, type FastifyInstance, type FastifyReply, type FastifyRequest } from 'fastify';
import type { Logger } from 'pino';
import YAML from 'yaml';
import { API_PREFIX } from '../api/types.ts';
import type { EgressPolicy } from '../context/system-context.ts';
import type { Store } from '../store/types.ts';
import { accessGate, collectRoutes, isApiPath } from './access.ts';
import { ApiError, badRequest, toStatus } from './errors.ts';
import { type LoginLimiter, createLoginLimiter } from './login-limiter.ts';
import { type Metrics, createMetrics } from './metrics.ts';
import { openApiDocument } from './openapi.ts';
import { handlers, loadRegistry } from './resources.ts';
import { actionRoutes } from './routes/actions.ts';
import { namespaceRoutes, settingsRoutes } from './routes/namespaces.ts';
import { overviewRoutes } from './routes/overview.ts';
import { importRoutes } from './routes/imports.ts';
import { webhookRoutes } from './routes/webhooks.ts';
import { adminRoutes } from './routes/admin.ts';
import type { RouteContext, SchedulerControl } from './routes/context.ts';
import { resourceRoutes } from './routes/resources.ts';
import type { Secrets } from './secrets.ts';
import { SECURITY_HEADERS } from './security-headers.ts';
import { consoleFiles } from './web-assets.ts';
import { createWatchStreams } from './watch.ts';
import type { WebhookDispatcher } from './webhooks.ts';

export type { SchedulerControl } from './routes/context.ts';

export interface AppDeps {
  store: Store;
  /** Seals and opens Registry credentials (src/server/secrets.ts). */
  secrets: Secrets;
  /** pino logger; configure redaction with {@link createLogger}. */
  logger: Logger;
  /** Undefined: manual syncs answer 400, new repositories wait for a scheduler elsewhere. */
  scheduler?: SchedulerControl | undefined;
  metrics?: Metrics | undefined;
  /** Console files; default web/dist of the repo when it exists, or the copy inside a single-file executable (web-assets.ts); null = none. */
  webRoot?: string | null | undefined;
  /** Request body limit in bytes (default 1 MiB). */
  bodyLimit?: number | undefined;
  /** Watch heartbeat interval (default 15 s); each heartbeat also re-checks the watcher's token. */
  heartbeatMs?: number | undefined;
  /** Throttles failed logins per client address (default: 10 in a burst, then one per 6 s). */
  loginLimiter?: LoginLimiter | undefined;
  /** Serve HTTPS with this PEM certificate and key (src/server/tls.ts loads and reloads them); default plain HTTP. */
  https?: { cert: Buffer; key: Buffer } | undefined;
  /** Where the registry test may connect (src/distribution/egress.ts); undefined: anywhere. */
  egress?: EgressPolicy | undefined;
  /** Sends webhooks (server/webhooks.ts); undefined: none. */
  webhooks?: WebhookDispatcher | undefined;
  /**
   * Addresses or CIDRs of the reverse proxies in front (an ingress): from
   * these, the client is the last untrusted address of X-Forwarded-For, so
   * the failed-login limit counts each client, not the proxy. Default none:
   * the header is ignored, since any client could send it.
   */
  trustProxy?: readonly string[] | undefined;
}

const YAML_TYPES = ['application/yaml', 'application/x-yaml', 'text/yaml'];

export async function buildApp(deps: AppDeps): Promise<FastifyInstance> {
  const bodyLimit = deps.bodyLimit ?? 1024 * 1024;
  const metrics = deps.metrics ?? createMetrics();
  const app = Fastify({
    loggerInstance: deps.logger,
    bodyLimit,
    // null: plain HTTP (fastify creates an http server when `https` is falsy).
    https: deps.https ? { cert: deps.https.cert, key: deps.https.key } : null,
    return503OnClosing: true,
    // fastify's own two lines a request ("incoming request", "request completed")
    // with the serialised req and res cost more than a GET's query: one line of
    // plain fields is written in onResponse instead (issue 15, "Scale").
    // (Through a LogController: the top-level option is deprecated since fastify 5.7 and warned on every start.)
    logController: new LogController({ disableRequestLogging: true }),
    trustProxy: deps.trustProxy && deps.trustProxy.length > 0 ? [...deps.trustProxy] : false,
    // Query strings like ?names=a,b stay strings; nothing else is coerced.
    routerOptions: { ignoreTrailingSlash: true },
    // A URL the router cannot decode (`/%zz`): a Status like every other error, with the same headers.
    frameworkErrors: (err, _request, reply) => {
      void (reply as FastifyReply).code(400).headers(SECURITY_HEADERS).type('application/json').send(badRequest(`the request URL cannot be read: ${err.message}`).status);
    },
  }) as unknown as FastifyInstance;
  const streams = createWatchStreams();
  // Before any route, so every route is in the table.
  app.decorate('routeTable', collectRoutes(app));

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
    if (status.details?.retryAfterSeconds !== undefined) reply.header('retry-after', String(status.details.retryAfterSeconds));
    void reply.code(status.code).type('application/json').send(status);
  });

  const webFiles = consoleFiles(deps.webRoot);

  app.setNotFoundHandler(async (request, reply) => {
    const path = request.url.split('?')[0]!;
    if (webFiles && request.method === 'GET' && !isApiPath(path) && !['/healthz', '/readyz', '/metrics', '/openapi.json'].includes(path)) {
      // The console is a single-page app: its routes are index.html's.
      return reply.type('text/html; charset=utf-8').header('cache-control', 'no-cache').send(await webFiles.index());
    }
    const status = new ApiError(404, 'NotFound', `the server could not find the requested resource (${request.method} ${path})`).status;
    return reply.code(404).send(status);
  });

  // Authentication and roles, before bodies are parsed.
  app.addHook('onRequest', accessGate({ store: deps.store, limiter: deps.loginLimiter ?? createLoginLimiter() }));

  app.addHook('onSend', async (_request, reply) => {
    reply.headers(SECURITY_HEADERS);
  });

  app.addHook('onResponse', async (request, reply) => {
    metrics.httpRequests.inc({ method: request.method, code: String(reply.statusCode) });
    // The path without its query: continue tokens and searches stay out of the log.
    request.log.info({ method: request.method, path: request.url.split('?', 1)[0], from: request.ip, status: reply.statusCode, ms: Math.round(reply.elapsedTime * 10) / 10 }, 'request');
  });

  app.addHook('preClose', async () => {
    streams.closeAll();
  });

  app.get('/healthz', { config: { role: 'public' } }, async () => ({ status: 'ok' }));
  app.get('/readyz', { config: { role: 'public' } }, async (request, reply) => {
    try {
      await deps.store.countTokens();
      return { status: 'ok' };
    } catch (err) {
      // Public, so terse: the store's error may name hosts, users or paths.
      request.log.error({ err }, 'readiness check: the store does not answer');
      reply.code(503);
      return { status: 'unavailable' };
    }
  });
  // Every namespace's registry names and sync counts: an unscoped token only.
  app.get('/metrics', { config: { role: 'viewer', allNamespaces: true } }, async (_request, reply) => {
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
    egress: deps.egress,
    webhooks: deps.webhooks,
    async audit(request: FastifyRequest, entry) {
      await deps.store.appendAudit({ time: new Date().toISOString(), user: request.principal?.name ?? 'anonymous', ...entry });
    },
    async registryCredentials(namespace, name) {
      return (await loadRegistry(deps.store, deps.secrets, namespace, name))?.credentials;
    },
  };

  await app.register(
    async (api) => {
      for (const h of handlers) resourceRoutes(api, ctx, h);
      actionRoutes(api, ctx);
      adminRoutes(api, ctx);
      namespaceRoutes(api, ctx);
      settingsRoutes(api, ctx);
      overviewRoutes(api, ctx);
      importRoutes(api, ctx);
      webhookRoutes(api, ctx);
    },
    { prefix: API_PREFIX },
  );

  if (webFiles) {
    await app.register(async (web) => {
      // The console's files are public: the login page is one of them.
      web.addHook('onRoute', (route) => {
        route.config = { ...route.config, role: 'public' };
      });
      await webFiles.register(web);
    });
  }

  return app;
}
