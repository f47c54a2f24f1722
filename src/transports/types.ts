/**
 * The transport interfaces. The copy engine is written against these only;
 * each transport (docker/, dir/, oci-layout/, oci-archive/, docker-archive/,
 * registry-dir/) implements them in `<name>-transport.ts`, `<name>-source.ts`
 * and `<name>-destination.ts`.
 *
 * Contract, in the spirit of containers/image `types/types.go`:
 * - Sources are raw: they return bytes as stored, unverified. The engine
 *   verifies every manifest and blob against its digest and size.
 * - A destination commits a blob only if the stream it was given ends
 *   cleanly: the engine hands it a verifying stream that errors instead of
 *   ending when the digest or size is wrong. Local destinations write to a
 *   temporary file and rename it into place on success.
 * - Call order on a destination: `hasBlob`/`putBlob` for every blob (in
 *   parallel), then `putManifest` for each instance manifest, then
 *   `putManifest` for the top-level manifest or index, then `commit`, then
 *   `close`. `close` is always called, also after an error; a destination
 *   closed without `commit` leaves no tag / index entry pointing anywhere new.
 * - Optional capabilities (mounting, deleting, listing tags) are separate
 *   interfaces checked with the type guards below.
 */
import type { Readable } from 'node:stream';
import type { SystemContext } from '../context/system-context.ts';
import type { CompressionAlgorithm, ManifestFormat } from '../oci/convert.ts';
import type { Descriptor } from '../oci/manifest.ts';
import type { Digest } from '../reference/digest.ts';

/** A parsed `transport:reference` name such as `docker://nginx:1.27` or `oci:/tmp/x:1`. */
export interface ImageReference {
  readonly transport: Transport;
  /** The part after the transport prefix, normalised. */
  readonly reference: string;
  /** `transport:reference`, as a user would type it. */
  toString(): string;
  newSource(ctx: SystemContext): Promise<ImageSource>;
  newDestination(ctx: SystemContext): Promise<ImageDestination>;
}

export interface Transport {
  /** The prefix without its colon(s): `docker`, `dir`, `oci`, `oci-archive`, `docker-archive`, `registry-dir`. */
  readonly name: string;
  /** Parses the text after `name:` (for docker, after `docker://`). Throws USAGE naming the bad part. */
  parse(reference: string): ImageReference;
}

export interface RawManifest {
  bytes: Uint8Array;
  /** The media type the transport reported (Content-Type, index.json entry, ...). May be undefined. */
  mediaType: string | undefined;
  /** The digest the transport claims (e.g. Docker-Content-Digest). The engine checks it. */
  claimedDigest?: Digest | undefined;
}

export interface BlobOptions {
  signal?: AbortSignal | undefined;
  /**
   * For `hasBlob`: the caller writes the blob next if it is absent, so a
   * destination may prepare that write in the same request (a registry opens
   * the upload session). Checks that only look (dry runs, verify) leave it unset.
   */
  beforeWrite?: boolean | undefined;
}

export interface ImageSource {
  readonly reference: ImageReference;
  /**
   * The top-level manifest (or index) when `digest` is undefined; otherwise
   * the manifest with that digest (an index instance). Raw and unverified.
   */
  getManifest(digest?: Digest, options?: BlobOptions): Promise<RawManifest>;
  /**
   * A stream of the blob's stored bytes. The caller owns the stream and must
   * consume or destroy it. Remote sources resume interrupted downloads
   * internally (HTTP Range) and only splice a matching 206.
   */
  getBlob(desc: Descriptor, options?: BlobOptions): Promise<Readable>;
  close(): Promise<void>;
}

export interface PutManifestOptions {
  /**
   * True for an instance of an index (written by digest only); false for the
   * top-level manifest, which is what the destination's tag / name points at.
   */
  instance: boolean;
  signal?: AbortSignal | undefined;
  /**
   * Top-level only: the engine converted the image (format or layer
   * compression) from the source document with this digest. A destination
   * that can record it next to the image's name without changing the image's
   * bytes does (an OCI layout: an annotation of its index.json entry), so a
   * later sync knows the image is up to date.
   */
  convertedFrom?: Digest | undefined;
}

/**
 * What a destination wants done to uncompressed layers by default
 * (containers/image `DesiredLayerCompression`): `compress` them (registries,
 * OCI layouts), `decompress` compressed ones, or `preserve` the bytes.
 */
export type LayerCompression = 'compress' | 'decompress' | 'preserve';

/** How the engine compresses layers when a destination (or `--dest-compress`) asks for it. */
export interface LayerCompressionChoice {
  algorithm: CompressionAlgorithm;
  /** The algorithm's level (gzip 1-9, zstd 1-22); undefined: zlib's default. */
  level?: number | undefined;
}

