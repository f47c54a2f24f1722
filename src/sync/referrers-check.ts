/**
 * Discovery's second look, with referrers on: an image whose destination
 * already has its digest is still to be copied when an artifact that travels
 * with it (a cosign tag, an OCI referrer) is missing or differs there.
 *
 * Cost, the figure `tug sync`'s no-op is held to (at most one request more
 * per tag): each repository's tag list is read once per side (the
 * destination's only when the source has artifacts) and the referrers API
 * probed once per registry; artifacts are then judged by their tag names.
 * Where names cannot tell (a source with the referrers API, a filtered
 * sync) and under `exact` (`--verify-existing`), the referrers API costs a
 * request per image and each artifact one HEAD per side.
 */
import type { SystemContext } from '../context/system-context.ts';
import { type ReferrerFilter, referrersInSync, tagSet } from '../copy/referrers.ts';
import { errorCode, errorText } from '../errors/index.ts';
import { parseImageName } from '../transports/index.ts';
import { type ImageReference, isReferrerStore } from '../transports/types.ts';
import { eachBounded } from './each-bounded.ts';
import { type Observation, registryOf, sourceImageName } from './plan.ts';

/** Tag lists by repository (see repositoryKey), each read at most once per job. */
export type TagLists = Map<string, Promise<ReadonlySet<string> | undefined>>;

export interface ReferrersCheckOptions {
  /** Lists already asked for ({@link prefetchSourceTagLists}); filled here with the rest. */
  tagLists?: TagLists | undefined;
  filter: ReferrerFilter;
  contextFor: (registry: string, side: 'source' | 'destination') => SystemContext;
  /** Compare every artifact by digest instead of by name (sync's `--verify-existing`; see referrersInSync). */
  exact?: boolean | undefined;
  /** Images checked at once (default 16). */
  concurrency?: number | undefined;
  signal?: AbortSignal | undefined;
}

/**
 * True for the tags that hold what travels with an image: cosign's
 * `sha256-<hex>.sig/.att/.sbom` and the referrers tag schema's `sha256-<hex>`.
 * A listed repository's sync skips them when referrers are carried: copied
 * as images too, the fallback index would be written twice, by two rules.
 */
export function isArtifactTag(tag: string): boolean {
  return /^sha256-[a-f0-9]{64}(\.(sig|att|sbom))?$/.test(tag);
}

/** A key naming a store's repository (its sibling with a fixed tag), so each tag list is read once. */
function repositoryKey(ref: ImageReference): string | undefined {
  return isReferrerStore(ref) ? ref.sibling({ tag: 'x' }).toString() : undefined;
}

/**
 * Sets `referrersMissing` on each observation whose destination holds the
 * source digest unchanged but lacks one of its wanted artifacts; a failure
 * to tell becomes that observation's error. Observations already failing or
 * to be copied anyway are left alone.
 */
export async function markMissingReferrers(images: readonly { observation: Observation; destination?: ImageReference | undefined }[], options: ReferrersCheckOptions): Promise<void> {
  const lists: TagLists = options.tagLists ?? new Map();
  const listOnce = (ref: ImageReference, ctx: SystemContext) => {
    const key = repositoryKey(ref);
    if (key === undefined) return Promise.resolve(undefined);
    let pending = lists.get(key);
    if (!pending) {
      pending = tagSet(ref, ctx, options.signal);
      lists.set(key, pending);
    }
    return pending;
  };
  // Bounded workers, not a queued promise per image (see each-bounded.ts).
  await eachBounded(images, options.concurrency ?? 16, async ({ observation: o, destination }) => {
    // Only a subject written unchanged carries its artifacts (see carryReferrers).
    if (o.error || !destination || !o.destinationDigest || o.destinationDigest !== (o.expectedDigest ?? o.sourceDigest)) return;
    const name = sourceImageName(o);
    const from = parseImageName(name);
    if (!isReferrerStore(from) || !isReferrerStore(destination)) return;
    const sourceContext = options.contextFor(registryOf(name), 'source');
    const destinationContext = options.contextFor(registryOf(o.destination), 'destination');
    try {
      const inSync = await referrersInSync(from, destination, o.destinationDigest, {
        sourceContext,
        destinationContext,
        filter: options.filter,
        sourceTags: await listOnce(from, sourceContext),
        destTags: () => listOnce(destination, destinationContext),
        exact: options.exact,
        signal: options.signal,
      });
      if (!inSync) o.referrersMissing = true;
    } catch (err) {
      o.error = errorText(err);
      o.errorCode = errorCode(err);
    }
  });
}

/**
 * Starts reading each source repository's tag list, so that the lists
 * arrive while discovery resolves digests instead of after (a no-op sync's
 * wall time is its round trips). A failure surfaces where the list is used.
 */
export function prefetchSourceTagLists(images: readonly { observation: Observation; destination?: ImageReference | undefined }[], options: Pick<ReferrersCheckOptions, 'contextFor' | 'signal'>, lists: TagLists = new Map()): TagLists {
  for (const { observation: o, destination } of images) {
    if (o.error || !destination) continue;
    const name = sourceImageName(o);
    const from = parseImageName(name);
    const key = repositoryKey(from);
    if (key === undefined || lists.has(key)) continue;
    const pending = tagSet(from, options.contextFor(registryOf(name), 'source'), options.signal);
    pending.catch(() => {}); // awaited (and reported) by markMissingReferrers
    lists.set(key, pending);
  }
  return lists;
}
