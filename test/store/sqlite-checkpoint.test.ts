/**
 * `tug serve`'s SQLite store checkpoints its write-ahead log in a worker
 * thread (src/store/sqlite/checkpointer.ts, issue 15 "Scale"): commits on
 * the event loop never copy the log back and fsync. What is committed
 * reaches the database file without a commit doing it, the serving
 * connection does not checkpoint by itself, and closing the store stops the
 * worker and leaves no log behind.
 */
import assert from 'node:assert/strict';
import { copyFileSync, existsSync } from 'node:fs';
import { join } from 'node:path';
import { DatabaseSync } from 'node:sqlite';
import { test } from 'node:test';
import { openStore } from '../../src/store/index.ts';
import { repository } from './backends.ts';
import { tempDir } from '../support/tmp.ts';
import { waitFor } from '../support/wait.ts';

/** Repositories in the database file alone, without its log (a copy of the file, opened on its own). */
function inFile(data: string, scratch: string): number {
  const copy = join(scratch, `copy-${process.hrtime.bigint()}.db`);
  copyFileSync(join(data, 'tugboat.db'), copy);
  const db = new DatabaseSync(copy, { readOnly: true });
  try {
    // Not even the schema (the migrations are in the log too).
    if (!db.prepare(`SELECT 1 FROM sqlite_master WHERE name = 'objects'`).get()) return 0;
    return Number(db.prepare(`SELECT count(*) AS n FROM objects WHERE kind = 'Repository'`).get()!['n']);
  } finally {
    db.close();
  }
}

for (const background of [true, false]) {
  test(`SQLite ${background ? 'with' : 'without'} background checkpoints: what reaches the database file before close`, async (t) => {
    const data = tempDir(t, 'tug-ckpt-');
    const scratch = tempDir(t, 'tug-ckpt-copy-');
    const store = await openStore({ data, backgroundCheckpoints: background });
    try {
      // Twenty small writes: far under the 1,000 pages at which a commit would checkpoint by itself.
      for (let i = 0; i < 20; i++) await store.create('Repository', repository('default', `r-${i}`));
      if (background) {
        await waitFor('the worker to copy the log into the database file', () => inFile(data, scratch) === 20);
      } else {
        assert.equal(inFile(data, scratch), 0, 'a commit under 1,000 pages leaves the log alone');
      }
      assert.ok(existsSync(join(data, 'tugboat.db-wal')), 'still in WAL mode while open');
    } finally {
      await store.close();
    }
    assert.equal(inFile(data, scratch), 20);
    assert.ok(!existsSync(join(data, 'tugboat.db-wal')), 'the last connection to close checkpoints and removes the log');
  });
}
