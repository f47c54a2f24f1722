/**
 * Opens the store `tug serve` was pointed at: PostgreSQL for a
 * `postgres://` / `postgresql://` `--database`, otherwise the embedded SQLite
 * file `${data}/tugboat.db`. The returned store is migrated and ready.
 */
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { TugError, redactSecrets, redactUrl } from '../errors/index.ts';
import { openPostgresStore } from './postgres/postgres-store.ts';
import type { PostgresStoreOptions } from './postgres/postgres-store.ts';
import { openSqliteStore } from './sqlite/sqlite-store.ts';
import type { Store } from './types.ts';

export type { AuditFilter, Kind, Lease, ListOptions, Page, ResourceOf, Store, StoredToken } from './types.ts';
export { StoreConflict } from './types.ts';
import type { Kind as StoreKind, ListOptions as StoreListOptions, ResourceOf as StoreResourceOf, Store as StoreApi } from './types.ts';

/** Every object a list matches, page after page (the largest pages the store gives). */
export async function listAll<K extends StoreKind>(store: StoreApi, kind: K, options: Omit<StoreListOptions, 'limit' | 'continue'> = {}): Promise<StoreResourceOf<K>[]> {
  const out: StoreResourceOf<K>[] = [];
  let cont: string | undefined;
  do {
    const page = await store.list(kind, { ...options, limit: 1000, continue: cont });
    out.push(...page.items);
    cont = page.continue;
  } while (cont);
  return out;
}
export { parseFieldSelector, parseLabelSelector } from './query.ts';
export type { FieldRequirement, LabelRequirement } from './query.ts';
export { EVENT_RETENTION } from './sql/sql-objects.ts';
export { DEFAULT_RUN_LOG_LINES } from './sql/sql-store.ts';
export { openSqliteStore } from './sqlite/sqlite-store.ts';
export { openPostgresStore } from './postgres/postgres-store.ts';

export interface OpenStoreOptions {
  /** Data directory for the SQLite file (created 0700). Default `./data`. */
  data?: string | undefined;
  /** `postgres://user:pass@host:5432/db` selects PostgreSQL; anything else is ignored in favour of SQLite. */
  database?: string | undefined;
  /** Lines kept per run log (default 2000). */
  runLogLines?: number | undefined;
  /** PostgreSQL pool size (default 10). */
  poolSize?: number | undefined;
  /** SQLite: checkpoint the write-ahead log in a worker thread, off the event loop (`tug serve`). */
  backgroundCheckpoints?: boolean | undefined;
  /** Errors of idle connections and of the watch listener (PostgreSQL); the store reconnects by itself. */
  onError?: PostgresStoreOptions['onError'];
}

/** True for a `postgres://` or `postgresql://` connection string. */
export function isPostgresUrl(database: string | undefined): database is string {
  return database !== undefined && /^postgres(ql)?:\/\//i.test(database);
}

/** A connection string with its password (and user) removed, for messages. */
export function redactDatabaseUrl(database: string): string {
  return redactUrl(database);
}

/**
 * Opens and migrates the store. Errors never carry the connection string's
 * password: they name the database by its redacted URL.
 */
export async function openStore(options: OpenStoreOptions): Promise<Store> {
  if (isPostgresUrl(options.database)) {
    const url = options.database;
    let store: Store | undefined;
    try {
      store = await openPostgresStore({ connectionString: url, runLogLines: options.runLogLines, poolSize: options.poolSize, onError: options.onError });
      await store.migrate();
      return store;
    } catch (err) {
      await store?.close().catch(() => undefined);
      throw wrap(err, `opening PostgreSQL database ${redactUrl(url)}`, url);
    }
  }
  const dir = options.data ?? 'data';
  const path = join(dir, 'tugboat.db');
  const store = (() => {
    try {
      mkdirSync(dir, { recursive: true, mode: 0o700 });
      return openSqliteStore({ path, runLogLines: options.runLogLines, backgroundCheckpoints: options.backgroundCheckpoints });
    } catch (err) {
      throw wrap(err, `opening SQLite database ${path}`);
    }
  })();
  try {
    await store.migrate();
  } catch (err) {
    await store.close().catch(() => undefined);
    throw wrap(err, `migrating SQLite database ${path}`);
  }
  return store;
}

function wrap(err: unknown, context: string, url?: string): TugError {
  let message = redactSecrets(err instanceof Error ? err.message : String(err));
  const password = url ? passwordOf(url) : undefined;
  if (password) message = message.split(password).join('REDACTED');
  if (err instanceof TugError) return new TugError(err.code, `${context}: ${message}`, { hint: err.hint });
  // The cause is kept out: a driver error may hold the connection parameters.
  return new TugError('IO', `${context}: ${message}`);
}

function passwordOf(url: string): string | undefined {
  try {
    const p = new URL(url).password;
    return p ? decodeURIComponent(p) : undefined;
  } catch {
    return undefined;
  }
}
