/**
 * `src/kube/images.ts` + `rewrite.ts`: images found in every workload kind
 * and Helm value shape, rewritten in place (everything but the image
 * scalars byte for byte the same), and back with --reverse.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { findImages, problemText } from '../../src/kube/images.ts';
import { mapImage, mapperFromRules, mappingRulesFromFlags } from '../../src/kube/mapper.ts';
import { rewriteImages } from '../../src/kube/rewrite.ts';

const mapper = mapperFromRules(mappingRulesFromFlags(['docker.io/openyurt/*=quanzhenglong.com/edge/*', 'nginx=registry.example.com/web/nginx', 'quay.io/coreos/*=127.0.0.1:5000/coreos/*']));
const forward = (text: string) => rewriteImages({ file: 't.yaml', text }, (r) => mapImage(mapper, r, 'forward'));
const reverse = (text: string) => rewriteImages({ file: 't.yaml', text }, (r) => mapImage(mapper, r, 'reverse'));

const podSpec = (indent: string) =>
  [
    `${indent}initContainers:`,
    `${indent}  - name: init`,
    `${indent}    image: openyurt/yurthub:v1.6.0 # the node agent`,
    `${indent}containers:`,
    `${indent}  - name: app`,
    `${indent}    image: "nginx:1.27"`,
    `${indent}  - name: side`,
    `${indent}    image: busybox   # not mapped: left alone`,
    `${indent}ephemeralContainers:`,
    `${indent}  - name: debug`,
    `${indent}    image: 'quay.io/coreos/etcd@sha256:${'a'.repeat(64)}'`,
  ].join('\n');

const workloads: { kind: string; text: string }[] = [
  { kind: 'Pod', text: `apiVersion: v1\nkind: Pod\nmetadata: {name: p}\nspec:\n${podSpec('  ')}\n` },
  ...['Deployment', 'StatefulSet', 'DaemonSet', 'ReplicaSet', 'Job'].map((kind) => ({
    kind,
    text: `apiVersion: apps/v1\nkind: ${kind}\nmetadata:\n  name: w\nspec:\n  template:\n    spec:\n${podSpec('      ')}\n`,
  })),
  { kind: 'CronJob', text: `apiVersion: batch/v1\nkind: CronJob\nspec:\n  schedule: "*/5 * * * *"\n  jobTemplate:\n    spec:\n      template:\n        spec:\n${podSpec('          ')}\n` },
  { kind: 'PodTemplate', text: `apiVersion: v1\nkind: PodTemplate\ntemplate:\n  spec:\n${podSpec('    ')}\n` },
  { kind: 'List', text: `apiVersion: v1\nkind: List\nitems:\n  - kind: Pod\n    spec:\n${podSpec('      ')}\n` },
];

for (const w of workloads) {
  test(`${w.kind}: init, regular and ephemeral containers are rewritten, the rest kept byte for byte`, () => {
    const r = forward(w.text);
    assert.deepEqual(r.problems, []);
    assert.deepEqual(
      r.changes.map((c) => [c.path.replace(/^.*\.(\w+Containers|containers)/, '$1'), c.to]),
      [
        ['initContainers[0].image', 'quanzhenglong.com/edge/yurthub:v1.6.0'],
        ['containers[0].image', 'registry.example.com/web/nginx:1.27'],
        ['ephemeralContainers[0].image', `127.0.0.1:5000/coreos/etcd@sha256:${'a'.repeat(64)}`],
      ],
    );
    const expected = w.text
      .replace('openyurt/yurthub:v1.6.0', 'quanzhenglong.com/edge/yurthub:v1.6.0')
      .replace('"nginx:1.27"', '"registry.example.com/web/nginx:1.27"')
      .replace("'quay.io/coreos/etcd@", "'127.0.0.1:5000/coreos/etcd@");
    assert.equal(r.text, expected);
    assert.deepEqual(r.unmapped, ['docker.io/library/busybox']);
    assert.equal(reverse(r.text).text, w.text, 'rewrite then --reverse gives back the original bytes');
  });
}

