/**
 * Issue 10, item 16: `tug sync --dry-run` of a plan that cannot be made (no
 * registry reachable) fails as the real run would, with the same exit code,
 * instead of exiting 0. A port nothing listens on stands for the registry.
 */
import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { freePort } from '../support/registry.ts';
import { runTug } from '../support/tug.ts';
import { tempDir } from '../support/tmp.ts';

test('sync --dry-run exits as the real run does when every image of the plan failed', async (t) => {
  const work = tempDir(t, 'tug-dry-run-');
  const nobody = `127.0.0.1:${await freePort()}`;
  const list = join(work, 'images.txt');
  writeFileSync(list, `${nobody}/team/a:1\n${nobody}/team/b:2\n`);
  const args = ['--retry-times', '0', '--dest', 'oci', list, join(work, 'out')];

  const real = await runTug(['sync', '--keep-going', ...args]);
  const dry = await runTug(['sync', '--dry-run', ...args]);
  assert.notEqual(real.code, 0, real.stderr);
  assert.equal(dry.code, real.code, `dry run: ${dry.stderr}\nreal run: ${real.stderr}`);
  assert.equal(dry.code, 4, 'unreachable registries are a temporary failure: re-run');
  assert.match(dry.stdout, /Plan: 0 to copy, 0 to retag, 0 up to date, 2 failed/);
  assert.match(dry.stderr, /2 of 2 images failed \(dry run: the real run would fail for these images/);
});
