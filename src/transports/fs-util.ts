/**
 * Filesystem helpers shared by the local transports: atomic writes and path
 * containment. Every local layout is written temp-file-then-rename so a
 * killed process leaves either the old file or the new one, never half of one
 * (go-containerregistry `layout/write.go` does the same).
 */
import { randomBytes } from 'node:crypto';
import { createWriteStream } from 'node:fs';
import { lstat, mkdir, open, realpath, rename, rm } from 'node:fs/promises';
import { dirname, isAbsolute, join, relative, resolve, sep } from 'node:path';
import type { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { TugError } from '../errors/index.ts';

function tempPathFor(path: string): string {
  return join(dirname(path), `.tug-tmp-${randomBytes(6).toString('hex')}-${path.slice(path.lastIndexOf(sep) + 1).slice(0, 40)}`);
}

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
export async function writeStreamAtomic(path: string, source: Readable, options: { signal?: AbortSignal | undefined } = {}): Promise<void> {
  await mkdir(dirname(path), { recursive: true });
  const tmp = tempPathFor(path);
  try {
    const out = createWriteStream(tmp, { flags: 'wx' });
    await pipeline(source, out, options.signal ? { signal: options.signal } : {});
    const fh = await open(tmp, 'r+');
    await fh.sync().finally(() => fh.close());
    await rename(tmp, path);
  } catch (err) {
    await rm(tmp, { force: true });
    throw err;
  }
}

/**
 * Joins `parts` under `root` and refuses any result outside it (`..`,
 * absolute parts). Use for every path built from data read from a manifest,
 * an archive entry or a reference.
 */
export function safeJoin(root: string, ...parts: string[]): string {
  for (const p of parts) {
    if (isAbsolute(p) || p.split(/[\\/]/).some((c) => c === '..')) {
      throw new TugError('UNSAFE_INPUT', `refusing path "${p}": it would leave ${root}`);
    }
  }
  const full = resolve(root, ...parts);
  const rel = relative(resolve(root), full);
  if (rel.startsWith('..') || isAbsolute(rel)) throw new TugError('UNSAFE_INPUT', `refusing path "${parts.join('/')}": it would leave ${root}`);
  return full;
}

/**
 * Resolves symlinks in an existing `path` and refuses it when the real path
 * is outside `root` (a layout must not be able to point us at /etc/shadow).
 */
export async function realPathWithin(root: string, path: string): Promise<string> {
  const [realRoot, real] = await Promise.all([realpath(root), realpath(path)]);
  const rel = relative(realRoot, real);
  if (rel.startsWith('..') || isAbsolute(rel)) {
    throw new TugError('UNSAFE_INPUT', `refusing ${path}: it is a symlink that leads out of ${root}`);
  }
  return real;
}

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
