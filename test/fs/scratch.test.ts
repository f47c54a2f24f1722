/**
 * Scratch directories of archive transports: a run killed with SIGKILL
 * leaves its extraction behind, and the next run that makes one in the same
 * place removes it, but never a live run's.
 */
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { isStaleScratch } from '../../src/fs/scratch.ts';
import { PROCESS_START } from '../../src/fs/temp-files.ts';
import { makeImage, writeOciLayout } from '../support/images.ts';
import { tempDir } from '../support/tmp.ts';
import { runTug } from '../support/tug.ts';

/** A pid that existed and is gone: a child that has already exited. */
function deadPid(): number {
  const child = spawnSync('true');
  return child.pid!;
}

const start = PROCESS_START.toString(36);
const run = { processStart: PROCESS_START, pid: 4242, alive: (pid: number) => pid === 777 };

for (const [name, stale, why] of [
  [`tug-scratch-oci-archive-999-${start}-AbC123`, true, 'a dead pid'],
  [`tug-scratch-docker-archive-dest-777-${start}-AbC123`, false, 'a live pid'],
  [`tug-scratch-oci-archive-4242-${start}-AbC123`, false, 'this very process'],
  [`tug-scratch-oci-archive-4242-${(PROCESS_START - 1000).toString(36)}-AbC123`, true, 'this pid in an earlier process'],
  ['tug-serve-AbC123', false, 'another tool\'s (or a test\'s) directory'],
  ['tug-scratch-oci-archive-AbC123', false, 'a name without pid and start'],
] as const) {
  test(`isStaleScratch: ${why} -> ${stale}`, () => {
    assert.equal(isStaleScratch(name, run), stale);
  });
}

test('a copy out of an archive sweeps killed runs\' scratch directories in --tmpdir, and keeps a live run\'s', async (t) => {
  const work = tempDir(t, 'tug-scratch-test-');
  const scratch = join(work, 'tmp');
  mkdirSync(scratch);
  const layout = join(work, 'layout');
  writeOciLayout(layout, await makeImage({ seed: 'scratch-sweep', layerSizes: [4096] }), 'v1');

  const dead = join(scratch, `tug-scratch-oci-archive-${deadPid()}-${start}-Dead01`);
  mkdirSync(dead);
  writeFileSync(join(dead, 'blob'), Buffer.alloc(64 * 1024));
  const sleeper = spawn('sleep', ['60'], { stdio: 'ignore' });
  t.after(() => sleeper.kill('SIGKILL'));
  const live = join(scratch, `tug-scratch-docker-archive-${sleeper.pid}-${start}-Live01`);
  mkdirSync(live);
  const foreign = join(scratch, 'tug-scratch-not-ours');
  mkdirSync(foreign);
  // A link named like a dead run's directory, pointing at someone's data: left alone.
  const victim = join(work, 'victim');
  mkdirSync(victim);
  writeFileSync(join(victim, 'precious'), 'data');
  const link = join(scratch, `tug-scratch-oci-archive-${deadPid()}-${start}-Link01`);
  symlinkSync(victim, link);

  const archive = join(work, 'image.tar');
  const pack = await runTug(['copy', `oci:${layout}:v1`, `oci-archive:${archive}:v1`]);
  assert.equal(pack.code, 0, pack.stderr);
  const unpack = await runTug(['copy', '--tmpdir', scratch, `oci-archive:${archive}:v1`, `oci:${join(work, 'out')}:v1`]);
  assert.equal(unpack.code, 0, unpack.stderr);

  assert.equal(existsSync(dead), false, 'the killed run\'s extraction is gone');
  assert.equal(existsSync(live), true, 'a live run\'s stays');
  assert.equal(existsSync(foreign), true, 'a name that is not ours stays');
  assert.equal(existsSync(join(victim, 'precious')), true, 'a symlink with a stale name is not followed');
  assert.deepEqual(readdirSync(scratch).sort(), [live, foreign, link].map((p) => p.slice(scratch.length + 1)).sort(), 'and this run removed its own');
});
