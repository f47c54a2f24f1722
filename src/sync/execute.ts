/**
 * Executes a sync plan: images in parallel (bounded), blobs in parallel
 * within each image, one job-wide bound per destination store, and each
 * shared blob moved once per store (see BlobCoordinator). Retags wait for
 * the image they alias and copy from its destination, so nothing moves twice.
 */
import pLimit from 'p-limit';
import type { SystemContext } from '../context/system-context.ts';
import { BlobCoordinator } from '../copy/blob-coordinator.ts';
import { type CopyOptions, type CopyResult, copyImage, weighImage } from '../copy/copy.ts';
import { tagSet } from '../copy/referrers.ts';
import type { ConversionOptions } from '../copy/conversion.ts';
import type { CopyEvent } from '../copy/events.ts';
import type { ReferrerFilter } from '../copy/referrers.ts';
import type { MultiArchMode } from '../copy/select.ts';
import type { ImagePolicy } from '../signature/image-policy.ts';
import { type ErrorCode, errorCode, errorText } from '../errors/index.ts';
import type { Platform } from '../oci/manifest.ts';
import { parsePlatformList } from '../oci/platform.ts';
import type { Digest } from '../reference/digest.ts';
import { parseReference } from '../reference/reference.ts';
import { type ImageReference, parseImageName } from '../transports/index.ts';
import { eachBounded } from './each-bounded.ts';
import { type Plan, type PlanItem, registryOf, sourceImageName } from './plan.ts';

export type ItemStatus = 'copied' | 'skipped' | 'retagged' | 'failed' | 'not-run';

export interface ItemResult {
  source: string;
  destination: string;
  action: PlanItem['action'];
  status: ItemStatus;
  sourceDigest?: string | undefined;
  destinationDigest?: string | undefined;
  platforms: string[];
  bytes: number;
  blobs?: CopyResult['blobs'] | undefined;
  seconds: number;
  error?: string | undefined;
  /** The code of that error; see syncFailure. */
  errorCode?: ErrorCode | undefined;
}

export type SyncEvent =
  | { type: 'item-start'; index: number; item: PlanItem }
  | { type: 'item-done'; index: number; result: ItemResult }
  | { type: 'copy'; index: number; event: CopyEvent };

export interface ExecuteOptions {
  /** Images copied at once (default 4). */
  imageConcurrency?: number;
  /** Blobs per image at once (default 6). */
  blobConcurrency?: number;
  /** Blob transfers into one destination store at once, across images (default 8). */
  storeConcurrency?: number;
  /** Go on after a failure (default false: stop starting new images). */
  keepGoing?: boolean;
  /** Hash blobs local destinations already hold before trusting them (CopyOptions.verifyExisting; default false). */
  verifyExisting?: boolean | undefined;
  /** Checked on every image copied from its source (CopyOptions.policy); a refusal fails that item. Retags copy what an item already checked. */
  policy?: ImagePolicy | undefined;
  contextFor: (registry: string, side: 'source' | 'destination') => SystemContext;
  /** What travels with each image copied (CopyOptions.referrers; default every artifact). */
  referrers?: ReferrerFilter | false | undefined;
  platformOverride?: { os?: string | undefined; arch?: string | undefined; variant?: string | undefined } | undefined;
  /** `--format`, `--preserve-digests`, `--dest-compress*` for every copy (see ConversionOptions; default: as the destination wants). */
  conversion?: ConversionOptions | undefined;
  signal?: AbortSignal | undefined;
  onEvent?: (e: SyncEvent) => void;
  /**
   * Turns a plan item's image names into references (default: parseImageName
   * of src/transports). `tug bundle` reads from and writes to a bundle, which
   * is no transport of that table, through this.
   */
  parseName?: ((name: string) => ImageReference) | undefined;
  /**
   * What one job's executePlan calls share when a sync runs a batch of
   * images at a time (src/sync/batches.ts): a failure without `keepGoing`
   * stops the later batches too, each repository's tags are listed once,
   * and one coordinator bounds each destination store. Default: this call's own.
   */
  job?: ExecuteJob | undefined;
}

/** See {@link ExecuteOptions.job}; make one with {@link executeJob}. */
export interface ExecuteJob {
  stop: boolean;
  readonly coordinator: BlobCoordinator;
  readonly sourceTagLists: Map<string, Promise<ReadonlySet<string> | undefined>>;
}

