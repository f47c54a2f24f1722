/**
 * Writes one image into an OCI image layout, creating the layout when the
 * directory is missing or empty. Several images may share the layout and
 * its blobs; index.json is the only file that names anything, and it is
 * rewritten atomically at commit(), after every blob and manifest it points
 * at is in place. A destination closed without commit() leaves index.json as
 * it was (blobs already written stay, unreferenced, as with skopeo).
 */
import { mkdir, stat } from 'node:fs/promises';
import { dirname, resolve as resolvePath } from 'node:path';
import type { Readable } from 'node:stream';
import { TugError } from '../../errors/index.ts';
import { type ManifestFormat, SOURCE_DIGEST_ANNOTATION } from '../../oci/convert.ts';
import { type Descriptor, checkManifestSize } from '../../oci/manifest.ts';
import { verifyBytes } from '../../oci/verify.ts';
import { type Digest, parseDigest } from '../../reference/digest.ts';
import { checkStoredFile } from '../store-check.ts';
import { ioError, pathExists } from '../../fs/io.ts';
import { realPathWithin, safeJoin, statWithin } from '../../fs/within.ts';
import { removeStaleTemps, sweepOnce } from '../../fs/temp-files.ts';
import { writeFileAtomic, writeStreamAtomic } from '../../fs/atomic.ts';
import type { BlobContentChecker, BlobOptions, ImageDestination, ImageReference, PutManifestOptions, StoredBlobState } from '../types.ts';
import {
  type LayoutImageReference,
  IMAGE_LAYOUT_VERSION,
  INDEX_FILE,
  OCI_LAYOUT_FILE,
  REF_NAME_ANNOTATION,
  assertLayout,
  blobPath,
  emptyIndex,
  isEmptyDir,
  readLayoutIndex,
  withIndexLock,
  writeLayoutIndex,
} from './layout-files.ts';

export class OciLayoutDestination implements ImageDestination, BlobContentChecker {
  readonly reference: ImageReference;
  readonly supportsIndex = true;
  /** skopeo and podman find an image in a layout by its ref only when it is typed OCI (skopeo issue 1975). */
  readonly manifestFormats: readonly ManifestFormat[] = ['oci'];
  /** As containers/image's OCI layout destination: uncompressed layers are stored compressed. */
  readonly desiredLayerCompression = 'compress';
  /** Layout directory (for oci-archive: the temporary working copy). */
  readonly root: string;
  private readonly ref: string | undefined;
  private top: Descriptor | undefined;
  private convertedFrom: Digest | undefined;
  private committed = false;

  /** One layout directory holds the blobs of every ref in it. */
  get blobStoreKey(): string {
    return `oci:${resolvePath(this.root)}`;
  }

  /** True until the first write creates the layout (see open()). */
  private pendingInit = false;
  private initializing: Promise<void> | undefined;

  /** Before the first write: creates the layout if open() found none, and removes a killed earlier run's temp files. */
  private async prepare(): Promise<void> {
    if (this.pendingInit) {
      this.initializing ??= initLayout(this.root).then(() => {
        this.pendingInit = false;
      });
      await this.initializing;
    }
    await sweepOnce(`oci:${this.root}`, async () => (await removeStaleTemps([this.root])) + (await removeStaleTemps([safeJoin(this.root, 'blobs')], { recursive: true })));
  }

  private constructor(root: string, reference: LayoutImageReference) {
    this.root = root;
    this.reference = reference;
    this.ref = reference.ref;
  }

  /**
   * Opens (or creates) the layout at `root` for writing the image
   * `reference.ref` names. A missing or empty directory becomes a new, empty
   * layout (`oci-layout` + an empty index.json). A non-empty directory that is
   * not a layout is refused with USAGE; an existing layout whose index.json
   * is hostile is refused with UNSAFE_INPUT before anything is written.
   */
  static async open(root: string, reference: LayoutImageReference): Promise<OciLayoutDestination> {
    const st = await statWithin(root, root);
    if (st && !st.isDirectory()) {
      throw new TugError('USAGE', `${root} exists and is not a directory`, { hint: 'oci: writes a layout directory; use oci-archive: for a tar file' });
    }
    if (st && (await pathExists(safeJoin(root, OCI_LAYOUT_FILE)))) {
      await assertLayout(root);
      await readLayoutIndex(root, { allowMissing: true });
    } else if (!st || (await isEmptyDir(root))) {
      // Created on the first write, not here: a dry run opens destinations
      // only to ask what they hold, and must leave no trace.
      const dest = new OciLayoutDestination(root, reference);
      dest.pendingInit = true;
      return dest;
    } else {
      throw new TugError('USAGE', `${root} is not empty and is not an OCI image layout (no ${OCI_LAYOUT_FILE} file); refusing to write into it`, {
        hint: 'choose an empty or new directory, or an existing OCI layout',
      });
    }
    return new OciLayoutDestination(root, reference);
  }

  /** True when `blobs/ALGO/HEX` is a regular file of the descriptor's size (its content is trusted, as skopeo does; see {@link checkBlob}). */
  async hasBlob(desc: Descriptor): Promise<boolean> {
    if (!(await this.layoutExists())) return false;
    const st = await statWithin(this.root, blobPath(this.root, desc.digest));
    return st !== undefined && st.isFile() && st.size === desc.size;
  }

