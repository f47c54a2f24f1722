/**
 * Runs the same store suite against SQLite (a temp dir) and a real
 * PostgreSQL (a throwaway cluster, one database per test). Each test file
 * starts at most one cluster, lazily, and stops it when the file is done.
 */
import { existsSync, readFileSync, readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { DatabaseSync } from 'node:sqlite';
import { after } from 'node:test';
import pg from 'pg';
import { API_VERSION, DISPLAY_NAME_ANNOTATION } from '../../src/api/types.ts';
import type { Registry, Repository, SyncRun } from '../../src/api/types.ts';
import { openStore } from '../../src/store/index.ts';
import type { Store } from '../../src/store/index.ts';
import { startPostgres } from '../support/postgres.ts';
import { waitFor } from '../support/wait.ts';
import type { TestPostgres } from '../support/postgres.ts';
import { tempDir } from '../support/tmp.ts';

/** One empty database; `open()` returns another Store on it each call (closed after the file). */
export interface TestDatabase {
  open(options?: { runLogLines?: number }): Promise<Store>;
  /** Runs SQL directly (checks the schema, the stored bytes). */
  raw(sql: string): Promise<Record<string, unknown>[]>;
  /** SQLite only: the database file. */
  file?: string;
  /** Where the database is, as openStore and startServer take it: `data` (SQLite) or `database` (a PostgreSQL URL). */
  location: { data: string } | { database: string };
  /**
   * Everything the database holds at rest, to search for what must never be
   * stored: every row of every table as JSON, and the bytes of the files on
   * disk (SQLite: the database, WAL and shared-memory files; PostgreSQL:
   * after a CHECKPOINT, every file of the cluster's data directory, heap and
   * WAL).
   */
  atRest(): Promise<{ rows: string; files: { path: string; bytes: Buffer }[] }>;
}

/** Every regular file below `dir`. */
function filesBelow(dir: string): string[] {
  return readdirSync(dir, { recursive: true, encoding: 'utf8' })
    .map((f) => join(dir, f))
    .filter((f) => statSync(f, { throwIfNoEntry: false })?.isFile());
}

export interface Backend {
  name: 'sqlite' | 'postgres';
  database(): Promise<TestDatabase>;
}

const cleanups: (() => Promise<void> | void)[] = [];
after(async () => {
  for (const fn of cleanups.reverse()) await fn();
});

let cluster: Promise<TestPostgres> | undefined;
function postgres(): Promise<TestPostgres> {
  if (!cluster) {
    cluster = startPostgres();
    cleanups.unshift(async () => (await cluster)?.stop()); // stopped last
  }
  return cluster;
}

function track(store: Store): Store {
  cleanups.push(() => store.close());
  return store;
}

export const backends: Backend[] = [
  {
    name: 'sqlite',
    async database() {
      const dir = tempDir(undefined, 'tug-store-');
      const file = join(dir, 'tugboat.db');
      const raw = async (sql: string) => {
        const db = new DatabaseSync(file);
        try {
          return db.prepare(sql).all() as Record<string, unknown>[];
        } finally {
          db.close();
        }
      };
      return {
        file,
        location: { data: dir },
        open: async (options = {}) => track(await openStore({ data: dir, ...options })),
        raw,
        atRest: async () => {
          const tables = await raw("SELECT name FROM sqlite_master WHERE type = 'table'");
          const rows: unknown[] = [];
          for (const { name } of tables) rows.push(...(await raw(`SELECT * FROM "${String(name)}"`)));
          const files = [file, `${file}-wal`, `${file}-shm`].filter((f) => existsSync(f)).map((path) => ({ path, bytes: readFileSync(path) }));
          return { rows: JSON.stringify(rows, (_k, v: unknown) => (v instanceof Uint8Array ? Buffer.from(v).toString('latin1') : v)), files };
        },
      };
    },
  },
  {
    name: 'postgres',
    async database() {
      const server = await postgres();
      const url = await server.createDatabase();
      const raw = async (sql: string) => {
        const client = new pg.Client({ connectionString: url });
        await client.connect();
        try {
          return (await client.query(sql)).rows as Record<string, unknown>[];
        } finally {
          await client.end();
        }
      };
      return {
        location: { database: url },
        open: async (options = {}) => track(await openStore({ database: url, ...options })),
        raw,
        atRest: async () => {
          const tables = await raw("SELECT table_name FROM information_schema.tables WHERE table_schema = 'public' AND table_type = 'BASE TABLE'");
          const rows: unknown[] = [];
          for (const { table_name } of tables) rows.push(...(await raw(`SELECT t::text AS row FROM ${pg.escapeIdentifier(String(table_name))} t`)));
          // Dirty pages and the WAL reach the files (fsync is off in the test cluster, but CHECKPOINT writes them out).
          await raw('CHECKPOINT');
          const files = filesBelow(server.dataDir).flatMap((path) => {
            try {
              return [{ path, bytes: readFileSync(path) }];
            } catch {
              return []; // a WAL segment recycled while we looked
            }
          });
          return { rows: JSON.stringify(rows), files };
        },
      };
    },
  },
];

export function repository(namespace: string, name: string, extra: { labels?: Record<string, string>; displayName?: string; repository?: string; tag?: string } = {}): Repository {
  return {
    apiVersion: API_VERSION,
    kind: 'Repository',
    metadata: {
      name,
      namespace,
      ...(extra.labels ? { labels: extra.labels } : {}),
      ...(extra.displayName ? { annotations: { [DISPLAY_NAME_ANNOTATION]: extra.displayName } } : {}),
    },
    spec: { repository: extra.repository ?? 'library/nginx', tag: extra.tag ?? 'latest', registryRef: { name: 'hub', namespace } },
  };
}

export function registry(namespace: string, name: string, url = 'https://harbor.example.com'): Registry {
  return { apiVersion: API_VERSION, kind: 'Registry', metadata: { name, namespace }, spec: { url } };
}

export function run(namespace: string, name: string, repositoryName: string): SyncRun {
  return {
    apiVersion: API_VERSION,
    kind: 'SyncRun',
    metadata: { name, namespace },
    spec: { repositoryName, trigger: 'scheduled', attempt: 1 },
    status: { phase: 'Running', startTime: new Date().toISOString() },
  };
}

/** Polls until `check` holds (watch delivery on PostgreSQL is asynchronous). */
export async function eventually(check: () => boolean, what: string, timeoutMs = 5000): Promise<void> {
  await waitFor(what, check, timeoutMs, 10);
}
