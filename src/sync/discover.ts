/**
 * Discovery: the I/O half of planning. Lists tags where a filter needs them,
 * resolves source and destination digests (one HEAD each per tag where the
 * transport allows), and returns {@link Observation}s for the pure planner.
 */
import pLimit from 'p-limit';
import type { SystemContext } from '../context/system-context.ts';
import { SOURCE_DIGEST_ANNOTATION } from '../copy/select.ts';
import { type ErrorCode, TugError, errorCode, errorText } from '../errors/index.ts';
import { type ManifestDoc, convertImageDoc, convertIndexDoc } from '../copy/conversion.ts';
import { readTopLevel } from '../inspect/inspect.ts';
import { type ManifestFormat, formatOf } from '../oci/convert.ts';
import { type Descriptor, parseManifest } from '../oci/manifest.ts';
import { verifyBytes } from '../oci/verify.ts';
import { isIndexType } from '../oci/media-types.ts';
import { hostPlatform, parsePlatformList, platformMatches } from '../oci/platform.ts';
import { type Digest, isDigest } from '../reference/digest.ts';
import { joinTag, parseReference } from '../reference/reference.ts';
import { parseImageName } from '../transports/index.ts';
import { type ImageReference, type ResolvedDigest, type SyncTarget, isDigestResolver, isTagLister } from '../transports/types.ts';
import type { ReferrerFilter } from '../copy/referrers.ts';
import { eachBounded } from './each-bounded.ts';
import { needsListing, selectTags } from './filter.ts';
import { type TagLists, isArtifactTag, markMissingReferrers, prefetchSourceTagLists } from './referrers-check.ts';
import { type Observation, registryOf, sourceImageName } from './plan.ts';
import type { SyncSource, SyncSpec } from './spec.ts';
import { destinationRepository } from './targets.ts';

export interface DiscoverOptions {
  /** Where images go: a sync target (`syncTarget('docker')`, src/transports/index.ts) and its location, a registry prefix or a local store. */
  destination: { target: SyncTarget; location: string };
  scoped?: boolean | undefined;
  /** `all`, `system`, or a platform list string ("linux/amd64,linux/arm64"). */
  platforms: string;
  contextFor: (registry: string, side: 'source' | 'destination') => SystemContext;
  /** Concurrent discovery requests (default 16). */
  concurrency?: number | undefined;
  platformOverride?: { os?: string | undefined; arch?: string | undefined; variant?: string | undefined } | undefined;
  /**
   * Sync's `--format`: a destination holding the source converted to it is
   * up to date (its digest is computed from the source's manifests; see
   * {@link expectConverted}). Converted images in OCI layouts need no such
   * reading: index.json records their source digest.
   */
  format?: ManifestFormat | undefined;
  signal?: AbortSignal | undefined;
  /** What travels with images (CopyOptions.referrers); up-to-date images lacking some at the destination are marked (default: every artifact; `false`: none checked). */
  referrers?: ReferrerFilter | false | undefined;
  /**
   * skopeo sync's `--append-suffix`: appended to every destination tag a
   * source tag names (not to digests, nor to a Tugboat file's aliases, which
   * name their destination tag already). Checked by the CLI (tag characters).
   */
  tagSuffix?: string | undefined;
  /** Sync's `--verify-existing`: up-to-date images' artifacts are compared by digest, not by tag name (default false). */
  verifyExisting?: boolean | undefined;
}

/**
 * Repository path inside a local store: the source path without its registry,
 * `library/` dropped for Docker Hub images (what `docker pull HOST/nginx` asks
 * for); with --scoped, the full name. An image of a source directory
 * (`--src dir`) is named by its path there, read the same way, so a --scoped
 * tree's `registry.example.com/library/busybox` lands where syncing from that
 * registry would put it; with --scoped the path is kept as it is.
 */
function localRepository(source: SyncSource, scoped: boolean | undefined): string {
  if (source.image && scoped) return source.repository;
  let ref;
  try {
    ref = parseReference(source.repository, { defaultTag: false });
  } catch (err) {
    // A directory name that is no registry name: the destination refuses it, for this image only.
    if (source.image) return source.repository;
    throw err;
  }
  if (scoped) return `${ref.registry}/${ref.repository}`;
  return ref.registry === 'docker.io' && ref.repository.startsWith('library/') ? ref.repository.slice('library/'.length) : ref.repository;
}

