/**
 * Whole-operation retry for the engine (a blob transfer that failed after the
 * transport's own per-request retries and resumes). Only temporary failures
 * are retried; integrity, auth and usage errors are final.
 */
import { setTimeout as sleep } from 'node:timers/promises';
import { RegistryError, TugError } from '../errors/index.ts';

export function isTemporary(err: unknown): boolean {
  if (err instanceof RegistryError) return err.temporary || err.code === 'TRANSIENT';
  if (err instanceof TugError) return err.code === 'TRANSIENT';
  // Raw Node stream/socket errors that escaped a transport.
  const code = (err as NodeJS.ErrnoException | undefined)?.code;
  return code === 'ECONNRESET' || code === 'EPIPE' || code === 'ETIMEDOUT' || code === 'UND_ERR_SOCKET' || code === 'ECONNREFUSED';
}

export interface RetryOptions {
  attempts: number;
  baseDelayMs: number;
  maxDelayMs: number;
  signal?: AbortSignal | undefined;
  onRetry?: (attempt: number, delayMs: number, err: unknown) => void;
}

/** Runs `fn` until it succeeds, fails with a non-temporary error, or runs out of attempts. Full-jitter backoff. */
export async function withRetry<T>(fn: (attempt: number) => Promise<T>, options: RetryOptions): Promise<T> {
  for (let attempt = 1; ; attempt++) {
    try {
      return await fn(attempt);
    } catch (err) {
      if (attempt >= options.attempts || !isTemporary(err) || options.signal?.aborted) throw err;
      const ceiling = Math.min(options.maxDelayMs, options.baseDelayMs * 2 ** (attempt - 1));
      const hinted = err instanceof RegistryError && err.retryAfterMs !== undefined ? Math.min(err.retryAfterMs, options.maxDelayMs) : 0;
      const delayMs = Math.max(hinted, Math.round(Math.random() * ceiling));
      options.onRetry?.(attempt, delayMs, err);
      await sleep(delayMs, undefined, options.signal ? { signal: options.signal } : {});
    }
  }
}
