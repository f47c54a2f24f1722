/**
 * SQLite through Node's built-in `node:sqlite` (DatabaseSync): one file, WAL,
 * one connection per process. Transactions are serialised by an in-process
 * queue, because a synchronous connection shared by async callers would
 * otherwise interleave their statements inside one transaction. Several
 * stores on one file (in one process or several) are safe but serialise
 * their writes (in one process through a shared queue, so SQLite's
 * blocking busy handler never waits on this process itself); `tug serve`
 * opens one.
 */
import { chmodSync, closeSync, openSync, realpathSync, statSync } from 'node:fs';
import { resolve } from 'node:path';
import { DatabaseSync } from 'node:sqlite';
import { setTimeout as sleep } from 'node:timers/promises';
import type { SQLInputValue, StatementSync } from 'node:sqlite';
import { applyMigrations } from '../migrations.ts';
import type { Row, SqlDialect, SqlDriver, SqlExecutor, StoreEvent } from '../sql/driver.ts';
import { EventHub, toInt } from '../sql/driver.ts';
import { sqliteMigrations } from './sqlite-migrations.ts';
import { type Checkpointer, startCheckpointer } from './checkpointer.ts';

export const sqliteDialect: SqlDialect = {
  name: 'sqlite',
  labelValue: (placeholder) => `json_extract(object, ${placeholder})`,
  // Label keys are checked against Kubernetes' character set (no quotes), so
  // quoting the key as one JSON path step is safe; keys hold '.' and '/'.
  labelParam: (key) => `$.metadata.labels."${key}"`,
  fieldValue: (placeholder) => `COALESCE(json_extract(object, ${placeholder}), '')`,
  fieldParam: (path) => `$.${path.join('.')}`,
  withoutPaths: (column, placeholders) => (placeholders.length === 0 ? column : `json_remove(${column}, ${placeholders.join(', ')})`),
  jsonText: (expr) => expr,
  contains: (column, placeholder) => `instr(${column}, ${placeholder}) > 0`,
  // Migration 9's trigram table: a phrase of q's last six characters matches
  // every row holding q (folded as the index folds, so never fewer than instr
  // finds). The end of q, not all of it: FTS5 reads every trigram's list of
  // rows, and a name's end tells it apart where its start (repo-0..., nginx-)
  // is shared by thousands: 0.09 ms instead of 0.9 at 100,000.
  narrowSearch: (q, bind) => {
    const chars = [...q];
    if (chars.length < 3) return undefined;
    const tail = chars.slice(-6).join('');
    return `(kind, namespace, name) IN (SELECT kind, namespace, name FROM search_ids WHERE id IN (SELECT rowid FROM objects_trigram WHERE objects_trigram MATCH ${bind(`"${tail.replaceAll('"', '""')}"`)}))`;
  },
  remote: false,
  versionSql: `SELECT value FROM counters WHERE name = 'resource_version'`,
  forUpdate: '',
  skipLocked: '',
};

export interface SqliteDriverOptions {
  /** File path, or `:memory:`. */
  path: string;
  /** How long a write waits for another connection's lock (default 5000 ms). */
  busyTimeoutMs?: number | undefined;
  /** Checkpoint the write-ahead log in a worker thread, not on commits (checkpointer.ts; `tug serve`). */
  backgroundCheckpoints?: boolean | undefined;
}

/**
 * SQLite's own busy handler sleeps synchronously, freezing the event loop,
 * and cannot wait for a lock held by a transaction of this same process
 * (which needs the event loop to finish). So SQLite waits only briefly and
 * {@link SqliteDriver} retries `BEGIN IMMEDIATE` asynchronously until the
 * whole busy timeout has passed.
 */
const SYNC_BUSY_WAIT_MS = 50;
const SQLITE_BUSY = 5;

/** A queue of transactions; shared by every driver of this process on one file. */
interface Lane {
  tail: Promise<unknown>;
}
const lanes = new Map<string, WeakRef<Lane>>();

function laneFor(path: string): Lane {
  if (path === ':memory:' || path === '') return { tail: Promise.resolve() };
  let key = resolve(path);
  try {
    key = realpathSync(key);
  } catch {
    // Not there yet: DatabaseSync creates it; the resolved path names it.
  }
  const existing = lanes.get(key)?.deref();
  if (existing) return existing;
  const lane: Lane = { tail: Promise.resolve() };
  lanes.set(key, new WeakRef(lane));
  return lane;
}

/**
 * The database holds token hashes, sealed credentials and the audit log:
 * readable by its owner only. The file is created 0600 before SQLite opens
 * it, and SQLite creates the -wal and -shm files with the main file's
 * permissions (unix VFS, robust_open); a file from an older version is
 * tightened.
 */
function ownerOnly(path: string): void {
  closeSync(openSync(path, 'a', 0o600));
  for (const f of [path, `${path}-wal`, `${path}-shm`]) {
    try {
      if ((statSync(f).mode & 0o077) !== 0) chmodSync(f, 0o600);
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
    }
  }
}

