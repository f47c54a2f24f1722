/**
 * Runs `tug serve`: opens (and migrates) the store, loads the secret key,
 * makes sure an admin token exists, starts the scheduler and the HTTP
 * server, and shuts all of it down in order on SIGTERM / SIGINT.
 */
import { randomBytes } from 'node:crypto';
import type { Server as HttpsServer } from 'node:https';
import { readFile } from 'node:fs/promises';
import { isIP } from 'node:net';
import { hostname } from 'node:os';
import { join } from 'node:path';
import type { FastifyInstance } from 'fastify';
import type { DestinationStream, Logger } from 'pino';
import { createEgressPolicy } from '../distribution/egress.ts';
import { TugError } from '../errors/index.ts';
import type { SchedulerEvent } from '../scheduler/events.ts';
import { DEFAULT_HEALTH_INTERVAL_MS, HealthChecker } from '../scheduler/health.ts';
import { Scheduler } from '../scheduler/scheduler.ts';
import { WebhookDispatcher } from './webhooks.ts';
import { isPostgresUrl, openStore } from '../store/index.ts';
import type { Store } from '../store/types.ts';
import { buildApp } from './app.ts';
import { ensureAdminToken } from './auth.ts';
import { createLogger } from './logger.ts';
import { startLoopStats } from './loop-stats.ts';
import { createMetrics } from './metrics.ts';
import { loadRegistry } from './resources.ts';
import { createSecrets, loadPreviousKeys, loadSecretKey } from './secrets.ts';
import { type TlsReloader, loadTls, tlsFiles, watchTls } from './tls.ts';

export interface ServeOptions {
  /** `host:port` (default 127.0.0.1:8080); port 0 picks a free one. */
  listen?: string | undefined;
  /** Data directory for the embedded SQLite store and its secret key (default ./.tugboat). */
  data?: string | undefined;
  /** `postgres://...`: PostgreSQL instead of SQLite (several replicas may share it). */
  database?: string | undefined;
  adminTokenFile?: string | undefined;
  secretKeyFile?: string | undefined;
  /** Keys being rotated out: they open stored credentials but never seal (see rotate-secrets.ts). */
  previousSecretKeyFiles?: readonly string[] | undefined;
  maxConcurrentSyncs?: number | undefined;
  replicaId?: string | undefined;
  /** In-flight syncs get this long to finish on shutdown (default 20 s). */
  shutdownDeadlineMs?: number | undefined;
  /** SyncRuns kept per repository; older finished ones are pruned (default 100). */
  keepSyncRuns?: number | undefined;
  /** PEM certificate (chain) and key: serve HTTPS, reloaded on change (both or neither). */
  tlsCertFile?: string | undefined;
  tlsKeyFile?: string | undefined;
  /**
   * Egress policy of every connection to registries, token realms and
   * redirect targets (src/distribution/egress.ts): link-local and cloud
   * metadata addresses are refused unless allowed here; a deny always wins.
   */
  egressAllow?: readonly string[] | undefined;
  egressDeny?: readonly string[] | undefined;
  /** Reverse proxies whose X-Forwarded-For names the client (see AppDeps.trustProxy). */
  trustProxy?: readonly string[] | undefined;
  /** Where JSON logs go (default stdout). */
  logDestination?: DestinationStream | undefined;
  /** Where the human lines (listening, first admin token) go (default stderr). */
  say?: ((line: string) => void) | undefined;
  /** Between two health checks of a Repository (default 10 min); 0 turns them off. */
  healthIntervalMs?: number | undefined;
  /** Waits before webhook retries (tests; default server/webhooks.ts RETRY_DELAYS_MS). */
  webhookRetryDelaysMs?: readonly number[] | undefined;
  /** Scheduler tuning (tests). */
  leaseMs?: number | undefined;
  pollMs?: number | undefined;
  retryBaseMs?: number | undefined;
  heartbeatMs?: number | undefined;
  webRoot?: string | null | undefined;
}

