/**
 * A process-wide gate per registry host. When a registry answers 429 (Too
 * Many Requests), every request to that host - from any client, image or
 * blob of the job - waits until the registry's Retry-After has passed, not
 * only the request that was refused. Hammering a rate-limited registry with
 * the other 30 parallel requests of a sync only prolongs the penalty.
 */
import { setTimeout as sleep } from 'node:timers/promises';
import { parseRetryAfter } from './errors.ts';

/** Used when a 429 carries no Retry-After. */
export const DEFAULT_PAUSE_MS = 1000;

export class RegistryGate {
  private pausedUntil = 0;

  /** Resolves once the host is not paused (at once, usually). */
  async wait(signal?: AbortSignal): Promise<void> {
    for (;;) {
      const delay = this.pausedUntil - Date.now();
      if (delay <= 0) return;
      await sleep(delay, undefined, signal ? { signal } : {});
    }
  }

  /** Pauses the host for `ms` (extends, never shortens, a pause in force). */
  pause(ms: number): void {
    this.pausedUntil = Math.max(this.pausedUntil, Date.now() + ms);
  }

  /** Milliseconds left in the current pause (0 when open). */
  remainingMs(): number {
    return Math.max(0, this.pausedUntil - Date.now());
  }

  /** Applies a 429 answer: pause for its Retry-After, capped at `maxMs`. */
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
