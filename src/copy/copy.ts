/**
 * The copy engine: one image from a source reference to a destination
 * reference, written against the transport interfaces only.
 *
 * Order of writes (so no tag ever points at missing content): every blob
 * (configs and layers, in parallel, bounded) -> every instance manifest ->
 * the top-level manifest or index -> commit. Every manifest and blob is
 * verified against its digest and size; manifest bytes are copied as they
 * are, so digests are preserved byte for byte unless a platform filter had to
 * write a new index (reported as `rewrittenFrom`) or the image was converted
 * (reported as `convertedFrom`): to the format the destination declares it is
 * read in (OCI layouts: OCI) or `format` asks for, and with its layers
 * (de)compressed as the destination wants (registries and OCI layouts:
 * compressed), unless `preserveDigests` (see ./conversion.ts).
 */
import pLimit from 'p-limit';
import type { SystemContext } from '../context/system-context.ts';
import { TugError, withContext } from '../errors/index.ts';
import type { Descriptor, ParsedManifest, Platform } from '../oci/manifest.ts';
import { blobsOf, parseManifest } from '../oci/manifest.ts';
import { isIndexType } from '../oci/media-types.ts';
import { hostPlatform } from '../oci/platform.ts';
import { digestBytes, verifyBytes } from '../oci/verify.ts';
import { type Digest, digestAlgorithm } from '../reference/digest.ts';
import { type ImageDestination, type ImageReference, type ImageSource, type RawManifest, isRegistryLocated } from '../transports/types.ts';
import type { LayerReplacement } from '../oci/convert.ts';
import { formatOf } from '../oci/convert.ts';
import type { BlobCoordinator } from './blob-coordinator.ts';
import { copyBlob, storedState } from './blob-copy.ts';
import { type LayerTransform, copyTransformedLayer, planLayerTransform } from './compress.ts';
import { type ConversionOptions, type ManifestDoc, convertImageDoc, convertIndexDoc, planConversion } from './conversion.ts';
import type { BlobOutcome, CopyEvent } from './events.ts';
import { type ReferrerFilter, type ReferrersOutcome, carryReferrers } from './referrers.ts';
import { type MultiArchMode, selectFromIndex } from './select.ts';
import type { ImagePolicy } from '../signature/image-policy.ts';

/** Conversion (`format`, `preserveDigests`, layer compression: see {@link ConversionOptions}) and: */
export interface CopyOptions extends ConversionOptions {
  /** Transport options for the source side (credentials, TLS...). */
  sourceContext?: SystemContext;
  /** Transport options for the destination side. */
  destinationContext?: SystemContext;
  /** skopeo's `--multi-arch` (default `system`); `--all` is `all`. */
  multiArch?: MultiArchMode;
  /** `--platform`: copy only these instances of an index. */
  platforms?: Platform[] | undefined;
  /** `--override-os/--override-arch/--override-variant` for `system` mode. */
  platformOverride?: { os?: string | undefined; arch?: string | undefined; variant?: string | undefined };
  /** Blobs copied at once (default 6). */
  concurrency?: number;
  /** Attempts per blob transfer on temporary errors (default 3), on top of the transport's per-request retries. */
  blobAttempts?: number;
  /** Resolve and check everything, report what would move, write nothing. */
  dryRun?: boolean;
  /**
   * Hash every blob a local destination (dir:, oci:, registry-dir:) already
   * stores before trusting it, and copy over one whose bytes are wrong
   * (reported as `rewritten`). Default false: a stored blob of the right name
   * and size is trusted, as skopeo does. Registries verify digests on upload
   * and are asked as usual.
   */
  verifyExisting?: boolean;
  signal?: AbortSignal;
  onEvent?: (e: CopyEvent) => void;
  /** Shares blob transfers with the other images of a job (sync, save). */
  coordinator?: BlobCoordinator | undefined;
  /**
   * The top-level digest a plan resolved for the source (sync's discovery).
   * A registry source is then read by this digest, so the copy is exactly
   * what was planned and its manifests can come from the client's
   * content-addressed cache; other sources are read by name as usual.
   */
  sourceDigest?: Digest | undefined;
  /**
   * The digest of the original source when `from` is a converted copy of it
   * (a sync retag copying from the destination it wrote): the destination
   * records it as a conversion's (PutManifestOptions.convertedFrom), so the
   * copy counts as up to date with that source.
   */
  originDigest?: Digest | undefined;
  /**
   * Signatures, attestations, SBOMs and OCI referrers carried after the
   * image is committed (./referrers.ts): `false` carries none; a filter
   * narrows them. Default: every artifact of every subject written unchanged.
   */
  referrers?: ReferrerFilter | false | undefined;
  /**
   * The source repository's tags, where carrying referrers looks for
   * `sha256-<hex>.sig`-style artifact tags. Default: listed once per copy.
   * A job copying many tags of one repository passes one list for all of
   * them: listing 10,000 tags for each of 10,000 images is quadratic
   * (issue 14 item 7).
   */
  sourceTags?: (() => Promise<ReadonlySet<string> | undefined>) | undefined;
  /**
   * Checked on the source's top-level digest after its manifests are
   * resolved and before anything is written (src/signature/image-policy.ts):
   * a refusal (POLICY, exit 3) leaves the destination untouched. Default: none.
   */
  policy?: ImagePolicy | undefined;
}

