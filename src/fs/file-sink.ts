/**
 * A Writable into an open file descriptor that writes each chunk with a
 * synchronous write(2) while the medium answers fast (issue 14 item 7: peak
 * RSS under 100 MB). A write into the page cache is a memory copy, as the
 * socket write of an upload is, and done inline a 64 KB socket chunk is dead
 * when `_write` returns, so the next scavenge frees it. Through the thread
 * pool (fs.WriteStream) the chunks of eight transfers queued behind each
 * other's writes and fsyncs long enough to be promoted, and piled up dead in
 * the old generation until a full GC: on the bench's sync into an OCI layout
 * 6-13 MiB of `arrayBuffers`, a 99.6-99.8 MiB peak against 95.1-96.4 MiB
 * inline, and 11.3-12.9 s of CPU against 8.4-9.7 s (the pool's hand-offs).
 *
 * Writes that take longer than `slowWriteMs`, {@link SLOW_WRITES} times,
 * mean a slow medium (a USB stick, a network file system) where an inline
 * write stalls every other transfer and timer: from then on this process
 * writes through the thread pool, holding each chunk until it is written,
 * as fs.WriteStream does. One slow write is not enough: on the shared bench
 * machine one write in ~20,000 into the page cache took 50-125 ms.
 * {@link writeAt} does the same for a caller that writes buffers one by one
 * (a bundle's parts).
 */
import { write, writeSync } from 'node:fs';
import { Writable } from 'node:stream';

/** A write this slow (ms) switches the process to thread-pool writes. */
export const SLOW_WRITE_MS = 50;

/** Slow writes seen before the process switches to thread-pool writes. */
export const SLOW_WRITES = 3;

let slowWrites = 0;
/** Set once writes were slow {@link SLOW_WRITES} times: every later write goes through the thread pool. */
let slowMedium = false;

/** Whether writes still go inline (false once the medium was found slow). */
export function writingInline(): boolean {
  return !slowMedium;
}

/** Counts a write that took `ms`. */
function timed(ms: number, slowWriteMs: number): void {
  if (ms >= slowWriteMs && ++slowWrites >= SLOW_WRITES) slowMedium = true;
}

/** Writes all of `bytes` at `position` of `fd`: inline while the medium is fast, else through the thread pool (see the module comment). */
export async function writeAt(fd: number, bytes: Uint8Array, position: number, slowWriteMs = SLOW_WRITE_MS): Promise<void> {
  let done = 0;
  if (!slowMedium) {
    const started = Date.now();
    while (done < bytes.length) done += writeSync(fd, bytes, done, bytes.length - done, position + done);
    timed(Date.now() - started, slowWriteMs);
    return;
  }
  while (done < bytes.length) done += await new Promise<number>((resolve, reject) => write(fd, bytes, done, bytes.length - done, position + done, (err, n) => (err ? reject(err) : resolve(n))));
}

export interface FileSinkOptions {
  /** Default {@link SLOW_WRITE_MS}. */
  slowWriteMs?: number | undefined;
}

export class FileSink extends Writable {
  readonly #fd: number;
  readonly #slowWriteMs: number;
  #position = 0;

  /** Writes from offset 0 of `fd`; the caller opens it and closes it after the stream finished or failed. */
  constructor(fd: number, options: FileSinkOptions = {}) {
    // Nothing queued here: a chunk waits upstream, where the source is paused.
    super({ highWaterMark: 0 });
    this.#fd = fd;
    this.#slowWriteMs = options.slowWriteMs ?? SLOW_WRITE_MS;
  }

  /** Bytes written so far. */
  get bytesWritten(): number {
    return this.#position;
  }

  override _write(chunk: Buffer, _encoding: BufferEncoding, cb: (err?: Error | null) => void): void {
    if (slowMedium) return this.#writeLater(chunk, 0, cb);
    const started = Date.now();
    try {
      let done = 0;
      while (done < chunk.length) done += writeSync(this.#fd, chunk, done, chunk.length - done, this.#position + done);
      this.#position += chunk.length;
    } catch (err) {
      return cb(err as Error);
    }
    timed(Date.now() - started, this.#slowWriteMs);
    cb();
  }

  /** A thread-pool write of `chunk` from `offset`, repeated until all of it is written. */
  #writeLater(chunk: Buffer, offset: number, cb: (err?: Error | null) => void): void {
    write(this.#fd, chunk, offset, chunk.length - offset, this.#position, (err, n) => {
      if (err) return cb(err);
      this.#position += n;
      if (offset + n < chunk.length) return this.#writeLater(chunk, offset + n, cb);
      cb();
    });
  }
}
