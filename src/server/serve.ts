/**
 * Runs `tug serve`: opens (and migrates) the store, loads the secret key,
 * makes sure an admin token exists, starts the scheduler and the HTTP
 * server, and shuts all of it down in order on SIGTERM / SIGINT.
 */
import { randomBytes } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { hostname } from 'node:os';
import { join } from 'node:path';
import type { FastifyInstance } from 'fastify';
import type { DestinationStream, Logger } from 'pino';
import { TugError } from '../errors/index.ts';
import { Scheduler, type SchedulerEvent } from '../scheduler/scheduler.ts';
import { isPostgresUrl, openStore } from '../store/index.ts';
import type { Store } from '../store/types.ts';
import { buildApp } from './app.ts';
import { ensureAdminToken } from './auth.ts';
import { createLogger } from './logger.ts';
import { createMetrics } from './metrics.ts';
import { createSecrets, loadSecretKey, secretAad } from './secrets.ts';

export interface ServeOptions {
  /** `host:port` (default 127.0.0.1:8080); port 0 picks a free one. */
  listen?: string | undefined;
  /** Data directory for the embedded SQLite store and its secret key (default ./.tugboat). */
  data?: string | undefined;
  /** `postgres://...`: PostgreSQL instead of SQLite (several replicas may share it). */
  database?: string | undefined;
  adminTokenFile?: string | undefined;
  secretKeyFile?: string | undefined;
  maxConcurrentSyncs?: number | undefined;
  replicaId?: string | undefined;
  /** In-flight syncs get this long to finish on shutdown (default 20 s). */
  shutdownDeadlineMs?: number | undefined;
  /** Where JSON logs go (default stdout). */
  logDestination?: DestinationStream | undefined;
  /** Where the human lines (listening, first admin token) go (default stderr). */
  say?: ((line: string) => void) | undefined;
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
  /** `http://host:port` */
  url: string;
  stop(): Promise<void>;
}

export function parseListen(listen: string): { host: string; port: number } {
  const m = /^(?:\[([^\]]+)\]|([^:]*)):(\d{1,5})$/.exec(listen) ?? /^()()(\d{1,5})$/.exec(listen);
  if (!m) throw new TugError('USAGE', `--listen ${listen}: expected HOST:PORT, e.g. 127.0.0.1:8080`);
  const port = Number(m[3]);
  if (port > 65535) throw new TugError('USAGE', `--listen ${listen}: port out of range`);
  return { host: m[1] ?? (m[2] || '127.0.0.1'), port };
}

export async function startServer(options: ServeOptions = {}): Promise<RunningServer> {
  const say = options.say ?? ((line: string) => process.stderr.write(`${line}\n`));
  const data = options.data ?? '.tugboat';
  const { host, port } = parseListen(options.listen ?? '127.0.0.1:8080');
  const logger = createLogger({ destination: options.logDestination });
  const postgres = isPostgresUrl(options.database);
  const store = await openStore({ data, database: options.database, onError: (err: unknown) => logger.warn({ err }, 'database connection error') });
  try {
    const { key, source } = await loadSecretKey({
      keyFile: options.secretKeyFile,
      env: process.env.TUG_SECRET_KEY,
      generatedPath: postgres ? undefined : join(data, 'secret.key'),
    });
    logger.info({ source }, 'secret key loaded');
    const secrets = createSecrets(key);

    const fromFile = options.adminTokenFile ? await readFile(options.adminTokenFile, 'utf8') : undefined;
    const admin = await ensureAdminToken(store, fromFile);
    if (admin?.generated) {
      say(`tug serve: first start: an admin token was generated. It is shown only this once:\n\n    ${admin.token}\n\nSave it (e.g. in a file for --token-file); create more with "tug serve token create".`);
    }

    const metrics = createMetrics({ defaultMetrics: true });
    const replicaId = options.replicaId ?? (postgres ? `${hostname()}-${process.pid}-${randomBytes(3).toString('hex')}` : hostname());
    const onEvent = (e: SchedulerEvent) => {
      metrics.observe(e);
      if (e.type === 'run-finished') {
        logger.info({ namespace: e.run.metadata.namespace, repository: e.run.spec.repositoryName, run: e.run.metadata.name, result: e.result, durationMs: e.durationMs, bytesMoved: e.bytesMoved, error: e.run.status.error }, 'sync finished');
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
      onEvent,
      loadRegistry: async ({ namespace, name }) => {
        const registry = await store.get('Registry', namespace, name);
        if (!registry) return undefined;
        const sealed = await store.getSecret('Registry', namespace, name);
        return { registry, credentials: sealed ? secrets.open(sealed, secretAad(namespace, name)) : undefined };
      },
    });
    const app = await buildApp({ store, secrets, logger, scheduler, metrics, heartbeatMs: options.heartbeatMs, webRoot: options.webRoot });
    await app.listen({ host, port });
    const addr = app.server.address();
    const actualPort = typeof addr === 'object' && addr ? addr.port : port;
    const url = `http://${host.includes(':') ? `[${host}]` : host}:${actualPort}`;
    await scheduler.start();
    logger.info({ url, replicaId, store: postgres ? 'postgres' : 'sqlite' }, 'listening');
    say(`tug serve: listening on ${url} (replica ${replicaId}, ${postgres ? 'PostgreSQL' : `SQLite in ${data}`})`);

    let stopping: Promise<void> | undefined;
    const stop = () => {
      stopping ??= (async () => {
        logger.info('shutting down');
        await scheduler.stop(options.shutdownDeadlineMs ?? 20_000);
        await app.close();
        await store.close();
      })();
      return stopping;
    };
    return { app, store, scheduler, logger, url, stop };
  } catch (err) {
    await store.close().catch(() => {});
    throw err;
  }
}