export interface CopyResult {
  source: string;
  destination: string;
  /** Digest of the source's top-level manifest or index. */
  sourceDigest: Digest;
  /** Digest of what the destination's name now points at. */
  digest: Digest;
  mediaType: string;
  /** The instances copied (per-platform manifests). */
  instances: { digest: Digest; platform?: Platform | undefined }[];
  /** Set when a platform filter produced a new index (its digest differs from the source's). */
  rewrittenFrom?: Digest | undefined;
  /**
   * Set when the engine converted the top-level document (format, layer
   * compression): the digest it had before, which the destination's name
   * does not point at.
   */
  convertedFrom?: Digest | undefined;
  /** `rewritten`: blobs the destination stored with wrong bytes, copied over (only with verifyExisting); their bytes count in bytesCopied. */
  blobs: { total: number; copied: number; skipped: number; mounted: number; rewritten: number; bytesCopied: number; bytesTotal: number };
  dryRun: boolean;
  /** Dry run only: the blobs the destination lacks (what a real run would move). */
  missingBlobs?: { digest: Digest; size: number }[] | undefined;
  /** Dry run only: where the destination keeps blobs (see ImageDestination.blobStoreKey). */
  blobStoreKey?: string | undefined;
  /** The artifacts carried with the image (undefined: the source keeps none, or `referrers: false`). */
  referrers?: ReferrersOutcome | undefined;
}

interface ResolvedManifest {
  bytes: Uint8Array;
  digest: Digest;
  parsed: ParsedManifest;
}

/** A manifest asked for by digest; size and media type are checked when known (an index's descriptor), not for a pinned top-level one. */
type ManifestWant = Pick<Descriptor, 'digest'> & Partial<Pick<Descriptor, 'size' | 'mediaType'>>;

/** Fetches a manifest and checks it against the digest it was asked by (or claims). */
async function fetchManifest(source: ImageSource, desc: ManifestWant | undefined, signal: AbortSignal | undefined): Promise<ResolvedManifest> {
  let raw: RawManifest;
  try {
    raw = await source.getManifest(desc?.digest, { signal });
  } catch (err) {
    throw withContext(err, desc ? `reading manifest ${desc.digest}` : 'reading manifest');
  }
  const what = desc ? `manifest ${desc.digest}` : `manifest of ${source.reference.toString()}`;
  let digest: Digest;
  if (desc) {
    verifyBytes(raw.bytes, desc.digest, what, desc.size);
    digest = desc.digest;
  } else {
    digest = digestBytes(raw.bytes, raw.claimedDigest ? digestAlgorithm(raw.claimedDigest) : 'sha256');
    if (raw.claimedDigest) verifyBytes(raw.bytes, raw.claimedDigest, what);
  }
  const parsed = parseManifest(raw.bytes, raw.mediaType ?? desc?.mediaType, what);
  if (desc?.mediaType !== undefined && parsed.mediaType !== desc.mediaType) {
    throw new TugError('UNSAFE_INPUT', `${what}: the index says ${desc.mediaType} but the document is ${parsed.mediaType}`);
  }
  return { bytes: raw.bytes, digest, parsed };
}

function emptyStats(): CopyResult['blobs'] {
  return { total: 0, copied: 0, skipped: 0, mounted: 0, rewritten: 0, bytesCopied: 0, bytesTotal: 0 };
}

