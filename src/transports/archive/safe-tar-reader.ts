/**
 * Reads tar archives from untrusted sources (docker-archive, oci-archive)
 * without letting them touch any path we did not choose. Every operation
 * walks the archive through one checker, so both transports refuse the same
 * things with UNSAFE_INPUT:
 *
 * - names that are absolute, contain a `..` component, a NUL or a backslash;
 * - device, FIFO and unknown entry types;
 * - links whose target leaves the archive, and any link at all unless the
 *   caller opts in with `links: 'within-archive'` (and never when extracting
 *   a whole tree, see {@link extractAll});
 * - more than `maxEntries` entries (default {@link MAX_ARCHIVE_ENTRIES}).
 *
 * No link is ever created on disk and no file name is taken from the archive
 * except under a directory the caller owns ({@link extractAll}, through
 * `safeJoin`). A gzip-compressed archive (`docker save | gzip`, a `.tar.gz`
 * oci-archive) is read too.
 */
import { createReadStream, createWriteStream } from 'node:fs';
import { mkdir, open } from 'node:fs/promises';
import { dirname, posix } from 'node:path';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { createGunzip } from 'node:zlib';
import { TugError, cancelledError, tooLargeError } from '../../errors/index.ts';
import { MAX_MANIFEST_BYTES } from '../../oci/manifest.ts';
import type { Digest } from '../../reference/digest.ts';
import { ioError } from '../../fs/io.ts';
import { safeJoin } from '../../fs/within.ts';
import { DigestingStream } from './digesting-stream.ts';
import { type StreamxWritable, drainedOrClosed } from './streamx-bridge.ts';
import { tarStream } from './tar-stream.ts';

/** Default cap on entries: far above any real image archive (a handful per layer), far below what exhausts inodes. */
export const MAX_ARCHIVE_ENTRIES = 100_000;
/** Links are followed at most this many hops (docker save's legacy `ID/layer.tar -> ../HEX.tar` is one). */
const MAX_LINK_HOPS = 16;

/**
 * What to do with link entries.
 * - `refuse` (the default): any hard or symbolic link refuses the archive.
 * - `within-archive`: links are indexed and can be followed by
 *   {@link resolveMember}, as long as their target stays inside the archive.
 *   Needed for docker save archives, whose legacy `ID/layer.tar` members are
 *   symlinks to `../HEX.tar` (skopeo writes them too).
 */
export type LinkPolicy = 'refuse' | 'within-archive';

/** How an archive is read; the same object is reused for every pass over one archive. */
export interface ArchiveReadOptions {
  /** Names the archive in messages, e.g. `docker archive`, `OCI archive` (default `tar archive`). */
  kind?: string | undefined;
  /** Refuse archives with more entries than this (default {@link MAX_ARCHIVE_ENTRIES}). */
  maxEntries?: number | undefined;
  /** Default `refuse`; see {@link LinkPolicy}. */
  links?: LinkPolicy | undefined;
  /** Aborting stops the read with ABORTED. */
  signal?: AbortSignal | undefined;
  /**
   * A cap on the bytes of the file members read (their tar header sizes,
   * known before a body is read): the walk stops with `budget.refuse(total)`
   * once they add up to more. Bounds what an archive bomb (a small gzip that
   * inflates without end) can cost a scan and what an extraction writes.
   */
  budget?: ArchiveBudget | undefined;
}

export interface ArchiveBudget {
  bytes: number;
  /** The error to stop with, naming the archive, the cap and the fix. */
  refuse: (total: number) => TugError;
}

export interface ArchiveMember {
  /** Normalised name: relative, `/`-separated, no empty, `.` or `..` components. */
  name: string;
  type: 'file' | 'directory' | 'symlink' | 'link';
  size: number;
  mode: number;
  mtime: Date | undefined;
  /** For links: the archive-relative name of the target (symlinks already resolved against their directory). */
  target?: string;
  /** For links: the link text as stored, to copy the member unchanged. */
  linkname?: string;
}

export interface ArchiveIndex {
  /** Path of the archive on disk. */
  path: string;
  /** The options it was scanned with; later passes ({@link extractMembers}, {@link forEachArchiveMember}) apply the same. */
  options: ArchiveReadOptions;
  /** Members by normalised name; a later duplicate replaces an earlier one, as tar extraction would. The root entry (`./`) is not listed. */
  members: Map<string, ArchiveMember>;
  /** Contents of the small file members asked for with `keep`. */
  kept: Map<string, Buffer>;
}

/** A member's body: tar-stream yields streamx streams, which are async iterables of chunks. */
export type MemberBody = AsyncIterable<Uint8Array>;

