/**
 * Atomic writes: temp file in the same directory, then rename. A killed
 * process leaves either the old file or the new one, never half of one
 * (go-containerregistry `layout/write.go` does the same).
 */
import { type FileHandle, copyFile, link, lstat, mkdir, open, rename, rm } from 'node:fs/promises';
import { dirname } from 'node:path';
import type { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { TugError } from '../errors/index.ts';
import { FileSink } from './file-sink.ts';
import { tempPathFor } from './temp-files.ts';

/** Writes `data` to `path` atomically (temp file in the same directory, fsync, rename). */
export async function writeFileAtomic(path: string, data: Uint8Array | string, mode = 0o644): Promise<void> {
  await mkdir(dirname(path), { recursive: true });
  const tmp = tempPathFor(path);
  const fh = await open(tmp, 'w', mode);
  try {
    await fh.writeFile(data);
    await fh.sync();
  } catch (err) {
    await fh.close().catch(() => {});
    await rm(tmp, { force: true });
    throw err;
  }
  await fh.close();
  try {
    await rename(tmp, path);
  } catch (err) {
    await rm(tmp, { force: true });
    throw err;
  }
}

/**
 * Streams `source` into `path` atomically: the file appears only after the
 * stream ended cleanly (a verifying stream errors instead of ending on a bad
 * digest, so corrupt data never gets a name).
 */
export async function writeStreamAtomic(
  path: string,
  source: Readable,
  options: {
    signal?: AbortSignal | undefined;
    /** Runs first, while errors on `source` are already being listened for (e.g. creating a layout lazily). */
    prepare?: (() => Promise<void>) | undefined;
  } = {},
): Promise<void> {
  // Listen before the first await: a small verifying stream can fail its digest check while
  // the directory is created or the file opened, and an 'error' event nobody listens to kills the process.
  let early: unknown;
  const capture = (err: unknown): void => {
    early ??= err;
  };
  source.on('error', capture);
  try {
    await options.prepare?.();
    await mkdir(dirname(path), { recursive: true });
  } catch (err) {
    source.off('error', capture);
    source.destroy();
    throw err;
  }
  const tmp = tempPathFor(path);
  let fh: FileHandle | undefined;
  try {
    try {
      fh = await open(tmp, 'wx');
    } finally {
      source.off('error', capture);
    }
    if (early !== undefined) throw early;
    // Written inline, not through fs.WriteStream's thread-pool queue: see FileSink (bench c/tug-oci peak RSS 98.0 -> 92.8 MiB).
    await pipeline(source, new FileSink(fh.fd), options.signal ? { signal: options.signal } : {});
    await fh.sync();
    await fh.close();
    fh = undefined;
    await rename(tmp, path);
  } catch (err) {
    source.destroy();
    await fh?.close().catch(() => {});
    await rm(tmp, { force: true });
    throw err;
  }
}

/**
 * Gives `to` the content of the existing file `from` atomically: a hard link
 * into a temp name, then rename; a copy when the two are on different file
 * systems (EXDEV) or links are not allowed. The size is checked against
 * `expectedSize` before the new name appears.
 */
export async function linkFileAtomic(from: string, to: string, expectedSize: number): Promise<void> {
  await mkdir(dirname(to), { recursive: true });
  const tmp = tempPathFor(to);
  try {
    try {
      await link(from, tmp);
    } catch (err) {
      const code = (err as NodeJS.ErrnoException).code;
      if (code !== 'EXDEV' && code !== 'EPERM' && code !== 'EMLINK') throw err;
      await copyFile(from, tmp);
    }
    const st = await lstat(tmp);
    if (!st.isFile() || st.size !== expectedSize) throw new TugError('INTEGRITY', `${from} is ${st.size} bytes, expected ${expectedSize}`);
    await rename(tmp, to);
  } catch (err) {
    await rm(tmp, { force: true });
    throw err;
  }
}
