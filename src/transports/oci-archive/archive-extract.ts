/**
 * Safe extraction of an oci-archive (a tar, optionally gzip'd, of an OCI
 * layout) into a directory we own. Hostile archives are refused with
 * UNSAFE_INPUT before anything of theirs reaches a path outside that
 * directory: names that are absolute or contain `..`, hard and symbolic
 * links, device and FIFO entries, and more than `maxEntries` entries.
 * Because no link is ever created, a later entry cannot write through one.
 */
import { createReadStream } from 'node:fs';
import { mkdir, open } from 'node:fs/promises';
import { dirname } from 'node:path';
import type { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { createGunzip } from 'node:zlib';
import tarStream from 'tar-stream';
import { TugError } from '../../errors/index.ts';
import { ioError, safeJoin } from '../fs-util.ts';

/** Default cap on archive entries: far above any real layout, far below what exhausts inodes. */
export const MAX_ARCHIVE_ENTRIES = 100_000;

export interface ExtractOptions {
  /** Refuse archives with more entries than this (default {@link MAX_ARCHIVE_ENTRIES}). */
  maxEntries?: number | undefined;
  signal?: AbortSignal | undefined;
}

function unsafe(archive: string, problem: string): TugError {
  return new TugError('UNSAFE_INPUT', `refusing archive ${archive}: ${problem}`, { hint: 'the archive is damaged or hostile; re-create it with tug or skopeo' });
}

/**
 * Checks an entry name and returns it relative (`./` and trailing `/`
 * removed); returns undefined for the archive's root entry (`./`).
 */
export function entryName(archive: string, raw: string): string | undefined {
  if (raw.includes('\0') || raw.includes('\\')) throw unsafe(archive, `entry name ${JSON.stringify(raw)} contains a NUL or backslash`);
  if (raw.startsWith('/')) throw unsafe(archive, `entry "${raw}" has an absolute name`);
  const parts = raw.split('/').filter((p) => p !== '' && p !== '.');
  if (parts.some((p) => p === '..')) throw unsafe(archive, `entry "${raw}" contains ".."`);
  return parts.length === 0 ? undefined : parts.join('/');
}

/** The archive as a byte stream, gunzipped when it starts with the gzip magic (containers/image accepts both). */
async function openTar(archive: string): Promise<Readable> {
  let magic: Buffer;
  try {
    const fh = await open(archive, 'r');
    try {
      magic = Buffer.alloc(2);
      await fh.read(magic, 0, 2, 0);
    } finally {
      await fh.close();
    }
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') throw new TugError('NOT_FOUND', `OCI archive ${archive} does not exist`, { hint: 'check the path (oci-archive:PATH[:REF])' });
    throw ioError('opening', archive, err);
  }
  const file = createReadStream(archive);
  if (magic[0] !== 0x1f || magic[1] !== 0x8b) return file;
  const gunzip = createGunzip();
  file.on('error', (err) => gunzip.destroy(err));
  return file.pipe(gunzip);
}

/**
 * Visits each entry of the tar at `archive` after checking it. `onFile`
 * must consume or drain the stream it is given.
 */
async function walkArchive(
  archive: string,
  options: ExtractOptions,
  visit: { onDirectory?: (name: string) => Promise<void>; onFile: (name: string, body: Readable) => Promise<void> },
): Promise<void> {
  const max = options.maxEntries ?? MAX_ARCHIVE_ENTRIES;
  const input = await openTar(archive);
  const extract = tarStream.extract();
  const feeding = pipeline(input, extract, options.signal ? { signal: options.signal } : {});
  // Awaited below; this only keeps an early failure from being reported as unhandled meanwhile.
  feeding.catch(() => {});
  let count = 0;
  try {
    for await (const entry of extract) {
      if (++count > max) throw unsafe(archive, `it has more than ${max} entries`);
      const { type, name: raw } = entry.header;
      const name = entryName(archive, raw);
      if (type === 'directory') {
        entry.resume();
        if (name !== undefined) await visit.onDirectory?.(name);
      } else if (type === 'file' || type === 'contiguous-file') {
        if (name === undefined) throw unsafe(archive, `file entry "${raw}" has no name`);
        await visit.onFile(name, entry as unknown as Readable);
      } else {
        throw unsafe(archive, `entry "${raw}" is a ${type ?? 'unknown'} entry; only files and directories are allowed`);
      }
    }
    await feeding;
  } catch (err) {
    extract.destroy();
    input.destroy();
    await feeding.catch(() => {});
    if (err instanceof TugError) throw err;
    throw new TugError('USAGE', `reading ${archive}: not a valid tar archive (${(err as Error).message})`, { cause: err, hint: 'oci-archive: expects a tar of an OCI layout' });
  }
}

/**
 * Extracts the tar at `archive` into the existing, empty directory `into`
 * (which the caller owns and removes). On any refusal the caller's cleanup
 * of `into` removes whatever was extracted before it.
 */
export async function extractArchive(archive: string, into: string, options: ExtractOptions = {}): Promise<void> {
  await walkArchive(archive, options, {
    onDirectory: async (name) => {
      await mkdir(safeJoin(into, name), { recursive: true });
    },
    onFile: async (name, body) => {
      const path = safeJoin(into, name);
      await mkdir(dirname(path), { recursive: true });
      const fh = await open(path, 'w', 0o644);
      await pipeline(body, fh.createWriteStream());
    },
  });
}

/**
 * Reads one small file (e.g. `index.json`) out of the archive without
 * extracting the rest; undefined when the archive has no such entry. Larger
 * than `maxBytes` is UNSAFE_INPUT.
 */
export async function readArchiveFile(archive: string, wanted: string, maxBytes: number, options: ExtractOptions = {}): Promise<Uint8Array | undefined> {
  let found: Uint8Array | undefined;
  await walkArchive(archive, options, {
    onFile: async (name, body) => {
      if (name !== wanted) {
        body.resume();
        await new Promise<void>((res, rej) => body.once('end', res).once('error', rej));
        return;
      }
      const chunks: Buffer[] = [];
      let size = 0;
      for await (const chunk of body) {
        size += (chunk as Buffer).length;
        if (size > maxBytes) throw unsafe(archive, `${wanted} is larger than ${maxBytes} bytes`);
        chunks.push(chunk as Buffer);
      }
      found = new Uint8Array(Buffer.concat(chunks));
    },
  });
  return found;
}
