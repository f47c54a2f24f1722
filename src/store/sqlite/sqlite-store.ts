/**
 * The embedded default store: one SQLite file (`DATA_DIR/tugboat.db`) in WAL
 * mode. Watch events stay in this process (one server owns the file).
 */
import { type SqlStore, type SqlStoreOptions, createSqlStore } from '../sql/sql-store.ts';
import { SqliteDriver } from './sqlite-driver.ts';

export interface SqliteStoreOptions extends SqlStoreOptions {
  /** Database file, or `:memory:`. */
  path: string;
  /** How long a write waits for another connection's lock (default 5000 ms). */
  busyTimeoutMs?: number | undefined;
  /** Checkpoint the write-ahead log in a worker thread, not on commits (checkpointer.ts; `tug serve`). */
  backgroundCheckpoints?: boolean | undefined;
}

/** Opens (creating if needed) a SQLite store. Call `migrate()` before use. */
export function openSqliteStore(options: SqliteStoreOptions): SqlStore {
  return createSqlStore(new SqliteDriver({ path: options.path, busyTimeoutMs: options.busyTimeoutMs, backgroundCheckpoints: options.backgroundCheckpoints }), options);
}
