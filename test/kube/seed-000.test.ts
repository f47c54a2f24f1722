/**
 * Seed 000's workflow with `tug kube`: its three Helm values files generated
 * from examples/openyurt-1.6.sync.yaml (the public values rewritten), equal
 * to the seed's; `--reverse` ("切换到公共镜像") gives back the public files
 * byte for byte; `--in-place`, stdin and `tug kube images` on the same files.
 */
import assert from 'node:assert/strict';
import { copyFileSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { readSyncSpec } from '../../src/sync/config/index.ts';
import { tempDir } from '../support/tmp.ts';
import { runTug } from '../support/tug.ts';

const FIXTURES = 'test/kube/fixtures/seed-000';
const SYNC_FILE = 'examples/openyurt-1.6.sync.yaml';
const COMPONENTS = ['yurt-manager', 'yurthub', 'raven-agent'];
/** The YAML below a fixture's header comment (the header names where the fixture comes from). */
const body = (text: string) => text.replace(/^(#.*\n)+/, '');
const read = (name: string) => readFileSync(join(FIXTURES, name), 'utf8');

for (const c of COMPONENTS) {
  test(`seed 000: ${c}-values.yaml generated from the sync file equals the seed's, and --reverse gives the public one back`, async () => {
    const pub = body(read(`${c}-values.public.yaml`));
    const r = await runTug(['kube', 'rewrite', '-f', SYNC_FILE, '-'], { input: pub });
    assert.equal(r.code, 0, r.stderr);
    assert.equal(r.stdout, body(read(`${c}-values.yaml`)));
    assert.match(r.stderr, new RegExp(`-:2: image: docker\\.io/openyurt/${c}:v[\\d.]+ -> quanzhenglong\\.com/edge/${c}:v[\\d.]+`));
    const back = await runTug(['kube', 'rewrite', '--reverse', '-f', SYNC_FILE, '-'], { input: r.stdout });
    assert.equal(back.code, 0, back.stderr);
    assert.equal(back.stdout, pub);
  });
}

test('seed 000: --in-place rewrites every file (comments kept) and --reverse restores the bytes', async (t) => {
  const dir = tempDir(t, 'kube-seed-');
  const files = COMPONENTS.map((c) => {
    const f = join(dir, `${c}-values.yaml`);
    copyFileSync(join(FIXTURES, `${c}-values.public.yaml`), f);
    return f;
  });
  const r = await runTug(['kube', 'rewrite', '-f', SYNC_FILE, '--in-place', ...files]);
  assert.equal(r.code, 0, r.stderr);
  assert.equal(r.stdout, '');
  COMPONENTS.forEach((c, i) => assert.equal(body(readFileSync(files[i]!, 'utf8')), body(read(`${c}-values.yaml`))));
  assert.match(readFileSync(files[0]!, 'utf8'), /^# Seed 000's yurt-manager-values\.yaml/);
  const back = await runTug(['kube', 'rewrite', '--reverse', '-f', SYNC_FILE, '-i', ...files]);
  assert.equal(back.code, 0, back.stderr);
  COMPONENTS.forEach((c, i) => assert.equal(readFileSync(files[i]!, 'utf8'), read(`${c}-values.public.yaml`)));
});

test('seed 000: tug kube images finds the three images and writes a sync file tug sync reads', async () => {
  const files = COMPONENTS.map((c) => join(FIXTURES, `${c}-values.public.yaml`));
  const list = await runTug(['kube', 'images', ...files]);
  assert.equal(list.code, 0, list.stderr);
  assert.equal(list.stdout, 'docker.io/openyurt/yurt-manager:v1.6.0\ndocker.io/openyurt/yurthub:v1.6.0\ndocker.io/openyurt/raven-agent:v0.4.1\n');
  const sync = await runTug(['kube', 'images', '-o', 'sync-file', '--dest', 'quanzhenglong.com/edge', ...files]);
  assert.equal(sync.code, 0, sync.stderr);
  const spec = readSyncSpec([{ file: 'found.yaml', text: sync.stdout }]);
  assert.equal(spec.format, 'tugboat');
  assert.equal(spec.destination, 'quanzhenglong.com/edge');
  assert.deepEqual(spec.sources.map((s) => [s.repository, s.filter.tags]), [
    ['docker.io/openyurt/yurt-manager', ['v1.6.0']],
    ['docker.io/openyurt/yurthub', ['v1.6.0']],
    ['docker.io/openyurt/raven-agent', ['v0.4.1']],
  ]);
  const asList = readSyncSpec([{ file: 'found.txt', text: list.stdout }]);
  assert.equal(asList.format, 'list');
  assert.equal(asList.sources.length, 3);
});

test('hostile input through the CLI: one line per problem, exit 2, nothing on stdout', async () => {
  const r = await runTug(['kube', 'rewrite', '-f', SYNC_FILE, '-'], { input: 'a: 1\n---\nspec:\n  containers:\n    - image: [x]\n' });
  assert.equal(r.code, 2);
  assert.equal(r.stdout, '');
  assert.match(r.stderr, /^-:5: document 2: spec\.containers\[0\]\.image: is not a string \(expected an image reference such as nginx:1\.27\)$/m);
});
