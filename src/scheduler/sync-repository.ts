/**
 * What one sync of a Repository does with the engine: resolve the tag at its
 * registry, describe what it points at (every platform of an index, the
 * default platform in the contract's `status.manifest` shape (docs/contract.md)), and, with
 * `spec.mirror`, copy the image into the mirror registry as `spec.importMode`
 * and `spec.platforms` say (import-mode.ts; the engine skips blobs the mirror
 * already has, so only changed layers move). With `spec.tags`, every
 * other followed tag (followed-tags.ts) is then synced the same way, to the
 * mirror under its own name, each failing alone (followed() below).
 *
 * Silent: progress goes to `log`, the result is returned; the scheduler
 * records it (status, SyncRun, log lines).
 */
import pLimit from 'p-limit';
import { humanSize } from '../api/bytes.ts';
import { type LayerInfo, MAX_FOLLOWED_TAGS, type ManifestInfo, type Repository, type RepositorySignatureStatus, type RepositoryStatus, type RepositoryTagStatus, type RunLogLine, type SyncRunTag } from '../api/types.ts';
import { copyImage } from '../copy/copy.ts';
import { tagSetFrom } from '../copy/referrers.ts';
import { TugError, errorText } from '../errors/index.ts';
import { parsePublicKey } from '../signature/cosign.ts';
import { verifyImageSignature } from '../signature/image-policy.ts';
import type { Digest } from '../reference/digest.ts';
import { type ResolvedImage, readConfig, readInstance, readTopLevel, resolveImage } from '../inspect/inspect.ts';
import type { Descriptor } from '../oci/manifest.ts';
import { hostPlatform } from '../oci/platform.ts';
import { type MirrorSelection, mirrorSelection } from './import-mode.ts';
import { compareTags, followedTags, needsTagList, tagsToDate } from './followed-tags.ts';
import type { RegistryAccess } from '../registry-access/registry-access.ts';
import { isFinalFailure } from './retry-policy.ts';
import { parseImageName } from '../transports/index.ts';
import { type ImageReference, type ImageSource, isTagLister } from '../transports/types.ts';

export interface SyncInput {
  repository: Repository;
  /** The source registry (spec.registryRef). */
  source: RegistryAccess;
  /** Where spec.mirror copies to, when set. */
  mirror?: { access: RegistryAccess; repository: string; tag: string } | undefined;
  /** The status before this sync (for the layer diff and to skip re-reading an unchanged tag). */
  previous: RepositoryStatus | undefined;
  signal: AbortSignal;
  log: (level: RunLogLine['level'], message: string) => void;
}

export interface SyncOutput {
  /** The status fields this sync determined (syncStatus and times are the scheduler's). */
  status: Pick<RepositoryStatus, 'domain' | 'observedDigest' | 'mediaType' | 'manifest' | 'platforms' | 'mirror' | 'signature'>;
  digestBefore: string | undefined;
  digestAfter: string;
  /** Bytes copied into the mirror (0 without one). */
  bytesMoved: number;
  layersAdded: string[];
  layersRemoved: string[];
  /** With spec.tags: the other followed tags (absent without spec.tags). */
  followed?: FollowedOutcome;
}

/** What following spec.tags gave: status fields, the run's per-tag lines, and the tags that failed. */
export interface FollowedOutcome {
  status: Required<Pick<RepositoryStatus, 'tags' | 'tagsStorage'>> & Pick<RepositoryStatus, 'tagsOmitted'>;
  /** spec.tag's line included. */
  runTags: SyncRunTag[];
  /** The tags that failed; `final`: another attempt cannot mend it (retry-policy.ts). */
  failures: { tag: string; error: string; final: boolean }[];
  /** Why the source's tag list (which the filters need) could not be read: only spec.tag and the list were synced. */
  listingError?: string;
  /** Bytes copied into the mirror for the other tags. */
  bytesMoved: number;
}

// ManifestInfo.size is written as the contract shows it (`142MB`).
export { humanSize };

/** The image reference (`docker://host/repo:tag`) of a Repository at its registry. */
export function sourceImage(host: string, repository: string, tag: string): string {
  return `docker://${host}/${repository}:${tag}`;
}

/** Index entries that are not runnable images (BuildKit attestations, unknown/unknown). */
function isAttestation(d: Descriptor): boolean {
  return d.annotations?.['vnd.docker.reference.type'] === 'attestation-manifest' || (d.platform?.os === 'unknown' && d.platform.architecture === 'unknown');
}