export interface ImageDestination {
  readonly reference: ImageReference;
  /** Whether the destination can store an index / manifest list (docker-archive cannot). */
  readonly supportsIndex: boolean;
  /**
   * Identifies where this destination keeps blobs: destinations with the same
   * key share them (one registry host, one OCI layout directory, one storage
   * root). Lets a multi-image sync move each blob once per key. Optional:
   * without it blobs are not shared across images.
   */
  readonly blobStoreKey?: string | undefined;
  /**
   * The manifest formats others read this destination's images in, best
   * first: `['oci']` for OCI layouts, which skopeo and podman find by ref only
   * when typed OCI. The engine converts an image whose format is not listed
   * to the first one (unless the caller preserves digests). Undefined: any
   * format; the source's is kept.
   */
  readonly manifestFormats?: readonly ManifestFormat[] | undefined;
  /**
   * What to do with layers by default (see {@link LayerCompression}).
   * Undefined: `compress` for a registry ({@link RegistryLocated}), else `preserve`.
   */
  readonly desiredLayerCompression?: LayerCompression | undefined;
  /** True when the destination already stores this blob (verified by digest and size where possible). */
  hasBlob(desc: Descriptor, options?: BlobOptions): Promise<boolean>;
  /**
   * Stores a blob from `stream`, which the engine has wrapped in a verifying
   * stream. Must not make the blob visible unless the stream ends cleanly.
   */
  putBlob(desc: Descriptor, stream: Readable, options?: BlobOptions): Promise<void>;
  /** Stores a manifest whose bytes the engine has verified against `digest`. */
  putManifest(manifest: { bytes: Uint8Array; mediaType: string; digest: Digest }, options: PutManifestOptions): Promise<void>;
  /** Makes the result visible (index.json entry, archive rename...). Idempotent. */
  commit(): Promise<void>;
  close(): Promise<void>;
}

/** Where a registry-backed source or destination lives; lets the engine mount blobs across repositories. */
export interface RegistryLocated {
  readonly registryLocation: { registry: string; repository: string };
}

/** A destination that can mount a blob from another repository on the same registry without moving bytes. */
export interface BlobMounter extends RegistryLocated {
  /** Returns true when the blob is now in the destination repository. */
  mountBlob(desc: Descriptor, fromRepository: string, options?: BlobOptions): Promise<boolean>;
}

/**
 * A local destination that can take a blob from a file another destination
 * of the same job already wrote (a hard link, or a copy across file systems),
 * so a sync into many `dir:` layouts downloads each shared layer once.
 */
export interface BlobLinker {
  /** Where a stored blob lives on disk, for other destinations to link from. */
  localBlobPath(desc: Descriptor): string;
  /** Stores the blob from `fromPath` (already verified when it was written); true when done. */
  linkBlob(desc: Descriptor, fromPath: string, options?: BlobOptions): Promise<boolean>;
}

export function isBlobLinker(x: unknown): x is BlobLinker {
  return typeof x === 'object' && x !== null && typeof (x as Partial<BlobLinker>).linkBlob === 'function' && typeof (x as Partial<BlobLinker>).localBlobPath === 'function';
}

/** What a destination's stored copy of a blob is, judged by its bytes (see {@link BlobContentChecker}). */
export type StoredBlobState = 'absent' | 'valid' | 'corrupt';

/**
 * A destination that can hash the blobs it stores, not only stat them (the
 * local layouts). `--verify-existing` trusts a stored blob only when
 * `checkBlob` says `valid`, which has the side effects of `hasBlob`
 * answering true (linking it into the repository, keeping it at commit).
 * `corrupt`: a file is stored under the blob's name with the wrong size or
 * bytes; `putBlob` replaces it (temp file, then rename over it).
 */
export interface BlobContentChecker {
  checkBlob(desc: Descriptor, options?: BlobOptions): Promise<StoredBlobState>;
}

export function isBlobContentChecker(x: unknown): x is BlobContentChecker {
  return typeof x === 'object' && x !== null && typeof (x as Partial<BlobContentChecker>).checkBlob === 'function';
}

/** An {@link ImageReference} whose transport can list the tags of its repository (docker://, oci:, registry-dir:). */
export interface TagLister {
  listTags(ctx: SystemContext, options?: BlobOptions): Promise<string[]>;
}

/** An {@link ImageReference} that can be deleted (docker:// by digest, oci: / registry-dir: tag removal). */
export interface Deleter {
  deleteImage(ctx: SystemContext, options?: BlobOptions): Promise<void>;
}

export function isRegistryLocated(x: unknown): x is RegistryLocated {
  return typeof x === 'object' && x !== null && 'registryLocation' in x;
}

export function isBlobMounter(x: unknown): x is BlobMounter {
  return isRegistryLocated(x) && typeof (x as Partial<BlobMounter>).mountBlob === 'function';
}

