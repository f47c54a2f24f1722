/**
 * A bundle being created as a copy destination, one image at a time: the
 * copy engine (src/copy/) moves each image into it as into any store, so a
 * bundle gets the same manifest reading, platform choice and verification as
 * a sync. `hasBlob` answers true for what the chain already carried (the
 * blob is then relied on, not carried) and for what this bundle holds.
 */
import type { Readable } from 'node:stream';
import type { SystemContext } from '../context/system-context.ts';
import { TugError } from '../errors/index.ts';
import { type Descriptor, parseManifest } from '../oci/manifest.ts';
import { type Digest, referrersTag } from '../reference/digest.ts';
import type { ImageDestination, ImageReference, ImageSource, PutManifestOptions, ReferrerListing, ReferrerStore, ResolvedDigest, SyncTarget, Transport } from '../transports/types.ts';
import type { BundleWriter, WrittenImage } from './bundle-writer.ts';

/** The display name of an image in a bundle: `bundle:REPOSITORY:TAG`. */
export function bundleImageName(repository: string, tag: string): string {
  return `bundle:${repository}${tag.startsWith('sha256:') ? '@' : ':'}${tag}`;
}

const bundleTransport: Transport = {
  name: 'bundle',
  parse(reference) {
    throw new TugError('USAGE', `bundle:${reference} is written by tug bundle create only`);
  },
};

/** The images of one create job: their names (as discovery forms them) and what each wrote. */
export class BundleJob {
  readonly writer: BundleWriter;
  readonly #refs = new Map<string, BundleImageReference>();
  readonly written = new Map<string, WrittenImage>();
  /**
   * The referrers tag schema indexes this bundle wrote, by repository and
   * subject: what {@link BundleImageReference.listReferrers} answers, so the
   * engine's read-modify-write of an index adds to what an earlier image of
   * the same job put there.
   */
  readonly referrerIndexes = new Map<string, Descriptor[]>();
  /** The bundle's id: names its blob store. */
  readonly id: string;

  constructor(writer: BundleWriter, id: string) {
    this.writer = writer;
    this.id = id;
  }

  /** The sync target discovery names images with (a store: repositories without a registry host). */
  readonly target: SyncTarget = {
    syncScope: 'store',
    syncReference: ({ repository, tag }) => this.reference(repository, tag),
  };

  reference(repository: string, tag: string): BundleImageReference {
    const name = bundleImageName(repository, tag);
    let ref = this.#refs.get(name);
    if (!ref) {
      ref = new BundleImageReference(this, repository, tag);
      this.#refs.set(name, ref);
    }
    return ref;
  }

  /** The reference a name from {@link reference} stands for; undefined for other names. */
  lookup(name: string): BundleImageReference | undefined {
    return this.#refs.get(name);
  }
}

/**
 * Referrers (cosign's `sha256-<hex>.sig/.att/.sbom` tags, OCI 1.1 referrers)
 * travel as images of the bundle: the engine (src/copy/referrers.ts) writes
 * each into a sibling of its subject, and with no referrers API here it
 * writes the `<alg>-<hex>` index as well, so apply pushes all of them as
 * tags and digests, as a sync into a registry without the API would.
 */
export class BundleImageReference implements ImageReference, ReferrerStore {
  readonly transport = bundleTransport;
  readonly reference: string;
  readonly job: BundleJob;
  readonly repository: string;
  readonly tag: string;

  constructor(job: BundleJob, repository: string, tag: string) {
    this.job = job;
    this.repository = repository;
    this.tag = tag;
    this.reference = bundleImageName(repository, tag).slice('bundle:'.length);
  }

  toString(): string {
    return `bundle:${this.reference}`;
  }

  sibling(name: { tag: string } | { digest: Digest }): BundleImageReference {
    return this.job.reference(this.repository, 'tag' in name ? name.tag : name.digest);
  }

  referrersIndex(subject: Digest): BundleImageReference {
    return this.sibling({ tag: referrersTag(subject) });
  }