function withoutHost(repository: string): string {
  const first = repository.split('/')[0] ?? '';
  const isHost = first.includes('.') || first.includes(':') || first === 'localhost';
  return isHost && repository.includes('/') ? repository.slice(first.length + 1) : repository;
}

/**
 * The repository a source goes to, as the target's scope wants it: with the
 * registry host for a registry, without for a local store. Throws USAGE when
 * the job names no destination for the source.
 */
function targetRepository(source: SyncSource, spec: SyncSpec, options: Pick<DiscoverOptions, 'destination' | 'scoped'>): string {
  const { target, location } = options.destination;
  if (target.syncScope === 'registry') return destinationRepository(source, spec.mappings, { prefix: location, scoped: options.scoped });
  const hasRule = source.destination !== undefined || spec.mappings.some((m) => source.repository === m.from || (m.from.endsWith('/*') && source.repository.startsWith(m.from.slice(0, -1))));
  // A local store has no registry host: a mapping to `registry.example.com/edge/*` names `edge/...` in it.
  return hasRule ? withoutHost(destinationRepository(source, spec.mappings, {})) : localRepository(source, options.scoped);
}

/** One image of the job: its observation and, unless naming it failed, its destination. */
export interface Enumerated {
  observation: Observation;
  destination?: ImageReference | undefined;
}

async function resolve(ref: ImageReference, ctx: SystemContext, signal: AbortSignal | undefined): Promise<ResolvedDigest | undefined> {
  if (isDigestResolver(ref)) return ref.resolveDigest(ctx, { signal });
  // Transports without a cheap lookup: read the manifest.
  let source;
  try {
    source = await ref.newSource(ctx);
  } catch (err) {
    if (err instanceof TugError && (err.code === 'NOT_FOUND' || err.code === 'IO')) return undefined;
    throw err;
  }
  try {
    const top = await readTopLevel(source, signal);
    return { digest: top.digest, mediaType: top.parsed.mediaType };
  } catch (err) {
    if (err instanceof TugError && err.code === 'NOT_FOUND') return undefined;
    throw err;
  } finally {
    await source.close();
  }
}

/**
 * Every (source, tag) and alias of the spec with its destination name, not
 * yet resolved. Talks to a source registry only where a tag filter needs its
 * tag list (explicit tags cost nothing), so `tug verify` of an image list
 * works offline from the sources.
 */
export async function enumerate(spec: SyncSpec, options: DiscoverOptions): Promise<Observation[]> {
  return (await enumerateImages(spec, options)).map((e) => e.observation);
}

/** {@link enumerate} with each image's destination reference, for {@link resolveImages}. */
export async function enumerateImages(spec: SyncSpec, options: DiscoverOptions): Promise<Enumerated[]> {
  const job = await enumerateJob(spec, options);
  return job.slice(0, job.count);
}

/**
 * A job's images, counted but built only when asked for: a sync run in
 * batches (src/sync/batches.ts) holds the tag lists, not an observation and
 * a reference per tag up front (issue 14 item 7).
 */
export interface EnumeratedJob {
  /** Images of the job (tags, aliases, and one per source that failed to list). */
  count: number;
  /**
   * True when no two images share a destination and none is an alias: the
   * planner then relates no images to each other, and batches of them plan
   * what the whole job would.
   */
  independent: boolean;
  /** The images from `start` to `end` (exclusive), in {@link enumerate}'s order, built anew on each call. */
  slice(start: number, end: number): Enumerated[];
}