export function isTagLister(x: unknown): x is TagLister {
  return typeof x === 'object' && x !== null && typeof (x as Partial<TagLister>).listTags === 'function';
}

export function isDeleter(x: unknown): x is Deleter {
  return typeof x === 'object' && x !== null && typeof (x as Partial<Deleter>).deleteImage === 'function';
}

/**
 * An {@link ImageReference} that can say which digest it names now without
 * transferring the document where the transport allows (a registry HEAD, an
 * index.json entry). Sync uses it so that an unchanged tag costs one request
 * per side. Returns undefined when the image does not exist.
 */
export interface DigestResolver {
  resolveDigest(ctx: SystemContext, options?: BlobOptions): Promise<ResolvedDigest | undefined>;
}

/** What a {@link DigestResolver} reports. */
export interface ResolvedDigest {
  digest: Digest;
  mediaType: string | undefined;
  /** The source digest recorded for an image the engine converted (see PutManifestOptions.convertedFrom), where the transport keeps one. */
  convertedFrom?: Digest | undefined;
}

export function isDigestResolver(x: unknown): x is DigestResolver {
  return typeof x === 'object' && x !== null && typeof (x as Partial<DigestResolver>).resolveDigest === 'function';
}

/**
 * A {@link Transport} that `tug sync` can write to (`--dest NAME`): it names
 * the image a synced tag lands as, so sync never writes a transport's
 * syntax itself. The transports with this capability are the sync
 * destinations (`syncTargets` in ./index.ts).
 */
export interface SyncTarget {
  /**
   * `registry`: the location is a registry prefix, and `repository` is the
   * full destination repository, host included (`registry.example.com/edge/yurthub`).
   * `store`: the location is a local store, and `repository` is the path
   * inside it, without a registry host (`edge/yurthub`).
   */
  readonly syncScope: 'registry' | 'store';
  /**
   * The image for `repository` with `tag` (or a digest, `sha256:...`) under
   * `location`; `scoped` is sync's --scoped (a store may keep the full
   * path). Throws USAGE for a name the transport cannot hold.
   */
  syncReference(target: { location: string; repository: string; tag: string; scoped: boolean }): ImageReference;
}

export function isSyncTarget<T extends Transport>(t: T): t is T & SyncTarget {
  return typeof (t as Partial<SyncTarget>).syncReference === 'function' && (t as Partial<SyncTarget>).syncScope !== undefined;
}

/**
 * The OCI 1.1 referrers of one subject as a store lists them (distribution
 * spec "Listing Referrers"): descriptors of manifests whose `subject` is the
 * subject's digest, with their `artifactType` and annotations as listed.
 */
export interface ReferrerListing {
  descriptors: Descriptor[];
  /**
   * `api`: from the referrers API (`GET /v2/<name>/referrers/<digest>`);
   * `tag-schema`: from the fallback tag `<alg>-<hex>` (an OCI index), or
   * nothing when that tag does not exist.
   */
  via: 'api' | 'tag-schema';
}

/**
 * An {@link ImageReference} whose store keeps referrers and cosign's tags
 * beside its images (docker://, registry-dir:). The copy engine
 * (src/copy/referrers.ts) carries them with `copyImage` on the references
 * {@link sibling} names, so every referrer is verified like any image.
 */
export interface ReferrerStore {
  /** The same repository, naming another manifest by tag or by digest. */
  sibling(name: { tag: string } | { digest: Digest }): ImageReference;
  /** The referrers tag schema's index of `subject`: the sibling tagged `<alg>-<hex>` (which the writer keeps when {@link indexesReferrers} is false). */
  referrersIndex(subject: Digest): ImageReference;
  /**
   * The referrers of `subject`: through the referrers API where the store
   * has it, else from the referrers tag schema (`<alg>-<hex>` tag; empty
   * when absent). `tags`, when the caller already holds the repository's tag
   * list, lets a store without the API skip reading a fallback tag that is
   * not there. Unverified: the engine checks every manifest it copies.
   */
  listReferrers(ctx: SystemContext, subject: Digest, options?: BlobOptions & { tags?: ReadonlySet<string> | undefined }): Promise<ReferrerListing>;
  /**
   * Whether a manifest with a `subject` written here is indexed by the store
   * itself (a registry with the referrers API, which answers the PUT with
   * `OCI-Subject`). When false the writer maintains the referrers tag schema
   * index (read-modify-write of the `<alg>-<hex>` tag).
   */
  indexesReferrers(ctx: SystemContext, options?: BlobOptions): Promise<boolean>;
}

export function isReferrerStore(x: unknown): x is ReferrerStore {
  return typeof x === 'object' && x !== null && typeof (x as Partial<ReferrerStore>).listReferrers === 'function' && typeof (x as Partial<ReferrerStore>).sibling === 'function';
}
