/**
 * Writes a tar archive atomically (temp file next to the target, rename on
 * success). tar-stream's streams are streamx streams, not Node streams, so
 * this file bridges the two by hand instead of trusting `pipeline` with them.
 */
import { Readable } from 'node:stream';
import tarStream from 'tar-stream';
import { writeStreamAtomic } from '../fs-util.ts';

/** The header fields Tugboat writes; everything else is zeroed for reproducible archives. */
export interface EntryHeader {
  name: string;
  type: 'file' | 'directory' | 'symlink' | 'link';
  size?: number;
  mode?: number;
  mtime?: Date;
  linkname?: string;
}

/** Adds one member; `body` is required for files and must yield exactly `size` bytes. */
export type AddEntry = (header: EntryHeader, body?: AsyncIterable<Uint8Array> | Uint8Array) => Promise<void>;

interface StreamxWritable {
  write(chunk: Uint8Array): boolean;
  end(): void;
  once(event: 'drain' | 'close', fn: () => void): unknown;
  readonly destroyed: boolean;
}

function drainedOrClosed(sink: StreamxWritable): Promise<void> {
  if (sink.destroyed) return Promise.resolve();
  return new Promise((resolve) => {
    sink.once('drain', resolve);
    sink.once('close', resolve);
  });
}

/**
 * Builds the archive at `path` from the members `fill` adds, in order. The
 * archive appears at `path` only if `fill` resolves and every byte was
 * written; otherwise the temp file is removed and the error rethrown.
 */
export async function writeTarAtomic(path: string, fill: (add: AddEntry) => Promise<void>): Promise<void> {
  const pack = tarStream.pack();
  const writing = writeStreamAtomic(path, Readable.from(pack as AsyncIterable<Uint8Array>));
  writing.catch(() => {}); // awaited below on both paths
  const add: AddEntry = async (header, body) => {
    const h = {
      name: header.name,
      type: header.type,
      size: header.type === 'file' ? (header.size ?? 0) : 0,
      mode: header.mode ?? (header.type === 'directory' ? 0o755 : 0o644),
      mtime: header.mtime ?? new Date(0),
      uid: 0,
      gid: 0,
      ...(header.linkname !== undefined ? { linkname: header.linkname } : {}),
    };
    let settle!: { resolve: () => void; reject: (e: Error) => void };
    const done = new Promise<void>((resolve, reject) => {
      settle = { resolve, reject };
    });
    done.catch(() => {});
    if (body instanceof Uint8Array) {
      pack.entry(h, body, (err) => (err ? settle.reject(err) : settle.resolve()));
      return done;
    }
    const sink = pack.entry(h, (err) => (err ? settle.reject(err) : settle.resolve())) as unknown as StreamxWritable;
    if (body) {
      for await (const chunk of body) {
        if (sink.destroyed) break;
        if (!sink.write(chunk)) await drainedOrClosed(sink);
      }
    }
    if (!sink.destroyed) sink.end();
    return done;
  };
  try {
    await fill(add);
    pack.finalize();
  } catch (err) {
    pack.destroy(err as Error);
    await writing.catch(() => {});
    throw err;
  }
  await writing;
}