async function describe(source: ImageSource, image: ResolvedImage, signal: AbortSignal): Promise<ManifestInfo> {
  const { config } = await readConfig(source, image.manifest, signal);
  const layers: LayerInfo[] = image.manifest.layers.map((l) => ({ digest: l.digest, size: String(l.size), mediaType: l.mediaType }));
  const sizeBytes = image.manifest.config.size + image.manifest.layers.reduce((n, l) => n + l.size, 0);
  const variant = config.variant ?? image.platform?.variant;
  return {
    digest: image.digest,
    mediaType: image.mediaType,
    architecture: config.architecture ?? image.platform?.architecture,
    os: config.os ?? image.platform?.os,
    ...(variant ? { variant } : {}),
    size: humanSize(sizeBytes),
    sizeBytes,
    ...(config.created ? { created: config.created } : {}),
    config: { digest: image.manifest.config.digest, size: image.manifest.config.size },
    layers,
  };
}

/** linux/amd64 when the image has it (the contract's default), else the first platform. */
export function defaultPlatform(platforms: ManifestInfo[]): ManifestInfo | undefined {
  return platforms.find((p) => p.os === 'linux' && p.architecture === 'amd64') ?? platforms[0];
}

function layerSet(status: Pick<RepositoryStatus, 'manifest' | 'platforms'> | undefined): Set<string> {
  const out = new Set<string>();
  for (const p of status?.platforms ?? (status?.manifest ? [status.manifest] : [])) for (const l of p.layers) out.add(l.digest);
  return out;
}

/**
 * Checks the cosign signature of `digest` with spec.signature's keys (any
 * one suffices; the payload must name the digest). Without spec.signature:
 * `not-checked`. With `require`, anything but `verified` throws POLICY
 * naming the image and why, before anything is copied.
 */
async function checkSignature(repository: Repository, ref: ImageReference, digest: Digest, input: SyncInput): Promise<RepositorySignatureStatus> {
  const spec = repository.spec.signature;
  const checkedAt = new Date().toISOString();
  if (!spec) return { signed: 'not-checked', digest, checkedAt };
  const keys = spec.publicKeys.map((pem, i) => parsePublicKey(pem, `spec.signature.publicKeys[${i}]`));
  const verdict = await verifyImageSignature(ref, digest, keys, input.source.ctx, { signal: input.signal });
  let result: RepositorySignatureStatus;
  if (verdict.status === 'verified') {
    result = { signed: 'verified', digest, key: keys.findIndex((k) => k.name === verdict.key), checkedAt };
    input.log('info', `signature: verified with ${verdict.key} (${verdict.where})`);
  } else {
    const message = verdict.status === 'unsigned' ? 'no cosign signature found' : verdict.reason;
    result = { signed: verdict.status, digest, message, checkedAt };
    input.log(spec.require ? 'error' : 'warn', `signature: ${verdict.status}: ${message}`);
  }
  if (spec.require && result.signed !== 'verified') {
    throw new TugError('POLICY', `${ref.toString()} (${digest}) is ${result.signed === 'unsigned' ? 'not signed' : 'not validly signed'}: ${result.message} (spec.signature.require)`, {
      hint: 'sign the image with cosign sign --key, or add the key it was signed with to spec.signature.publicKeys',
    });
  }
  return result;
}

/** A tag's top-level digest and every platform, described (`previous` skips the reads when the digest did not move). */
async function describeTag(source: ImageSource, signal: AbortSignal, log: SyncInput['log'], previous?: { digest?: string | undefined; platforms?: ManifestInfo[] | undefined }) {
  const top = await readTopLevel(source, signal);
  let platforms: ManifestInfo[];
  if (previous?.digest === top.digest && previous.platforms?.length) {
    // Same digest, same content: nothing to re-read.
    log('info', 'unchanged since the last sync');
    platforms = previous.platforms;
  } else if (top.parsed.kind === 'index') {
    const entries = top.parsed.manifest.manifests.filter((d) => !isAttestation(d));
    platforms = [];
    for (const d of entries) {
      const instance = await readInstance(source, d, signal);
      const info = await describe(source, instance, signal);
      platforms.push(info);
      log('info', `${info.os}/${info.architecture}${info.variant ? `/${info.variant}` : ''}: ${info.digest}, ${info.layers.length} layers, ${info.size}`);
    }
  } else if (top.parsed.kind === 'image') {
    const info = await describe(source, { digest: top.digest, mediaType: top.parsed.mediaType, manifest: top.parsed.manifest, platform: undefined }, signal);
    platforms = [info];
    log('info', `${info.os}/${info.architecture}: ${info.layers.length} layers, ${info.size}`);
  } else {
    platforms = [];
    log('warn', 'Docker schema 1 image: platforms and layers are not described');
  }
  return { top, platforms };
}

