/**
 * Reads one image from an OCI image layout. Raw, as the transport contract
 * says: bytes are returned as stored and the engine verifies them; this
 * module only guarantees that nothing outside the layout is read (digests
 * validated, symlinks out of the layout refused) and that no manifest over
 * 4 MiB is loaded.
 */
import type { Readable } from 'node:stream';
import { MAX_MANIFEST_BYTES, parseManifest, type Descriptor } from '../../oci/manifest.ts';
import type { Digest } from '../../reference/digest.ts';
import { openFileWithin, readFileWithin } from '../../fs/within.ts';
import type { ImageReference, ImageSource, RawManifest } from '../types.ts';
import { type LayoutImageReference, assertLayout, blobPath, findImage, readLayoutIndex } from './layout-files.ts';

export class OciLayoutSource implements ImageSource {
  readonly reference: ImageReference;
  /** Layout directory (for oci-archive: the temporary extraction). */
  readonly root: string;
  /** The index.json entry the reference selected. */
  readonly top: Descriptor;
  private onClose: (() => Promise<void>) | undefined;

  private constructor(root: string, top: Descriptor, reference: ImageReference, onClose: (() => Promise<void>) | undefined) {
    this.root = root;
    this.top = top;
    this.reference = reference;
    this.onClose = onClose;
  }

  /**
   * Opens the layout at `root` and selects the image `reference.ref` names
   * (or the only image). Errors: NOT_FOUND (no such path / ref), USAGE (not a layout,
   * ambiguous), UNSAFE_INPUT (index.json with a bad digest or over 4 MiB).
   * `onClose` runs once in {@link close} (oci-archive removes its temp dir).
   */
  static async open(root: string, reference: LayoutImageReference, onClose?: () => Promise<void>): Promise<OciLayoutSource> {
    try {
      await assertLayout(root);
      const index = await readLayoutIndex(root);
      const top = findImage(index, reference.ref, `${reference.transport.name}:${reference.path}`);
      return new OciLayoutSource(root, top, reference, onClose);
    } catch (err) {
      await onClose?.();
      throw err;
    }
  }

  /**
   * Without `digest`, the image the reference names, with the media type of
   * its index.json entry; with `digest`, that blob (an index instance), with
   * the media type its own `mediaType` field declares (or OCI's default).
   */
  async getManifest(digest?: Digest): Promise<RawManifest> {
    const d = digest ?? this.top.digest;
    const what = `manifest ${d} in ${this.reference.toString()}`;
    const bytes = await readFileWithin(this.root, blobPath(this.root, d), MAX_MANIFEST_BYTES, what);
    if (digest === undefined) return { bytes, mediaType: this.top.mediaType, claimedDigest: this.top.digest };
    return { bytes, mediaType: parseManifest(bytes, undefined, what).mediaType, claimedDigest: digest };
  }

  async getBlob(desc: Descriptor): Promise<Readable> {
    return openFileWithin(this.root, blobPath(this.root, desc.digest), `blob ${desc.digest} in ${this.reference.toString()}`);
  }

  async close(): Promise<void> {
    const onClose = this.onClose;
    this.onClose = undefined;
    await onClose?.();
  }
}