export async function enumerateJob(spec: SyncSpec, options: DiscoverOptions): Promise<EnumeratedJob> {
  const limit = pLimit(options.concurrency ?? 16);
  const signal = options.signal;
  const platformsFor = (s: SyncSource) => (s.platforms ? s.platforms.join(',') : options.platforms);

  // 1. Tags per source (listing only when a filter needs it).
  const perSource = await Promise.all(
    spec.sources.map((source) =>
      limit(async (): Promise<{ source: SyncSource; tags: string[]; error?: string; errorCode?: ErrorCode | undefined }> => {
        try {
          let listed: string[] | undefined;
          if (needsListing(source.filter)) {
            const ref = parseImageName(sourceImageName({ source: source.repository }));
            if (!isTagLister(ref)) throw new TugError('UNSUPPORTED', `cannot list tags of ${source.repository}`);
            listed = await ref.listTags(options.contextFor(parseReference(source.repository).registry, 'source'), { signal });
            // Signatures and referrer indexes travel with their image, not as images of their own.
            if (options.referrers !== false) listed = listed.filter((t) => !isArtifactTag(t));
          }
          let created: Map<string, string> | undefined;
          if (source.filter.newest?.by === 'created') created = await creationTimes(source, listed ?? source.filter.tags ?? [], options);
          return { source, tags: selectTags(source.filter, { listed, created }) };
        } catch (err) {
          return { source, tags: [], error: errorText(err), errorCode: errorCode(err) };
        }
      }),
    ),
  );

  // 2. One observation per (source, tag) and per alias, built per slice.
  const { target, location } = options.destination;
  const build = (source: SyncSource, tag: string, observation: Omit<Observation, 'destination'>, suffix = ''): Enumerated => {
    const repository = targetRepository(source, spec, options); // no destination at all: the job's problem, thrown
    try {
      const destination = target.syncReference({ location, repository, tag: tag + suffix, scoped: options.scoped === true });
      return { observation: { ...observation, destination: destination.toString() }, destination };
    } catch (err) {
      // A name this target cannot hold: this image fails, the others go on.
      return { observation: { ...observation, destination: `(${joinTag(repository, tag)})`, error: errorText(err), errorCode: errorCode(err) } };
    }
  };
  const aliasesOf = (source: SyncSource) => Object.entries(source.aliases ?? {});
  const sizes = perSource.map(({ source, tags, error }) => (error ? 1 : tags.length + aliasesOf(source).length));
  /** Entries `from` to `to` (exclusive) of one source: its failure, its tags, then its aliases. */
  const entries = ({ source, tags, error, errorCode: code }: (typeof perSource)[number], from: number, to: number, out: Enumerated[]) => {
    const origin = `${source.origin.file}:${source.origin.line}`;
    if (error) {
      out.push({ observation: { source: source.repository, destination: `(${source.repository})`, error, errorCode: code, origin, platforms: platformsFor(source) } });
      return;
    }
    const aliases = to > tags.length ? aliasesOf(source) : [];
    for (let k = from; k < to; k++) {
      if (k < tags.length) {
        const tag = tags[k]!;
        const suffix = isDigest(tag) ? '' : (options.tagSuffix ?? '');
        out.push(build(source, tag, { source: source.image ?? joinTag(source.repository, tag), sourceName: source.image, origin, platforms: platformsFor(source) }, suffix));
      } else {
        const [alias, aliased] = aliases[k - tags.length]!;
        out.push(build(source, alias, { source: joinTag(source.repository, aliased), aliasOf: aliased, origin, platforms: platformsFor(source) }));
      }
    }
  };
  return {
    count: sizes.reduce((n, size) => n + size, 0),
    independent: independentSources(perSource, (source) => targetRepository(source, spec, options)),
    slice(start, end) {
      const out: Enumerated[] = [];
      let base = 0;
      for (const [i, listed] of perSource.entries()) {
        const size = sizes[i]!;
        if (base + size > start && base < end) entries(listed, Math.max(0, start - base), Math.min(size, end - base), out);
        base += size;
        if (base >= end) break;
      }
      return out;
    },
  };
}

/**
 * Whether a job's images are independent (see {@link EnumeratedJob.independent}),
 * decided per source rather than per image: no aliases, each source's tags
 * distinct, and no two sources going to one destination repository.
 */
