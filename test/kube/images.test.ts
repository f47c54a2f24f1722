/**
 * `tug kube images`: the images of a rendered chart on stdin (as from
 * `helm template ... | tug kube images -`), of values files, as a list, a
 * sync file or JSON with where each was found.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { findImages, distinctImages } from '../../src/kube/images.ts';
import { imageListText, syncFileText } from '../../src/kube/image-list.ts';
import { readSyncSpec } from '../../src/sync/config/index.ts';
import { runTug } from '../support/tug.ts';

const DIGEST = `sha256:${'c'.repeat(64)}`;
/** What `helm template` prints: `# Source:` comments, several kinds, one image twice. */
const RENDERED = `---
# Source: yurt/templates/yurthub.yaml
apiVersion: apps/v1
kind: DaemonSet
spec:
  template:
    spec:
      initContainers:
        - image: busybox:1.36
      containers:
        - image: openyurt/yurthub:v1.6.0
---
# Source: yurt/templates/manager.yaml
apiVersion: apps/v1
kind: Deployment
spec:
  template:
    spec:
      containers:
        - image: "docker.io/openyurt/yurt-manager:v1.6.0"
        - image: openyurt/yurthub:v1.6.0
---
# Source: yurt/templates/cleanup.yaml
apiVersion: batch/v1
kind: CronJob
spec:
  jobTemplate:
    spec:
      template:
        spec:
          containers:
            - image: registry.k8s.io/kubectl@${DIGEST}
            - image: quay.io/coreos/etcd:v3.5.0@${DIGEST}
`;

test('a rendered chart: every image, in order, distinct', () => {
  const found = findImages({ file: '-', text: RENDERED });
  assert.deepEqual(found.problems, []);
  assert.deepEqual(distinctImages(found.sites), [
    'docker.io/library/busybox:1.36',
    'docker.io/openyurt/yurthub:v1.6.0',
    'docker.io/openyurt/yurt-manager:v1.6.0',
    `registry.k8s.io/kubectl@${DIGEST}`,
    `quay.io/coreos/etcd:v3.5.0@${DIGEST}`,
  ]);
  assert.deepEqual(found.sites.map((s) => s.document), [1, 1, 2, 2, 3, 3]);
});

test('as a sync file and a list, both read back by the sync readers', () => {
  const refs = findImages({ file: '-', text: RENDERED }).sites.map((s) => s.ref);
  const spec = readSyncSpec([{ file: 'found.yaml', text: syncFileText(refs, { destination: 'registry.example.com/edge' }) }]);
  assert.deepEqual(spec.sources.map((s) => [s.repository, s.filter.tags, s.aliases]), [
    ['docker.io/library/busybox', ['1.36'], undefined],
    ['docker.io/openyurt/yurthub', ['v1.6.0'], undefined],
    ['docker.io/openyurt/yurt-manager', ['v1.6.0'], undefined],
    ['registry.k8s.io/kubectl', [DIGEST], undefined],
    ['quay.io/coreos/etcd', [DIGEST], { 'v3.5.0': DIGEST }],
  ]);
  const list = readSyncSpec([{ file: 'found.txt', text: imageListText(refs) }]);
  assert.equal(list.sources.length, 5);
});

test('CLI: stdin in, JSON out with file, document, line and path', async () => {
  const r = await runTug(['kube', 'images', '-o', 'json', '-'], { input: RENDERED });
  assert.equal(r.code, 0, r.stderr);
  const rows = r.stdout.trim().split('\n').map((l) => JSON.parse(l));
  assert.deepEqual(rows[1], { image: 'docker.io/openyurt/yurthub:v1.6.0', file: '-', document: 1, line: 11, path: 'spec.template.spec.containers[0].image' });
  assert.equal(rows.length, 6);
});

test('CLI: rewrite with --map from stdin to stdout, unmapped images noted on stderr', async () => {
  const r = await runTug(['kube', 'rewrite', '--map', 'docker.io/openyurt/*=registry.example.com/edge/*', '-'], { input: RENDERED });
  assert.equal(r.code, 0, r.stderr);
  assert.equal(r.stdout, RENDERED.replaceAll('image: openyurt/', 'image: registry.example.com/edge/').replace('"docker.io/openyurt/yurt-manager', '"registry.example.com/edge/yurt-manager'));
  assert.match(r.stderr, /^Note: -: docker\.io\/library\/busybox:1\.36 left as is \(no mapping for it\)$/m);
});

test('CLI: a sync file without a destination (an image list) maps with --dest, as tug sync LIST DEST does', async (t) => {
  const { tempDir } = await import('../support/tmp.ts');
  const { writeFileSync } = await import('node:fs');
  const list = `${tempDir(t, 'kube-list-')}/images.txt`;
  writeFileSync(list, 'openyurt/yurthub:v1.6.0\n');
  const r = await runTug(['kube', 'rewrite', '-f', list, '--dest', 'quanzhenglong.com/edge', '-'], { input: 'image: openyurt/yurthub:v1.6.0\n' });
  assert.equal(r.code, 0, r.stderr);
  assert.equal(r.stdout, 'image: quanzhenglong.com/edge/yurthub:v1.6.0\n');
});
