/**
 * Reads tar archives from untrusted sources without letting them touch any
 * path we did not choose. Two passes over the file: {@link scanArchive}
 * indexes every header (refusing hostile ones) and keeps a few small
 * members in memory; {@link extractMembers} then copies only the members we
 * need to file names we pick, never to names taken from the archive.
 * A gzip-compressed archive (what `docker save | gzip` gives) is read too.
 */
import { createReadStream, createWriteStream } from 'node:fs';
import { open } from 'node:fs/promises';
import { posix } from 'node:path';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { createGunzip } from 'node:zlib';
import tarStream from 'tar-stream';
import { TugError } from '../../errors/index.ts';
import { MAX_MANIFEST_BYTES } from '../../oci/manifest.ts';
import type { Digest } from '../../reference/digest.ts';
import { ioError } from '../fs-util.ts';
import { DigestingStream } from './digesting-stream.ts';
import { sniffCompression } from './layer-compression.ts';

/** More members than this and the archive is refused: a docker save tar has a handful per layer. */
export const MAX_ARCHIVE_ENTRIES = 100_000;
/** Links are followed at most this many hops (docker save's legacy `ID/layer.tar -> ../HEX.tar` is one). */
const MAX_LINK_HOPS = 16;

export interface ArchiveMember {
  /** Normalised name: relative, `/`-separated, no `.` or `..` components. */
  name: string;
  type: 'file' | 'directory' | 'symlink' | 'link';
  size: number;
  mode: number;
  mtime: Date | undefined;
  /** For links: the archive-relative name of the target (symlinks already resolved against their directory). */
  target?: string;
  /** For symlinks: the link text as stored, to copy the member unchanged. */
  linkname?: string;
}

export interface ArchiveIndex {
  /** Path of the archive on disk. */
  path: string;
  /** Members by normalised name; a later duplicate replaces an earlier one, as tar extraction would. */
  members: Map<string, ArchiveMember>;
  /** Contents of the small members asked for with `keep` (at most 4 MiB each). */
  kept: Map<string, Buffer>;
}

function unsafe(path: string, problem: string): TugError {
  return new TugError('UNSAFE_INPUT', `refusing archive ${path}: ${problem}`, { hint: 'the archive is malformed or hostile; nothing was extracted' });
}

/**
 * Normalises an archive member name and refuses anything that could leave
 * the extraction directory: absolute names, `..` components, NUL bytes.
 * Returns '' for the archive root (`./`).
 */
export function normalizeMemberName(raw: string, archive: string): string {
  if (raw.includes('\0')) throw unsafe(archive, `member name ${JSON.stringify(raw)} contains a NUL byte`);
  if (raw.startsWith('/')) throw unsafe(archive, `member "${raw}" has an absolute name`);
  if (raw.split('/').some((c) => c === '..')) throw unsafe(archive, `member "${raw}" contains ".."`);
  const n = posix.normalize(raw).replace(/\/+$/, '');
  return n === '.' ? '' : n;
}

/** Resolves a link's target to an archive-relative name, refusing targets outside the archive. */
function linkTarget(member: string, linkname: string, hard: boolean, archive: string): string {
  if (linkname.startsWith('/')) throw unsafe(archive, `member "${member}" links to the absolute path "${linkname}"`);
  const joined = hard ? posix.normalize(linkname) : posix.normalize(posix.join(posix.dirname(member), linkname));
  if (joined === '..' || joined.startsWith('../')) throw unsafe(archive, `member "${member}" links to "${linkname}", outside the archive`);
  return joined.replace(/\/+$/, '');
}

async function openArchive(path: string): Promise<Readable> {
  let head: Uint8Array;
  try {
    const fh = await open(path, 'r');
    try {
      const buf = new Uint8Array(4);
      const { bytesRead } = await fh.read(buf, 0, 4, 0);
      head = buf.subarray(0, bytesRead);
    } finally {
      await fh.close();
    }
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') throw new TugError('NOT_FOUND', `docker archive ${path} does not exist`, { hint: 'check the path' });
    throw ioError('reading docker archive', path, err);
  }
  const file = createReadStream(path);
  if (sniffCompression(head) !== 'gzip') return file;
  const gunzip = createGunzip();
  file.on('error', (e) => gunzip.destroy(e));
  return file.pipe(gunzip);
}

/** A member's body: tar-stream yields streamx streams, which are async iterables of chunks. */
export type MemberBody = AsyncIterable<Uint8Array>;

/** Reads and discards the rest of a member's body. */
export async function drain(body: MemberBody): Promise<void> {
  for await (const _ of body) {
    /* discard */
  }
}

/** Runs `onMember` for every member in order; the callback must consume the body (or {@link drain} it). */
async function forEachMember(path: string, onMember: (header: tarStream.Header, body: MemberBody) => Promise<void>): Promise<void> {
  const input = await openArchive(path);
  const extract = tarStream.extract();
  // Fed by hand: tar-stream's streamx Writable is not a Node stream for pipeline().
  const feeding = (async () => {
    try {
      for await (const chunk of input) {
        if (extract.destroyed) return;
        if (!extract.write(chunk as Buffer)) {
          await new Promise<void>((res) => {
            extract.once('drain', res);
            extract.once('close', res);
          });
        }
      }
      if (!extract.destroyed) extract.end(undefined);
    } catch (err) {
      extract.destroy(err as Error);
    }
  })();
  try {
    for await (const entry of extract) await onMember(entry.header, entry as unknown as MemberBody);
    await feeding;
  } catch (err) {
    input.destroy();
    if (err instanceof TugError) throw err;
    const code = (err as NodeJS.ErrnoException).code;
    if (typeof code === 'string' && code.startsWith('E') && code !== 'ERR_STREAM_PREMATURE_CLOSE') throw ioError('reading docker archive', path, err);
    throw unsafe(path, `not a readable tar archive (${(err as Error).message})`);
  }
}

