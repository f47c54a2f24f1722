/**
 * Reads images straight out of a registry storage tree, following the same
 * links the registry would: a manifest is visible only through this
 * repository's revision link, a blob only through its `_layers` link.
 */
import { createReadStream } from 'node:fs';
import { readFile } from 'node:fs/promises';
import type { Readable } from 'node:stream';
import { TugError } from '../../errors/index.ts';
import { type Descriptor, checkManifestSize, parseManifest } from '../../oci/manifest.ts';
import { type Digest, parseDigest } from '../../reference/digest.ts';
import { ioError } from '../../fs/io.ts';
import type { BlobOptions, ImageSource, RawManifest } from '../types.ts';
import type { RegistryLayout } from './registry-dir-layout.ts';
import type { RegistryDirReference } from './registry-dir-transport.ts';

/** An {@link ImageSource} over one repository of a registry storage tree. Holds no resources. */
export class RegistryDirSource implements ImageSource {
  readonly reference: RegistryDirReference;
  private readonly layout: RegistryLayout;

  constructor(reference: RegistryDirReference) {
    this.reference = reference;
    this.layout = reference.layout();
  }

  private notFound(what: string): TugError {
    return new TugError('NOT_FOUND', `${this.reference.toString()}: ${what}`, { hint: `check the path, repository and tag (tug list-tags registry-dir:${this.reference.path}:${this.reference.repository})` });
  }

  /**
   * The manifest the name points at (its digest, else the tag's
   * `current/link`), or the one with `digest`. Bytes are returned as stored;
   * the media type is the document's own `mediaType` field.
   */
  async getManifest(digest?: Digest, _options?: BlobOptions): Promise<RawManifest> {
    let d: Digest;
    if (digest !== undefined) d = parseDigest(digest);
    else if (this.reference.digest) d = this.reference.digest;
    else {
      const tag = this.reference.tag ?? 'latest';
      const current = await this.layout.readLink(this.layout.tagCurrentLink(tag));
      if (!current) throw this.notFound(`tag ${tag} not found in repository ${this.reference.repository}`);
      d = current;
    }
    const linked = await this.layout.readLink(this.layout.revisionLink(d));
    if (linked !== d) throw this.notFound(`manifest ${d} is not in repository ${this.reference.repository}`);
    const blob = await this.layout.statBlob(d);
    if (!blob) throw this.notFound(`manifest ${d} is linked but its data is missing (was garbage-collect run while the tag was in use?)`);
    checkManifestSize(`${this.reference.toString()}: manifest ${d}`, blob.size);
    let bytes: Buffer;
    try {
      bytes = await readFile(blob.path);
    } catch (err) {
      throw ioError('reading manifest', blob.path, err);
    }
    // The storage keeps no Content-Type: the document's own mediaType is all there is.
    const { mediaType } = parseManifest(bytes, undefined, `manifest ${d} in ${this.reference.toString()}`);
    return { bytes, mediaType, claimedDigest: d };
  }

  /** A stream of the blob's data file, if the blob is linked into this repository. */
  async getBlob(desc: Descriptor, options?: BlobOptions): Promise<Readable> {
    const d = parseDigest(desc.digest, 'blob digest');
    const linked = await this.layout.readLink(this.layout.layerLink(d));
    if (linked !== d) throw this.notFound(`blob ${d} is not linked into repository ${this.reference.repository}`);
    const blob = await this.layout.statBlob(d);
    if (!blob) throw this.notFound(`blob ${d} is linked but its data is missing`);
    return createReadStream(blob.path, options?.signal ? { signal: options.signal } : {});
  }

  async close(): Promise<void> {}
}