const kindOf = (options: ArchiveReadOptions): string => options.kind ?? 'tar archive';

const HOSTILE_HINT = 'the archive is damaged or hostile; re-create it from a trusted copy';

function unsafe(path: string, options: ArchiveReadOptions, problem: string): TugError {
  return new TugError('UNSAFE_INPUT', `refusing ${kindOf(options)} ${path}: ${problem}`, { hint: HOSTILE_HINT });
}

function cancelled(path: string, options: ArchiveReadOptions): TugError {
  return cancelledError(`reading ${kindOf(options)} ${path}`, options.signal?.reason);
}

/**
 * Normalises an entry name (or a hard link's target) and refuses anything
 * that could leave the extraction directory: absolute names, `..`
 * components, NUL bytes, backslashes. Returns '' for the archive root (`./`).
 *
 * Backslashes: docker-archive used to let them through, oci-archive refused
 * them; the stricter rule wins because `\` is a separator on Windows (so
 * `..\x` would escape there) and no docker, skopeo or tug writer emits one.
 */
export function normalizeMemberName(raw: string, path: string, options: ArchiveReadOptions = {}): string {
  if (raw.includes('\0') || raw.includes('\\')) throw unsafe(path, options, `entry name ${JSON.stringify(raw)} contains a NUL or backslash`);
  if (raw.startsWith('/')) throw unsafe(path, options, `entry "${raw}" has an absolute name`);
  const parts = raw.split('/').filter((p) => p !== '' && p !== '.');
  if (parts.some((p) => p === '..')) throw unsafe(path, options, `entry "${raw}" contains ".."`);
  return parts.join('/');
}

/**
 * The archive-relative name a link points to. A hard link names another
 * entry, so it follows the entry-name rules; a symlink is resolved against
 * its directory and refused if it climbs out of the archive.
 */
function linkTarget(name: string, type: 'symlink' | 'link', linkname: string, path: string, options: ArchiveReadOptions): string {
  if (type === 'link') return normalizeMemberName(linkname, path, options);
  if (linkname.includes('\0') || linkname.includes('\\')) throw unsafe(path, options, `symlink "${name}" has a target containing a NUL or backslash`);
  if (linkname.startsWith('/')) throw unsafe(path, options, `symlink "${name}" points to the absolute path "${linkname}"`);
  const joined = posix.normalize(posix.join(posix.dirname(name), linkname));
  if (joined === '..' || joined.startsWith('../')) throw unsafe(path, options, `symlink "${name}" points to "${linkname}", outside the archive`);
  return joined === '.' ? '' : joined.replace(/\/+$/, '');
}

/** The archive as a byte stream, gunzipped when it starts with the gzip magic (RFC 1952; containers/image accepts both). */
async function openArchive(path: string, options: ArchiveReadOptions): Promise<Readable> {
  const magic = new Uint8Array(2);
  try {
    const fh = await open(path, 'r');
    try {
      await fh.read(magic, 0, 2, 0);
    } finally {
      await fh.close();
    }
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') throw new TugError('NOT_FOUND', `${kindOf(options)} ${path} does not exist`, { hint: 'check the path' });
    throw ioError(`reading ${kindOf(options)}`, path, err);
  }
  const file = createReadStream(path);
  if (magic[0] !== 0x1f || magic[1] !== 0x8b) return file;
  const gunzip = createGunzip();
  file.on('error', (e) => gunzip.destroy(e));
  return file.pipe(gunzip);
}

/** Reads and discards the rest of a member's body; harmless on a body already read. */
export async function drain(body: MemberBody): Promise<void> {
  for await (const _ of body) {
    /* discard */
  }
}

/**
 * The one walk every operation uses: checks each entry (count, name, type,
 * link target) and hands the checked member to `onMember`, in archive order.
 * The root entry (`./`) is skipped. Whatever of a body `onMember` leaves
 * unread is drained.
 */