const helm: { name: string; text: string; expected: string }[] = [
  { name: 'image: repo:tag', text: 'image: openyurt/yurthub:v1.6.0\n', expected: 'image: quanzhenglong.com/edge/yurthub:v1.6.0\n' },
  {
    name: 'image: {repository, tag} (seed 000)',
    text: '# values\nimage:\n  repository: openyurt/yurt-manager  # 改为公共镜像\n  tag: v1.6.0\n  pullPolicy: IfNotPresent\n',
    expected: '# values\nimage:\n  repository: quanzhenglong.com/edge/yurt-manager  # 改为公共镜像\n  tag: v1.6.0\n  pullPolicy: IfNotPresent\n',
  },
  {
    name: 'image: {registry, repository, tag, digest}',
    text: `image:\n  registry: docker.io\n  repository: openyurt/raven-agent\n  tag: "v0.4.1"\n  digest: ""\n`,
    expected: `image:\n  registry: quanzhenglong.com\n  repository: edge/raven-agent\n  tag: "v0.4.1"\n  digest: ""\n`,
  },
  {
    name: 'nested component images and library images',
    text: 'controller:\n  image:\n    registry: docker.io\n    repository: nginx\n    tag: 1.27\nagent:\n  image: {repository: openyurt/yurthub, tag: v1.6.0}\n',
    expected: 'controller:\n  image:\n    registry: registry.example.com\n    repository: web/nginx\n    tag: 1.27\nagent:\n  image: {repository: quanzhenglong.com/edge/yurthub, tag: v1.6.0}\n',
  },
  {
    name: 'global.imageRegistry overrides image.registry',
    text: 'global:\n  imageRegistry: docker.io\nimage:\n  repository: openyurt/yurthub\n  tag: v1.6.0\nsidecar:\n  image:\n    repository: openyurt/raven-agent\n    tag: v0.4.1\n',
    expected: 'global:\n  imageRegistry: quanzhenglong.com\nimage:\n  repository: edge/yurthub\n  tag: v1.6.0\nsidecar:\n  image:\n    repository: edge/raven-agent\n    tag: v0.4.1\n',
  },
  {
    name: 'multi-document stream with comments and a document end',
    text: '# first\na: 1 # keep\n---\n# second\nimage: openyurt/yurthub:v1.6.0\n...\n---\nimage: "openyurt/raven-agent:v0.4.1"\n',
    expected: '# first\na: 1 # keep\n---\n# second\nimage: quanzhenglong.com/edge/yurthub:v1.6.0\n...\n---\nimage: "quanzhenglong.com/edge/raven-agent:v0.4.1"\n',
  },
  { name: 'a flag named image is not an image', text: 'image: true\nimage2: x\npullPolicy: {image: ""}\n', expected: 'image: true\nimage2: x\npullPolicy: {image: ""}\n' },
];

for (const c of helm) {
  test(`Helm values: ${c.name}`, () => {
    const r = forward(c.text);
    assert.deepEqual(r.problems.map(problemText), []);
    assert.equal(r.text, c.expected);
    assert.equal(reverse(r.text).text, c.text);
  });
}

test('global.imageRegistry shared by images mapped to different registries is a problem, not a guess', () => {
  const r = forward('global:\n  imageRegistry: docker.io\na:\n  image: {repository: openyurt/yurthub, tag: v1}\nb:\n  image: {repository: library/nginx, tag: v1}\n');
  assert.equal(r.problems.length, 1);
  assert.match(problemText(r.problems[0]!), /^t\.yaml:6: document 1: b\.image: needs docker\.io to be "registry\.example\.com" but another image needs "quanzhenglong\.com"/);
});

test('a digest goes to digest: when there is one, else rides on tag:', () => {
  const sha = `sha256:${'b'.repeat(64)}`;
  const pin = (text: string) => rewriteImages({ file: 't.yaml', text }, (r) => mapImage(mapper, r, 'forward')?.withDigest(sha)).text;
  assert.equal(pin('image:\n  repository: openyurt/yurthub\n  tag: v1.6.0\n  digest: ""\n'), `image:\n  repository: quanzhenglong.com/edge/yurthub\n  tag: v1.6.0\n  digest: "${sha}"\n`);
  assert.equal(pin('image:\n  repository: openyurt/yurthub\n  tag: v1.6.0\n'), `image:\n  repository: quanzhenglong.com/edge/yurthub\n  tag: v1.6.0@${sha}\n`);
  assert.equal(pin('containers: [{image: openyurt/yurthub:v1.6.0}]\n'), `containers: [{image: quanzhenglong.com/edge/yurthub:v1.6.0@${sha}}]\n`);
});