export interface RunningServer {
  app: FastifyInstance;
  store: Store;
  scheduler: Scheduler;
  logger: Logger;
  /** `http://host:port`, or `https://...` with TLS */
  url: string;
  /** With TLS: reads the certificate and key again (SIGHUP); false when they did not load (the old pair stays). */
  reloadTls?: (() => Promise<boolean>) | undefined;
  stop(): Promise<void>;
}

export function parseListen(listen: string): { host: string; port: number } {
  const m = /^(?:\[([^\]]+)\]|([^:]*)):(\d{1,5})$/.exec(listen) ?? /^()()(\d{1,5})$/.exec(listen);
  if (!m) throw new TugError('USAGE', `--listen ${listen}: expected HOST:PORT, e.g. 127.0.0.1:8080`);
  const port = Number(m[3]);
  if (port > 65535) throw new TugError('USAGE', `--listen ${listen}: port out of range`);
  return { host: m[1] ?? (m[2] || '127.0.0.1'), port };
}

/** proxy-addr's forms (what fastify's trustProxy takes): an address, a CIDR, or loopback / linklocal / uniquelocal. */
function checkTrustedProxy(value: string): void {
  const [addr = '', bits, extra] = value.split('/');
  const family = isIP(addr);
  const prefixOk = bits === undefined || (/^\d{1,3}$/.test(bits) && Number(bits) <= (family === 6 ? 128 : 32));
  if (['loopback', 'linklocal', 'uniquelocal'].includes(value) || (family !== 0 && prefixOk && extra === undefined)) return;
  throw new TugError('USAGE', `--trust-proxy ${value}: not an address, a CIDR or one of loopback, linklocal, uniquelocal`, { hint: 'name the ingress, e.g. --trust-proxy 10.42.0.0/16' });
}

