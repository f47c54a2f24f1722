/**
 * Small file I/O helpers: a filesystem error as a TugError naming the path
 * and the action, existence without following links, a streaming hash.
 */
import { createHash } from 'node:crypto';
import { lstat, open } from 'node:fs/promises';
import { TugError } from '../errors/index.ts';
import type { Digest } from '../reference/digest.ts';

export async function pathExists(path: string): Promise<boolean> {
  try {
    await lstat(path);
    return true;
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return false;
    throw err;
  }
}

/** Wraps a filesystem error as a TugError IO with the path and the action. */
export function ioError(action: string, path: string, err: unknown): TugError {
  if (err instanceof TugError) return err;
  const code = (err as NodeJS.ErrnoException).code;
  const hint =
    code === 'EACCES' || code === 'EPERM'
      ? 'check the permissions of the directory'
      : code === 'ENOSPC'
        ? 'the disk is full; free space and re-run: completed blobs are kept'
        : code === 'ENOENT'
          ? 'check the path'
          : undefined;
  return new TugError('IO', `${action} ${path}: ${(err as Error).message}`, { cause: err, ...(hint ? { hint } : {}) });
}

/** Bytes read at a time by {@link hashFile}. */
const HASH_READ_BYTES = 64 * 1024;

/**
 * Reads the file at `path` through a hash of `algorithm` (sha256, sha512): its digest and size. Never loads it whole.
 * One buffer is read into again and again: a read stream's new 64 KB buffer per read was garbage for the GC to find
 * (issue 14 item 7: the bench's re-sync with --verify-existing, which hashes every stored blob, peaked at
 * 95.8-98.1 MiB in 5.5-6.8 s, and at 91.5-92.9 MiB in 3.7-4.9 s reading into one buffer).
 */
export async function hashFile(path: string, algorithm: string, signal?: AbortSignal): Promise<{ digest: Digest; size: number }> {
  const hash = createHash(algorithm);
  const buffer = Buffer.allocUnsafeSlow(HASH_READ_BYTES);
  let size = 0;
  const fh = await open(path, 'r');
  try {
    for (;;) {
      signal?.throwIfAborted();
      const { bytesRead } = await fh.read(buffer, 0, HASH_READ_BYTES, size);
      if (bytesRead === 0) break;
      hash.update(buffer.subarray(0, bytesRead));
      size += bytesRead;
    }
  } finally {
    await fh.close();
  }
  return { digest: `${algorithm}:${hash.digest('hex')}` as Digest, size };
}