function independentSources(perSource: readonly { source: SyncSource; tags: readonly string[]; error?: string }[], repositoryOf: (source: SyncSource) => string): boolean {
  const repositories = new Set<string>();
  for (const { source, tags, error } of perSource) {
    if (Object.keys(source.aliases ?? {}).length > 0) return false;
    const key = error ? `(${source.repository})` : repositoryOf(source);
    if (repositories.has(key)) return false;
    repositories.add(key);
    if (new Set(tags).size !== tags.length) return false;
  }
  return true;
}

/**
 * Resolves every image of the spec. Never throws for one image's trouble:
 * the observation carries the error and the planner marks it failed.
 */
export async function discover(spec: SyncSpec, options: DiscoverOptions): Promise<Observation[]> {
  return resolveImages(await enumerateImages(spec, options), options);
}

/**
 * The resolving half of {@link discover}, for some of a job's images (a
 * batch: src/sync/batches.ts). `tagLists`, shared by a job's calls, reads
 * each repository's tag list once for all of them.
 */
export async function resolveImages(images: readonly Enumerated[], options: DiscoverOptions, shared?: { tagLists: TagLists }): Promise<Observation[]> {
  const signal = options.signal;
  const tagLists = options.referrers !== false ? prefetchSourceTagLists(images, { contextFor: options.contextFor, signal }, shared?.tagLists) : undefined;

  // 3. Resolve both sides. The source of several observations (aliases) is resolved once.
  const sourceCache = new Map<string, Promise<{ digest: Digest; mediaType: string | undefined } | undefined>>();
  // One string per distinct digest and media type, not one per tag and side: every answer
  // is parsed into a new string, and 10,000 tags of a few images are 10,000 copies of each.
  const strings = new Map<string, string>();
  const intern = <S extends string | undefined>(x: S): S => {
    if (x === undefined) return x;
    const known = strings.get(x);
    if (known !== undefined) return known as S;
    strings.set(x, x);
    return x;
  };
  await eachBounded(images, options.concurrency ?? 16, async ({ observation: o, destination }) => {
    if (o.error || !destination) return;
    try {
      const name = sourceImageName(o);
      let pending = sourceCache.get(name);
      if (!pending) {
        pending = resolve(parseImageName(name), options.contextFor(registryOf(name), 'source'), signal);
        sourceCache.set(name, pending);
      }
      const [src, dst] = await Promise.all([pending, resolve(destination, options.contextFor(registryOf(o.destination), 'destination'), signal)]);
      if (!src) {
        o.error = `${o.source} not found at the source`;
        o.errorCode = 'NOT_FOUND';
        return;
      }
      o.sourceDigest = intern(src.digest);
      o.sourceMediaType = intern(src.mediaType);
      o.destinationDigest = intern(dst?.digest);
      // A converted image (Docker-typed source into an OCI layout) has another digest, and its source's beside it.
      if (dst?.convertedFrom !== undefined) o.destinationRecordedSource = dst.convertedFrom;
      if (dst && dst.digest !== src.digest && o.destinationRecordedSource !== src.digest) {
        if (options.format !== undefined && formatOf(src.mediaType ?? '') !== options.format) await expectConverted(o, options.format, options);
        else if (isIndexType(src.mediaType)) await refineExpectation(o, options);
      }
    } catch (err) {
      o.error = errorText(err);
      o.errorCode = errorCode(err);
    }
  });
  if (options.referrers !== false) await markMissingReferrers(images, { filter: options.referrers ?? {}, exact: options.verifyExisting, tagLists, contextFor: options.contextFor, concurrency: options.concurrency, signal });
  return images.map((e) => e.observation);
}

/**
 * The digest the destination holds once the source is converted to `format`:
 * conversion keeps config and layer bytes, so it is a pure function of the
 * source's manifests, read here (the top-level one, and each instance the
 * copy converts). Sets `expectedDigest`; leaves it unset where the copy
 * would change more than the format (a platform filter) or refuse to
 * convert, so the image is copied and the copy says why.
 */
