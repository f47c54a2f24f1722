/**
 * Reading an image from a registry. Raw, as the transport contract says: the
 * engine verifies manifests and blobs against their digests. Blob streams
 * resume dropped connections with Range requests (distribution/blob-reader.ts).
 */
import type { Readable } from 'node:stream';
import type { SystemContext } from '../../context/system-context.ts';
import { type ClientLease, acquireClient } from '../../distribution/pool.ts';
import type { Descriptor } from '../../oci/manifest.ts';
import type { Digest } from '../../reference/digest.ts';
import type { Reference } from '../../reference/reference.ts';
import type { BlobOptions, ImageSource, RawManifest, RegistryLocated } from '../types.ts';
import type { DockerReference } from './docker-transport.ts';

/**
 * An {@link ImageSource} over one repository of a registry. Close it to
 * release the shared client. `physical` is where the bytes are read when
 * registries.conf sends the pull elsewhere (a mirror, a remapped prefix;
 * see docker-registries-conf.ts); `reference` stays the name as written.
 */
export class DockerSource implements ImageSource, RegistryLocated {
  readonly reference: DockerReference;
  private readonly physical: Reference;
  private readonly lease: ClientLease;
  /** The top-level manifest, kept from the mirror probe so the engine's first read costs nothing. */
  private topLevel: RawManifest | undefined;

  constructor(reference: DockerReference, ctx: SystemContext, physical: Reference = reference.ref) {
    this.reference = reference;
    this.physical = physical;
    this.lease = acquireClient(physical.registry, ctx);
  }

  get registryLocation(): { registry: string; repository: string } {
    return { registry: this.physical.registry, repository: this.physical.repository };
  }

  /**
   * The manifest the reference names (its digest when it has one, else its
   * tag), or the one with `digest`. Sent with an Accept of every manifest
   * type we read; `claimedDigest` is the registry's Docker-Content-Digest.
   */
  async getManifest(digest?: Digest, options: BlobOptions = {}): Promise<RawManifest> {
    const ref = this.physical;
    if (digest === undefined && this.topLevel) return this.topLevel;
    const m = await this.lease.client.getManifest(ref.repository, digest ?? ref.identifier, { signal: options.signal });
    const raw = { bytes: m.bytes, mediaType: m.mediaType, claimedDigest: m.digest };
    if (digest === undefined) this.topLevel = raw;
    return raw;
  }

  /** A resumable stream of the blob's bytes; the caller consumes or destroys it. */
  getBlob(desc: Descriptor, options: BlobOptions = {}): Promise<Readable> {
    return this.lease.client.getBlob(this.physical.repository, desc, { signal: options.signal });
  }

  close(): Promise<void> {
    return this.lease.release();
  }
}