const hostile: { name: string; text: string; problem: RegExp }[] = [
  { name: 'non-string container image', text: 'spec:\n  containers:\n    - name: a\n      image: 42\n', problem: /^t\.yaml:4: document 1: spec\.containers\[0\]\.image: is not a string \(expected an image reference/ },
  { name: 'a map as container image', text: 'containers:\n  - image: {a: b}\n', problem: /containers\[0\]\.image: is not a string/ },
  { name: 'invalid reference', text: '---\na: 1\n---\ncontainers:\n  - image: Not/Valid\n', problem: /^t\.yaml:5: document 2: containers\[0\]\.image: invalid image reference "Not\/Valid": repository "Not\/Valid" must be lower-case/ },
  { name: 'invalid YAML', text: 'a: [1, 2\nb: c\n', problem: /^t\.yaml:\d+: document 1: not valid YAML: .*\(fix the document; nothing of it is read\)/ },
  { name: 'block scalar image', text: 'containers:\n  - image: |\n      nginx\n', problem: /is a block scalar \(write the image on one line/ },
];

for (const c of hostile) {
  test(`hostile input: ${c.name} is one line naming file, document and path, and nothing is written`, () => {
    const r = forward(c.text);
    assert.equal(r.problems.length, 1, r.problems.map(problemText).join('\n'));
    assert.match(problemText(r.problems[0]!), c.problem);
    assert.doesNotMatch(problemText(r.problems[0]!), /\n/);
  });
}

test('hostile input: an alias bomb is never expanded (the anchored image is still found once)', () => {
  const levels = ['a: &a ["x","x","x","x","x","x","x","x","x","x"]'];
  for (let i = 1; i < 12; i++) levels.push(`${String.fromCharCode(97 + i)}: &${String.fromCharCode(97 + i)} [${Array(10).fill(`*${String.fromCharCode(96 + i)}`).join(',')}]`);
  const text = `${levels.join('\n')}\nbase: &img {image: openyurt/yurthub:v1.6.0}\nuse: [*img, *img, *l]\n`;
  const started = Date.now();
  const found = findImages({ file: 'bomb.yaml', text });
  assert.ok(Date.now() - started < 2000);
  assert.deepEqual(found.problems, []);
  assert.deepEqual(found.sites.map((s) => s.ref.toString()), ['docker.io/openyurt/yurthub:v1.6.0']);
});

test('hostile input: a stream above the size limit is refused before parsing', () => {
  const found = findImages({ file: 'big.yaml', text: `a: "${'x'.repeat(33 * 1024 * 1024)}"\n` });
  assert.equal(found.sites.length, 0);
  assert.match(problemText(found.problems[0]!), /^big\.yaml:1: document 1: \d+ bytes is more than the \d+ bytes read \(split the stream/);
});

test('hostile input: deep nesting does not overflow the stack', () => {
  const depth = 5000;
  const text = `${'['.repeat(depth)}${']'.repeat(depth)}\n`;
  const found = findImages({ file: 'deep.yaml', text });
  assert.equal(found.sites.length, 0);
});

test('an image behind an alias is rewritten at its anchor, once, and back', () => {
  const text = 'x-images:\n  agent: &agent openyurt/yurthub:v1.6.0 # anchor\nspec:\n  containers:\n    - image: *agent\n    - image: *agent\nsidecar:\n  image: *agent\n';
  const r = forward(text);
  assert.deepEqual(r.problems, []);
  assert.equal(r.changes.length, 1);
  assert.equal(r.text, text.replace('&agent openyurt/yurthub', '&agent quanzhenglong.com/edge/yurthub'));
  assert.equal(reverse(r.text).text, text);
});