async function walk(path: string, options: ArchiveReadOptions, onMember: (member: ArchiveMember, body: MemberBody) => Promise<void>): Promise<void> {
  const max = options.maxEntries ?? MAX_ARCHIVE_ENTRIES;
  const links = options.links ?? 'refuse';
  const allowed = links === 'refuse' ? 'files and directories' : 'files, directories and links';
  if (options.signal?.aborted) throw cancelled(path, options);
  const input = await openArchive(path, options);
  const extract = tarStream().extract();
  const onAbort = (): void => {
    extract.destroy(new Error('aborted'));
  };
  options.signal?.addEventListener('abort', onAbort, { once: true });
  // Fed by hand: tar-stream's streamx Writable is not a Node stream for pipeline().
  const feeding = (async () => {
    try {
      for await (const chunk of input) {
        if (extract.destroyed) return;
        if (!extract.write(chunk as Buffer)) await drainedOrClosed(extract as unknown as StreamxWritable);
      }
      if (!extract.destroyed) extract.end(undefined);
    } catch (err) {
      extract.destroy(err as Error);
    }
  })();
  let count = 0;
  let bytes = 0;
  try {
    for await (const entry of extract) {
      const h = entry.header;
      const body = entry as unknown as MemberBody;
      if (++count > max) throw unsafe(path, options, `it has more than ${max} entries`);
      const name = normalizeMemberName(h.name, path, options);
      // Unknown type flags (tar-stream's null) are refused: POSIX says to read them as regular
      // files, which docker-archive did; oci-archive refused them, and the stricter rule wins
      // because no image writer emits them and GNU sparse/volume entries would be misread.
      const type = h.type === 'contiguous-file' ? 'file' : h.type;
      if (type !== 'file' && type !== 'directory' && type !== 'symlink' && type !== 'link') {
        throw unsafe(path, options, `entry "${h.name}" is a ${type ?? 'unknown'} entry; only ${allowed} are allowed`);
      }
      if ((type === 'symlink' || type === 'link') && links === 'refuse') {
        throw unsafe(path, options, `entry "${h.name}" is a ${type} entry; only ${allowed} are allowed`);
      }
      if (name === '') {
        if (type !== 'directory') throw unsafe(path, options, `${type} entry "${h.name}" has no name`);
        await drain(body);
        continue;
      }
      const member: ArchiveMember = { name, type, size: type === 'file' ? (h.size ?? 0) : 0, mode: h.mode ?? (type === 'directory' ? 0o755 : 0o644), mtime: h.mtime };
      bytes += member.size;
      if (options.budget && bytes > options.budget.bytes) throw options.budget.refuse(bytes);
      if (type === 'symlink' || type === 'link') {
        member.linkname = h.linkname ?? '';
        member.target = linkTarget(name, type, member.linkname, path, options);
      }
      await onMember(member, body);
      await drain(body);
    }
    await feeding;
  } catch (err) {
    extract.destroy();
    input.destroy();
    await feeding;
    if (options.signal?.aborted) throw cancelled(path, options);
    if (err instanceof TugError) throw err;
    const code = (err as NodeJS.ErrnoException).code;
    if (typeof code === 'string' && code.startsWith('E') && code !== 'ERR_STREAM_PREMATURE_CLOSE') throw ioError(`reading ${kindOf(options)}`, path, err);
    // A file that is not a tar at all was USAGE for oci-archive and UNSAFE_INPUT for
    // docker-archive; both exit 2. UNSAFE_INPUT, because a truncated or corrupt archive
    // cannot be told apart from a hostile one, and malformed manifests are refused the same way.
    throw unsafe(path, options, `not a readable tar archive (${(err as Error).message})`);
  } finally {
    options.signal?.removeEventListener('abort', onAbort);
  }
}

/**
 * Indexes every member of the archive at `path` (see the module comment for
 * what refuses it). File members named in `keep` are read into memory,
 * refused with UNSAFE_INPUT above `maxKeptBytes` (default 4 MiB, the
 * manifest limit) before a byte of them is read.
 */
export async function scanArchive(
  path: string,
  options: ArchiveReadOptions & { keep?: readonly string[] | ((member: ArchiveMember) => boolean); maxKeptBytes?: number } = {},
): Promise<ArchiveIndex> {
  const { keep = [], maxKeptBytes = MAX_MANIFEST_BYTES, ...readOptions } = options;
  const wanted = typeof keep === 'function' ? keep : (m: ArchiveMember) => keep.includes(m.name);
  const members = new Map<string, ArchiveMember>();
  const kept = new Map<string, Buffer>();
  await walk(path, readOptions, async (member, body) => {
    members.set(member.name, member);
    if (member.type !== 'file' || !wanted(member)) return;
    if (member.size > maxKeptBytes) throw tooLargeError(`refusing ${kindOf(readOptions)} ${path}: entry "${member.name}"`, member.size, maxKeptBytes, { hint: HOSTILE_HINT });
    const chunks: Buffer[] = [];
    for await (const c of body) chunks.push(Buffer.from(c));
    kept.set(member.name, Buffer.concat(chunks));
  });
  return { path, options: readOptions, members, kept };
}

