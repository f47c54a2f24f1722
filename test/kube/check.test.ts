/**
 * `tug kube rewrite --check` and `--pin-digests` against real loopback
 * registries: --check fails while an image is missing from the mirror and
 * passes after `tug sync` filled it; --pin-digests writes the digest the
 * mirror serves.
 */
import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { type GeneratedImage, multiArch, pushImage } from '../support/images.ts';
import { type TestRegistry, startRegistry } from '../support/registry.ts';
import { tempDir } from '../support/tmp.ts';
import { runTug } from '../support/tug.ts';

let src: TestRegistry;
let mirror: TestRegistry;
let image: GeneratedImage;
let syncFile: string;
let manifest: string;

before(async () => {
  const work = tempDir(undefined, 'kube-check-');
  src = await startRegistry();
  mirror = await startRegistry();
  image = await multiArch('kube-check-yurthub');
  await pushImage({ url: src.url, repository: 'openyurt/yurthub', tag: 'v1.6.0' }, image);
  syncFile = join(work, 'sync.yaml');
  writeFileSync(
    syncFile,
    [
      'apiVersion: tugboat.dev/v1alpha1',
      'kind: SyncConfig',
      'platforms: all',
      'mappings:',
      `  - {from: ${src.host}/openyurt/*, to: ${mirror.host}/edge/*}`,
      'images:',
      `  - {source: ${src.host}/openyurt/yurthub, tags: [v1.6.0]}`,
      '',
    ].join('\n'),
  );
  manifest = `apiVersion: apps/v1\nkind: DaemonSet\nspec:\n  template:\n    spec:\n      containers:\n        - name: yurthub # node agent\n          image: ${src.host}/openyurt/yurthub:v1.6.0\n`;
});

after(async () => {
  await src?.stop();
  await mirror?.stop();
});

test('--check exits 1 naming the missing image, passes after tug sync; --pin-digests writes the mirror digest', async () => {
  const missing = await runTug(['kube', 'rewrite', '--check', '-f', syncFile, '-'], { input: manifest });
  assert.equal(missing.code, 1, missing.stderr);
  assert.match(missing.stdout, new RegExp(`^MISSING ${mirror.host}/edge/yurthub:v1\\.6\\.0 \\(for ${src.host}/openyurt/yurthub:v1\\.6\\.0\\): image$`, 'm'));
  assert.match(missing.stderr, /1 of 1 images are not in the mirror/);

  const pinBefore = await runTug(['kube', 'rewrite', '--pin-digests', '-f', syncFile, '-'], { input: manifest });
  assert.equal(pinBefore.code, 1, pinBefore.stderr);
  assert.equal(pinBefore.stdout, '');

  const sync = await runTug(['sync', syncFile]);
  assert.equal(sync.code, 0, sync.stderr);

  const ok = await runTug(['kube', 'rewrite', '--check', '-f', syncFile, '-'], { input: manifest });
  assert.equal(ok.code, 0, ok.stderr);
  assert.match(ok.stdout, new RegExp(`^ok {6}${mirror.host}/edge/yurthub:v1\\.6\\.0$`, 'm'));

  const pinned = await runTug(['kube', 'rewrite', '--pin-digests', '-f', syncFile, '-'], { input: manifest });
  assert.equal(pinned.code, 0, pinned.stderr);
  assert.equal(pinned.stdout, manifest.replace(`${src.host}/openyurt/yurthub:v1.6.0`, `${mirror.host}/edge/yurthub:v1.6.0@${image.top.digest}`));

  // The rewritten manifest checks too: mirror names are recognised as such.
  const again = await runTug(['kube', 'rewrite', '--check', '-f', syncFile, '-'], { input: pinned.stdout });
  assert.equal(again.code, 0, again.stdout + again.stderr);
});