  listReferrers(_ctx: SystemContext, subject: Digest): Promise<ReferrerListing> {
    return Promise.resolve({ descriptors: [...(this.job.referrerIndexes.get(`${this.repository}\u0000${subject}`) ?? [])], via: 'tag-schema' });
  }

  /** No referrers API: the writer keeps the `<alg>-<hex>` index (which apply pushes as a tag). */
  indexesReferrers(): Promise<boolean> {
    return Promise.resolve(false);
  }

  /** A new bundle holds nothing yet: every image is copied (the history decides what is unchanged). */
  resolveDigest(): Promise<ResolvedDigest | undefined> {
    return Promise.resolve(undefined);
  }

  newSource(): Promise<ImageSource> {
    return Promise.reject(new TugError('UNSUPPORTED', `${this.toString()} cannot be read while it is written`));
  }

  newDestination(): Promise<ImageDestination> {
    return Promise.resolve(new BundleImageDestination(this));
  }
}

class BundleImageDestination implements ImageDestination {
  readonly reference: BundleImageReference;
  readonly supportsIndex = true;
  /**
   * One store for the whole bundle: the engine's coordinator then moves a
   * blob shared by images read at once a single time, and the others find it
   * present (src/copy/blob-coordinator.ts).
   */
  readonly blobStoreKey: string;
  /** Bytes as the source has them: no conversion, digests preserved. */
  readonly desiredLayerCompression = 'preserve' as const;
  readonly #image: WrittenImage;
  #top: { digest: Digest; mediaType: string; size: number } | undefined;

  constructor(reference: BundleImageReference) {
    this.reference = reference;
    this.blobStoreKey = `bundle:${reference.job.id}`;
    this.#image = { repository: reference.repository, tag: reference.tag, digest: '' as Digest, mediaType: '', topSize: 0, manifests: new Set(), blobs: new Map(), manifestSizes: new Map(), carriedBytes: 0 };
  }

  get #writer(): BundleWriter {
    return this.reference.job.writer;
  }

  async hasBlob(desc: Descriptor): Promise<boolean> {
    this.#image.blobs.set(desc.digest, desc.size);
    return this.#writer.hasBlob(desc.digest, desc.size);
  }

  async putBlob(desc: Descriptor, stream: Readable): Promise<void> {
    this.#image.blobs.set(desc.digest, desc.size);
    if (await this.#writer.putBlob(desc.digest, desc.size, stream)) this.#image.carriedBytes += desc.size;
  }

  async putManifest(manifest: { bytes: Uint8Array; mediaType: string; digest: Digest }, options: PutManifestOptions): Promise<void> {
    this.#image.manifests.add(manifest.digest);
    this.#image.manifestSizes.set(manifest.digest, manifest.bytes.length);
    if (!this.#writer.reliedManifest(manifest.digest, manifest.bytes.length, this.#image.repository)) {
      if (await this.#writer.putManifest(manifest.digest, manifest.bytes)) this.#image.carriedBytes += manifest.bytes.length;
    }
    if (!options.instance) this.#top = { digest: manifest.digest, mediaType: manifest.mediaType, size: manifest.bytes.length };
    // A referrers index (tag `sha256-<hex>`): remembered for the next read-modify-write of the same subject.
    const subject = /^sha256-([a-f0-9]{64})$/.exec(this.reference.tag)?.[1];
    if (subject && !options.instance) {
      const parsed = parseManifest(manifest.bytes, manifest.mediaType, `referrers index ${this.reference.tag}`);
      if (parsed.kind === 'index') this.reference.job.referrerIndexes.set(`${this.reference.repository}\u0000sha256:${subject}`, parsed.manifest.manifests);
    }
  }

  commit(): Promise<void> {
    if (!this.#top) return Promise.reject(new TugError('INTERNAL', `${this.reference.toString()}: committed without a manifest`));
    this.#image.digest = this.#top.digest;
    this.#image.mediaType = this.#top.mediaType;
    this.#image.topSize = this.#top.size;
    this.reference.job.written.set(this.reference.toString(), this.#image);
    return Promise.resolve();
  }

  close(): Promise<void> {
    return Promise.resolve();
  }
}