export async function startServer(options: ServeOptions = {}): Promise<RunningServer> {
  const say = options.say ?? ((line: string) => process.stderr.write(`${line}\n`));
  const data = options.data ?? '.tugboat';
  const { host, port } = parseListen(options.listen ?? '127.0.0.1:8080');
  // Certificate problems are found before the store is touched.
  const tlsPaths = tlsFiles(options.tlsCertFile, options.tlsKeyFile);
  const tls = tlsPaths ? await loadTls(tlsPaths) : undefined;
  const egress = createEgressPolicy({ allow: options.egressAllow, deny: options.egressDeny });
  for (const p of options.trustProxy ?? []) checkTrustedProxy(p);
  const logger = createLogger({ destination: options.logDestination });
  const postgres = isPostgresUrl(options.database);
  // A mistyped URL (a Secret's placeholder, "postgress://") must not fall back
  // to a private SQLite store per replica. The value is not echoed: it may hold a password.
  if (options.database && !postgres) {
    throw new TugError('USAGE', '--database / TUG_DATABASE is set but is not a postgres:// or postgresql:// URL', { hint: 'give postgres://USER@HOST/DB, or leave both unset for the embedded SQLite store' });
  }
  const store = await openStore({ data, database: options.database, backgroundCheckpoints: true, onError: (err: unknown) => logger.warn({ err }, 'database connection error') });
  try {
    const { key, source } = await loadSecretKey({
      keyFile: options.secretKeyFile,
      env: process.env.TUG_SECRET_KEY,
      generatedPath: postgres ? undefined : join(data, 'secret.key'),
    });
    logger.info({ source }, 'secret key loaded');
    logger.info({ allow: egress.allow, deny: egress.deny }, 'egress policy: link-local and cloud metadata refused unless allowed; denies win');
    const previousKeys = await loadPreviousKeys(options.previousSecretKeyFiles);
    if (previousKeys.length > 0) logger.info({ previousKeys: previousKeys.length }, 'previous secret keys loaded: they open credentials but never seal; run "tug serve rotate-secrets", then drop them');
    const secrets = createSecrets(key, previousKeys);

    const fromFile = options.adminTokenFile ? await readFile(options.adminTokenFile, 'utf8') : undefined;
    const admin = await ensureAdminToken(store, fromFile);
    if (admin?.generated) {
      say(`tug serve: first start: an admin token was generated. It is shown only this once:\n\n    ${admin.token}\n\nSave it (e.g. in a file for --token-file); create more with "tug serve token create".`);
    }

    const metrics = createMetrics({ defaultMetrics: true });
    const replicaId = options.replicaId ?? (postgres ? `${hostname()}-${process.pid}-${randomBytes(3).toString('hex')}` : hostname());
    const webhooks = new WebhookDispatcher({ store, secrets, egress, retryDelaysMs: options.webhookRetryDelaysMs, onError: (message, err) => logger.warn({ err }, message) });
    const onEvent = (e: SchedulerEvent) => {
      metrics.observe(e);
      webhooks.observe(e);
      if (e.type === 'run-finished') {
        logger.info({ namespace: e.run.metadata.namespace, repository: e.run.spec.repositoryName, run: e.run.metadata.name, result: e.result, durationMs: e.durationMs, bytesMoved: e.bytesMoved, error: e.run.status.error }, 'sync finished');
      } else if (e.type === 'health-changed') {
        const { namespace, name } = e.repository.metadata;
        const line = { namespace, repository: name, from: e.from ?? 'unknown', to: e.health.state, message: e.health.message };
        if (e.health.state === 'Healthy') logger.info(line, 'health changed');
        else logger.warn(line, 'health changed');
      } else if (e.type === 'error') {
        logger.error({ err: e.error }, e.message);
      }
    };
    const scheduler = new Scheduler({
      store,
      replicaId,
      maxConcurrent: options.maxConcurrentSyncs ?? 4,
      leaseMs: options.leaseMs,
      pollMs: options.pollMs,
      retryBaseMs: options.retryBaseMs,
      keepSyncRuns: options.keepSyncRuns,
      onEvent,
      egress,
      loadRegistry: ({ namespace, name }) => loadRegistry(store, secrets, namespace, name),
    });
    const healthIntervalMs = options.healthIntervalMs ?? DEFAULT_HEALTH_INTERVAL_MS;
    const health = healthIntervalMs > 0
      ? new HealthChecker({ store, egress, intervalMs: healthIntervalMs, pollMs: options.pollMs, onEvent, loadRegistry: ({ namespace, name }) => loadRegistry(store, secrets, namespace, name) })
      : undefined;
    const app = await buildApp({ store, secrets, logger, scheduler, metrics, webhooks, heartbeatMs: options.heartbeatMs, webRoot: options.webRoot, https: tls, egress, trustProxy: options.trustProxy });
    await app.listen({ host, port });
    const addr = app.server.address();
    const actualPort = typeof addr === 'object' && addr ? addr.port : port;
    const url = `${tls ? 'https' : 'http'}://${host.includes(':') ? `[${host}]` : host}:${actualPort}`;
    let reloader: TlsReloader | undefined;
    if (tlsPaths && tls) {
      const server = app.server as unknown as HttpsServer;
      reloader = watchTls({ files: tlsPaths, current: tls, logger, apply: (m) => server.setSecureContext({ cert: m.cert, key: m.key }) });
      logger.info({ subject: tls.subject, fingerprint256: tls.fingerprint256, validTo: tls.validTo }, `TLS certificate loaded: ${tls.subject}, expires ${tls.validTo}`);
    }
    await scheduler.start();
    health?.start();
    const loopStats = startLoopStats(say);
    logger.info({ url, replicaId, store: postgres ? 'postgres' : 'sqlite' }, 'listening');
    say(`tug serve: listening on ${url} (replica ${replicaId}, ${postgres ? 'PostgreSQL' : `SQLite in ${data}`})`);

    let stopping: Promise<void> | undefined;
    const stop = () => {
      stopping ??= (async () => {
        logger.info('shutting down');
        loopStats?.stop();
        reloader?.close();
        await health?.stop();
        await scheduler.stop(options.shutdownDeadlineMs ?? 20_000);
        await webhooks.close();
        await app.close();
        await store.close();
      })();
      return stopping;
    };
    return { app, store, scheduler, logger, url, stop, ...(reloader ? { reloadTls: () => reloader.reload('SIGHUP') } : {}) };
  } catch (err) {
    await store.close().catch(() => {});
    throw err;
  }
}
