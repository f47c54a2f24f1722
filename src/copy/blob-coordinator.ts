/**
 * Shares blob transfers across the images of one job (a sync of many
 * images, a save of a list). For each (blob store, digest) the first image
 * that needs the blob moves it; the others wait for that transfer instead of
 * starting their own, then mount it (another repository of the same
 * registry) or find it present (same layout). This is both faster and
 * required: the stock registry answers 500 to two concurrent uploads of one
 * blob into one repository.
 */
import pLimit, { type LimitFunction } from 'p-limit';

export interface BlobHome {
  /** Registry host and repository the blob was written to, when the store is a registry. */
  registry?: string | undefined;
  repository?: string | undefined;
  /** The file it was written to, when the store is a local layout. */
  path?: string | undefined;
}

export class BlobCoordinator {
  private readonly inflight = new Map<string, Promise<BlobHome | undefined>>();
  private readonly limits = new Map<string, LimitFunction>();
  private readonly perStore: number;

  /** `perStoreConcurrency` bounds blob transfers into one store (one registry) across every image of the job. */
  constructor(perStoreConcurrency = 8) {
    this.perStore = perStoreConcurrency;
  }

  /** The job-wide limiter for transfers into `store`. */
  limiter(store: string): LimitFunction {
    let l = this.limits.get(store);
    if (!l) {
      l = pLimit(this.perStore);
      this.limits.set(store, l);
    }
    return l;
  }

  /**
   * Runs `transfer` for (store, digest) unless another image already did or
   * is doing it; in that case returns that transfer's result (where the blob
   * went) once it finished. A failed transfer is forgotten so a later image
   * can try again.
   */
  async once(store: string, digest: string, transfer: () => Promise<BlobHome | undefined>): Promise<{ shared: boolean; home: BlobHome | undefined }> {
    const key = `${store}\u0000${digest}`;
    const existing = this.inflight.get(key);
    if (existing) {
      try {
        return { shared: true, home: await existing };
      } catch {
        // The other transfer failed; fall through and try ourselves.
      }
    }
    const mine = transfer();
    this.inflight.set(key, mine);
    try {
      return { shared: false, home: await mine };
    } catch (err) {
      if (this.inflight.get(key) === mine) this.inflight.delete(key);
      throw err;
    }
  }
}
