/**
 * The `oci-archive:PATH[:REF]` transport: a tar of an OCI image layout, as
 * containers/image reads and writes it. Everything inside is handled by the
 * oci-layout code on a temporary extraction; this transport only moves
 * between the tar and that directory.
 */
import type { SystemContext } from '../../context/system-context.ts';
import { TugError } from '../../errors/index.ts';
import { MAX_MANIFEST_BYTES, parseManifest } from '../../oci/manifest.ts';
import { readMember } from '../archive/safe-tar-reader.ts';
import { packDirectory } from '../archive/tar-writer.ts';
import { INDEX_FILE, refNames } from '../oci-layout/layout-files.ts';
import { LayoutReference, deleteFromLayout, parseLayoutLocation } from '../oci-layout/oci-layout-transport.ts';
import type { BlobOptions, Deleter, ImageDestination, ImageSource, TagLister, Transport } from '../types.ts';
import { extractOciArchive } from './oci-archive-extract.ts';
import { OCI_ARCHIVE_TAR, scratchDir } from './scratch-dir.ts';

/** An `oci-archive:PATH[:REF]` reference. Lists ref names ({@link TagLister}) and removes entries ({@link Deleter}). */
export class OciArchiveReference extends LayoutReference implements TagLister, Deleter {
  get transport(): Transport {
    return ociArchiveTransport;
  }
  // Source and destination load when used (every command imports the transport table: issue 14's start-up).

  newSource(ctx: SystemContext): Promise<ImageSource> {
    return import('./oci-archive-source.ts').then(({ OciArchiveSource }) => OciArchiveSource.open(this, ctx));
  }

  newDestination(ctx: SystemContext): Promise<ImageDestination> {
    return import('./oci-archive-destination.ts').then(({ OciArchiveDestination }) => OciArchiveDestination.open(this, ctx));
  }

  /** The ref names in the archive's index.json, read without extracting the blobs. */
  async listTags(_ctx: SystemContext, options: BlobOptions = {}): Promise<string[]> {
    const bytes = await readMember(this.path, INDEX_FILE, MAX_MANIFEST_BYTES, { ...OCI_ARCHIVE_TAR, signal: options.signal });
    if (!bytes) throw new TugError('USAGE', `${this.path} is not an OCI archive: it has no ${INDEX_FILE}`, { hint: 'oci-archive: expects a tar of an OCI layout' });
    const parsed = parseManifest(bytes, undefined, `${INDEX_FILE} in ${this.path}`);
    if (parsed.kind !== 'index') throw new TugError('UNSAFE_INPUT', `${INDEX_FILE} in ${this.path} is not an image index`);
    return refNames(parsed.manifest);
  }

  /**
   * Removes this reference's index.json entry and rewrites the archive
   * (extract, edit, repack, rename over). Blobs stay in the archive.
   */
  async deleteImage(ctx: SystemContext, options: BlobOptions = {}): Promise<void> {
    const scratch = await scratchDir(ctx);
    try {
      await extractOciArchive(this.path, scratch.dir, { signal: options.signal });
      await deleteFromLayout(scratch.dir, this.ref, `oci-archive:${this.path}`);
      await packDirectory(scratch.dir, this.path, options);
    } finally {
      await scratch.remove();
    }
  }
}

/** `oci-archive:PATH[:REF]`. */
export const ociArchiveTransport = {
  name: 'oci-archive',
  parse(reference: string): OciArchiveReference {
    return new OciArchiveReference(parseLayoutLocation(reference, 'oci-archive'));
  },
} satisfies Transport;
