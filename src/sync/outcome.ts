/**
 * How a sync with failures ends, the same for a real run and a dry run: a
 * plan with failed items is a failure for a script, whether or not anything
 * was going to be written. Decided from the failures' error codes, which
 * every failed item carries (`ItemResult.errorCode`, `PlanItem.errorCode`,
 * set with errorCode() of src/errors).
 */
import { type ErrorCode, TugError } from '../errors/index.ts';

/** One image that did not reach its destination: the code of its error; undefined when it was never run. */
export interface ItemFailure {
  errorCode?: ErrorCode | undefined;
}

/**
 * The error a sync ends with when `failures` (of `total` images) failed:
 * TRANSIENT (exit 4, "re-run") when every failure with a reason was
 * temporary, else REGISTRY (exit 1). Images that were never run (after a
 * failure without --keep-going) carry no code and do not decide it.
 */
export function syncFailure(failures: readonly ItemFailure[], total: number, hint: string): TugError {
  const codes = failures.flatMap((f) => (f.errorCode === undefined ? [] : [f.errorCode]));
  const code: ErrorCode = codes.length > 0 && codes.every((c) => c === 'TRANSIENT') ? 'TRANSIENT' : 'REGISTRY';
  return new TugError(code, `${failures.length} of ${total} images failed`, { hint });
}