/**
 * Copies one image. Opens and always closes the source and destination.
 * Throws TugError (INTEGRITY on any digest/size mismatch, with nothing
 * tagged); the message names the image.
 */
export async function copyImage(from: ImageReference, to: ImageReference, options: CopyOptions = {}): Promise<CopyResult> {
  const onEvent = options.onEvent ?? (() => {});
  // Transport events (retries, resumes) go to the context's own onEvent when
  // it has one: contexts are then shared as they are, and with them the
  // registry clients (connections, tokens) across the images of a job.
  // Otherwise they are reported as this copy's 'transport' events.
  const ctx = (side: 'source' | 'destination', base: SystemContext | undefined): SystemContext =>
    base?.onEvent
      ? base
      : {
          ...base,
          onEvent: (event) => onEvent({ type: 'transport', side, event }),
        };
  try {
    const sourceContext = ctx('source', options.sourceContext);
    const source = await from.newSource(sourceContext);
    try {
      // A dry run opens the destination too, to ask which blobs it lacks;
      // destinations create nothing before putBlob / putManifest / commit.
      const destinationContext = ctx('destination', options.destinationContext);
      const destination = await to.newDestination(destinationContext);
      try {
        const copied = await runCopy(source, destination, from, to, options, onEvent);
        // Artifacts follow once their subject is committed, on the same contexts (and so the same registry clients).
        return { ...copied, referrers: await carryReferrers(copyImage, from, to, copied, { ...options, policy: undefined, sourceContext, destinationContext }) };
      } finally {
        await destination.close();
      }
    } finally {
      await source.close();
    }
  } catch (err) {
    throw withContext(err, `copying ${from.toString()} to ${to.toString()}`);
  }
}

/** What a copy will write, decided from the source's manifests before any blob moves. */
interface Resolution {
  top: ResolvedManifest;
  /** The image manifests whose blobs are copied (one, or every selected instance). */
  images: ResolvedManifest[];
  topToWrite: { bytes: Uint8Array; digest: Digest; mediaType: string };
  instanceDescs: Descriptor[];
  picked: Descriptor | undefined;
  rewrittenFrom: Digest | undefined;
  /** Every blob, once, even when several instances share it. */
  blobs: Map<string, Descriptor>;
}

async function resolveCopy(source: ImageSource, destination: ImageDestination, from: ImageReference, options: CopyOptions, onEvent: (e: CopyEvent) => void): Promise<Resolution> {
  const signal = options.signal;
  const top = await fetchManifest(source, options.sourceDigest && isRegistryLocated(source) ? { digest: options.sourceDigest } : undefined, signal);
  if (top.parsed.kind === 'schema1') {
    throw new TugError('UNSUPPORTED', `${from.toString()} is a Docker schema 1 image, which Tugboat reads but does not write`, {
      hint: 'rebuild or re-push the image with a current Docker or buildah (schema 2 / OCI)',
    });
  }

  // Decide the top-level document and the image manifests to copy.
  let images: ResolvedManifest[];
  let topToWrite: { bytes: Uint8Array; digest: Digest; mediaType: string };
  let instanceDescs: Descriptor[] = [];
  let picked: Descriptor | undefined;
  let rewrittenFrom: Digest | undefined;
  if (top.parsed.kind === 'index') {
    const selection = selectFromIndex(top.parsed.manifest, top.parsed.mediaType, top.bytes, top.digest, {
      mode: options.multiArch ?? 'system',
      platforms: options.platforms,
      system: hostPlatform(options.platformOverride),
      destinationSupportsIndex: destination.supportsIndex,
    });
    if (selection.kind === 'single') {
      picked = selection.instance;
      const image = await fetchManifest(source, selection.instance, signal);
      if (image.parsed.kind === 'index') throw new TugError('UNSUPPORTED', `${from.toString()}: nested indexes are not supported for single-platform copies`, { hint: 'use --all' });
      images = [image];
      topToWrite = { bytes: image.bytes, digest: image.digest, mediaType: image.parsed.mediaType };
    } else {
      instanceDescs = selection.instances;
      images = await Promise.all(instanceDescs.map((d) => fetchManifest(source, d, signal)));
      topToWrite = selection.index;
      rewrittenFrom = selection.rewrittenFrom;
      if (rewrittenFrom) {
        onEvent({ type: 'index-rewritten', sourceDigest: rewrittenFrom, digest: selection.index.digest, kept: instanceDescs.length, of: top.parsed.manifest.manifests.length });
      }
    }
  } else {
    images = [top];
    topToWrite = { bytes: top.bytes, digest: top.digest, mediaType: top.parsed.mediaType };
  }
  const blobs = new Map<string, Descriptor>();
  for (const image of images) {
    if (image.parsed.kind === 'image') for (const d of blobsOf(image.parsed.manifest)) blobs.set(d.digest, d);
    // An instance that is itself an index (nested) is copied as a manifest; its children are not followed.
  }
  return { top, images, topToWrite, instanceDescs, picked, rewrittenFrom, blobs };
}

