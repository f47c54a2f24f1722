/**
 * What travels with an image: cosign's tag-scheme artifacts (tags
 * `sha256-<hex>.sig`, `.att`, `.sbom` beside the image) and OCI 1.1
 * referrers (manifests whose `subject` is the image; distribution spec v1.1
 * "Listing Referrers", with the referrers tag schema where a store has no
 * API). Discovery ({@link findArtifacts}, {@link findSignatures}) is shared
 * with signature verification; {@link carryReferrers} is the engine's step
 * after an image is committed.
 *
 * Each artifact is copied with the engine's own `copyImage` by digest, so
 * its manifest and blobs are verified like any image's, and only after its
 * subject exists at the destination. Referrers of referrers (a signature of
 * an SBOM) follow, to {@link ReferrerFilter.maxDepth} levels, each digest once.
 */
import type { SystemContext } from '../context/system-context.ts';
import { TugError, withContext } from '../errors/index.ts';
import { type Descriptor, encodeManifest, parseManifest } from '../oci/manifest.ts';
import { MediaType } from '../oci/media-types.ts';
import { digestBytes, verifyBytes } from '../oci/verify.ts';
import { type Digest, referrersTag } from '../reference/digest.ts';
import { type ImageReference, type ReferrerStore, isDigestResolver, isReferrerStore, isTagLister } from '../transports/types.ts';
import type { CopyOptions, CopyResult } from './copy.ts';

/**
 * The artifactType cosign gives each of its kinds in OCI 1.1 mode
 * (`application/vnd.dev.cosign.artifact.<kind>.v1+json`); a tag-scheme
 * artifact is filtered by the type of its kind.
 */
export const COSIGN_ARTIFACT_TYPES = {
  sig: 'application/vnd.dev.cosign.artifact.sig.v1+json',
  att: 'application/vnd.dev.cosign.artifact.att.v1+json',
  sbom: 'application/vnd.dev.cosign.artifact.sbom.v1+json',
} as const;

/** What cosign 2.4+ / 3 writes as a signature referrer: a sigstore bundle. */
export const SIGSTORE_BUNDLE_TYPE = 'application/vnd.dev.sigstore.bundle.v0.3+json';

/** Short names `--referrers` accepts for whole artifact types. */
export const ARTIFACT_TYPE_ALIASES: Readonly<Record<string, readonly string[]>> = {
  sig: [COSIGN_ARTIFACT_TYPES.sig, SIGSTORE_BUNDLE_TYPE],
  att: [COSIGN_ARTIFACT_TYPES.att, 'application/vnd.in-toto+json'],
  sbom: [COSIGN_ARTIFACT_TYPES.sbom, 'application/spdx+json', 'application/vnd.cyclonedx+json'],
};

/** True for the types of signatures: what `--remove-signatures` leaves behind and verification reads. */
export function isSignatureType(artifactType: string): boolean {
  return ARTIFACT_TYPE_ALIASES.sig!.includes(artifactType);
}

/** One manifest that travels with a subject image. */
export interface Artifact {
  /** `cosign-tag`: found by its tag `sha256-<hex>.<kind>`; `referrer`: its `subject` is the image. */
  scheme: 'cosign-tag' | 'referrer';
  /** The listed artifactType; for a cosign tag, the type of its kind ({@link COSIGN_ARTIFACT_TYPES}). */
  artifactType: string;
  /** The digest of the image it belongs to. */
  subject: Digest;
  /** Its manifest's digest as the store reports it (unverified until read). */
  digest: Digest;
  /** The cosign tag (`sha256-<hex>.sig`); undefined for a referrer. */
  tag?: string | undefined;
  /** A referrer's descriptor as listed (what the referrers tag schema index holds). */
  descriptor?: Descriptor | undefined;
  /** Its manifest, pinned by digest: open it with `newSource` to read it (the caller verifies, as the engine does). */
  reference: ImageReference;
}

