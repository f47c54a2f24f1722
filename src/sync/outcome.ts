/**
 * How a sync with failures ends, the same for a real run and a dry run: a
 * plan with failed items is a failure for a script, whether or not anything
 * was going to be written.
 */
import { type ErrorCode, TugError } from '../errors/index.ts';

/** One failed image: its message and, where known, its error's code. */
export interface ItemFailure {
  error?: string | undefined;
  errorCode?: ErrorCode | undefined;
}

/**
 * Temporary: the error's code says TRANSIENT; for an error that lost its code
 * (a message only), the text names a timeout or retries.
 */
function temporary(f: ItemFailure): boolean {
  return f.errorCode !== undefined ? f.errorCode === 'TRANSIENT' : /TRANSIENT|timed out|retr/i.test(f.error ?? '');
}

/**
 * The error a sync ends with when `failures` (of `total` images) failed:
 * TRANSIENT (exit 4, "re-run") when every failure with a reason was
 * temporary, else REGISTRY (exit 1). Images that were never run (after a
 * failure without --keep-going) carry no reason and do not decide the code.
 */
export function syncFailure(failures: readonly ItemFailure[], total: number, hint: string): TugError {
  const reasons = failures.filter((f) => f.error !== undefined);
  const code: ErrorCode = reasons.length > 0 && reasons.every(temporary) ? 'TRANSIENT' : 'REGISTRY';
  return new TugError(code, `${failures.length} of ${total} images failed`, { hint });
}