/**
 * Indexes every member of the archive at `path`, refusing the whole archive
 * when any member is hostile (absolute or `..` name, a link out of the
 * archive, a device or FIFO) or there are more than
 * {@link MAX_ARCHIVE_ENTRIES}. Members named in `keep` are read into memory
 * (refused above 4 MiB).
 */
export async function scanArchive(path: string, keep: readonly string[] = []): Promise<ArchiveIndex> {
  const members = new Map<string, ArchiveMember>();
  const kept = new Map<string, Buffer>();
  let count = 0;
  await forEachMember(path, async (h, body) => {
    if (++count > MAX_ARCHIVE_ENTRIES) throw unsafe(path, `more than ${MAX_ARCHIVE_ENTRIES} members`);
    const name = normalizeMemberName(h.name, path);
    const base = { name, size: h.size ?? 0, mode: h.mode ?? 0o644, mtime: h.mtime };
    switch (h.type) {
      case 'file':
      case 'contiguous-file':
      case undefined:
      case null: {
        members.set(name, { ...base, type: 'file' });
        if (keep.includes(name)) {
          if (base.size > MAX_MANIFEST_BYTES) throw unsafe(path, `member "${name}" is ${base.size} bytes; the limit is ${MAX_MANIFEST_BYTES}`);
          const chunks: Buffer[] = [];
          for await (const c of body) chunks.push(Buffer.from(c));
          kept.set(name, Buffer.concat(chunks));
          return;
        }
        break;
      }
      case 'directory':
        if (name !== '') members.set(name, { ...base, type: 'directory', size: 0 });
        break;
      case 'symlink':
      case 'link': {
        const linkname = h.linkname ?? '';
        const target = linkTarget(name, linkname, h.type === 'link', path);
        members.set(name, { ...base, type: h.type, size: 0, target, linkname });
        break;
      }
      default:
        throw unsafe(path, `member "${name}" is a ${h.type}; only files, directories and links are allowed`);
    }
    await drain(body);
  });
  return { path, members, kept };
}

/**
 * Follows links from `name` to a regular file member; NOT_FOUND when it does
 * not exist, UNSAFE_INPUT for loops or links to directories.
 */
export function resolveMember(index: ArchiveIndex, name: string, what: string): ArchiveMember {
  let current = normalizeMemberName(name, index.path);
  for (let hop = 0; hop <= MAX_LINK_HOPS; hop++) {
    const m = index.members.get(current);
    if (!m) throw new TugError('NOT_FOUND', `docker archive ${index.path}: ${what} "${name}" is not in the archive`, { hint: 'the archive is incomplete; re-create it' });
    if (m.type === 'file') return m;
    if (m.type === 'directory') throw unsafe(index.path, `${what} "${name}" is a directory`);
    current = m.target ?? '';
  }
  throw unsafe(index.path, `${what} "${name}": more than ${MAX_LINK_HOPS} links to follow`);
}

/**
 * Copies the regular-file members named by the keys of `wanted` (resolved
 * names, see {@link resolveMember}) to the paths given as values, hashing
 * them on the way. Destination paths are chosen by the caller and never
 * derived from the archive.
 */
export async function extractMembers(path: string, wanted: ReadonlyMap<string, string>): Promise<Map<string, { digest: Digest; size: number }>> {
  const out = new Map<string, { digest: Digest; size: number }>();
  await forEachMember(path, async (h, body) => {
    const name = normalizeMemberName(h.name, path);
    const dest = wanted.get(name);
    const isFile = h.type === 'file' || h.type === 'contiguous-file' || h.type == null;
    if (dest === undefined || !isFile) {
      await drain(body);
      return;
    }
    const digesting = new DigestingStream();
    try {
      // 'w', not 'wx': a duplicate member replaces the earlier copy, as tar extraction would.
      await pipeline(Readable.from(body), digesting, createWriteStream(dest, { flags: 'w', mode: 0o600 }));
    } catch (err) {
      throw ioError('extracting from docker archive', `${path}:${name}`, err);
    }
    out.set(name, { digest: digesting.digest, size: digesting.size });
  });
  for (const name of wanted.keys()) {
    if (!out.has(name)) throw new TugError('NOT_FOUND', `docker archive ${path}: member "${name}" vanished between two reads`, { hint: 'is another process rewriting the archive?' });
  }
  return out;
}

/** Streams every member of the archive in order, for copying members of an existing archive into a new one. */
export async function forEachArchiveMember(path: string, onMember: (member: ArchiveMember, body: MemberBody) => Promise<void>): Promise<void> {
  await forEachMember(path, async (h, body) => {
    const name = normalizeMemberName(h.name, path);
    const type = h.type === 'contiguous-file' || h.type == null ? 'file' : h.type;
    if (type !== 'file' && type !== 'directory' && type !== 'symlink' && type !== 'link') {
      throw unsafe(path, `member "${name}" is a ${h.type}; only files, directories and links are allowed`);
    }
    const member: ArchiveMember = { name, type, size: h.size ?? 0, mode: h.mode ?? 0o644, mtime: h.mtime };
    if (type === 'symlink' || type === 'link') {
      member.linkname = h.linkname ?? '';
      member.target = linkTarget(name, member.linkname, type === 'link', path);
    }
    await onMember(member, body);
  });
}