async function expectConverted(o: Observation, format: ManifestFormat, options: DiscoverOptions): Promise<void> {
  const { signal } = options;
  const name = sourceImageName(o);
  const source = await parseImageName(name).newSource(options.contextFor(registryOf(name), 'source'));
  const converted = async (d: Descriptor): Promise<ManifestDoc> => {
    const raw = await source.getManifest(d.digest, { signal });
    const what = `manifest ${d.digest}`;
    verifyBytes(raw.bytes, d.digest, what, d.size);
    const parsed = parseManifest(raw.bytes, raw.mediaType ?? d.mediaType, what);
    if (parsed.kind !== 'image') throw new TugError('UNSUPPORTED', `${what} is not an image manifest`);
    return convertImageDoc({ bytes: raw.bytes, digest: d.digest, mediaType: parsed.mediaType }, parsed.manifest, format, new Map());
  };
  try {
    const top = await readTopLevel(source, signal);
    const doc = { bytes: top.bytes, digest: top.digest, mediaType: top.parsed.mediaType };
    if (top.parsed.kind === 'image') o.expectedDigest = convertImageDoc(doc, top.parsed.manifest, format, new Map()).digest;
    else if (top.parsed.kind === 'index' && o.platforms === 'all') {
      const instances = new Map(await Promise.all(top.parsed.manifest.manifests.map(async (d) => [d.digest, await converted(d)] as const)));
      o.expectedDigest = convertIndexDoc(doc, top.parsed.manifest, format, instances).digest;
    } else if (top.parsed.kind === 'index' && o.platforms === 'system') {
      const wanted = hostPlatform(options.platformOverride);
      const match = top.parsed.manifest.manifests.find((d) => platformMatches(wanted, d.platform));
      if (match) o.expectedDigest = (await converted(match)).digest;
    }
  } catch (err) {
    // What cannot be converted is copied, and the copy refuses it with the reason.
    if (!(err instanceof TugError && (err.code === 'UNSUPPORTED' || err.code === 'USAGE'))) throw err;
  } finally {
    await source.close();
  }
}

/**
 * The destination differs from the source index: that is still "synced" when
 * we copied one platform (`system`) or filtered platforms. Reads the one
 * document needed to tell (the source index, or the destination's filtered
 * index with its recorded source digest).
 */
async function refineExpectation(o: Observation, options: DiscoverOptions): Promise<void> {
  const signal = options.signal;
  if (o.platforms === 'system') {
    const name = sourceImageName(o);
    const source = await parseImageName(name).newSource(options.contextFor(registryOf(name), 'source'));
    try {
      const top = await readTopLevel(source, signal);
      if (top.parsed.kind === 'index') {
        const wanted = hostPlatform(options.platformOverride);
        o.expectedDigest = top.parsed.manifest.manifests.find((d) => platformMatches(wanted, d.platform))?.digest;
      }
    } finally {
      await source.close();
    }
    return;
  }
  if (o.platforms !== 'all') {
    parsePlatformList(o.platforms); // validated early: a bad list is a usage error
    const dest = await parseImageName(o.destination).newSource(options.contextFor(registryOf(o.destination), 'destination'));
    try {
      const top = await readTopLevel(dest, signal);
      if (top.parsed.kind === 'index') {
        const recorded = top.parsed.manifest.annotations?.[SOURCE_DIGEST_ANNOTATION];
        if (recorded) o.destinationRecordedSource = recorded as Digest;
      }
    } finally {
      await dest.close();
    }
  }
}

/** Creation times of candidate tags (for `newest: {by: created}`): one manifest and config read per tag. */
async function creationTimes(source: SyncSource, tags: string[], options: DiscoverOptions): Promise<Map<string, string>> {
  const { readConfig, resolveImage } = await import('../inspect/inspect.ts');
  const out = new Map<string, string>();
  const limit = pLimit(8);
  await Promise.all(
    tags.map((tag) =>
      limit(async () => {
        const src = await parseImageName(sourceImageName({ source: joinTag(source.repository, tag) })).newSource(options.contextFor(parseReference(source.repository).registry, 'source'));
        try {
          const top = await readTopLevel(src, options.signal);
          const image = await resolveImage(src, top, hostPlatform(options.platformOverride), options.signal);
          const { config } = await readConfig(src, image.manifest, options.signal);
          if (config.created) out.set(tag, config.created);
        } catch {
          // A tag whose creation time cannot be read is not among the newest.
        } finally {
          await src.close();
        }
      }),
    ),
  );
  return out;
}