export class SqliteDriver implements SqlDriver {
  readonly dialect = sqliteDialect;
  readonly #db: DatabaseSync;
  readonly #statements = new Map<string, StatementSync>();
  readonly #events = new EventHub();
  readonly #busyTimeoutMs: number;
  readonly #lane: Lane;
  readonly #checkpointer: Checkpointer | undefined;

  constructor(options: SqliteDriverOptions) {
    if (options.path !== ':memory:' && options.path !== '') ownerOnly(options.path);
    this.#db = new DatabaseSync(options.path);
    this.#lane = laneFor(options.path);
    this.#busyTimeoutMs = options.busyTimeoutMs ?? 5000;
    this.#db.exec(`PRAGMA busy_timeout = ${SYNC_BUSY_WAIT_MS}`);
    this.#db.exec('PRAGMA journal_mode = WAL');
    // WAL makes NORMAL durable against application crashes; a power loss may
    // lose the last transactions but never corrupts the file.
    this.#db.exec('PRAGMA synchronous = NORMAL');
    this.#db.exec('PRAGMA foreign_keys = ON');
    const file = options.path !== ':memory:' && options.path !== '';
    this.#checkpointer = options.backgroundCheckpoints && file ? startCheckpointer(this.#db, options.path) : undefined;
  }

  /** Runs `fn` after every earlier call has finished. */
  #serial<T>(fn: () => Promise<T>): Promise<T> {
    const result = this.#lane.tail.then(fn);
    this.#lane.tail = result.catch(() => undefined);
    return result;
  }

  /** BEGIN (IMMEDIATE: take the write lock now), retrying while another connection holds it. */
  async #begin(immediate: boolean): Promise<void> {
    const deadline = Date.now() + this.#busyTimeoutMs;
    for (let wait = 1; ; wait = Math.min(wait * 2, 100)) {
      try {
        this.#db.exec(immediate ? 'BEGIN IMMEDIATE' : 'BEGIN');
        return;
      } catch (err) {
        const code = (err as { errcode?: number }).errcode;
        if (code === undefined || (code & 0xff) !== SQLITE_BUSY || Date.now() >= deadline) throw err;
        await sleep(wait);
      }
    }
  }

  #query(sql: string, params: readonly unknown[] = []): Row[] {
    let stmt = this.#statements.get(sql);
    if (!stmt) {
      // List filters make many shapes of SQL: keep the cache bounded.
      if (this.#statements.size >= 256) this.#statements.clear();
      stmt = this.#db.prepare(sql.replace(/\$(\d+)/g, '?$1'));
      this.#statements.set(sql, stmt);
    }
    return stmt.all(...params.map(toSqlite)) as Row[];
  }

  query(sql: string, params?: readonly unknown[]): Promise<Row[]> {
    return this.#serial(async () => this.#query(sql, params));
  }

  transaction<T>(fn: (tx: SqlExecutor) => Promise<T>, options: { readOnly?: boolean } = {}): Promise<T> {
    return this.#serial(async () => {
      const pending: StoreEvent[] = [];
      const tx: SqlExecutor = {
        query: async (sql, params) => this.#query(sql, params),
        nextVersion: async () => toInt(this.#query(`UPDATE counters SET value = value + 1 WHERE name = 'resource_version' RETURNING value`)[0]?.['value']),
        publish: async (event) => {
          pending.push(event);
        },
      };
      await this.#begin(!options.readOnly);
      let result: T;
      try {
        result = await fn(tx);
        this.#db.exec('COMMIT');
      } catch (err) {
        if (this.#db.isTransaction) this.#db.exec('ROLLBACK');
        throw err;
      }
      for (const event of pending) this.#events.emit(event);
      return result;
    });
  }

  async currentVersion(tx: SqlExecutor): Promise<number> {
    const rows = await tx.query(sqliteDialect.versionSql);
    return toInt(rows[0]?.['value']);
  }

  migrate(): Promise<void> {
    return this.#serial(async () => {
      await this.#begin(true);
      try {
        await applyMigrations({ exec: async (sql) => this.#db.exec(sql), query: async (sql, params) => this.#query(sql, params) }, sqliteMigrations);
        this.#db.exec('COMMIT');
      } catch (err) {
        if (this.#db.isTransaction) this.#db.exec('ROLLBACK');
        throw err;
      } finally {
        // A migration may have changed tables that cached statements refer to.
        this.#statements.clear();
      }
    });
  }

  subscribe(listener: (event: StoreEvent) => void): () => void {
    return this.#events.subscribe(listener);
  }

  close(): Promise<void> {
    return this.#serial(async () => {
      await this.#checkpointer?.stop();
      if (this.#db.isOpen) this.#db.close();
      this.#events.clear();
    });
  }
}

function toSqlite(value: unknown): SQLInputValue {
  if (value === undefined || value === null) return null;
  if (typeof value === 'boolean') return value ? 1 : 0;
  return value as SQLInputValue;
}
