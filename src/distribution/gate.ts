/**
 * A process-wide gate per registry host: the registry's request budget.
 *
 * When a registry answers 429 (Too Many Requests), every request to that
 * host - from any client, image or blob of the job - waits until the
 * registry's Retry-After has passed, not only the request that was refused:
 * hammering a rate-limited registry with the other 30 parallel requests of a
 * sync only prolongs the penalty. After the pause the host gets fewer
 * requests at once: the number in flight is halved on each 429 and grows
 * back by one per window of successful answers (additive increase,
 * multiplicative decrease, as TCP shares a congested link), until it is
 * unbounded again.
 */
import { setTimeout as sleep } from 'node:timers/promises';
import { parseRetryAfter } from './errors.ts';

/** Used when a 429 carries no Retry-After. */
export const DEFAULT_PAUSE_MS = 1000;

/** A window that has grown back to this size is lifted altogether. */
export const UNBOUNDED_AT = 64;

/** How an admitted request ended, for the window: `ok` grows it, `limited` (a 429) cuts it, `failed` (no answer) leaves it. */
export type Outcome = 'ok' | 'limited' | 'failed';

export class RegistryGate {
  private pausedUntil = 0;
  /** Requests allowed in flight: unbounded until the registry first says 429. */
  private window = Infinity;
  private inflight = 0;
  /** Requests admitted so far; each gets its number. */
  private admitted = 0;
  /**
   * Requests numbered below this were in flight at the last cut: their 429s
   * belong to the burst that caused it and do not cut again.
   */
  private cutBefore = 0;
  private readonly waiters = new Set<() => void>();

  /**
   * Waits until the host is not paused and a request fits in its window
   * (at once, usually), then counts one request in flight. Call the returned
   * function once the answer's status is known (after
   * {@link onTooManyRequests} for a 429).
   */
  async admit(signal?: AbortSignal): Promise<(outcome: Outcome) => void> {
    for (;;) {
      signal?.throwIfAborted();
      const delay = this.pausedUntil - Date.now();
      if (delay > 0) {
        // The caller's abort reason, as for any other wait of the request.
        await sleep(delay, undefined, signal ? { signal } : {}).catch((err: unknown) => {
          throw signal?.aborted ? signal.reason : err;
        });
        continue;
      }
      if (this.inflight < this.window) break;
      await this.slotFreed(signal);
    }
    this.inflight++;
    const seq = this.admitted++;
    let done = false;
    return (outcome) => {
      if (done) return;
      done = true;
      if (outcome === 'limited' && seq >= this.cutBefore) {
        // Multiplicative decrease: half of what was in flight when the registry said no.
        this.window = Math.max(1, Math.floor(Math.min(this.window, this.inflight) / 2));
        this.cutBefore = this.admitted;
      } else if (outcome === 'ok' && this.window !== Infinity) {
        // Additive increase: one more slot per window of answers.
        this.window += 1 / this.window;
        if (this.window >= UNBOUNDED_AT) this.window = Infinity;
      }
      this.inflight--;
      for (const wake of this.waiters) wake();
    };
  }

  private slotFreed(signal: AbortSignal | undefined): Promise<void> {
    return new Promise<void>((resolve, reject) => {
      const wake = () => {
        this.waiters.delete(wake);
        signal?.removeEventListener('abort', aborted);
        resolve();
      };
      const aborted = () => {
        this.waiters.delete(wake);
        reject(signal?.reason);
      };
      this.waiters.add(wake);
      signal?.addEventListener('abort', aborted, { once: true });
    });
  }

  /** Pauses the host for `ms` (extends, never shortens, a pause in force). */
  private pause(ms: number): void {
    this.pausedUntil = Math.max(this.pausedUntil, Date.now() + ms);
  }

  /** Requests the host may have in flight now (Infinity when unbounded). */
  get limit(): number {
    return Math.floor(this.window);
  }

  /** Applies a 429 answer's Retry-After: every request to the host waits it out (capped at `maxMs`). */
  onTooManyRequests(retryAfter: string | undefined, maxMs: number): void {
    const hinted = retryAfter ? parseRetryAfter(retryAfter) : undefined;
    this.pause(Math.min(maxMs, hinted ?? DEFAULT_PAUSE_MS));
  }
}

const gates = new Map<string, RegistryGate>();

/** The gate of `host` (`registry.example.com:5000`), shared by the whole process. */
export function gateFor(host: string): RegistryGate {
  let gate = gates.get(host);
  if (!gate) {
    gate = new RegistryGate();
    gates.set(host, gate);
  }
  return gate;
}
