/**
 * Waiting on a condition in tests: for what no event announces (a row in
 * another process's database, a request logged by a proxy), polled with a
 * deadline, never a bare sleep.
 */
import { setTimeout as sleep } from 'node:timers/promises';

/**
 * Polls `fn` until it returns a truthy value and returns it; throws after
 * `timeoutMs` (default 30 s) naming `what` and the last error `fn` threw.
 */
export async function waitFor<T>(what: string, fn: () => T | undefined | false | Promise<T | undefined | false>, timeoutMs = 30_000, intervalMs = 50): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let last: unknown;
  for (;;) {
    try {
      const v = await fn();
      if (v) return v;
    } catch (err) {
      last = err;
    }
    if (Date.now() >= deadline) throw new Error(`timed out waiting for ${what}${last ? `: ${String(last)}` : ''}`);
    await sleep(intervalMs);
  }
}