  /** Hashes `blobs/ALGO/HEX`: `valid` only when its bytes have the descriptor's digest and size. */
  async checkBlob(desc: Descriptor, options: BlobOptions = {}): Promise<StoredBlobState> {
    if (!(await this.layoutExists())) return 'absent';
    return checkStoredFile(this.root, blobPath(this.root, desc.digest), desc, options.signal);
  }

  private async layoutExists(): Promise<boolean> {
    if (this.pendingInit) {
      // Another destination of the same job may have created the layout since open().
      if (!(await pathExists(safeJoin(this.root, OCI_LAYOUT_FILE)))) return false;
      this.pendingInit = false;
    }
    return true;
  }

  /** Streams into a temp file and renames it to `blobs/ALGO/HEX` only when `stream` ends cleanly. */
  async putBlob(desc: Descriptor, stream: Readable, options: BlobOptions = {}): Promise<void> {
    const path = blobPath(this.root, desc.digest);
    try {
      await writeStreamAtomic(path, stream, {
        signal: options.signal,
        prepare: async () => {
          await this.prepare();
          await this.blobDir(path);
        },
      });
    } catch (err) {
      stream.destroy();
      throw ioError('writing blob to', path, err);
    }
  }

  /**
   * Stores the manifest bytes unchanged as a blob (so its digest holds). The
   * top-level one (`instance: false`) becomes the index.json entry at commit().
   */
  async putManifest(manifest: { bytes: Uint8Array; mediaType: string; digest: Digest }, options: PutManifestOptions): Promise<void> {
    const digest = parseDigest(manifest.digest, 'manifest digest');
    checkManifestSize(`manifest ${digest}`, manifest.bytes.byteLength);
    // Cheap and the file will be named by this digest: check it here too.
    verifyBytes(manifest.bytes, digest, `manifest ${digest}`);
    const path = blobPath(this.root, digest);
    try {
      await this.prepare();
      await this.blobDir(path);
      await writeFileAtomic(path, manifest.bytes);
    } catch (err) {
      throw ioError('writing manifest to', path, err);
    }
    if (!options.instance) {
      this.top = { mediaType: manifest.mediaType, digest, size: manifest.bytes.byteLength };
      this.convertedFrom = options.convertedFrom;
    }
  }

  /**
   * Points index.json at the top-level manifest: an entry with the same
   * ref.name (or, without a ref, an unnamed entry) is replaced in place, other
   * entries stay. index.json is re-read here, not at open(), so entries
   * another writer committed meanwhile are kept. Idempotent.
   */
  async commit(): Promise<void> {
    if (this.committed) return;
    if (!this.top) throw new TugError('INTERNAL', `commit to ${this.reference.toString()} before the top-level manifest was written`);
    // The source digest of a converted image goes beside the name, not into the image's bytes.
    const annotations: Record<string, string> = {
      ...(this.ref !== undefined ? { [REF_NAME_ANNOTATION]: this.ref } : {}),
      ...(this.convertedFrom !== undefined ? { [SOURCE_DIGEST_ANNOTATION]: this.convertedFrom } : {}),
    };
    const entry: Descriptor = { ...this.top, ...(Object.keys(annotations).length > 0 ? { annotations } : {}) };
    const sameName = (d: Descriptor) => d.annotations?.[REF_NAME_ANNOTATION] === this.ref;
    await this.prepare();
    await withIndexLock(this.root, async () => {
      const index = await readLayoutIndex(this.root, { allowMissing: true });
      const at = index.manifests.findIndex(sameName);
      const kept = index.manifests.filter((d) => !sameName(d));
      kept.splice(at < 0 ? kept.length : at, 0, entry);
      index.manifests = kept;
      await writeLayoutIndex(this.root, index);
    });
    this.committed = true;
  }

  async close(): Promise<void> {}

  /**
   * Creates `blobs/ALGO` one level at a time, checking each existing level
   * first, so a planted `blobs -> /etc` symlink is refused before anything is
   * created through it.
   */
  private async blobDir(path: string): Promise<void> {
    const dir = dirname(path);
    for (const level of [dirname(dir), dir]) {
      if (!(await pathExists(level))) await mkdir(level).catch((err: NodeJS.ErrnoException) => { if (err.code !== 'EEXIST') throw err; });
      await realPathWithin(this.root, level);
    }
  }
}

/**
 * Makes `root` an empty layout (the `oci-layout` marker and an index.json with
 * no entries), leaving whatever is already there: several destinations of one
 * job may each have found no layout at open() and reach this after another
 * one created it and committed an image, whose index.json entry an empty
 * index would erase. Runs under the index lock, so it never interleaves with
 * a commit of this process.
 */
export async function initLayout(root: string): Promise<void> {
  await withIndexLock(root, async () => {
    try {
      await mkdir(root, { recursive: true });
      if (!(await stat(root)).isDirectory()) throw new TugError('USAGE', `${root} is not a directory`);
      if (!(await pathExists(safeJoin(root, OCI_LAYOUT_FILE)))) await writeFileAtomic(safeJoin(root, OCI_LAYOUT_FILE), JSON.stringify({ imageLayoutVersion: IMAGE_LAYOUT_VERSION }));
      if (!(await pathExists(safeJoin(root, INDEX_FILE)))) await writeLayoutIndex(root, emptyIndex());
    } catch (err) {
      throw err instanceof TugError ? err : ioError('creating OCI layout', root, err);
    }
  });
}