/** The source's tag list for carrying referrers, read at most once however many tags one sync copies (undefined: each copy lists). */
type SourceTags = (() => Promise<ReadonlySet<string> | undefined>) | undefined;

/** Copies `digest` of `ref` into the mirror under `tag`, as `selection` says. */
async function copyToMirror(ref: ImageReference, digest: string, tag: string, selection: MirrorSelection, input: SyncInput, sourceTags?: SourceTags) {
  const mirror = input.mirror!;
  const { log } = input;
  const target = `docker://${mirror.access.host}/${mirror.repository}:${tag}`;
  log('info', `mirroring to ${target}`);
  const result = await copyImage(ref, parseImageName(target), {
    sourceContext: input.source.ctx,
    destinationContext: mirror.access.ctx,
    multiArch: selection.multiArch,
    platforms: selection.platforms,
    platformOverride: selection.platformOverride,
    // The digest described (and whose signature was checked) is the one copied, even if the tag moves meanwhile.
    sourceDigest: digest as Digest,
    sourceTags,
    signal: input.signal,
    onEvent: (e) => {
      if (e.type === 'blob-done' && e.outcome !== 'skipped') log('info', `${e.outcome} ${e.digest} (${e.size} bytes)`);
      else if (e.type === 'transport' && e.event.type === 'retry') log('warn', `retrying ${e.event.what}: ${e.event.reason}`);
    },
  });
  const bytesMoved = result.blobs.bytesCopied;
  log('info', `mirror: ${result.blobs.copied} blobs copied (${bytesMoved} bytes), ${result.blobs.skipped} already there, ${result.blobs.mounted} mounted`);
  return { image: target.slice('docker://'.length), digest: result.digest as string, bytesMoved };
}

/** Runs one sync. Throws the engine's TugError on failure of spec.tag (its describe() is the user's message); another followed tag fails alone (SyncOutput.followed). */
export async function syncRepository(input: SyncInput): Promise<SyncOutput> {
  const { repository, source: access, signal, log, previous } = input;
  const image = sourceImage(access.host, repository.spec.repository, repository.spec.tag);
  const ref = parseImageName(image);
  log('info', `resolving ${image}`);
  const source = await ref.newSource(access.ctx);
  let status: SyncOutput['status'];
  let selection: MirrorSelection;
  try {
    const { top, platforms } = await describeTag(source, signal, log, { digest: previous?.observedDigest, platforms: previous?.platforms });
    log('info', `${repository.spec.tag} is ${top.digest} (${top.parsed.mediaType})`);
    selection = mirrorSelection(repository.spec, platforms, top.parsed.kind === 'index', hostPlatform());
    if (repository.spec.importMode || repository.spec.platforms) log('info', `import mode ${selection.describe}`);
    status = {
      domain: access.host,
      observedDigest: top.digest,
      mediaType: top.parsed.mediaType,
      manifest: selection.shown ?? defaultPlatform(platforms),
      platforms,
      signature: await checkSignature(repository, ref, top.digest, input),
    };
  } finally {
    await source.close();
  }

  // With spec.tags every copy carries referrers from the same repository: one tag list for all of them (issue 14 item 7's rule).
  const sourceTags = repository.spec.tags ? sharedTagList(ref, input) : undefined;
  let bytesMoved = 0;
  if (input.mirror) {
    const copied = await copyToMirror(ref, status.observedDigest!, input.mirror.tag, selection, input, sourceTags?.get);
    bytesMoved = copied.bytesMoved;
    status.mirror = { image: copied.image, digest: copied.digest, lastSynced: new Date().toISOString(), platforms: selection.holds };
  }

  const before = layerSet(previous);
  const after = layerSet(status);
  const output: SyncOutput = {
    status,
    digestBefore: previous?.observedDigest,
    digestAfter: status.observedDigest!,
    bytesMoved,
    layersAdded: [...after].filter((d) => !before.has(d)),
    layersRemoved: [...before].filter((d) => !after.has(d)),
  };
  if (repository.spec.tags) {
    output.followed = await followed(input, status, bytesMoved, sourceTags!);
    output.bytesMoved += output.followed.bytesMoved;
  }
  return output;
}

