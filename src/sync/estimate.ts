/**
 * What a plan would move: for each image to copy, the blobs the destination
 * lacks, counted once per blob store (a layer shared by ten images into one
 * registry moves once). Reads manifests and HEADs blobs; writes nothing.
 */
import pLimit from 'p-limit';
import { copyImage } from '../copy/copy.ts';
import { type ErrorCode, errorCode, errorText } from '../errors/index.ts';
import { parseImageName } from '../transports/index.ts';
import type { ExecuteOptions } from './execute.ts';
import { type Plan, registryOf, sourceImageName } from './plan.ts';

export interface Estimate {
  /** Unique bytes that would move, across the plan. */
  bytes: number;
  blobs: number;
  /** Per plan item: bytes it would move counting blobs already claimed by earlier items as moved. */
  perItem: Map<number, { bytes: number; blobs: number; error?: string; errorCode?: ErrorCode | undefined }>;
}

/**
 * Dry-runs every image the plan copies, with the options the real run would
 * use: the same conversion (so what a converted image lacks is counted) and
 * the same policy (an image the real run would refuse is an error here, with
 * the real run's exit code).
 */
export async function estimatePlan(plan: Plan, options: Pick<ExecuteOptions, 'contextFor' | 'platformOverride' | 'signal' | 'verifyExisting' | 'policy' | 'conversion'> & { concurrency?: number }): Promise<Estimate> {
  const limit = pLimit(options.concurrency ?? 4);
  const seen = new Set<string>();
  const estimate: Estimate = { bytes: 0, blobs: 0, perItem: new Map() };
  const dry = await Promise.all(
    plan.items.map((item, index) =>
      item.action !== 'copy'
        ? Promise.resolve(undefined)
        : limit(async () => {
            const platforms = item.platforms;
            const source = sourceImageName(item);
            try {
              return await copyImage(parseImageName(source), parseImageName(item.destination), {
                ...options.conversion,
                policy: options.policy,
                // Counting blobs only: a dry run carries no referrers (the plan says which images lack theirs).
                referrers: false,
                dryRun: true,
                verifyExisting: options.verifyExisting === true,
                sourceContext: options.contextFor(registryOf(source), 'source'),
                destinationContext: options.contextFor(registryOf(item.destination), 'destination'),
                multiArch: platforms === 'all' ? 'all' : 'system',
                platforms: platforms === 'all' || platforms === 'system' ? undefined : (await import('../oci/platform.ts')).parsePlatformList(platforms),
                platformOverride: options.platformOverride,
                signal: options.signal,
              });
            } catch (err) {
              estimate.perItem.set(index, { bytes: 0, blobs: 0, error: errorText(err), errorCode: errorCode(err) });
              return undefined;
            }
          }),
    ),
  );
  for (const [index, result] of dry.entries()) {
    if (!result) continue;
    let bytes = 0;
    let blobs = 0;
    for (const b of result.missingBlobs ?? []) {
      const key = `${result.blobStoreKey ?? result.destination}\u0000${b.digest}`;
      if (seen.has(key)) continue;
      seen.add(key);
      bytes += b.size;
      blobs++;
    }
    estimate.perItem.set(index, { bytes, blobs });
    estimate.bytes += bytes;
    estimate.blobs += blobs;
  }
  return estimate;
}
