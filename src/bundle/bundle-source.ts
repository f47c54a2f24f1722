/**
 * An image of a checked bundle as a copy source (`tug bundle apply`):
 * carried manifests and blobs are byte ranges of the parts, read in place;
 * what an earlier bundle carried comes from the destination, where that
 * bundle put it (the repositories `relies` names, then the image's own).
 * Raw, as every source: the engine verifies each byte against its digest.
 */
import type { Readable } from 'node:stream';
import type { SystemContext } from '../context/system-context.ts';
import { TugError } from '../errors/index.ts';
import type { Descriptor } from '../oci/manifest.ts';
import { type Digest, shortDigest } from '../reference/digest.ts';
import type { BlobOptions, ImageReference, ImageSource, RawManifest, Transport } from '../transports/types.ts';
import type { BundleImage, BundleManifest } from './format.ts';
import type { PartReader } from './parts.ts';
import type { BlobLocation } from './verify.ts';

/** What every image of one bundle shares at apply time. */
export interface AppliedBundle {
  bundle: BundleManifest;
  locations: ReadonlyMap<Digest, BlobLocation>;
  reader: PartReader;
  /** The destination image `repository` (`@digest`) names, to read what an earlier bundle put there. */
  destination: (repository: string, digest: Digest) => ImageReference;
  destinationContext: SystemContext;
  /** How apply's DEST is named in messages. */
  destinationName: string;
}

const bundleSourceTransport: Transport = {
  name: 'bundle',
  parse(reference) {
    throw new TugError('USAGE', `bundle:${reference} is read by tug bundle apply only`);
  },
};

export class BundleSourceReference implements ImageReference {
  readonly transport = bundleSourceTransport;
  readonly reference: string;
  readonly applied: AppliedBundle;
  readonly image: BundleImage;

  constructor(applied: AppliedBundle, image: BundleImage) {
    this.applied = applied;
    this.image = image;
    this.reference = `${applied.bundle.id}/${image.repository}${image.tag.startsWith('sha256:') ? '@' : ':'}${image.tag}`;
  }

  toString(): string {
    return `bundle:${this.reference}`;
  }

  newSource(): Promise<ImageSource> {
    return Promise.resolve(new BundleImageSource(this));
  }

  newDestination(): Promise<never> {
    return Promise.reject(new TugError('UNSUPPORTED', `${this.toString()}: a bundle is written by tug bundle create only`));
  }
}

class BundleImageSource implements ImageSource {
  readonly reference: BundleSourceReference;
  readonly #opened: ImageSource[] = [];
  readonly #sources = new Map<string, Promise<ImageSource>>();

  constructor(reference: BundleSourceReference) {
    this.reference = reference;
  }

  /** A source on the destination repository, opened once per repository. */
  #at(repository: string, digest: Digest): Promise<ImageSource> {
    let s = this.#sources.get(repository);
    if (!s) {
      const { applied } = this.reference;
      s = applied.destination(repository, digest).newSource(applied.destinationContext);
      s.then((src) => this.#opened.push(src)).catch(() => {});
      this.#sources.set(repository, s);
    }
    return s;
  }

  #missing(digest: Digest, what: string, cause?: unknown): TugError {
    const { bundle, destinationName } = this.reference.applied;
    const relied = bundle.relies.find((r) => r.digest === digest);
    const by = relied ? `bundle ${relied.bundle}` : 'an earlier bundle';
    return new TugError('NOT_FOUND', `${what} ${shortDigest(digest)} of ${this.reference.image.repository}:${this.reference.image.tag} is not in bundle ${bundle.id} and not at ${destinationName}: ${by} carried it`, {
      hint: `apply ${by} at ${destinationName} again (or create a --full bundle)`,
      ...(cause !== undefined ? { cause } : {}),
    });
  }

  /** Repositories to try for relied content: those the history names, then the image's own. */
  #homes(digest: Digest): string[] {
    const { bundle } = this.reference.applied;
    const relied = bundle.relies.find((r) => r.digest === digest);
    return [...new Set([...(relied?.repositories ?? []), this.reference.image.repository])];
  }

  async getManifest(digest?: Digest, options?: BlobOptions): Promise<RawManifest> {
    const { applied, image } = this.reference;
    const want = digest ?? image.digest;
    const mediaType = want === image.digest ? image.mediaType : undefined;
    const at = applied.locations.get(want);
    if (at) return { bytes: await applied.reader.read(at.offset, at.size), mediaType, claimedDigest: want };
    // Manifests are relied on only where the chain put them in this very repository.
    try {
      const src = await this.#at(image.repository, want);
      const raw = await src.getManifest(want, options);
      return { ...raw, mediaType: raw.mediaType ?? mediaType, claimedDigest: want };
    } catch (err) {
      throw this.#missing(want, 'manifest', err);
    }
  }

  async getBlob(desc: Descriptor, options?: BlobOptions): Promise<Readable> {
    const { applied } = this.reference;
    const at = applied.locations.get(desc.digest);
    if (at) {
      if (at.size !== desc.size) throw new TugError('INTEGRITY', `blob ${shortDigest(desc.digest)} is ${at.size} bytes in bundle ${applied.bundle.id}, the manifest says ${desc.size}`);
      return applied.reader.stream(at.offset, at.size);
    }
    let last: unknown;
    for (const repository of this.#homes(desc.digest)) {
      try {
        return await (await this.#at(repository, desc.digest)).getBlob(desc, options);
      } catch (err) {
        last = err;
      }
    }
    throw this.#missing(desc.digest, 'blob', last);
  }

  async close(): Promise<void> {
    for (const s of this.#opened) await s.close().catch(() => {});
  }
}
