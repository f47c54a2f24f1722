/**
 * A sync a batch of images at a time (issue 14 item 7: memory flat as the
 * tag count grows). Discovering, planning and then executing a whole job
 * holds every image's observation, plan item and result at once, about a
 * kilobyte per tag. Here the job is held as its tag lists (enumerateJob);
 * each batch of {@link SYNC_BATCH} images is then resolved,
 * planned by the same pure planner and executed before the next is
 * resolved, and the caller keeps of each result only what its outputs need
 * (src/sync/tally.ts).
 *
 * Batches give the plan the whole job would get only when the planner's
 * rules across images cannot apply: no two images share a destination (the
 * first wins) and none is an alias (a retag waits for its target). A job
 * where they can is one batch. Within a job of many batches, a failure
 * without --keep-going stops the images not yet started (ExecuteOptions.job),
 * and the largest-first order of execute.ts holds per batch.
 */
import { type DiscoverOptions, enumerateJob, resolveImages } from './discover.ts';
import { type Plan, type PlanOptions, assemblePlan } from './plan.ts';
import type { TagLists } from './referrers-check.ts';
import type { SyncSpec } from './spec.ts';

/** Images per batch: a few hundred kilobytes of per-image state, and enough images to order the largest first. */
export const SYNC_BATCH = 500;

export interface PlannedBatch {
  /** Index of the batch's first item among the job's. */
  offset: number;
  plan: Plan;
  /** Items of the whole job (every batch). */
  total: number;
}

/** The job's plan, a batch at a time: each is resolved when the caller asks for it, after executing the one before. */
export async function* planBatches(spec: SyncSpec, options: DiscoverOptions & PlanOptions & { batchSize?: number | undefined }): AsyncGenerator<PlannedBatch> {
  const job = await enumerateJob(spec, options);
  const size = options.batchSize ?? SYNC_BATCH;
  // Each repository's tag list is read once for the job, not once per batch.
  const shared: { tagLists: TagLists } = { tagLists: new Map() };
  if (job.count <= size || !job.independent) {
    const plan = assemblePlan(await resolveImages(job.slice(0, job.count), options, shared), options);
    yield { offset: 0, plan, total: plan.items.length };
    return;
  }
  for (let offset = 0; offset < job.count; offset += size) {
    yield { offset, plan: assemblePlan(await resolveImages(job.slice(offset, offset + size), options, shared), options), total: job.count };
  }
}