/** The source repository's tag list, read once per sync and shared by the filters of spec.tags and every copy's referrers. */
function sharedTagList(ref: ImageReference, input: SyncInput) {
  let listing: Promise<string[]> | undefined;
  const list = () => {
    if (!isTagLister(ref)) return Promise.reject(new TugError('UNSUPPORTED', `${input.source.host} cannot list tags`));
    listing ??= ref.listTags(input.source.ctx, { signal: input.signal });
    return listing;
  };
  return {
    list,
    // Read as copyImage reads its own listing: no repository yet is no tags, a refused listing is unknown.
    get: () => tagSetFrom(list),
  };
}

/** Followed tags synced at once (each is a describe and, with a mirror, a copy). */
const TAG_CONCURRENCY = 3;

type Blobs = Map<string, number>;

function addBlobs(into: Blobs, platforms: readonly ManifestInfo[]): void {
  for (const m of platforms) {
    if (m.config) into.set(m.config.digest, m.config.size);
    for (const l of m.layers) into.set(l.digest, Number(l.size) || 0);
  }
}

const platformName = (m: ManifestInfo) => [m.os, m.architecture, m.variant].filter(Boolean).join('/');

/**
 * The followed tags other than spec.tag: the source's tag list read once
 * when a filter needs it, then each tag described, its signature checked and
 * (with a mirror) copied under its own name, TAG_CONCURRENCY at once. A tag
 * that fails is recorded and the others go on; a listing that fails leaves
 * the explicit names followed and is itself a failure.
 */