export function executeJob(options: Pick<ExecuteOptions, 'storeConcurrency'>): ExecuteJob {
  return { stop: false, coordinator: new BlobCoordinator(options.storeConcurrency ?? 8), sourceTagLists: new Map() };
}

function copyMode(platforms: string): { multiArch: MultiArchMode; platforms?: Platform[] | undefined } {
  if (platforms === 'all') return { multiArch: 'all' };
  if (platforms === 'system') return { multiArch: 'system' };
  return { multiArch: 'system', platforms: parsePlatformList(platforms) };
}

/** Runs the plan; never throws for one image's failure (see ItemResult.status). */
export async function executePlan(plan: Plan, options: ExecuteOptions): Promise<ItemResult[]> {
  const onEvent = options.onEvent ?? (() => {});
  const job = options.job ?? executeJob(options);
  const { coordinator, sourceTagLists } = job;
  const limit = pLimit(options.imageConcurrency ?? 4);
  const results: ItemResult[] = plan.items.map((item) => ({
    source: item.source,
    destination: item.destination,
    action: item.action,
    status: 'not-run',
    sourceDigest: item.sourceDigest,
    destinationDigest: item.destinationDigest,
    platforms: item.platforms === 'all' || item.platforms === 'system' ? [item.platforms] : item.platforms.split(','),
    bytes: 0,
    seconds: 0,
    error: item.action === 'fail' ? item.reason : undefined,
    errorCode: item.action === 'fail' ? item.errorCode : undefined,
  }));
  // The outcome of each item a retag copies from (aliases' targets: few), for the retag to wait on.
  const finished = new Map<number, PromiseWithResolvers<boolean>>();
  for (const item of plan.items) if (item.after !== undefined && !finished.has(item.after)) finished.set(item.after, Promise.withResolvers<boolean>());
  /**
   * Each source repository's tags, listed once for the job (CopyOptions.sourceTags):
   * a repository's 10,000 tags are not listed again for each of them. A failed
   * listing is forgotten, so the next image asks again.
   */
  const sourceTagsOf = (item: PlanItem, from: ImageReference, ctx: SystemContext): CopyOptions['sourceTags'] => {
    if (item.action === 'retag' || item.sourceName !== undefined) return undefined;
    let key: string;
    try {
      const { registry, repository } = parseReference(item.source);
      key = `${registry}/${repository}`;
    } catch {
      return undefined; // not a registry name (a caller's own parseName): each copy lists its own
    }
    return () => {
      let list = sourceTagLists.get(key);
      if (!list) {
        list = tagSet(from, ctx, options.signal);
        sourceTagLists.set(key, list);
        list.catch(() => sourceTagLists.delete(key));
      }
      return list;
    };
  };
  /** The source digest of each item whose copy was converted (see CopyOptions.originDigest). */
  const converted = new Map<number, Digest>();

  const runItem = async (index: number): Promise<boolean> => {
    const item = plan.items[index]!;
    const result = results[index]!;
    if (item.action === 'skip') {
      result.status = 'skipped';
      onEvent({ type: 'item-done', index, result });
      return true;
    }
    if (item.action === 'fail') {
      result.status = 'failed';
      if (!options.keepGoing) job.stop = true;
      onEvent({ type: 'item-done', index, result });
      return false;
    }
    if (item.after !== undefined && !(await finished.get(item.after)!.promise)) {
      result.status = 'failed';
      result.error = `not written: ${plan.items[item.after]!.destination} failed`;
      result.errorCode = results[item.after]!.errorCode;
      onEvent({ type: 'item-done', index, result });
      return false;
    }
    return limit(async () => {
      if (job.stop || options.signal?.aborted) return false;
      onEvent({ type: 'item-start', index, item });
      const started = Date.now();
      // A retag copies what the aliased destination now holds, exactly (every platform it has).
      const fromName = item.action === 'retag' && item.after !== undefined ? plan.items[item.after]!.destination : sourceImageName(item);
      const mode = item.action === 'retag' ? { multiArch: 'all' as const } : copyMode(item.platforms);
      try {
        // A retag copies the image its target converted: it records the target's source digest, so it counts as synced too.
        const origin = item.action === 'retag' && item.after !== undefined ? converted.get(item.after) : undefined;
        const parseName = options.parseName ?? parseImageName;
        const from = parseName(fromName);
        const sourceContext = options.contextFor(registryOf(fromName), item.action === 'retag' ? 'destination' : 'source');
        const copied = await copyImage(from, parseName(item.destination), {
          ...options.conversion,
          originDigest: origin,
          sourceContext,
          sourceTags: sourceTagsOf(item, from, sourceContext),
          destinationContext: options.contextFor(registryOf(item.destination), 'destination'),
          ...mode,
          platformOverride: options.platformOverride,
          sourceDigest: item.action === 'retag' ? undefined : item.sourceDigest,
          concurrency: options.blobConcurrency ?? 6,
          verifyExisting: options.verifyExisting === true,
          referrers: options.referrers,
          policy: item.action === 'retag' ? undefined : options.policy,
          coordinator,
          signal: options.signal,
          onEvent: (event) => onEvent({ type: 'copy', index, event }),
        });
        if (copied.convertedFrom !== undefined) converted.set(index, copied.sourceDigest);
        result.status = item.action === 'retag' ? 'retagged' : 'copied';
        result.destinationDigest = copied.digest;
        result.bytes = copied.blobs.bytesCopied;
        result.blobs = copied.blobs;
        if (copied.instances.length > 0) result.platforms = copied.instances.map((i) => (i.platform ? [i.platform.os, i.platform.architecture, i.platform.variant].filter(Boolean).join('/') : i.digest));
        return true;
      } catch (err) {
        result.status = 'failed';
        result.error = errorText(err);
        result.errorCode = errorCode(err);
        if (!options.keepGoing) job.stop = true;
        return false;
      } finally {
        result.seconds = (Date.now() - started) / 1000;
        onEvent({ type: 'item-done', index, result });
      }
    });
  };

  // Biggest images first, so the largest transfer is not the lone tail of
  // the run (longest-processing-time-first scheduling). Items start in that
  // order as copy slots free up, not all at once: 10,000 tags are not 10,000
  // pending promises (issue 14 item 7). A retag waits for its target outside
  // the slots (its target may come later in plan order), then takes a slot.
  const order = await largestFirst(plan, options);
  const retags: Promise<boolean>[] = [];
  const start = (index: number) => {
    const outcome = runItem(index);
    finished.get(index)?.resolve(outcome);
    return outcome;
  };
  await eachBounded(order, options.imageConcurrency ?? 4, async (index) => {
    if (plan.items[index]!.action === 'retag') retags.push(start(index));
    else await start(index);
  });
  await Promise.all(retags);
  return results;
}

