/**
 * Writes tar archives atomically (temp file next to the target, fsync,
 * rename on success), for docker-archive and oci-archive alike: readers of
 * the target see the old archive or the new one, never half of one.
 * tar-stream's streams are streamx streams, not Node streams, so entries
 * are fed by hand (streamx-bridge.ts) instead of trusting `pipeline`.
 */
import { createReadStream } from 'node:fs';
import { lstat, readdir } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { Readable } from 'node:stream';
import { TEMP_PREFIX, removeStaleTemps } from '../../fs/temp-files.ts';
import { ioError } from '../../fs/io.ts';
import { writeStreamAtomic } from '../../fs/atomic.ts';
import { type StreamxWritable, drainedOrClosed } from './streamx-bridge.ts';
import { tarStream } from './tar-stream.ts';

/** The header fields Tugboat writes; uid and gid are always 0 and the rest zeroed, for reproducible archives. */
export interface EntryHeader {
  name: string;
  type: 'file' | 'directory' | 'symlink' | 'link';
  /** Bytes of a file's body; ignored for other types. */
  size?: number;
  /** Default 0755 for directories, 0644 otherwise. */
  mode?: number;
  /** Default the Unix epoch. */
  mtime?: Date;
  linkname?: string;
}

/**
 * Adds one member. `body` is required for files: a Uint8Array sets the size
 * itself; a stream must yield exactly `size` bytes (the entry, and so the
 * whole write, fails otherwise).
 */
export type AddEntry = (header: EntryHeader, body?: AsyncIterable<Uint8Array> | Uint8Array) => Promise<void>;

export interface WriteTarOptions {
  /** Aborting removes the temp file and rejects; the target is untouched. */
  signal?: AbortSignal | undefined;
}

/**
 * A tar being packed: `add` appends members in order, `finish` ends the
 * archive, `fail` destroys it; `stream` yields the archive's bytes.
 */
interface TarPacker {
  stream: Readable;
  add: AddEntry;
  finish: () => void;
  fail: (err: Error) => void;
}

function tarPacker(): TarPacker {
  const pack = tarStream().pack();
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
    // tar-stream also emits a size mismatch as 'error' on the entry; unheard, it would kill the process.
    sink.on('error', (err) => settle.reject(err));
    if (body) {
      for await (const chunk of body) {
        if (sink.destroyed) break;
        if (!sink.write(chunk)) await drainedOrClosed(sink);
      }
    }
    if (!sink.destroyed) sink.end();
    return done;
  };
  return { stream: Readable.from(pack as AsyncIterable<Uint8Array>), add, finish: () => pack.finalize(), fail: (err) => pack.destroy(err) };
}

/**
 * Builds the archive at `path` from the members `fill` adds, in order. The
 * archive appears at `path` only if `fill` resolves and every byte was
 * written; otherwise the temp file is removed and the error rethrown as is
 * (callers name the action).
 */
export async function writeTarAtomic(path: string, fill: (add: AddEntry) => Promise<void>, options: WriteTarOptions = {}): Promise<void> {
  // A killed earlier write left its temp archive next to PATH: as big as the archive.
  await removeStaleTemps([dirname(path)]);
  const packer = tarPacker();
  const writing = writeStreamAtomic(path, packer.stream, options);
  writing.catch(() => {}); // awaited below on both paths
  try {
    await fill(packer.add);
    packer.finish();
  } catch (err) {
    packer.fail(err as Error);
    await writing.catch(() => {});
    throw err;
  }
  await writing;
}

/**
 * The archive `fill` adds members to, as a stream (for a consumer that is
 * not a file, e.g. a Docker daemon's `POST /images/load`). Members are
 * packed as the consumer reads; if `fill` rejects, the stream is destroyed
 * with its error, so the consumer never sees a complete-looking archive.
 * `filled` settles with `fill`.
 */
export function tarReadable(fill: (add: AddEntry) => Promise<void>): { stream: Readable; filled: Promise<void> } {
  const packer = tarPacker();
  const filled = fill(packer.add).then(
    () => packer.finish(),
    (err: unknown) => {
      packer.fail(err as Error);
      throw err;
    },
  );
  filled.catch(() => {}); // the caller awaits it; the stream carries the error too
  return { stream: packer.stream, filled };
}

/** Relative paths under `root`, depth-first in name order (directories before their contents, as `tar` does). */
async function listTree(root: string, rel = ''): Promise<{ name: string; dir: boolean }[]> {
  const out: { name: string; dir: boolean }[] = [];
  const entries = (await readdir(join(root, rel), { withFileTypes: true })).sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
  for (const e of entries) {
    // Leftovers of interrupted atomic writes (fs/temp-files.ts names) are not part of the tree.
    if (e.name.startsWith(TEMP_PREFIX)) continue;
    const name = rel ? `${rel}/${e.name}` : e.name;
    if (e.isDirectory()) {
      out.push({ name, dir: true });
      out.push(...(await listTree(root, name)));
    } else if (e.isFile()) {
      out.push({ name, dir: false });
    }
  }
  return out;
}

/**
 * Writes the tar of the directory `dir` to `archive` with
 * {@link writeTarAtomic}: regular files (mode 0644) and directories (0755)
 * with their mtimes, in name order; symlinks and special files are left
 * out. Failures are IO errors naming `archive`.
 */
export async function packDirectory(dir: string, archive: string, options: WriteTarOptions = {}): Promise<void> {
  try {
    await writeTarAtomic(
      archive,
      async (add) => {
        for (const { name, dir: isDir } of await listTree(dir)) {
          const path = join(dir, name);
          const st = await lstat(path);
          if (isDir) await add({ name, type: 'directory', mtime: st.mtime });
          else await add({ name, type: 'file', size: st.size, mtime: st.mtime }, createReadStream(path));
        }
      },
      options,
    );
  } catch (err) {
    throw ioError('packing', archive, err);
  }
}
