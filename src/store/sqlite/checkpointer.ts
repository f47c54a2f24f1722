/**
 * WAL checkpoints off the event loop (issue 15, "Scale"). SQLite copies the
 * write-ahead log back into the database file when a commit finds it over
 * 1,000 pages: in the connection that commits, so on `tug serve`'s one event
 * loop, and the copy ends with an fsync. Under the benchmark's load (a sync
 * every 50 ms, each a few writes) that was a checkpoint every second or two,
 * and on a busy disk one commit in a few hundred took 20-300 ms, with every
 * request waiting behind it.
 *
 * With {@link startCheckpointer} a worker thread with its own connection
 * runs a PASSIVE checkpoint every {@link CHECKPOINT_EVERY_MS}, which never
 * waits for readers or writers and blocks neither (WAL mode: the log's frames
 * a reader still needs stay until a later pass). The next write after a
 * complete pass starts the log again from its beginning, so it stays small,
 * and the serving connection's own checkpoint (still PASSIVE, in the commit)
 * moves out to {@link BACKSTOP_PAGES}: only writes back to back (a bulk
 * import) outrun the worker and reach it. Nothing stronger than PASSIVE runs
 * in the worker: a RESTART there made writers wait until it was done, and a
 * 1,000-row import on a busy disk ran out of its lock timeout ("database is
 * locked", the whole import rolled back). Should the worker fail, the
 * connection checkpoints at SQLite's default again. Only `tug serve` starts
 * one: a command that opens the store for a moment does not need it.
 */
import { Worker } from 'node:worker_threads';
import type { DatabaseSync } from 'node:sqlite';

/**
 * Once a second: every 250 ms cost 12-40% more CPU in all (pages every write
 * touches, copied four times as often) for no better latency. Measured on a
 * 10,000-Repository copy, a status write every 5 ms: CPU 1,411-1,453 ms
 * either way, p99 of a write 12.6-17.7 -> 3.2-4.1 ms, writes over 10 ms
 * 25-27 -> 6-9 of 2,000, the event loop's time in writes 30% less.
 */
export const CHECKPOINT_EVERY_MS = 1000;
/** Where the serving connection checkpoints by itself (16 MB of log; SQLite's default is 1,000 pages). */
export const BACKSTOP_PAGES = 4000;

/** SQLite's default: what the serving connection goes back to without the worker. */
const AUTOCHECKPOINT_PAGES = 1000;

// A script, not a module file: the same text runs from src/ (type stripping) and dist/.
const WORKER_SOURCE = `
const { parentPort, workerData } = require('node:worker_threads');
const { DatabaseSync } = require('node:sqlite');
const db = new DatabaseSync(workerData.path);
// This thread may wait for a lock: nothing else runs on it.
db.exec('PRAGMA busy_timeout = 5000');
let passive;
const timer = setInterval(() => {
  try {
    passive ??= db.prepare('PRAGMA wal_checkpoint(PASSIVE)');
    passive.get();
  } catch (err) {
    // SQLITE_BUSY: another checkpoint runs (a second process on the file); the next pass catches up.
    if ((err.errcode & 0xff) !== 5) throw err;
  }
}, workerData.everyMs);
parentPort.on('message', () => {
  clearInterval(timer);
  db.close();
  parentPort.close();
});
`;

export interface Checkpointer {
  /** Stops the worker and closes its connection (before the serving connection closes, so that one checkpoints last). */
  stop(): Promise<void>;
}

export function startCheckpointer(db: DatabaseSync, path: string, everyMs = CHECKPOINT_EVERY_MS): Checkpointer {
  db.exec(`PRAGMA wal_autocheckpoint = ${BACKSTOP_PAGES}`);
  const worker = new Worker(WORKER_SOURCE, { eval: true, workerData: { path, everyMs } });
  // It must not keep the process alive on its own.
  worker.unref();
  let stopped = false;
  const exited = new Promise<void>((resolve) => worker.once('exit', () => resolve()));
  const fallBack = () => {
    if (!stopped && db.isOpen) db.exec(`PRAGMA wal_autocheckpoint = ${AUTOCHECKPOINT_PAGES}`);
  };
  worker.on('error', fallBack);
  worker.on('exit', fallBack);
  return {
    async stop() {
      if (stopped) return;
      stopped = true;
      worker.postMessage('stop');
      // A worker that does not answer (it should) is ended.
      const timer = setTimeout(() => void worker.terminate(), 2000);
      await exited;
      clearTimeout(timer);
    },
  };
}
