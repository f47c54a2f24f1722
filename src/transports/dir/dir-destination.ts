/**
 * Writes one image into a skopeo `dir:` directory.
 *
 * skopeo empties an existing dir: layout as soon as it opens it; we replace
 * it more safely: new blobs are added next to the old ones (a blob both
 * images share is reused), `manifest.json` is swapped atomically at commit(),
 * and only then are the old image's files (blobs, instance manifests,
 * signatures) that the new image does not use deleted. A copy that fails or
 * is closed without commit() therefore leaves the old image intact, plus
 * whatever new blobs were already written. Files that do not look like
 * dir: layout files are never deleted.
 */
import { mkdir, readdir, rm } from 'node:fs/promises';
import { basename, dirname, resolve } from 'node:path';
import type { Readable } from 'node:stream';
import { TugError } from '../../errors/index.ts';
import { type Descriptor, checkManifestSize } from '../../oci/manifest.ts';
import { verifyBytes } from '../../oci/verify.ts';
import { type Digest, parseDigest } from '../../reference/digest.ts';
import { checkStoredFile } from '../store-check.ts';
import { ioError, pathExists } from '../../fs/io.ts';
import { linkFileAtomic, writeFileAtomic, writeStreamAtomic } from '../../fs/atomic.ts';
import { readFileWithin, safeJoin, statWithin } from '../../fs/within.ts';
import { removeStaleTemps, sweepOnce } from '../../fs/temp-files.ts';
import type { BlobContentChecker, BlobLinker, BlobOptions, ImageDestination, PutManifestOptions, StoredBlobState } from '../types.ts';
import type { DirReference } from './dir-transport.ts';
import { DIR_MANIFEST_FILE, DIR_VERSION, DIR_VERSION_FILE, dirBlobPath, dirManifestPath } from './dir-paths.ts';

/** Names of the files a dir: layout holds for an image; only these are pruned. */
const LAYOUT_FILE_RE = /^(?:[a-f0-9]{64}|[a-f0-9]{128})(?:\.manifest\.json|\.signature-\d+)?$|^signature-\d+$/;

export class DirDestination implements ImageDestination, BlobLinker, BlobContentChecker {
  readonly reference: DirReference;
  readonly supportsIndex = true;
  private readonly root: string;
  /** Files of the new image; everything else layout-shaped goes at commit(). */
  private readonly keep = new Set<string>([DIR_VERSION_FILE, DIR_MANIFEST_FILE]);
  private top: Uint8Array | undefined;
  private committed = false;

  private constructor(reference: DirReference) {
    this.reference = reference;
    this.root = reference.path;
  }

  /**
   * Creates the directory if needed and writes the `version` file. A
   * non-empty directory is accepted only when it is a dir: layout (its
   * `version` file has exactly skopeo's text); anything else is refused with
   * USAGE, as skopeo refuses it.
   */
  static async open(reference: DirReference): Promise<DirDestination> {
    const root = reference.path;
    const st = await statWithin(root, root);
    if (st && !st.isDirectory()) throw new TugError('USAGE', `${root} exists and is not a directory`, { hint: 'dir: writes a directory; choose another path' });
    if (st && (await readdir(root)).length > 0) {
      const versionPath = safeJoin(root, DIR_VERSION_FILE);
      const version = (await pathExists(versionPath)) ? new TextDecoder().decode(await readFileWithin(root, versionPath, 4096, 'dir: version file')) : undefined;
      if (version !== DIR_VERSION) {
        throw new TugError('USAGE', `${root} is not empty and is not a dir: layout${version === undefined ? ' (no version file)' : ` (version file says ${JSON.stringify(version.trim())})`}; refusing to overwrite it`, {
          hint: 'choose an empty or new directory, or an existing dir: layout',
        });
      }
    }
    // The directory and its version file are created on the first write, not
    // here: a dry run opens destinations only to ask what they hold.
    return new DirDestination(reference);
  }

  private initializing: Promise<void> | undefined;

  private prepare(): Promise<void> {
    this.initializing ??= (async () => {
      try {
        await mkdir(this.root, { recursive: true });
        // Temp files of a killed earlier run (a blob's worth each) go before we add our own.
        await sweepOnce(`dir:${this.root}`, () => removeStaleTemps([this.root]));
        await writeFileAtomic(safeJoin(this.root, DIR_VERSION_FILE), DIR_VERSION);
      } catch (err) {
        throw ioError('creating dir: layout', this.root, err);
      }
    })();
    return this.initializing;
  }

