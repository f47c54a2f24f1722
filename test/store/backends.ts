/**
 * Runs the same store suite against SQLite (a temp dir) and a real
 * PostgreSQL (a throwaway cluster, one database per test). Each test file
 * starts at most one cluster, lazily, and stops it when the file is done.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DatabaseSync } from 'node:sqlite';
import { after } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import pg from 'pg';
import { API_VERSION, DISPLAY_NAME_ANNOTATION } from '../../src/api/types.ts';
import type { Registry, Repository, SyncRun } from '../../src/api/types.ts';
import { openStore } from '../../src/store/index.ts';
import type { Store } from '../../src/store/index.ts';
import { startPostgres } from '../support/postgres.ts';
import type { TestPostgres } from '../support/postgres.ts';

/** One empty database; `open()` returns another Store on it each call (closed after the file). */
export interface TestDatabase {
  open(options?: { runLogLines?: number }): Promise<Store>;
  /** Runs SQL directly (checks the schema, the stored bytes). */
  raw(sql: string): Promise<Record<string, unknown>[]>;
  /** SQLite only: the database file. */
  file?: string;
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
      const dir = mkdtempSync(join(tmpdir(), 'tug-store-'));
      cleanups.push(() => rmSync(dir, { recursive: true, force: true }));
      const file = join(dir, 'tugboat.db');
      return {
        file,
        open: async (options = {}) => track(await openStore({ data: dir, ...options })),
        raw: async (sql) => {
          const db = new DatabaseSync(file);
          try {
            return db.prepare(sql).all() as Record<string, unknown>[];
          } finally {
            db.close();
          }
        },
      };
    },
  },
  {
    name: 'postgres',
    async database() {
      const url = await (await postgres()).createDatabase();
      return {
        open: async (options = {}) => track(await openStore({ database: url, ...options })),
        raw: async (sql) => {
          const client = new pg.Client({ connectionString: url });
          await client.connect();
          try {
            return (await client.query(sql)).rows as Record<string, unknown>[];
          } finally {
            await client.end();
          }
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
  const deadline = Date.now() + timeoutMs;
  while (!check()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await sleep(10);
  }
}
