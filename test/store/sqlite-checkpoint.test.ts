/**
 * `tug serve`'s SQLite store checkpoints its write-ahead log in a worker
 * thread (src/store/sqlite/checkpointer.ts, issue 15 "Scale"): commits on
 * the event loop never copy the log back and fsync. What is committed
 * reaches the database file without a commit doing it, the serving
 * connection does not checkpoint by itself, and closing the store stops the
 * worker and leaves no log behind. Writes back to back past the serving
 * connection's backstop (16 MB of log) are never refused and keep the log
 * bounded (the first version of the worker let it reach 250 MB here, and
 * its RESTART checkpoints made a bulk import in CI fail "database is locked").
 */
import assert from 'node:assert/strict';
import { copyFileSync, existsSync, statSync } from 'node:fs';
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

test('SQLite with background checkpoints: writes back to back past the 16 MB backstop are never refused, and the log stays bounded', async (t) => {
  const data = tempDir(t, 'tug-ckpt-burst-');
  const store = await openStore({ data, backgroundCheckpoints: true });
  try {
    // Four writers at once (as two imports and the scheduler would be), each commit its own transaction,
    // with readers between them: the worker checkpoints meanwhile and must never make a writer wait past its lock timeout.
    let peakLog = 0;
    const log = join(data, 'tugboat.db-wal');
    await Promise.all(
      Array.from({ length: 4 }, async (_, w) => {
        for (let i = 0; i < 600; i++) {
          await store.create('Repository', repository(`ns-${w}`, `r-${i}`, { displayName: 'x'.repeat(2000) }));
          if (i % 50 === 0) {
            assert.ok((await store.list('Repository', { namespace: `ns-${w}`, limit: 10 })).items.length > 0);
            peakLog = Math.max(peakLog, existsSync(log) ? statSync(log).size : 0);
          }
        }
      }),
    );
    const namespaces = await store.listNamespaces();
    assert.deepEqual(namespaces.map((n) => [n.name, n.counts.Repository]), [0, 1, 2, 3].map((w) => [`ns-${w}`, 600]));
    // Past the worker's passes, the serving connection's own checkpoint (at 4,000 pages, 16 MB) keeps the log from growing without end.
    assert.ok(peakLog < 48 * 1024 * 1024, `the write-ahead log reached ${peakLog} bytes`);
    t.diagnostic(`log peak ${(peakLog / 1024 / 1024).toFixed(1)} MiB`);
  } finally {
    await store.close();
  }
});