/** Options of {@link findArtifacts}. */
export interface FindOptions {
  signal?: AbortSignal | undefined;
  /** The repository's tag list when the caller already has it (sync's discovery); else it is listed once here. */
  tags?: ReadonlySet<string> | undefined;
}

/** cosign's tag for an artifact of `subject`: `sha256-<hex>.sig` (`.att`, `.sbom`). */
export function cosignTag(subject: Digest, kind: keyof typeof COSIGN_ARTIFACT_TYPES): string {
  return `${referrersTag(subject)}.${kind}`;
}

async function resolveDigestOf(ref: ImageReference, ctx: SystemContext, signal: AbortSignal | undefined): Promise<Digest | undefined> {
  if (isDigestResolver(ref)) return (await ref.resolveDigest(ctx, { signal }))?.digest;
  const source = await ref.newSource(ctx);
  try {
    const raw = await source.getManifest(undefined, { signal });
    return raw.claimedDigest ?? digestBytes(raw.bytes);
  } catch (err) {
    if (err instanceof TugError && err.code === 'NOT_FOUND') return undefined;
    throw err;
  } finally {
    await source.close();
  }
}

/**
 * The repository's tags, as a set; undefined when the store cannot list
 * them, or refuses to (some registries deny `tags/list` to readers who may
 * pull): lookups then ask for each artifact tag by name instead.
 */
export async function tagSet(ref: ImageReference, ctx: SystemContext, signal: AbortSignal | undefined): Promise<ReadonlySet<string> | undefined> {
  if (!isTagLister(ref)) return undefined;
  return tagSetFrom(() => ref.listTags(ctx, { signal }));
}

/** {@link tagSet} of a listing the caller makes (and may share): a failure read the same way. */
export async function tagSetFrom(list: () => Promise<readonly string[]>): Promise<ReadonlySet<string> | undefined> {
  try {
    return new Set(await list());
  } catch (err) {
    // A repository that does not exist yet (a first copy) has no tags.
    if (err instanceof TugError && err.code === 'NOT_FOUND') return new Set();
    if (err instanceof TugError && (err.code === 'AUTH' || err.code === 'UNSUPPORTED')) return undefined;
    throw err;
  }
}

/**
 * Every artifact of `subject` in the repository `ref` names: cosign's
 * `.sig`/`.att`/`.sbom` tags (from the tag list, one HEAD each that exists)
 * and the referrers (the API, else the referrers tag schema). Empty for a
 * transport that keeps none (dir:, oci:, archives). Unverified: whoever
 * reads an artifact checks its bytes against `digest`.
 *
 * Cost on a registry: the tag list (unless `options.tags`), one referrers
 * GET (none once the registry has shown it lacks the API), one HEAD per
 * cosign tag present and one GET of the fallback tag when it exists.
 */
export async function findArtifacts(ref: ImageReference, ctx: SystemContext, subject: Digest, options: FindOptions = {}): Promise<Artifact[]> {
  if (!isReferrerStore(ref)) return [];
  const signal = options.signal;
  const tags = options.tags ?? (await tagSet(ref, ctx, signal));
  const out: Artifact[] = [];
  const seen = new Set<Digest>();
  for (const kind of ['sig', 'att', 'sbom'] as const) {
    const tag = cosignTag(subject, kind);
    if (tags && !tags.has(tag)) continue;
    const digest = await resolveDigestOf(ref.sibling({ tag }), ctx, signal);
    if (!digest) continue;
    seen.add(digest);
    out.push({ scheme: 'cosign-tag', artifactType: COSIGN_ARTIFACT_TYPES[kind], subject, digest, tag, reference: ref.sibling({ digest }) });
  }
  const listing = await ref.listReferrers(ctx, subject, { signal, tags });
  for (const d of listing.descriptors) {
    if (seen.has(d.digest)) continue;
    seen.add(d.digest);
    out.push({ scheme: 'referrer', artifactType: d.artifactType ?? d.mediaType, subject, digest: d.digest, descriptor: d, reference: ref.sibling({ digest: d.digest }) });
  }
  return out;
}

