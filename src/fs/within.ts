/**
 * Path containment: every path built from data (a manifest, an archive
 * entry, a reference) is joined under its root and refused when it, or a
 * symlink on the way, leads out of it.
 */
import type { Stats } from 'node:fs';
import { type FileHandle, open, realpath, stat } from 'node:fs/promises';
import { isAbsolute, relative, resolve } from 'node:path';
import type { Readable } from 'node:stream';
import { TugError, tooLargeError } from '../errors/index.ts';
import { ioError } from './io.ts';

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

/**
 * Stats `path` after checking that it resolves inside `root`. Returns
 * undefined when nothing is there; throws UNSAFE_INPUT for a symlink that
 * leads out of `root`. Lets `hasBlob` answer "no" for a missing file without
 * ever following a hostile link.
 */
export async function statWithin(root: string, path: string): Promise<Stats | undefined> {
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
  let fh: FileHandle | undefined;
  try {
    fh = await open(await realPathWithin(root, path), 'r');
    const { size } = await fh.stat();
    if (size > maxBytes) throw tooLargeError(`${what} (${path})`, size, maxBytes);
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
