/**
 * When a failed attempt of a scheduled sync is tried again: not when a retry
 * cannot mend it ({@link isFinalFailure}), else after an exponential backoff
 * ({@link retryDelayMs}) that a shutdown may cut short ({@link sleep}).
 */
import { TugError } from '../errors/index.ts';

/**
 * Failures a retry minutes later cannot mend: wrong or missing credentials, a
 * certificate that does not verify, a tag or Registry that does not exist,
 * bad input. Retrying them only repeats the error, and repeated failed logins
 * lock accounts on registries that count them (Harbor, Docker Hub). The next
 * scheduled sync, or a manual one after the fix, tries again. (skopeo's
 * --retry-times skips the same kinds.)
 */
const FINAL_CODES: ReadonlySet<string> = new Set(['AUTH', 'TLS', 'NOT_FOUND', 'USAGE', 'UNSAFE_INPUT', 'UNSUPPORTED', 'POLICY']);

/** Whether `err` is a failure another attempt cannot mend (see {@link FINAL_CODES}). */
export function isFinalFailure(err: unknown): boolean {
  return err instanceof TugError && FINAL_CODES.has(err.code);
}

/** The wait before retrying after failed attempt number `attempt` (1-based): `baseMs` doubled per attempt, at most 5 minutes. */
export function retryDelayMs(attempt: number, baseMs: number): number {
  return Math.min(300_000, baseMs * 2 ** (attempt - 1));
}

/** Resolves true after `ms`, or false as soon as `signal` aborts. */
export function sleep(ms: number, signal: AbortSignal): Promise<boolean> {
  return new Promise((resolve) => {
    if (signal.aborted) return resolve(false);
    const timer = setTimeout(() => {
      signal.removeEventListener('abort', onAbort);
      resolve(true);
    }, ms);
    const onAbort = () => {
      clearTimeout(timer);
      resolve(false);
    };
    signal.addEventListener('abort', onAbort, { once: true });
  });
}
