/**
 * Writing an image to a registry. Blobs go up as one streaming PUT each (the
 * registry checks the digest before it links the blob), manifests by digest
 * for index instances and by tag for the top level. Nothing needs a final
 * commit: the top-level manifest PUT is what makes the image visible, and
 * the engine writes it last.
 */
import type { Readable } from 'node:stream';
import type { SystemContext } from '../../context/system-context.ts';
import { type ClientLease, acquireClient } from '../../distribution/pool.ts';
import { TugError } from '../../errors/index.ts';
import type { Descriptor } from '../../oci/manifest.ts';
import { SCHEMA1_TYPES } from '../../oci/media-types.ts';
import { integrityError } from '../../oci/verify.ts';
import { type Digest, parseDigest } from '../../reference/digest.ts';
import type { BlobMounter, BlobOptions, ImageDestination, PutManifestOptions } from '../types.ts';
import type { DockerReference } from './docker-transport.ts';

/**
 * An {@link ImageDestination} (and {@link BlobMounter}) for one repository.
 * Safe for parallel hasBlob / mountBlob / putBlob calls on different
 * digests; two putBlob calls for the same digest share one upload, because
 * the stock registry answers 500 to that race.
 */
export class DockerDestination implements ImageDestination, BlobMounter {
  readonly reference: DockerReference;
  readonly supportsIndex = true;
  private readonly lease: ClientLease;
  private readonly inflight = new Map<Digest, Promise<void>>();
  private readonly uploaded = new Set<Digest>();
  /** Upload sessions opened by a `beforeWrite` check, waiting for their putBlob. */
  private readonly sessions = new Map<Digest, URL>();
  /** Cancellations of sessions no putBlob used; close() waits for them. */
  private readonly cancelling: Promise<void>[] = [];

  constructor(reference: DockerReference, ctx: SystemContext) {
    this.reference = reference;
    this.lease = acquireClient(reference.ref.registry, ctx);
  }

  /** Blobs are shared by every repository of one registry (mounts). */
  get blobStoreKey(): string {
    return `docker:${this.reference.ref.registry}`;
  }

  get registryLocation(): { registry: string; repository: string } {
    return { registry: this.reference.ref.registry, repository: this.reference.ref.repository };
  }

  private get repository(): string {
    return this.reference.ref.repository;
  }

  /**
   * True when the repository has the blob with the descriptor's size (HEAD).
   * Before a write, against a registry that has shown it honours mounts, one
   * POST ?mount=&from=<this repository> instead: 201 means present, 202 opens
   * the session the following putBlob streams into, saving a round trip per
   * new blob. A registry that ignores mounts would answer 202 for blobs it
   * has, and an interrupted sync would re-send them, hence the HEAD until then.
   */
  async hasBlob(desc: Descriptor, options: BlobOptions = {}): Promise<boolean> {
    const { client } = this.lease;
    if (options.beforeWrite && client.honoursMounts) {
      const digest = parseDigest(desc.digest, 'blob digest');
      const session = await client.probeBlob(this.repository, digest, { signal: options.signal });
      if (!session) return true;
      this.dropSession(digest);
      this.sessions.set(digest, session);
      return false;
    }
    const size = await client.headBlob(this.repository, desc.digest, { signal: options.signal });
    return size !== undefined && size === desc.size;
  }

  /** Cancels a prepared session that no putBlob will use. */
  private dropSession(digest: Digest): void {
    const session = this.sessions.get(digest);
    if (!session) return;
    this.sessions.delete(digest);
    this.cancelling.push(this.lease.client.cancelUpload(this.repository, session));
  }

  /**
   * Streams `stream` into a new upload. On failure the upload session is
   * cancelled and the stream's own error (e.g. INTEGRITY) is thrown. When the
   * same digest is already being uploaded by this destination, waits for that
   * upload and discards `stream`; if that upload fails, uploads from `stream`.
   */
  async putBlob(desc: Descriptor, stream: Readable, options: BlobOptions = {}): Promise<void> {
    const digest = parseDigest(desc.digest, 'blob digest');
    const running = this.inflight.get(digest);
    if (running) await running.catch(() => {});
    if (this.uploaded.has(digest)) {
      stream.destroy();
      this.dropSession(digest);
      return;
    }
    const session = this.sessions.get(digest);
    this.sessions.delete(digest);
    const p = this.lease.client.upload(this.repository, desc, stream, { signal: options.signal, session });
    this.inflight.set(digest, p);
    try {
      await p;
      this.uploaded.add(digest);
    } finally {
      if (this.inflight.get(digest) === p) this.inflight.delete(digest);
    }
  }

  /** Mounts the blob from another repository of the same registry; false when the registry did not. */
  async mountBlob(desc: Descriptor, fromRepository: string, options: BlobOptions = {}): Promise<boolean> {
    if (fromRepository === this.repository) return this.hasBlob(desc, options);
    const mounted = await this.lease.client.mountBlob(this.repository, desc.digest, fromRepository, { signal: options.signal });
    if (mounted) {
      this.uploaded.add(desc.digest);
      this.dropSession(desc.digest);
    }
    return mounted;
  }

  /**
   * Instances go by digest; the top level goes by the reference's tag, or by
   * digest for a digest-only reference (which must then be the manifest's
   * digest). Schema 1 is refused: its signatures name the repository and tag,
   * so it cannot be copied faithfully. The registry's Docker-Content-Digest
   * must equal the digest the engine verified.
   */
  async putManifest(manifest: { bytes: Uint8Array; mediaType: string; digest: Digest }, options: PutManifestOptions): Promise<void> {
    const ref = this.reference.ref;
    if (SCHEMA1_TYPES.includes(manifest.mediaType)) {
      throw new TugError('UNSUPPORTED', `writing ${ref.toString()}: schema1 manifests are read-only; Tugboat does not push ${manifest.mediaType}`, {
        hint: 'convert the image to Docker schema 2 or OCI before pushing it',
      });
    }
    let target: string;
    if (options.instance || (!ref.tag && ref.digest)) {
      target = manifest.digest;
      if (!options.instance && ref.digest !== manifest.digest) {
        throw new TugError('USAGE', `writing ${ref.toString()}: the reference names digest ${ref.digest} but the manifest being written is ${manifest.digest}`, {
          hint: 'write to a tag, or to the digest the copied image actually has',
        });
      }
    } else {
      if (ref.digest && ref.digest !== manifest.digest) {
        throw new TugError('USAGE', `writing ${ref.toString()}: the reference names digest ${ref.digest} but the manifest being written is ${manifest.digest}`, {
          hint: 'drop the @digest from the destination',
        });
      }
      target = ref.tag ?? ref.identifier;
    }
    const stored = await this.lease.client.putManifest(this.repository, target, manifest.bytes, manifest.mediaType, { signal: options.signal });
    if (stored !== manifest.digest) {
      throw integrityError(`manifest written to ${ref.name}`, `the registry stored it as ${stored}, not ${manifest.digest}`);
    }
  }

  /** Nothing to do: the top-level manifest PUT already made the image visible. */
  commit(): Promise<void> {
    return Promise.resolve();
  }

  async close(): Promise<void> {
    // Sessions left by a copy that failed or stopped before its putBlob.
    for (const digest of [...this.sessions.keys()]) this.dropSession(digest);
    await Promise.all(this.cancelling.splice(0));
    await this.lease.release();
  }
}
