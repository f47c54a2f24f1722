/**
 * What the dialect-neutral {@link createSqlStore} needs from a database: a
 * transaction that can publish watch events, a store-wide version counter and
 * a few dialect-specific SQL fragments. SQLite and PostgreSQL each implement
 * it in `<dialect>/<dialect>-driver.ts` (one concept per file, as Kysely's
 * dialects do).
 *
 * SQL handed to a driver uses PostgreSQL's numbered placeholders (`$1`);
 * the SQLite driver rewrites them to `?1`.
 */
import { EventEmitter } from 'node:events';
import type { Registry, Repository, WatchEventType } from '../../api/types.ts';
import type { Kind } from '../types.ts';

export type Row = Record<string, unknown>;

/** A committed change, as watchers receive it. */
export interface StoreEvent {
  kind: Kind;
  type: WatchEventType;
  object: Registry | Repository;
}

/** Runs statements inside one transaction. */
export interface SqlExecutor {
  query(sql: string, params?: readonly unknown[]): Promise<Row[]>;
  /** Next value of the store-wide resourceVersion counter (transactional on SQLite, a sequence on PostgreSQL). */
  nextVersion(): Promise<number>;
  /** Queues a watch event; watchers receive it only if and after the transaction commits. */
  publish(event: StoreEvent): Promise<void>;
}

export interface SqlDialect {
  readonly name: 'sqlite' | 'postgres';
  /** SQL for the value of a label (NULL when absent) whose key is bound to `placeholder`. */
  labelValue(placeholder: string): string;
  /** The parameter bound for {@link labelValue}'s placeholder. */
  labelParam(key: string): string;
  /** SQL for the text at a path of the object ('' when absent) whose path is bound to `placeholder`. */
  fieldValue(placeholder: string): string;
  /** The parameter bound for {@link fieldValue}'s placeholder. */
  fieldParam(path: readonly string[]): string;
  /** SQL for the JSON `column` without the paths bound to `placeholders` (each bound as {@link fieldParam} makes it). */
  withoutPaths(column: string, placeholders: readonly string[]): string;
  /**
   * SQL true when the text `column` contains the text bound to `placeholder`:
   * a plain substring search (`instr`, `strpos`), 20% cheaper per row than
   * the `LIKE '%q%' ESCAPE` it replaces, which matched the same rows (the
   * search column and q are both lower case, and q's `%` and `_` were escaped).
   */
  contains(column: string, placeholder: string): string;
  /**
   * SQL an index answers that holds for every row whose `search` text
   * contains `q` (lower case), and for few others: a trigram index (SQLite
   * FTS5, PostgreSQL pg_trgm), so a search reads the few candidate rows
   * instead of every row's text; {@link contains} still decides. Undefined
   * when q is shorter than a trigram: then the search scans.
   */
  narrowSearch(q: string, bind: (value: unknown) => string): string | undefined;
  /** SQL for a JSON expression as text (the column itself on SQLite, `::text` of the JSONB on PostgreSQL). */
  jsonText(expr: string): string;
  /**
   * Every statement is a round trip to a server (PostgreSQL): a list page is
   * then read in two statements rather than a transaction of six. SQLite's
   * transaction costs microseconds, and the one statement that joins the
   * keys to the count and version cost it twice the keys' own read.
   */
  readonly remote: boolean;
  /** A SELECT of the last resourceVersion handed out (one row, one column), to read within another statement. */
  readonly versionSql: string;
  /** Appended to SELECTs that read a row the transaction will write (`FOR UPDATE` on PostgreSQL). */
  readonly forUpdate: string;
  /** Appended to the due-repository subquery of claimDue (`FOR UPDATE SKIP LOCKED` on PostgreSQL). */
  readonly skipLocked: string;
}

export interface SqlDriver {
  readonly dialect: SqlDialect;
  /**
   * Runs `fn` in a transaction: a write transaction (SQLite `BEGIN IMMEDIATE`)
   * unless `readOnly` (PostgreSQL: a REPEATABLE READ snapshot, so a page and its
   * count agree). Rolls back when `fn` throws.
   */
  transaction<T>(fn: (tx: SqlExecutor) => Promise<T>, options?: { readOnly?: boolean }): Promise<T>;
  /** Runs one statement on its own (autocommit: atomic by itself, no BEGIN/COMMIT round trips). */
  query(sql: string, params?: readonly unknown[]): Promise<Row[]>;
  /** The last resourceVersion handed out. */
  currentVersion(tx: SqlExecutor): Promise<number>;
  /** Applies pending migrations; safe when several processes start at once. */
  migrate(): Promise<void>;
  /**
   * Where every process on the database hears of a token's removal
   * (PostgreSQL: a NOTIFY every replica's listening connection receives), so
   * a token found may be remembered: `generation()` changes with every
   * removal this process hears of or makes, and is undefined while it could
   * miss one (the listener is down). Undefined on SQLite, where another
   * process on the file (`tug serve token delete`) would not be heard and a
   * lookup is no round trip anyway: every request reads the token there.
   */
  readonly tokenChanges?: { generation(): number | undefined; removed(tx: SqlExecutor): Promise<void>; forget(): void } | undefined;
  /** Receives every committed event (from every replica on PostgreSQL). */
  subscribe(listener: (event: StoreEvent) => void): () => void;
  close(): Promise<void>;
}

/** JSON columns come back as text (SQLite) or parsed (PostgreSQL JSONB). */
export function fromJson<T>(value: unknown): T {
  return (typeof value === 'string' ? JSON.parse(value) : value) as T;
}

/** Integer columns come back as number (SQLite) or string (PostgreSQL BIGINT). */
export function toInt(value: unknown): number {
  return typeof value === 'number' ? value : Number(value);
}

/**
 * Fans committed events out to this process's watchers. A throwing watcher
 * must not break the writer (or listener) that emits after commit, so its
 * errors stop here.
 */
export class EventHub {
  readonly #emitter = new EventEmitter().setMaxListeners(0);

  emit(event: StoreEvent): void {
    this.#emitter.emit('event', event);
  }

  subscribe(listener: (event: StoreEvent) => void): () => void {
    const safe = (event: StoreEvent) => {
      try {
        listener(event);
      } catch {
        // Watchers own their errors.
      }
    };
    this.#emitter.on('event', safe);
    return () => this.#emitter.off('event', safe);
  }

  clear(): void {
    this.#emitter.removeAllListeners();
  }
}
