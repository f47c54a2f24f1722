/**
 * Per-request retry for the registry client: exponential backoff with full
 * jitter (AWS architecture blog, "Exponential Backoff and Jitter") on
 * temporary failures only: network errors and 408 / 429 / 500 / 502 / 503 /
 * 504. A Retry-After the registry sent is honoured, capped like any delay.
 * Requests whose body is a one-shot stream are never retried here; the copy
 * engine retries the whole transfer instead.
 */
import { setTimeout as sleep } from 'node:timers/promises';
import type { TransportEvent } from '../context/system-context.ts';
import { RegistryError, cancelledError } from '../errors/index.ts';

/** Statuses worth a second try (the rest of 5xx, e.g. 501, is a real answer). */
export const RETRYABLE_STATUSES: ReadonlySet<number> = new Set([408, 429, 500, 502, 503, 504]);

export interface RetryPolicy {
  /** Total attempts including the first (default 5, SystemContext.retryMaxAttempts). */
  maxAttempts?: number | undefined;
  /** Cap on one wait, backoff or Retry-After (default 30 000 ms, SystemContext.retryMaxDelayMs). */
  maxDelayMs?: number | undefined;
  /** First backoff ceiling (default 250 ms); doubles each attempt. */
  baseDelayMs?: number | undefined;
  signal?: AbortSignal | undefined;
  onEvent?: ((e: TransportEvent) => void) | undefined;
}

/** Whether `err` is worth retrying at the request level. */
export function isRetryable(err: unknown): boolean {
  if (err instanceof RegistryError) {
    if (err.code !== 'TRANSIENT') return false;
    return err.status === undefined || RETRYABLE_STATUSES.has(err.status);
  }
  return false;
}

/** The wait before attempt `attempt + 1` (attempt counts from 1): full jitter, or the server's Retry-After, capped. */
export function backoffDelay(attempt: number, err: unknown, policy: RetryPolicy, random = Math.random): number {
  const cap = policy.maxDelayMs ?? 30_000;
  const retryAfter = err instanceof RegistryError ? err.retryAfterMs : undefined;
  if (retryAfter !== undefined) return Math.min(retryAfter, cap);
  const ceiling = Math.min(cap, (policy.baseDelayMs ?? 250) * 2 ** (attempt - 1));
  return Math.round(random() * ceiling);
}

/**
 * Runs `fn` until it succeeds, fails with a non-retryable error, or uses up
 * the attempts; emits `{type:'retry'}` before each wait. Abort ends the wait
 * at once with an ABORTED TugError.
 */
export async function withRetry<T>(what: string, fn: (attempt: number) => Promise<T>, policy: RetryPolicy = {}): Promise<T> {
  const attempts = Math.max(1, policy.maxAttempts ?? 5);
  for (let attempt = 1; ; attempt++) {
    if (policy.signal?.aborted) throw cancelledError(what, policy.signal.reason);
    try {
      return await fn(attempt);
    } catch (err) {
      if (attempt >= attempts || !isRetryable(err)) throw err;
      const delayMs = backoffDelay(attempt, err, policy);
      policy.onEvent?.({ type: 'retry', what, attempt, delayMs, reason: err instanceof Error ? err.message : String(err) });
      try {
        await sleep(delayMs, undefined, policy.signal ? { signal: policy.signal } : {});
      } catch (abortErr) {
        throw cancelledError(what, abortErr);
      }
    }
  }
}