/**
 * Item indexes, the images to copy ordered by the bytes their manifests name
 * (largest first). Weighing reads only
 * manifests, which the registry client keeps by digest for the copy itself,
 * so no request is made twice. Plan order when ordering cannot matter (no
 * more images than run at once) or an image cannot be weighed.
 */
async function largestFirst(plan: Plan, options: ExecuteOptions): Promise<number[]> {
  const indexes = plan.items.map((_, i) => i);
  const copies = indexes.filter((i) => plan.items[i]!.action === 'copy');
  if (copies.length <= (options.imageConcurrency ?? 4)) return indexes;
  const weights = new Map<number, number>();
  await eachBounded(copies, 16, async (index) => {
    if (options.signal?.aborted) return;
    const item = plan.items[index]!;
    const from = sourceImageName(item);
    try {
      const parseName = options.parseName ?? parseImageName;
      const bytes = await weighImage(parseName(from), parseName(item.destination), {
        sourceContext: options.contextFor(registryOf(from), 'source'),
        destinationContext: options.contextFor(registryOf(item.destination), 'destination'),
        ...copyMode(item.platforms),
        platformOverride: options.platformOverride,
        sourceDigest: item.sourceDigest,
        signal: options.signal,
      });
      weights.set(index, bytes);
    } catch {
      // The copy itself reports what is wrong with this image.
    }
  });
  const weight = (i: number) => weights.get(i) ?? -1;
  // Skips and failures first (a failure stops a run without --keep-going before it copies), retags last.
  const of = (action: string) => indexes.filter((i) => plan.items[i]!.action === action);
  return [...of('fail'), ...of('skip'), ...copies.sort((a, b) => weight(b) - weight(a) || a - b), ...of('retag')];
}