  /**
   * dir: layouts that sit side by side (a sync into DEST/<image>) can share
   * blobs through hard links (see {@link linkBlob}).
   */
  get blobStoreKey(): string {
    return `dir:${dirname(resolve(this.root))}`;
  }

  localBlobPath(desc: Descriptor): string {
    return dirBlobPath(this.root, desc.digest);
  }

  /** Takes a blob another dir: layout of the job already stored (hard link or copy); never downloads it again. */
  async linkBlob(desc: Descriptor, fromPath: string): Promise<boolean> {
    const path = dirBlobPath(this.root, desc.digest);
    try {
      await this.prepare();
      await linkFileAtomic(fromPath, path, desc.size);
    } catch (err) {
      if (err instanceof TugError) throw err;
      return false;
    }
    this.keep.add(basename(path));
    return true;
  }

  /** True when `HEX` is a regular file of the descriptor's size (content trusted, as skopeo does); such a blob is kept. */
  async hasBlob(desc: Descriptor): Promise<boolean> {
    if (!this.initializing && !(await pathExists(this.root))) return false;
    const path = dirBlobPath(this.root, desc.digest);
    const st = await statWithin(this.root, path);
    const found = st !== undefined && st.isFile() && st.size === desc.size;
    if (found) this.keep.add(basename(path));
    return found;
  }

  /** Like {@link hasBlob}, but hashes the stored file: only a `valid` blob is kept as it is. */
  async checkBlob(desc: Descriptor, options: BlobOptions = {}): Promise<StoredBlobState> {
    if (!this.initializing && !(await pathExists(this.root))) return 'absent';
    const path = dirBlobPath(this.root, desc.digest);
    const state = await checkStoredFile(this.root, path, desc, options.signal);
    if (state === 'valid') this.keep.add(basename(path));
    return state;
  }

  /** Streams into a temp file and renames it to `HEX` only when `stream` ends cleanly. */
  async putBlob(desc: Descriptor, stream: Readable, options: BlobOptions = {}): Promise<void> {
    const path = dirBlobPath(this.root, desc.digest);
    try {
      await writeStreamAtomic(path, stream, { signal: options.signal, prepare: () => this.prepare() });
    } catch (err) {
      stream.destroy();
      throw ioError('writing blob to', path, err);
    }
    this.keep.add(basename(path));
  }

  /**
   * An instance is written now as `HEX.manifest.json`; the top-level bytes
   * are held until commit() so that nothing points at a half-copied image.
   */
  async putManifest(manifest: { bytes: Uint8Array; mediaType: string; digest: Digest }, options: PutManifestOptions): Promise<void> {
    const digest = parseDigest(manifest.digest, 'manifest digest');
    checkManifestSize(`manifest ${digest}`, manifest.bytes.byteLength);
    verifyBytes(manifest.bytes, digest, `manifest ${digest}`);
    if (!options.instance) {
      this.top = manifest.bytes;
      return;
    }
    const path = dirManifestPath(this.root, digest);
    try {
      await this.prepare();
      await writeFileAtomic(path, manifest.bytes);
    } catch (err) {
      throw ioError('writing manifest to', path, err);
    }
    this.keep.add(basename(path));
  }

  /** Swaps manifest.json in atomically, then deletes the previous image's files the new one does not use. Idempotent. */
  async commit(): Promise<void> {
    if (this.committed) return;
    if (!this.top) throw new TugError('INTERNAL', `commit to ${this.reference.toString()} before the top-level manifest was written`);
    const manifestPath = dirManifestPath(this.root);
    try {
      await this.prepare();
      await writeFileAtomic(manifestPath, this.top);
    } catch (err) {
      throw ioError('writing', manifestPath, err);
    }
    this.committed = true;
    for (const name of await readdir(this.root)) {
      if (this.keep.has(name) || !LAYOUT_FILE_RE.test(name)) continue;
      await rm(safeJoin(this.root, name), { force: true }).catch((err: unknown) => {
        throw ioError('removing the previous image file', safeJoin(this.root, name), err);
      });
    }
  }

  async close(): Promise<void> {}
}
