/**
 * Small file I/O helpers: a filesystem error as a TugError naming the path
 * and the action, existence without following links, a streaming hash.
 */
import { createHash } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { lstat } from 'node:fs/promises';
import { TugError } from '../errors/index.ts';
import type { Digest } from '../reference/digest.ts';
import { streamed } from '../runtime/scavenge.ts';

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

/** Streams the file at `path` through a hash of `algorithm` (sha256, sha512): its digest and size. Never loads it whole. */
export async function hashFile(path: string, algorithm: string, signal?: AbortSignal): Promise<{ digest: Digest; size: number }> {
  const hash = createHash(algorithm);
  let size = 0;
  for await (const chunk of createReadStream(path, signal ? { signal } : {})) {
    size += (chunk as Buffer).length;
    hash.update(chunk as Buffer);
    streamed((chunk as Buffer).length);
  }
  return { digest: `${algorithm}:${hash.digest('hex')}` as Digest, size };
}
