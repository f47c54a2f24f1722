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

/** Codes a whole sync ends with when every failure had it: what a script does next differs (re-run; fix the signatures or the policy). */
const SHARED_OUTCOMES: ReadonlySet<ErrorCode> = new Set(['TRANSIENT', 'POLICY']);

/**
 * The error a sync ends with when `failures` (of `total` images) failed:
 * TRANSIENT (exit 4, "re-run") when every failure with a reason was
 * temporary, POLICY (exit 3, as for one image) when every one was refused by
 * the signature policy, else REGISTRY (exit 1). Images that were never run
 * (after a failure without --keep-going) carry no code and do not decide it.
 */
export function syncFailure(failures: readonly ItemFailure[], total: number, hint: string): TugError {
  const codes = new Set(failures.flatMap((f) => (f.errorCode === undefined ? [] : [f.errorCode])));
  const [only] = codes;
  const code: ErrorCode = codes.size === 1 && only !== undefined && SHARED_OUTCOMES.has(only) ? only : 'REGISTRY';
  return new TugError(code, `${failures.length} of ${total} images failed`, { hint });
}