/**
 * The signatures of `subject` (cosign `.sig` tags, cosign and sigstore
 * bundle referrers): {@link findArtifacts} narrowed by {@link isSignatureType}.
 * For verification, which reads each with `artifact.reference.newSource(ctx)`.
 */
export async function findSignatures(ref: ImageReference, ctx: SystemContext, subject: Digest, options: FindOptions = {}): Promise<Artifact[]> {
  return (await findArtifacts(ref, ctx, subject, options)).filter((a) => isSignatureType(a.artifactType));
}

/** Which artifacts travel (`CopyOptions.referrers`); every field optional. */
export interface ReferrerFilter {
  /** Only artifacts of these types (after alias expansion, see {@link ARTIFACT_TYPE_ALIASES}); undefined = every type. */
  artifactTypes?: readonly string[] | undefined;
  /** skopeo's `--remove-signatures`: carry no signatures; other artifacts still travel. */
  removeSignatures?: boolean | undefined;
  /** Levels of artifacts of artifacts followed (default 3; 1 = only the image's own). */
  maxDepth?: number | undefined;
}

/** True when `artifactType` passes the filter. */
export function wanted(filter: ReferrerFilter, artifactType: string): boolean {
  if (filter.removeSignatures && isSignatureType(artifactType)) return false;
  return filter.artifactTypes === undefined || filter.artifactTypes.includes(artifactType);
}

/** What {@link carryReferrers} did, on `CopyResult.referrers`. */
export interface ReferrersOutcome {
  /** Artifacts now at the destination: `copied` by this run, or already `present`. */
  carried: { subject: Digest; digest: Digest; artifactType: string; tag?: string | undefined; outcome: 'copied' | 'present' }[];
  /** Set when wanted artifacts were left behind (the destination cannot hold them, or holds another digest): one line, also sent as a notice. */
  notCarried?: string | undefined;
}

/** The engine's copy of one image, passed in so this module needs no import of copy.ts's code. */
export type CopyFn = (from: ImageReference, to: ImageReference, options: CopyOptions) => Promise<CopyResult>;

/**
 * The subjects a copy wrote unchanged: its top level when byte-identical,
 * and every instance (none when it converted the image: every digest changed).
 */
function subjectsOf(copied: CopyResult): { kept: Digest[]; lost: Digest | undefined } {
  const kept = new Set<Digest>();
  if (copied.convertedFrom) return { kept: [], lost: copied.sourceDigest };
  const asIs = copied.digest === copied.sourceDigest && !copied.rewrittenFrom;
  if (asIs) kept.add(copied.sourceDigest);
  for (const i of copied.instances) kept.add(i.digest);
  return { kept: [...kept], lost: asIs ? undefined : copied.sourceDigest };
}

function describe(artifacts: readonly Artifact[]): string {
  const n = artifacts.length;
  return `${n} signature${n === 1 ? '' : 's'}/referrer${n === 1 ? '' : 's'} (${[...new Set(artifacts.map((a) => a.artifactType))].join(', ')})`;
}

interface Walk {
  from: ReferrerStore & ImageReference;
  to: ReferrerStore & ImageReference;
  sctx: SystemContext;
  dctx: SystemContext;
  filter: ReferrerFilter;
  options: CopyOptions;
  copy: CopyFn | undefined;
  sourceTags: ReadonlySet<string> | undefined;
  /** The destination repository's tags, listed on first need (only when the source has artifacts). */
  destTags: () => Promise<ReadonlySet<string> | undefined>;
  destIndexes?: Promise<boolean>;
  visited: Set<Digest>;
  outcome: ReferrersOutcome;
}

/** The options that would change an artifact's bytes, unset: a signature or SBOM is copied as it is, or not at all. */
const PRESERVE: Partial<CopyOptions> = {
  format: undefined,
  preserveDigests: true,
  layerCompression: undefined,
  compressionFormat: undefined,
  compressionLevel: undefined,
  originDigest: undefined,
  policy: undefined,
};

