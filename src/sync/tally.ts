/**
 * What a sync's outputs (the summary, --digestfile, --report, the exit
 * code) need of its finished images, gathered as results arrive: counts,
 * bytes, the failures, and a digest line or a whole result only when the
 * command writes them. A sync run in batches (src/sync/batches.ts) keeps
 * this instead of every image's result (issue 14 item 7).
 */
import type { Action } from './plan.ts';
import type { ItemResult, ItemStatus } from './execute.ts';

export class SyncTally {
  /** The plans' counts, summed over batches. */
  readonly planned: Record<Action, number> = { copy: 0, skip: 0, retag: 0, fail: 0 };
  readonly statuses: Record<ItemStatus, number> = { copied: 0, skipped: 0, retagged: 0, failed: 0, 'not-run': 0 };
  images = 0;
  bytes = 0;
  /** Blobs the destination stored with wrong bytes, rewritten. */
  rewritten = 0;
  /** The results with status `failed`, in plan order. */
  readonly failed: ItemResult[] = [];
  /** `DIGEST REFERENCE\n` of each image at the destination (skopeo sync --digestfile), when asked for. */
  readonly digestLines: string[] | undefined;
  /** Every result, when asked for (--report). */
  readonly results: ItemResult[] | undefined;

  constructor(keep: { digests?: boolean | undefined; results?: boolean | undefined } = {}) {
    this.digestLines = keep.digests ? [] : undefined;
    this.results = keep.results ? [] : undefined;
  }

  static of(results: readonly ItemResult[], keep: { digests?: boolean | undefined; results?: boolean | undefined } = {}): SyncTally {
    const tally = new SyncTally(keep);
    for (const r of results) tally.add(r);
    return tally;
  }

  addPlan(counts: Readonly<Record<Action, number>>): void {
    for (const action of Object.keys(this.planned) as Action[]) this.planned[action] += counts[action];
  }

  add(r: ItemResult): void {
    this.images++;
    this.statuses[r.status]++;
    this.bytes += r.bytes;
    this.rewritten += r.blobs?.rewritten ?? 0;
    if (r.status === 'failed') this.failed.push(r);
    if (this.digestLines && r.status !== 'failed' && r.status !== 'not-run') this.digestLines.push(`${r.destinationDigest ?? r.sourceDigest ?? ''} ${r.destination}\n`);
    this.results?.push(r);
  }

  /** Images that did not reach their destination: the failed ones, then one entry without a code per image never run (see syncFailure). */
  failures(): { errorCode?: ItemResult['errorCode'] }[] {
    return [...this.failed, ...Array.from({ length: this.statuses['not-run'] }, () => ({}))];
  }
}