/**
 * The bytes of every blob a copy of `from` would read (each blob once), from
 * its manifests alone: what a scheduler needs to start the biggest images
 * first. Reads only manifests; writes nothing.
 */
export async function weighImage(from: ImageReference, to: ImageReference, options: Omit<CopyOptions, 'dryRun' | 'onEvent' | 'coordinator'> = {}): Promise<number> {
  const source = await from.newSource(options.sourceContext ?? {});
  try {
    const destination = await to.newDestination(options.destinationContext ?? {});
    try {
      const { blobs } = await resolveCopy(source, destination, from, options, () => {});
      let bytes = 0;
      for (const d of blobs.values()) bytes += d.size;
      return bytes;
    } finally {
      await destination.close();
    }
  } finally {
    await source.close();
  }
}

async function runCopy(
  source: ImageSource,
  destination: ImageDestination,
  from: ImageReference,
  to: ImageReference,
  options: CopyOptions,
  onEvent: (e: CopyEvent) => void,
): Promise<CopyResult> {
  const signal = options.signal;
  const { top, images, topToWrite, instanceDescs, picked, rewrittenFrom, blobs } = await resolveCopy(source, destination, from, options, onEvent);
  onEvent({
    type: 'resolved',
    image: from.toString(),
    digest: top.digest,
    mediaType: top.parsed.mediaType,
    platforms: instanceDescs.flatMap((d) => (d.platform ? [d.platform] : [])),
  });
  // Signatures and policy: after the source is resolved, before the first write (also for a dry run).
  await options.policy?.check({ image: from, digest: top.digest, context: options.sourceContext ?? {}, signal });

  const conversion = planConversion(
    formatOf(topToWrite.mediaType),
    { manifestFormats: destination.manifestFormats, desiredLayerCompression: destination.desiredLayerCompression ?? (isRegistryLocated(destination) ? 'compress' : 'preserve') },
    options,
    to.toString(),
  );
  if (conversion.notice) onEvent({ type: 'notice', message: conversion.notice });
  // Layers to (de)compress, by source digest (a layer shared by instances is done once).
  const transforms = new Map<string, LayerTransform>();
  for (const image of images) {
    if (image.parsed.kind !== 'image') continue;
    for (const layer of image.parsed.manifest.layers) {
      const t = planLayerTransform(layer, conversion.layers);
      if (t) transforms.set(layer.digest, t);
    }
  }

  const stats = emptyStats();
  stats.total = blobs.size;
  for (const d of blobs.values()) stats.bytesTotal += d.size;

  /** What the destination is written with: every manifest converted as planned (a dry run knows no compressed digests: layers as they are). */
  const written = (replacements: ReadonlyMap<string, LayerReplacement>) => {
    const instances = new Map<string, ManifestDoc>();
    for (const image of images) {
      const doc: ManifestDoc = { bytes: image.bytes, digest: image.digest, mediaType: image.parsed.mediaType };
      if (image.parsed.kind === 'image') instances.set(image.digest, convertImageDoc(doc, image.parsed.manifest, conversion.format, replacements));
      else if (conversion.format !== undefined && formatOf(doc.mediaType) !== conversion.format) {
        throw new TugError('UNSUPPORTED', `${from.toString()}: instance ${image.digest} is itself an index; nested indexes are not converted`, { hint: 'keep the format (--preserve-digests)' });
      } else instances.set(image.digest, doc);
    }
    let topDoc: ManifestDoc;
    if (picked || !isIndexType(topToWrite.mediaType)) topDoc = instances.get(images[0]!.digest)!;
    else {
      const parsed = parseManifest(topToWrite.bytes, topToWrite.mediaType, `index ${topToWrite.digest}`);
      topDoc = parsed.kind === 'index' ? convertIndexDoc(topToWrite, parsed.manifest, conversion.format, instances) : topToWrite;
    }
    return { instances, topDoc };
  };
  // Converting is pure: what cannot be converted is refused here, before anything is written.
  const preview = written(new Map());

  const result = (final: ManifestDoc): CopyResult => ({
    source: from.toString(),
    destination: to.toString(),
    sourceDigest: top.digest,
    digest: final.digest,
    mediaType: final.mediaType,
    instances: (picked ? [picked] : instanceDescs).map((d) => ({ digest: d.digest, platform: d.platform })),
    rewrittenFrom,
    convertedFrom: final.digest !== topToWrite.digest ? topToWrite.digest : undefined,
    blobs: stats,
    dryRun: options.dryRun === true,
  });

  if (options.dryRun) {
    // Report what would move: blobs the destination lacks.
    const missing: { digest: Digest; size: number }[] = [];
    const limit = pLimit(Math.max(1, options.concurrency ?? 6));
    const present = await Promise.all([...blobs.values()].map((desc) => limit(() => storedState(destination, desc, { signal }, options.verifyExisting))));
    for (const [i, desc] of [...blobs.values()].entries()) {
      if (present[i] === 'valid') stats.skipped += 1;
      else {
        stats.copied += 1;
        stats.bytesCopied += desc.size;
        missing.push({ digest: desc.digest, size: desc.size });
      }
    }
    return { ...result(preview.topDoc), missingBlobs: missing, blobStoreKey: destination.blobStoreKey };
  }

  const limit = pLimit(Math.max(1, options.concurrency ?? 6));
  const replacements = new Map<string, LayerReplacement>();
  const tmpDir = options.destinationContext?.tmpDir ?? options.sourceContext?.tmpDir;
  const outcomes = await Promise.all(
    [...blobs.values()].map((desc) =>
      limit(async (): Promise<[number, BlobOutcome]> => {
        const blobOptions = { signal, attempts: options.blobAttempts ?? 3, onEvent, coordinator: options.coordinator, verifyExisting: options.verifyExisting };
        const t = transforms.get(desc.digest);
        if (!t) return [desc.size, await copyBlob(source, destination, desc, blobOptions)];
        const { replacement, outcome } = await copyTransformedLayer(source, destination, desc, t, { ...blobOptions, tmpDir });
        replacements.set(desc.digest, replacement);
        return [replacement.size, outcome];
      }),
    ),
  );
  for (const [size, outcome] of outcomes) {
    stats[outcome] += 1;
    if (outcome === 'copied' || outcome === 'rewritten') stats.bytesCopied += size;
  }

  const { instances, topDoc } = written(replacements);
  // Instances before the index that names them; the top-level document last.
  if (instanceDescs.length > 0 || isIndexType(topToWrite.mediaType)) {
    for (const image of images) {
      const doc = instances.get(image.digest)!;
      const put = () => destination.putManifest(doc, { instance: true, signal });
      // Two tags of one image synced at once push the same instances into one
      // repository: serialise them, as for blobs (the registry races on links).
      const { coordinator } = options;
      const store = destination.blobStoreKey;
      if (coordinator && store) {
        const placement = isRegistryLocated(destination) ? destination.registryLocation.repository : to.toString();
        await coordinator.once(`manifest\u0001${store}\u0001${placement}`, doc.digest, async () => {
          await put();
          return undefined;
        });
      } else await put();
      onEvent({ type: 'manifest-written', digest: doc.digest, mediaType: doc.mediaType, instance: true });
    }
  }
  const converted = topDoc.digest !== topToWrite.digest;
  if (converted) onEvent({ type: 'converted', from: topToWrite.digest, to: topDoc.digest, mediaType: topDoc.mediaType, format: formatOf(topDoc.mediaType) });
  await destination.putManifest(topDoc, { instance: false, signal, convertedFrom: converted ? top.digest : options.originDigest });
  onEvent({ type: 'manifest-written', digest: topDoc.digest, mediaType: topDoc.mediaType, instance: false });
  await destination.commit();
  return result(topDoc);
}