/**
 * The descriptor a referrers index lists for a manifest, from its verified
 * bytes, not from what the source listed (a listing may lie about size or
 * type): media type, size, `artifactType` (else the config's media type, as
 * the spec says) and annotations. A registry client reads it from the cache
 * the copy just filled.
 */
async function descriptorOf(ref: ImageReference, ctx: SystemContext, digest: Digest, signal: AbortSignal | undefined): Promise<Descriptor> {
  const source = await ref.newSource(ctx);
  try {
    const raw = await source.getManifest(digest, { signal });
    verifyBytes(raw.bytes, digest, `referrer ${digest}`);
    const parsed = parseManifest(raw.bytes, raw.mediaType, `referrer ${digest}`);
    if (parsed.kind === 'schema1') throw new TugError('UNSUPPORTED', `referrer ${digest} is a schema 1 manifest`);
    const m = parsed.manifest;
    const artifactType = m.artifactType ?? (parsed.kind === 'image' ? parsed.manifest.config.mediaType : undefined);
    return { mediaType: parsed.mediaType, digest, size: raw.bytes.byteLength, ...(artifactType ? { artifactType } : {}), ...(m.annotations ? { annotations: m.annotations } : {}) };
  } finally {
    await source.close();
  }
}

/** `fn`, called at most once. */
function once<T>(fn: () => Promise<T>): () => Promise<T> {
  let p: Promise<T> | undefined;
  return () => (p ??= fn());
}

function label(a: Artifact): string {
  return a.tag ? `${a.artifactType} ${a.tag} (${a.digest})` : `referrer ${a.digest} (${a.artifactType})`;
}

/**
 * Carries the wanted artifacts of `subject` and of theirs; with no `copy`
 * function, only checks: returns false at the first one missing.
 */
async function walk(w: Walk, subject: Digest, depth: number): Promise<boolean> {
  const signal = w.options.signal;
  const artifacts = (await findArtifacts(w.from, w.sctx, subject, { signal, tags: w.sourceTags })).filter((a) => wanted(w.filter, a.artifactType) && !w.visited.has(a.digest));
  if (artifacts.length === 0) return true;
  for (const a of artifacts) w.visited.add(a.digest);
  const destTags = await w.destTags();
  const referrers = artifacts.filter((a) => a.scheme === 'referrer');
  const atDestination = referrers.length > 0 ? new Set((await w.to.listReferrers(w.dctx, subject, { signal, tags: destTags })).descriptors.map((d) => d.digest)) : new Set<Digest>();
  const added: Descriptor[] = [];
  for (const a of artifacts) {
    let present: boolean;
    if (a.tag) present = (destTags === undefined || destTags.has(a.tag)) && (await resolveDigestOf(w.to.sibling({ tag: a.tag }), w.dctx, signal)) === a.digest;
    else present = atDestination.has(a.digest);
    if (!present) {
      if (!w.copy) return false;
      try {
        await w.copy(w.from.sibling({ digest: a.digest }), w.to.sibling(a.tag ? { tag: a.tag } : { digest: a.digest }), {
          ...w.options,
          // Byte for byte: the subject's index and cosign's tags name these digests.
          ...PRESERVE,
          referrers: false,
          multiArch: 'all',
          platforms: undefined,
          sourceDigest: a.digest,
          dryRun: false,
          onEvent: undefined,
        });
      } catch (err) {
        throw withContext(err, `carrying the ${label(a)} of ${subject}`);
      }
      if (a.scheme === 'referrer') added.push(await descriptorOf(w.from.sibling({ digest: a.digest }), w.sctx, a.digest, signal));
    }
    w.outcome.carried.push({ subject, digest: a.digest, artifactType: a.artifactType, tag: a.tag, outcome: present ? 'present' : 'copied' });
    if (depth + 1 < (w.filter.maxDepth ?? 3) && !(await walk(w, a.digest, depth + 1))) return false;
  }
  if (added.length > 0) {
    w.destIndexes ??= w.to.indexesReferrers(w.dctx, { signal });
    if (!(await w.destIndexes)) await updateReferrersIndex(w, subject, added);
  }
  return true;
}

