import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { test } from 'node:test';
import { parseSourceKey, readImageSyncer } from '../../src/sync/config/index.ts';
import { expectIssue, lines } from './support.ts';

const D = `sha256:${'b'.repeat(64)}`;
const env = { REGISTRY_PASSWORD: 'sync-pw-42' };
const example = (name: string) => ({ file: `examples/image-syncer/${name}`, text: readFileSync(`examples/image-syncer/${name}`, 'utf8') });

test('image-syncer: the OpenYurt auth + images files (either order)', () => {
  for (const inputs of [[example('auth.json'), example('images.json')], [example('images.json'), example('auth.json')]]) {
    const spec = readImageSyncer(inputs, { env });
    assert.equal(spec.format, 'image-syncer');
    assert.deepEqual(
      spec.sources.map((s) => [s.repository, s.filter.tags, s.destination, s.aliases]),
      [
        ['docker.io/openyurt/yurt-manager', ['v1.6.0'], 'quanzhenglong.com/edge/yurt-manager', { latest: 'v1.6.0' }],
        ['docker.io/openyurt/yurthub', ['v1.6.0'], 'quanzhenglong.com/edge/yurthub', { latest: 'v1.6.0' }],
        ['docker.io/openyurt/raven-agent', ['v0.4.1'], 'quanzhenglong.com/edge/raven-agent', { latest: 'v0.4.1' }],
      ],
    );
    assert.deepEqual(spec.registries, { 'quanzhenglong.com': { credentials: { username: 'edge_admin', password: env.REGISTRY_PASSWORD } } });
  }
});

const keys: { key: string; want: ReturnType<typeof parseSourceKey> }[] = [
  { key: 'quay.io/coreos/kube-rbac-proxy', want: { repository: 'quay.io/coreos/kube-rbac-proxy', tags: [], regexes: [] } },
  { key: 'quay.io/coreos/kube-rbac-proxy:v1.0,v2.0', want: { repository: 'quay.io/coreos/kube-rbac-proxy', tags: ['v1.0', 'v2.0'], regexes: [] } },
  { key: 'localhost:5000/a/b:t1', want: { repository: 'localhost:5000/a/b', tags: ['t1'], regexes: [] } },
  { key: 'localhost:5000/a/b', want: { repository: 'localhost:5000/a/b', tags: [], regexes: [] } },
  { key: 'nginx:1.27', want: { repository: 'docker.io/library/nginx', tags: ['1.27'], regexes: [] } },
  { key: `nginx@${D}`, want: { repository: 'docker.io/library/nginx', tags: [D], regexes: [] } },
  { key: 'r.io/a:v1,/^v2\\.[0-9]{1,2}$/', want: { repository: 'r.io/a', tags: ['v1'], regexes: ['^v2\\.[0-9]{1,2}$'] } },
  { key: 'r.io/a:/b*/', want: { repository: 'r.io/a', tags: [], regexes: ['b*'] } },
  { key: 'r.io/a:v1,', want: { problem: '"r.io/a:v1," has an empty tag in its tag list (expected REPO, REPO:TAG1,TAG2 or REPO@sha256:...)' } },
];

for (const c of keys) {
  test(`image-syncer source key ${c.key}`, () => assert.deepEqual(parseSourceKey(c.key), c.want));
}