async function followed(input: SyncInput, primary: SyncOutput['status'], primaryBytes: number, sourceTags: ReturnType<typeof sharedTagList>): Promise<FollowedOutcome> {
  const { repository, source: access, signal, log, previous } = input;
  const spec = repository.spec;
  const failures: FollowedOutcome['failures'] = [];
  let listingError: string | undefined;
  let listed: string[] | undefined;
  let created: Map<string, string> | undefined;
  if (needsTagList(spec)) {
    try {
      listed = await sourceTags.list();
      log('info', `spec.tags: ${listed.length} tags at the source`);
      const toDate = tagsToDate(spec, listed);
      if (toDate.length > 0) created = await creationTimes(input, toDate);
    } catch (err) {
      if (signal.aborted) throw err;
      listed = undefined;
      listingError = `listing the tags of ${spec.repository} for the filters of spec.tags: ${errorText(err)}; only spec.tag and spec.tags.list were synced`;
      log('error', listingError);
    }
  }
  const set = followedTags(spec, listed, created);
  if (set.omitted > 0) log('warn', `spec.tags selects ${set.tags.length - 1 + set.omitted} tags besides ${spec.tag}: the newest-looking ${set.tags.length - 1} are followed, ${set.omitted} are not (narrow the filters, or use newest)`);
  log('info', `following ${set.tags.length} tags: ${set.tags.join(', ')}`);
  const before = new Map((previous?.tags ?? []).map((t) => [t.tag, t]));
  const now = () => new Date().toISOString();
  const primaryBlobs: Blobs = new Map();
  addBlobs(primaryBlobs, primary.platforms ?? []);
  const held = primary.mirror?.platforms;
  const primaryMirrorBlobs: Blobs = new Map();
  if (primary.mirror) addBlobs(primaryMirrorBlobs, held ? (primary.platforms ?? []).filter((m) => held.includes(platformName(m))) : (primary.platforms ?? []));
  const sourceBlobs: Blobs = new Map();
  const mirrorBlobs: Blobs = new Map();
  const tags: RepositoryTagStatus[] = [];
  const runTags: SyncRunTag[] = [];
  const mirrorDigestOf = (digest: string | undefined, mirrorDigest: string | undefined) => (mirrorDigest && mirrorDigest !== digest ? { mirrorDigest } : {});
  tags.push({ tag: spec.tag, digest: primary.observedDigest!, ...mirrorDigestOf(primary.observedDigest, primary.mirror?.digest), syncStatus: 'Success', lastSynced: now() });
  runTags.push({ tag: spec.tag, result: 'Succeeded', ...(previous?.observedDigest ? { digestBefore: previous.observedDigest } : {}), digestAfter: primary.observedDigest!, bytesMoved: primaryBytes });
  let bytesMoved = 0;
  const limit = pLimit(TAG_CONCURRENCY);
  await Promise.all(set.tags.slice(1).map((tag) => limit(async () => {
    const last = before.get(tag);
    try {
      if (input.mirror && tag === input.mirror.tag) {
        throw new TugError('USAGE', `not mirrored: ${input.mirror.repository}:${tag} in the mirror is spec.mirror.tag, the copy of ${spec.tag}`, { hint: 'remove the tag from spec.tags, or set spec.mirror.tag to another name' });
      }
      const ref = parseImageName(sourceImage(access.host, spec.repository, tag));
      const source = await ref.newSource(access.ctx);
      const tagLog: SyncInput['log'] = (level, message) => log(level, `${tag}: ${message}`);
      let described: Awaited<ReturnType<typeof describeTag>>;
      let selection: MirrorSelection;
      try {
        described = await describeTag(source, signal, () => {}, undefined);
        selection = mirrorSelection(spec, described.platforms, described.top.parsed.kind === 'index', hostPlatform());
        await checkSignature(repository, ref, described.top.digest, { ...input, log: tagLog });
      } finally {
        await source.close();
      }
      const digest = described.top.digest;
      tagLog('info', `${digest} (${described.platforms.length} platforms)`);
      addBlobs(sourceBlobs, described.platforms);
      let mirrorDigest: string | undefined;
      let moved = 0;
      if (input.mirror) {
        const copied = await copyToMirror(ref, digest, tag, selection, { ...input, log: tagLog }, sourceTags.get);
        mirrorDigest = copied.digest;
        moved = copied.bytesMoved;
        bytesMoved += moved;
        addBlobs(mirrorBlobs, described.platforms.filter((m) => selection.holds.includes(platformName(m))));
      }
      tags.push({ tag, digest, ...mirrorDigestOf(digest, mirrorDigest), syncStatus: 'Success', lastSynced: now() });
      runTags.push({ tag, result: 'Succeeded', ...(last?.digest ? { digestBefore: last.digest } : {}), digestAfter: digest, bytesMoved: moved });
    } catch (err) {
      if (signal.aborted) throw err;
      const error = errorText(err);
      log('error', `${tag}: ${error}`);
      failures.push({ tag, error, final: isFinalFailure(err) });
      // What the tag had at its last good sync stays: the mirror still holds it.
      tags.push({ tag, ...(last?.digest ? { digest: last.digest } : {}), ...(last?.mirrorDigest ? { mirrorDigest: last.mirrorDigest } : {}), ...(last?.lastSynced ? { lastSynced: last.lastSynced } : {}), syncStatus: 'Failed', message: error });
      runTags.push({ tag, result: 'Failed', ...(last?.digest ? { digestBefore: last.digest } : {}), bytesMoved: 0, error });
    }
  })));
  if (!listed && needsTagList(spec)) {
    // The filters could not be evaluated: what they selected last time stays listed as it was.
    const have = new Set(tags.map((t) => t.tag));
    for (const t of previous?.tags ?? []) if (!have.has(t.tag) && tags.length <= MAX_FOLLOWED_TAGS) tags.push(t);
  }
  tags.sort((a, b) => compareTags(a.tag, b.tag));
  runTags.sort((a, b) => compareTags(a.tag, b.tag));
  const usage = (blobs: Blobs, except: Blobs) => {
    let n = 0;
    let bytes = 0;
    for (const [d, size] of blobs) if (!except.has(d)) [n, bytes] = [n + 1, bytes + size];
    return { blobs: n, bytes };
  };
  return {
    status: { tags, ...(set.omitted > 0 ? { tagsOmitted: set.omitted } : {}), tagsStorage: { source: usage(sourceBlobs, primaryBlobs), mirror: usage(mirrorBlobs, primaryMirrorBlobs) } },
    runTags,
    failures,
    ...(listingError ? { listingError } : {}),
    bytesMoved,
  };
}

/** Creation times of `tags` (for `newest: {by: created}`): the top-level manifest, the server's platform's image and its config, per tag (as sync/discover.ts dates them). */
async function creationTimes(input: SyncInput, tags: readonly string[]): Promise<Map<string, string>> {
  const { source: access, signal, repository } = input;
  const out = new Map<string, string>();
  const limit = pLimit(4);
  await Promise.all(tags.map((tag) => limit(async () => {
    const source = await parseImageName(sourceImage(access.host, repository.spec.repository, tag)).newSource(access.ctx);
    try {
      const top = await readTopLevel(source, signal);
      const image = await resolveImage(source, top, hostPlatform(), signal);
      const { config } = await readConfig(source, image.manifest, signal);
      if (config.created) out.set(tag, config.created);
    } catch (err) {
      // An undated tag is not a candidate for newest-by-created; the tag list itself was read.
      if (signal.aborted) throw err;
    } finally {
      await source.close();
    }
  })));
  return out;
}