/**
 * The referrers tag schema's read-modify-write (distribution spec v1.1,
 * "Pushing Manifests with Subject"): the destination's index for `subject`
 * plus the `added` descriptors, written back under `<alg>-<hex>` once every
 * manifest it names is stored. Two writers racing may lose an entry; a
 * later sync puts it back (the referrer itself is stored either way).
 */
async function updateReferrersIndex(w: Walk, subject: Digest, added: readonly Descriptor[]): Promise<void> {
  const signal = w.options.signal;
  const current = (await w.to.listReferrers(w.dctx, subject, { signal })).descriptors;
  const have = new Set(current.map((d) => d.digest));
  const manifests = [...current, ...added.filter((d) => !have.has(d.digest))];
  if (manifests.length === current.length) return;
  const bytes = encodeManifest({ schemaVersion: 2, mediaType: MediaType.OciIndex, manifests });
  const index = w.to.referrersIndex(subject);
  const destination = await index.newDestination(w.dctx);
  try {
    await destination.putManifest({ bytes, mediaType: MediaType.OciIndex, digest: digestBytes(bytes) }, { instance: false, signal });
    await destination.commit();
  } catch (err) {
    throw withContext(err, `updating the referrers index ${index.toString()}`);
  } finally {
    await destination.close();
  }
}

/**
 * After `copied` was committed: carries the wanted artifacts of every
 * subject it wrote unchanged (the top level when byte-identical, each
 * instance), and says once what stays behind: the artifacts of a top level
 * the copy changed (one platform of an index, a filtered index), or all of
 * them when the destination keeps none (dir:, oci:, archives). That
 * notice goes to `dctx.onEvent`. A failed artifact copy throws, naming it.
 * Returns undefined when the source keeps no artifacts.
 */
export async function carryReferrers(
  copy: CopyFn,
  from: ImageReference,
  to: ImageReference,
  copied: CopyResult,
  options: CopyOptions & { sourceContext: SystemContext; destinationContext: SystemContext },
): Promise<ReferrersOutcome | undefined> {
  const filter = options.referrers;
  if (filter === false || options.dryRun || !isReferrerStore(from)) return undefined;
  const sctx = options.sourceContext;
  const dctx = options.destinationContext;
  const signal = options.signal;
  const outcome: ReferrersOutcome = { carried: [] };
  const sourceTags = options.sourceTags ? await options.sourceTags() : await tagSet(from, sctx, signal);
  const { kept, lost } = subjectsOf(copied);
  const left: Artifact[] = [];
  if (lost) left.push(...(await findArtifacts(from, sctx, lost, { signal, tags: sourceTags })).filter((a) => wanted(filter ?? {}, a.artifactType)));
  if (!isReferrerStore(to)) {
    for (const subject of kept) left.push(...(await findArtifacts(from, sctx, subject, { signal, tags: sourceTags })).filter((a) => wanted(filter ?? {}, a.artifactType)));
    if (left.length > 0) outcome.notCarried = `${describe(left)} of ${from.toString()} not carried: ${to.transport.name}: keeps no referrers (copy to a registry or registry-dir: to keep them)`;
  } else {
    const w: Walk = { from, to, sctx, dctx, filter: filter ?? {}, options, copy, sourceTags, destTags: once(() => tagSet(to, dctx, signal)), visited: new Set(), outcome };
    for (const subject of kept) await walk(w, subject, 0);
    const why = copied.convertedFrom ? 'the image was converted (--preserve-digests keeps them)' : 'the copy kept part of the index (copy with --all to keep them)';
    if (left.length > 0) outcome.notCarried = `${describe(left)} of ${lost} not carried: the destination holds ${copied.digest}, a new digest: ${why}`;
  }
  if (outcome.notCarried) dctx.onEvent?.({ type: 'notice', message: outcome.notCarried });
  return outcome.carried.length > 0 || outcome.notCarried ? outcome : undefined;
}

