/**
 * Filesystem helpers shared by the local transports: atomic writes and path
 * containment. Every local layout is written temp-file-then-rename so a
 * killed process leaves either the old file or the new one, never half of one
 * (go-containerregistry `layout/write.go` does the same).
 */
import { createHash, randomBytes } from 'node:crypto';
import { createReadStream, createWriteStream } from 'node:fs';
import { copyFile, link, lstat, mkdir, open, readdir, realpath, rename, rm, stat } from 'node:fs/promises';
import { dirname, isAbsolute, join, relative, resolve, sep } from 'node:path';
import type { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { TugError } from '../errors/index.ts';
import { type Digest, digestAlgorithm, digestHex } from '../reference/digest.ts';
import type { StoredBlobState } from './types.ts';

/** Every temp file this tool writes starts with this (tar-writer skips such files when packing a tree). */
export const TEMP_PREFIX = '.tug-tmp-';
/** When this process started (epoch ms): temp files not touched since before it are not being written by it. */
const PROCESS_START = Math.floor(performance.timeOrigin);
/** A temp file untouched this long before this process started is stale whoever wrote it (a stalled writer included). */
export const STALE_TEMP_MARGIN_MS = 60 * 60 * 1000;

/**
 * `.tug-tmp-PID-START-RANDOM-NAME`: the writer's pid and start time (base 36)
 * let a later run tell a killed writer's leftovers from a live one's.
 */
function tempPathFor(path: string): string {
  const name = path.slice(path.lastIndexOf(sep) + 1).slice(0, 40);
  return join(dirname(path), `${TEMP_PREFIX}${process.pid}-${PROCESS_START.toString(36)}-${randomBytes(4).toString('hex')}-${name}`);
}

function pidAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    // EPERM: it exists but belongs to someone else.
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/**
 * Whether a temp file is a leftover nobody will rename: untouched since
 * before this process started and written by a pid that is gone, or
 * untouched for {@link STALE_TEMP_MARGIN_MS} before that whoever wrote it
 * (an older name without a pid, a pid reused since). A file written now,
 * by this or a concurrent run, has a fresh mtime and is kept; so is one a
 * writer in another pid namespace (a container sharing the volume) is
 * still writing.
 */
export function isStaleTemp(name: string, mtimeMs: number, run = { processStart: PROCESS_START, alive: pidAlive }): boolean {
  if (!name.startsWith(TEMP_PREFIX) || mtimeMs >= run.processStart) return false;
  if (mtimeMs < run.processStart - STALE_TEMP_MARGIN_MS) return true;
  const writer = /^(\d+)-([0-9a-z]+)-[0-9a-f]+-/.exec(name.slice(TEMP_PREFIX.length));
  if (!writer) return false;
  // Our own pid in an older name: an earlier process that had this pid.
  if (Number(writer[1]) === process.pid) return writer[2] !== run.processStart.toString(36);
  return !run.alive(Number(writer[1]));
}

/**
 * Removes stale temp files (see {@link isStaleTemp}) of killed runs from
 * `dirs`, and with `recursive` from every directory below them (missing
 * directories are skipped). Returns how many went. Never throws: a leftover
 * that cannot be removed now is tried again next run.
 */
export async function removeStaleTemps(dirs: Iterable<string>, options: { recursive?: boolean } = {}): Promise<number> {
  let removed = 0;
  for (const dir of dirs) {
    let found: string[];
    try {
      const entries = await readdir(dir, { withFileTypes: true, recursive: options.recursive === true });
      found = entries.filter((e) => e.isFile() && e.name.startsWith(TEMP_PREFIX)).map((e) => join(e.parentPath, e.name));
    } catch {
      continue;
    }
    for (const path of found) {
      try {
        const st = await lstat(path);
        if (!st.isFile() || !isStaleTemp(path.slice(path.lastIndexOf(sep) + 1), st.mtimeMs)) continue;
        await rm(path, { force: true });
        removed++;
      } catch {
        // vanished meanwhile, or not ours to remove
      }
    }
  }
  return removed;
}

const sweeps = new Map<string, Promise<number>>();

/**
 * Runs `sweep` (a {@link removeStaleTemps} over a destination's directories)
 * once per `key` (a layout root) in this process: a sync writing many
 * images into one layout pays for it once, on its first write.
 */
export function sweepOnce(key: string, sweep: () => Promise<number>): Promise<number> {
  let p = sweeps.get(key);
  if (!p) {
    p = sweep().catch(() => 0);
    sweeps.set(key, p);
  }
  return p;
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
  // the directory is created, and an 'error' event nobody listens to kills the process.
  let early: unknown;
  const capture = (err: unknown): void => {
    early ??= err;
  };
  source.on('error', capture);
  try {
    await options.prepare?.();
    await mkdir(dirname(path), { recursive: true });
  } catch (err) {
    source.destroy();
    throw err;
  } finally {
    source.off('error', capture);
  }
  if (early !== undefined) throw early;
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

/**
 * Stats `path` after checking that it resolves inside `root`. Returns
 * undefined when nothing is there; throws UNSAFE_INPUT for a symlink that
 * leads out of `root`. Lets `hasBlob` answer "no" for a missing file without
 * ever following a hostile link.
 */
export async function statWithin(root: string, path: string): Promise<import('node:fs').Stats | undefined> {
  try {
    return await stat(await realPathWithin(root, path));
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw ioError('reading', path, err);
  }
}

/**
 * Reads a whole file that must resolve inside `root`, refusing it with
 * UNSAFE_INPUT when it is larger than `maxBytes` (checked before reading, so
 * a huge "manifest" is never loaded). A missing file is NOT_FOUND naming `what`.
 */
export async function readFileWithin(root: string, path: string, maxBytes: number, what: string): Promise<Uint8Array> {
  let fh: import('node:fs/promises').FileHandle | undefined;
  try {
    fh = await open(await realPathWithin(root, path), 'r');
    const { size } = await fh.stat();
    if (size > maxBytes) throw new TugError('UNSAFE_INPUT', `${what} (${path}) is ${size} bytes; the limit is ${maxBytes}`);
    return new Uint8Array(await fh.readFile());
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') throw new TugError('NOT_FOUND', `${what} not found: ${path}`, { hint: 'check the path and that the layout is complete' });
    throw ioError('reading', path, err);
  } finally {
    await fh?.close();
  }
}

/** Opens a read stream on a file that must resolve inside `root`; a missing file is NOT_FOUND naming `what`. */
export async function openFileWithin(root: string, path: string, what: string): Promise<Readable> {
  try {
    const fh = await open(await realPathWithin(root, path), 'r');
    return fh.createReadStream();
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') throw new TugError('NOT_FOUND', `${what} not found: ${path}`, { hint: 'check the path and that the layout is complete' });
    throw ioError('opening', path, err);
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

/** Streams the file at `path` through a hash of `algorithm` (sha256, sha512): its digest and size. Never loads it whole. */
export async function hashFile(path: string, algorithm: string, signal?: AbortSignal): Promise<{ digest: Digest; size: number }> {
  const hash = createHash(algorithm);
  let size = 0;
  for await (const chunk of createReadStream(path, signal ? { signal } : {})) {
    size += (chunk as Buffer).length;
    hash.update(chunk as Buffer);
  }
  return { digest: `${algorithm}:${hash.digest('hex')}` as Digest, size };
}

/**
 * Judges the file a layout stores for `desc` at `path` (which must resolve
 * inside `root`) by its bytes: `absent`, `valid`, or `corrupt` (not a
 * regular file, wrong size, or wrong digest). The size is checked first, so
 * a wrong-size file is never read.
 */
export async function checkStoredFile(root: string, path: string, desc: { digest: Digest; size: number }, signal?: AbortSignal): Promise<StoredBlobState> {
  const st = await statWithin(root, path);
  if (!st) return 'absent';
  if (!st.isFile() || st.size !== desc.size) return 'corrupt';
  try {
    const actual = await hashFile(path, digestAlgorithm(desc.digest), signal);
    return actual.size === desc.size && digestHex(actual.digest) === digestHex(desc.digest) ? 'valid' : 'corrupt';
  } catch (err) {
    throw ioError('reading', path, err);
  }
}