/**
 * Reads one small file member (e.g. `index.json`) without extracting the
 * rest; undefined when the archive has no such file. Larger than `maxBytes`
 * is UNSAFE_INPUT. The whole archive is still checked.
 */
export async function readMember(path: string, name: string, maxBytes: number, options: ArchiveReadOptions = {}): Promise<Uint8Array | undefined> {
  const index = await scanArchive(path, { ...options, keep: [name], maxKeptBytes: maxBytes });
  const bytes = index.kept.get(normalizeMemberName(name, path, options));
  return bytes && new Uint8Array(bytes);
}

/**
 * Follows links from `name` to a regular file member; NOT_FOUND when it does
 * not exist, UNSAFE_INPUT for loops or links to directories.
 */
export function resolveMember(index: ArchiveIndex, name: string, what: string): ArchiveMember {
  let current = normalizeMemberName(name, index.path, index.options);
  for (let hop = 0; hop <= MAX_LINK_HOPS; hop++) {
    const m = index.members.get(current);
    if (!m) throw new TugError('NOT_FOUND', `${kindOf(index.options)} ${index.path}: ${what} "${name}" is not in the archive`, { hint: 'the archive is incomplete; re-create it' });
    if (m.type === 'file') return m;
    if (m.type === 'directory') throw unsafe(index.path, index.options, `${what} "${name}" is a directory`);
    current = m.target ?? '';
  }
  throw unsafe(index.path, index.options, `${what} "${name}": more than ${MAX_LINK_HOPS} links to follow`);
}

/**
 * Copies the regular-file members named by the keys of `wanted` (resolved
 * names, see {@link resolveMember}) to the paths given as values (created
 * mode 0600), hashing them on the way. Destination paths are chosen by the
 * caller and never derived from the archive. Re-applies every check of the
 * scan, since the file may have changed since.
 */
export async function extractMembers(index: ArchiveIndex, wanted: ReadonlyMap<string, string>, budget?: ArchiveBudget): Promise<Map<string, { digest: Digest; size: number }>> {
  const { path, options } = index;
  const out = new Map<string, { digest: Digest; size: number }>();
  let written = 0;
  // The scan's budget (if any) bounded the whole archive; `budget` bounds what is written here.
  await walk(path, options, async (member, body) => {
    const dest = wanted.get(member.name);
    if (dest === undefined || member.type !== 'file') return;
    written += member.size;
    if (budget && written > budget.bytes) throw budget.refuse(written);
    const digesting = new DigestingStream();
    try {
      // 'w', not 'wx': a duplicate member replaces the earlier copy, as tar extraction would.
      await pipeline(Readable.from(body), digesting, createWriteStream(dest, { flags: 'w', mode: 0o600 }));
    } catch (err) {
      throw ioError(`extracting from ${kindOf(options)}`, `${path}:${member.name}`, err);
    }
    out.set(member.name, { digest: digesting.digest, size: digesting.size });
  });
  for (const name of wanted.keys()) {
    if (!out.has(name)) throw new TugError('NOT_FOUND', `${kindOf(options)} ${path}: entry "${name}" vanished between two reads`, { hint: 'is another process rewriting the archive?' });
  }
  return out;
}

/**
 * Extracts every member of the archive at `path` into the existing, empty
 * directory `into`, which the caller owns and removes; on a refusal, what
 * was extracted before it stays there for that cleanup. Files are created
 * mode 0644, directories 0755 (umask applies).
 *
 * Links are always refused here, whatever `links` would allow elsewhere:
 * materialising one would let a later entry write through it.
 */
export async function extractAll(path: string, into: string, options: Omit<ArchiveReadOptions, 'links'> = {}): Promise<void> {
  const readOptions: ArchiveReadOptions = { ...options, links: 'refuse' };
  await walk(path, readOptions, async (member, body) => {
    const dest = safeJoin(into, member.name);
    try {
      if (member.type === 'directory') {
        await mkdir(dest, { recursive: true });
        return;
      }
      await mkdir(dirname(dest), { recursive: true });
      await pipeline(Readable.from(body), createWriteStream(dest, { flags: 'w', mode: 0o644 }));
    } catch (err) {
      throw ioError(`extracting ${kindOf(readOptions)} ${path} to`, dest, err);
    }
  });
}

/**
 * Streams every member of the archive in order (root entry excepted), for
 * copying the members of an existing archive into a new one. Applies the
 * checks and options of the scan that produced `index`.
 */
export async function forEachArchiveMember(index: ArchiveIndex, onMember: (member: ArchiveMember, body: MemberBody) => Promise<void>): Promise<void> {
  await walk(index.path, index.options, onMember);
}