/**
 * Sync's no-op check: true when every wanted artifact of `subject` at
 * `from` (and theirs, to the filter's depth) is at `to` with the same
 * digest. Costs nothing per image on a registry without the referrers API
 * when the source has no artifacts (the tag lists tell), else one
 * referrers GET at the source; each artifact present costs one HEAD per side.
 */
export async function referrersInSync(
  from: ImageReference,
  to: ImageReference,
  subject: Digest,
  options: {
    sourceContext: SystemContext;
    destinationContext: SystemContext;
    filter?: ReferrerFilter | undefined;
    /** The source repository's tags, when the caller has them. */
    sourceTags?: ReadonlySet<string> | undefined;
    /** Lists the destination repository's tags (called only when the source has artifacts; a sync shares one list per repository). */
    destTags?: (() => Promise<ReadonlySet<string> | undefined>) | undefined;
    /**
     * Compare every artifact by digest, on both sides, to every depth (sync's
     * `--verify-existing`). Default false: artifacts found by tag are judged
     * by name, as blobs are (see {@link artifactsPresentByName}).
     */
    exact?: boolean | undefined;
    signal?: AbortSignal | undefined;
  },
): Promise<boolean> {
  if (!isReferrerStore(from) || !isReferrerStore(to)) return true;
  const sourceTags = options.sourceTags ?? (await tagSet(from, options.sourceContext, options.signal));
  const destTags = options.destTags ?? once(() => tagSet(to, options.destinationContext, options.signal));
  if (!options.exact) {
    const byName = await artifactsPresentByName(from, to, subject, { ...options, sourceTags, destTags });
    if (byName !== undefined) return byName;
  }
  const w: Walk = {
    from,
    to,
    sctx: options.sourceContext,
    dctx: options.destinationContext,
    filter: options.filter ?? {},
    options: { signal: options.signal },
    copy: undefined,
    sourceTags,
    destTags,
    visited: new Set(),
    outcome: { carried: [] },
  };
  return walk(w, subject, 0);
}

/**
 * The no-op sync's cheap answer, from the two repositories' tag lists alone
 * (each read once per repository and shared by its images): every wanted
 * cosign tag of `subject` and its referrers tag schema index that the source
 * lists is listed at the destination too. This is how the issue's budget of
 * at most one request more per tag is kept: an artifact re-signed under the
 * same tag, a referrer added to an index already carried, or an artifact of
 * an artifact goes unnoticed until `--verify-existing` (or a new digest of
 * the image) compares them by digest, as a blob stored under its name is
 * trusted until then.
 *
 * Undefined where names cannot tell: a tag list is missing (the store
 * refused it) or the source has the referrers API, whose referrers have no
 * tags; the caller then compares by digest.
 */
async function artifactsPresentByName(
  from: ReferrerStore & ImageReference,
  to: ReferrerStore & ImageReference,
  subject: Digest,
  options: { sourceContext: SystemContext; filter?: ReferrerFilter | undefined; sourceTags: ReadonlySet<string> | undefined; destTags: () => Promise<ReadonlySet<string> | undefined>; signal?: AbortSignal | undefined },
): Promise<boolean | undefined> {
  const filter = options.filter ?? {};
  const { sourceTags } = options;
  if (sourceTags === undefined) return undefined;
  if (await from.indexesReferrers(options.sourceContext, { signal: options.signal })) return undefined;
  const names: string[] = [];
  for (const kind of ['sig', 'att', 'sbom'] as const) {
    const tag = cosignTag(subject, kind);
    if (sourceTags.has(tag) && wanted(filter, COSIGN_ARTIFACT_TYPES[kind])) names.push(tag);
  }
  // The fallback index holds referrers of any type: it travels unless the filter wants none of them,
  // which names alone cannot tell (a filtered sync compares by digest).
  const index = referrersTag(subject);
  if (sourceTags.has(index)) {
    if (filter.artifactTypes !== undefined || filter.removeSignatures) return undefined;
    names.push(index);
  }
  if (names.length === 0) return true;
  const destTags = await options.destTags();
  if (destTags === undefined) return undefined;
  return names.every((n) => destTags.has(n));
}
