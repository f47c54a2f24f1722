/**
 * Writes an image into an oci-archive. The archive's current contents (if
 * PATH exists) are extracted into a private temp layout so that other refs
 * in it survive; the oci-layout destination writes there; commit() packs the
 * layout to a temp file next to PATH and renames it over PATH. Without
 * commit(), PATH is untouched.
 */
import type { Readable } from 'node:stream';
import type { SystemContext } from '../../context/system-context.ts';
import { TugError } from '../../errors/index.ts';
import { statWithin } from '../../fs/within.ts';
import type { Descriptor } from '../../oci/manifest.ts';
import type { Digest } from '../../reference/digest.ts';
import { packDirectory } from '../archive/tar-writer.ts';
import { assertLayout } from '../oci-layout/layout-files.ts';
import { OciLayoutDestination } from '../oci-layout/oci-layout-destination.ts';
import type { BlobOptions, ImageDestination, LayerCompression, PutManifestOptions } from '../types.ts';
import type { ManifestFormat } from '../../oci/convert.ts';
import { extractOciArchive } from './oci-archive-extract.ts';
import type { OciArchiveReference } from './oci-archive-transport.ts';
import { scratchDir } from './scratch-dir.ts';

export class OciArchiveDestination implements ImageDestination {
  readonly reference: OciArchiveReference;
  readonly supportsIndex = true;
  private readonly layout: OciLayoutDestination;

  /** As the layout it packs (OCI types, compressed layers). */
  get manifestFormats(): readonly ManifestFormat[] {
    return this.layout.manifestFormats;
  }

  get desiredLayerCompression(): LayerCompression {
    return this.layout.desiredLayerCompression;
  }

  private readonly removeScratch: () => Promise<void>;
  private committed = false;

  private constructor(reference: OciArchiveReference, layout: OciLayoutDestination, removeScratch: () => Promise<void>) {
    this.reference = reference;
    this.layout = layout;
    this.removeScratch = removeScratch;
  }

  /**
   * Prepares the temp layout under `ctx.tmpDir ?? os.tmpdir()`. An existing
   * PATH must be an OCI archive (USAGE otherwise; UNSAFE_INPUT when hostile).
   */
  static async open(reference: OciArchiveReference, ctx: SystemContext): Promise<OciArchiveDestination> {
    const st = await statWithin(reference.path, reference.path);
    if (st && !st.isFile()) throw new TugError('USAGE', `${reference.path} exists and is not a file`, { hint: 'oci-archive: writes a tar file; use oci: for a layout directory' });
    const scratch = await scratchDir(ctx);
    try {
      if (st) {
        await extractOciArchive(reference.path, scratch.dir);
        await assertLayout(scratch.dir).catch((err: unknown) => {
          throw new TugError('USAGE', `${reference.path} exists and is not an OCI archive; refusing to overwrite it`, { cause: err, hint: 'choose a new path or remove the file' });
        });
      }
      return new OciArchiveDestination(reference, await OciLayoutDestination.open(scratch.dir, reference), scratch.remove);
    } catch (err) {
      await scratch.remove();
      throw err;
    }
  }

  hasBlob(desc: Descriptor): Promise<boolean> {
    return this.layout.hasBlob(desc);
  }

  putBlob(desc: Descriptor, stream: Readable, options?: BlobOptions): Promise<void> {
    return this.layout.putBlob(desc, stream, options);
  }

  putManifest(manifest: { bytes: Uint8Array; mediaType: string; digest: Digest }, options: PutManifestOptions): Promise<void> {
    return this.layout.putManifest(manifest, options);
  }

  /** Updates the temp layout's index.json, then replaces PATH with its tar (temp file + rename). Idempotent. */
  async commit(): Promise<void> {
    if (this.committed) return;
    await this.layout.commit();
    await packDirectory(this.layout.root, this.reference.path);
    this.committed = true;
  }

  /** Removes the temp layout. */
  async close(): Promise<void> {
    await this.layout.close();
    await this.removeScratch();
  }
}
