/**
 * Blob files written inline (src/fs/file-sink.ts) through writeStreamAtomic:
 * the bytes arrive whole whatever the chunking, a failed stream leaves no
 * file and no temp file, and after slow writes the process goes on through
 * the thread pool with the same bytes. The switch is process-wide and
 * one-way: the test that makes it runs last.
 */
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { closeSync, openSync, readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { test } from 'node:test';
import { writeStreamAtomic } from '../../src/fs/atomic.ts';
import { FileSink, SLOW_WRITES, writeAt, writingInline } from '../../src/fs/file-sink.ts';
import { tempDir } from '../support/tmp.ts';

/** Deterministic bytes in chunks of uneven sizes (1 byte to 200 KB, as sockets and files deliver). */
function chunks(total: number, seed: number): Buffer[] {
  const out: Buffer[] = [];
  let state = seed;
  let left = total;
  while (left > 0) {
    state = (state * 1103515245 + 12345) >>> 0;
    const size = Math.min(left, 1 + (state % 200_000));
    const chunk = Buffer.alloc(size);
    for (let i = 0; i < size; i += 4096) chunk[i] = (state + i) & 0xff;
    chunk.fill(state & 0xff, 0, Math.min(size, 17));
    out.push(chunk);
    left -= size;
  }
  return out;
}

const sha = (b: Buffer | Buffer[]): string => {
  const h = createHash('sha256');
  for (const c of Array.isArray(b) ? b : [b]) h.update(c);
  return h.digest('hex');
};

test('writeStreamAtomic: 5 MB in uneven chunks arrive byte for byte; no temp file is left', async (t) => {
  const dir = tempDir(t, 'tug-sink-');
  const data = chunks(5_000_000, 7);
  const path = join(dir, 'blobs', 'sha256', 'abc');
  await writeStreamAtomic(path, Readable.from(data));
  const written = readFileSync(path);
  assert.equal(written.length, 5_000_000);
  assert.equal(sha(written), sha(data));
  assert.deepEqual(readdirSync(join(dir, 'blobs', 'sha256')), ['abc']);
});

test('writeStreamAtomic: a source failing midway leaves neither the file nor a temp file', async (t) => {
  const dir = tempDir(t, 'tug-sink-');
  const path = join(dir, 'blob');
  async function* failing() {
    yield* chunks(1_000_000, 3);
    throw new Error('connection reset');
  }
  await assert.rejects(writeStreamAtomic(path, Readable.from(failing())), /connection reset/);
  assert.deepEqual(readdirSync(dir), []);
});

test('writeStreamAtomic: a source that fails before its first byte is written rejects with its error', async (t) => {
  const dir = tempDir(t, 'tug-sink-');
  const source = new Readable({ read() {} });
  const prepare = async () => {
    source.destroy(new Error('digest mismatch'));
    await new Promise((resolve) => setImmediate(resolve));
  };
  await assert.rejects(writeStreamAtomic(join(dir, 'blob'), source, { prepare }), /digest mismatch/);
  assert.deepEqual(readdirSync(dir), []);
});

test('FileSink: a write error (read-only descriptor) fails the pipeline', async (t) => {
  const dir = tempDir(t, 'tug-sink-');
  const path = join(dir, 'ro');
  closeSync(openSync(path, 'w'));
  const fd = openSync(path, 'r');
  t.after(() => closeSync(fd));
  await assert.rejects(pipeline(Readable.from(chunks(100_000, 1)), new FileSink(fd)), { code: 'EBADF' });
});

// Last: it switches this process to thread-pool writes for good.
test(`FileSink and writeAt: after ${SLOW_WRITES} slow writes the thread pool writes the same bytes`, async (t) => {
  const dir = tempDir(t, 'tug-sink-');
  const data = chunks(3_000_000, 11);
  const path = join(dir, 'slow');
  assert.equal(writingInline(), true);
  const fd = openSync(path, 'wx');
  try {
    // Every write counts as slow (0 ms): the first SLOW_WRITES chunks go inline, the rest through the pool.
    const sink = new FileSink(fd, { slowWriteMs: 0 });
    await pipeline(Readable.from(data), sink);
    assert.equal(sink.bytesWritten, 3_000_000);
  } finally {
    closeSync(fd);
  }
  assert.equal(writingInline(), false);
  assert.ok(data.length > SLOW_WRITES + 2, `${data.length} chunks`);
  assert.equal(sha(readFileSync(path)), sha(data));

  const parts = join(dir, 'parts');
  const pfd = openSync(parts, 'wx');
  try {
    let at = 0;
    for (const c of data) {
      await writeAt(pfd, c, at);
      at += c.length;
    }
  } finally {
    closeSync(pfd);
  }
  assert.equal(sha(readFileSync(parts)), sha(data));
});
