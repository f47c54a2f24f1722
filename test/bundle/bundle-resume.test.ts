/**
 * `tug bundle apply` killed with SIGKILL as its first blob lands at the
 * registry, then run again: the second run completes and pushes only the
 * blobs the first did not, as the registry's access log shows.
 */
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { existsSync, readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { type GeneratedImage, makeImage, pushImage } from '../support/images.ts';
import { type TestRegistry, startRegistry } from '../support/registry.ts';
import { tempDir } from '../support/tmp.ts';
import { TUG_ARGV, runTug } from '../support/tug.ts';
import { waitFor } from '../support/wait.ts';

let src: TestRegistry;
let work: string;
let image: GeneratedImage;
let bundle: string;

before(async () => {
  work = tempDir(undefined, 'tug-bundle-resume-');
  src = await startRegistry();
  image = await makeImage({ seed: 'bundle-resume', layerSizes: Array.from({ length: 12 }, (_, i) => 600_000 + i) });
  await pushImage({ url: src.url, repository: 'edge/heavy', tag: 'v1' }, image);
  const list = join(work, 'list.txt');
  writeFileSync(list, `${src.host}/edge/heavy:v1\n`);
  bundle = join(work, 'bundle');
  const r = await runTug(['bundle', 'create', list, bundle, '-q']);
  assert.equal(r.code, 0, r.stderr);
});

after(async () => {
  await src.stop();
});

/** Completed blob uploads (the closing PUT of an upload session) in the access log. */
const blobPuts = (log: string) => (existsSync(log) ? readFileSync(log, 'utf8').split('\n').filter((l) => /"PUT \/v2\/edge\/heavy\/blobs\/uploads\//.test(l) && /" 201 /.test(l)) : []);

test('kill -9 during apply, then re-run: complete, and only the missing blobs are pushed', async () => {
  const log = join(work, 'dst.log');
  const dst = await startRegistry({ accessLog: log });
  try {
    const child = spawn(TUG_ARGV[0]!, [...TUG_ARGV.slice(1), 'bundle', 'apply', bundle, dst.host, '-q', '--jobs', '1', '--concurrency', '1'], { stdio: 'ignore' });
    const exited = new Promise<void>((resolve) => child.on('exit', () => resolve()));
    await waitFor('the first blob upload', () => blobPuts(log).length > 0 || child.exitCode !== null, 60_000, 5);
    child.kill('SIGKILL');
    await exited;
    const first = blobPuts(log).length;
    const total = image.blobs.size;
    assert.ok(first < total, `the first run was to be interrupted (${first} of ${total} blobs pushed)`);
    const tags = await fetch(`${dst.url}/v2/edge/heavy/tags/list`);
    assert.notEqual(tags.status, 200, 'no tag before the copy completes');

    const again = await runTug(['bundle', 'apply', bundle, dst.host, '-q']);
    assert.equal(again.code, 0, again.stderr);
    const second = blobPuts(log).length - first;
    assert.equal(first + second, total, `first run ${first}, second run ${second}, blobs ${total}: each pushed once`);
    const head = await fetch(`${dst.url}/v2/edge/heavy/manifests/v1`, { method: 'HEAD', headers: { accept: image.top.mediaType } });
    assert.equal(head.headers.get('docker-content-digest'), image.top.digest);
  } finally {
    await dst.stop();
  }
});

test('kill -9 during create leaves no bundle at OUT, and the next create there removes the leftover', async () => {
  const parent = tempDir(undefined, 'tug-bundle-killed-');
  const list = join(work, 'list.txt');
  const out = join(parent, 'bundle');
  const child = spawn(TUG_ARGV[0]!, [...TUG_ARGV.slice(1), 'bundle', 'create', list, out, '-q', '--concurrency', '1'], { stdio: 'ignore' });
  const exited = new Promise<void>((resolve) => child.on('exit', () => resolve()));
  const leftover = await waitFor('a part being written', () => readdirSync(parent).find((n) => n.startsWith('.tug-tmp-') && readdirSync(join(parent, n)).some((f) => /\.tar\.001$/.test(f))) ?? (child.exitCode !== null && 'exited'), 60_000, 5);
  child.kill('SIGKILL');
  await exited;
  assert.notEqual(leftover, 'exited', 'the create was to be interrupted');
  assert.equal(existsSync(out), false);
  const again = await runTug(['bundle', 'create', list, out, '-q']);
  assert.equal(again.code, 0, again.stderr);
  assert.deepEqual(readdirSync(parent), ['bundle']);
});
