/** Helpers shared by the sync-config tests. */
import assert from 'node:assert/strict';
import { SyncConfigError } from '../../src/sync/config/index.ts';

/**
 * Runs `fn`, expects a SyncConfigError (code USAGE) with an issue at
 * `file:line` whose text matches `pattern`; returns the error for more checks.
 */
export function expectIssue(fn: () => unknown, file: string, line: number, pattern: RegExp): SyncConfigError {
  let caught: unknown;
  try {
    fn();
  } catch (err) {
    caught = err;
  }
  assert.ok(caught instanceof SyncConfigError, `expected a SyncConfigError, got ${String(caught)}`);
  assert.equal(caught.code, 'USAGE');
  const lines = caught.message.split('\n');
  const hit = lines.find((l) => l.startsWith(`${file}:${line}: `) && pattern.test(l));
  assert.ok(hit, `no issue at ${file}:${line} matching ${pattern} in:\n${caught.message}`);
  return caught;
}

/** Like {@link expectIssue} for an async function. */
export async function expectIssueAsync(fn: () => Promise<unknown>, file: string, line: number, pattern: RegExp): Promise<SyncConfigError> {
  let caught: unknown;
  try {
    await fn();
  } catch (err) {
    caught = err;
  }
  return expectIssue(() => {
    if (caught !== undefined) throw caught;
  }, file, line, pattern);
}

/** Joins lines into a file text, so tests can count lines by eye. */
export function lines(...ls: string[]): string {
  return `${ls.join('\n')}\n`;
}
