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
import type { BlobOptions, ImageSource, RawManifest, RegistryLocated } from '../types.ts';
import type { DockerReference } from './docker-transport.ts';

/** An {@link ImageSource} over one repository of a registry. Close it to release the shared client. */
export class DockerSource implements ImageSource, RegistryLocated {
  readonly reference: DockerReference;
  private readonly lease: ClientLease;

  constructor(reference: DockerReference, ctx: SystemContext) {
    this.reference = reference;
    this.lease = acquireClient(reference.ref.registry, ctx);
  }

  get registryLocation(): { registry: string; repository: string } {
    return { registry: this.reference.ref.registry, repository: this.reference.ref.repository };
  }

  /**
   * The manifest the reference names (its digest when it has one, else its
   * tag), or the one with `digest`. Sent with an Accept of every manifest
   * type we read; `claimedDigest` is the registry's Docker-Content-Digest.
   */
  async getManifest(digest?: Digest, options: BlobOptions = {}): Promise<RawManifest> {
    const ref = this.reference.ref;
    const m = await this.lease.client.getManifest(ref.repository, digest ?? ref.identifier, { signal: options.signal });
    return { bytes: m.bytes, mediaType: m.mediaType, claimedDigest: m.digest };
  }

  /** A resumable stream of the blob's bytes; the caller consumes or destroys it. */
  getBlob(desc: Descriptor, options: BlobOptions = {}): Promise<Readable> {
    return this.lease.client.getBlob(this.reference.ref.repository, desc, { signal: options.signal });
  }

  close(): Promise<void> {
    return this.lease.release();
  }
}