test('image-syncer: the older single config file, YAML, with renames, lists, empty destinations, regexes and insecure', () => {
  const text = lines(
    'auth:',
    '  quay.io:',
    '    username: xxx',
    '    password: $QUAY_PW',
    '    insecure: true',
    '  quay.io/coreos:',
    '    username: abc',
    '    password: plain',
    'images:',
    '  quay.io/coreos/kube-rbac-proxy: quay.io/ruohe/kube-rbac-proxy',
    '  quay.io/coreos/kube-rbac-proxy:v1.0: quay.io/ruohe/kube-rbac-proxy:v1.0-mirror',
    '  quay.io/coreos/kube-rbac-proxy:v1.1:',
    '    - quay.io/ruohe/kube-rbac-proxy1',
    '    - quay.io/ruohe/kube-rbac-proxy2',
    '  docker.io/library/nginx:1.27: ""',
    '  r.io/a:v1,/^v2/: r.io/b',
  );
  const spec = readImageSyncer([{ file: 'config.yaml', text }], { env: { QUAY_PW: 'q' } });
  assert.deepEqual(spec.registries, {
    'quay.io': { credentials: { username: 'xxx', password: 'q' }, plainHttp: true, tlsVerify: false },
    'quay.io/coreos': { credentials: { username: 'abc', password: 'plain' } },
  });
  assert.deepEqual(
    spec.sources.map((s) => [s.repository, s.filter, s.destination, s.aliases, s.origin.line]),
    [
      ['quay.io/coreos/kube-rbac-proxy', {}, 'quay.io/ruohe/kube-rbac-proxy', undefined, 10],
      ['quay.io/coreos/kube-rbac-proxy', { tags: [] }, 'quay.io/ruohe/kube-rbac-proxy', { 'v1.0-mirror': 'v1.0' }, 11],
      ['quay.io/coreos/kube-rbac-proxy', { tags: ['v1.1'] }, 'quay.io/ruohe/kube-rbac-proxy1', undefined, 12],
      ['quay.io/coreos/kube-rbac-proxy', { tags: ['v1.1'] }, 'quay.io/ruohe/kube-rbac-proxy2', undefined, 12],
      ['docker.io/library/nginx', { tags: ['1.27'] }, undefined, undefined, 15],
      ['r.io/a', { tags: ['v1'] }, 'r.io/b', undefined, 16],
      ['r.io/a', { regex: '^v2' }, 'r.io/b', undefined, 16],
    ],
  );
});

const errors: { name: string; files: { file: string; text: string }[]; file: string; line: number; pattern: RegExp; env?: NodeJS.ProcessEnv }[] = [
  {
    name: 'bad source reference on line 3 of a JSON file',
    files: [{ file: 'images.json', text: lines('{', '  "nginx:1.27": "r.io/nginx",', '  "Bad/Name:1": "r.io/x"', '}') }],
    file: 'images.json',
    line: 3,
    pattern: /invalid image reference "Bad\/Name".*lower-case/,
  },
  {
    name: 'destination tag with several source tags',
    files: [{ file: 'images.yaml', text: lines('a.io/x:v1,v2: b.io/x:v3') }],
    file: 'images.yaml',
    line: 1,
    pattern: /source must name exactly one tag/,
  },
  {
    name: 'bad regex tag',
    files: [{ file: 'images.yaml', text: lines('a.io/x:v1: b.io/x', 'a.io/y:/(/: b.io/y') }],
    file: 'images.yaml',
    line: 2,
    pattern: /invalid regular expression "\("/,
  },
  {
    name: 'unset ${VAR} password',
    files: [
      { file: 'auth.yaml', text: lines('quay.io:', '  username: u', '  password: ${QUAY_PASSWORD}') },
      { file: 'images.yaml', text: lines('quay.io/a/b: r.io/b') },
    ],
    file: 'auth.yaml',
    line: 3,
    pattern: /environment variable QUAY_PASSWORD \(the password of "quay.io"\) is not set/,
    env: {},
  },
  {
    name: 'auth file without images',
    files: [{ file: 'auth.yaml', text: lines('quay.io:', '  username: u', '  password: p') }],
    file: 'auth.yaml',
    line: 1,
    pattern: /names no images/,
  },
  {
    name: 'unknown key in config file',
    files: [{ file: 'config.yaml', text: lines('auth: {}', 'images: {"a.io/x": "b.io/x"}', 'imgaes: {}') }],
    file: 'config.yaml',
    line: 3,
    pattern: /unknown key "imgaes" in an image-syncer config .*did you mean "images"/,
  },
];

for (const c of errors) {
  test(`image-syncer error: ${c.name}`, () => {
    expectIssue(() => readImageSyncer(c.files, { env: c.env ?? env }), c.file, c.line, c.pattern);
  });
}

test('image-syncer: no error message contains a password', () => {
  const secret = 'Aliyun-Secret-777';
  const cases = [
    lines('quay.io:', '  username: u', `  pasword: ${secret}`),
    lines('quay.io:', '  username: u', `  password: [${secret}]`),
    lines('quay.io:', '  username: u', `  password: "${secret}`),
    lines('quay.io:', '  username: u', `  password: ${secret}`, '  insecure: sometimes'),
  ];
  for (const text of cases) {
    assert.throws(
      () => readImageSyncer([{ file: 'auth.yaml', text }, { file: 'images.yaml', text: 'quay.io/a/b: r.io/b\n' }], { env }),
      (err: Error) => {
        assert.ok(!err.message.includes(secret), err.message);
        return true;
      },
    );
  }
});
