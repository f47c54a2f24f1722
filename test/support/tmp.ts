/**
 * The one temp-dir helper of the test suite: a fresh directory under
 * os.tmpdir() that is removed when its test (or, without one, the test
 * process) ends. Nothing else in test/ should call mkdtemp on its own.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { TestContext } from 'node:test';

const orphans = new Set<string>();
process.on('exit', () => {
  for (const dir of orphans) rmSync(dir, { recursive: true, force: true });
});

/**
 * Makes `os.tmpdir()/PREFIXxxxxxx` and returns its absolute path. With a
 * test context it is removed after that test (`t.after`); with `undefined`
 * (a file-level fixture, a `before` hook) it is removed when the process exits.
 */
export function tempDir(t: TestContext | undefined, prefix: string): string {
  const dir = mkdtempSync(join(tmpdir(), prefix));
  if (t) t.after(() => rmSync(dir, { recursive: true, force: true }));
  else orphans.add(dir);
  return dir;
}
