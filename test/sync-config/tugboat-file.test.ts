import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { test } from 'node:test';
import { readTugboatFile } from '../../src/sync/config/index.ts';
import type { SyncSource } from '../../src/sync/spec.ts';
import { expectIssue, lines } from './support.ts';

const HEAD = ['apiVersion: tugboat.dev/v1alpha1', 'kind: SyncConfig'];
const env = { REGISTRY_PASSWORD: 'pa55-w0rd!' };

test('the OpenYurt 1.6 example gives 3 sources with tags, aliases and the mapping', () => {
  const file = 'examples/openyurt-1.6.sync.yaml';
  const spec = readTugboatFile({ file, text: readFileSync(file, 'utf8') }, { env });
  assert.equal(spec.format, 'tugboat');
  assert.deepEqual(spec.files, [file]);
  assert.deepEqual(
    spec.sources.map((s) => [s.repository, s.filter.tags, s.aliases]),
    [
      ['docker.io/openyurt/yurt-manager', ['v1.6.0'], { latest: 'v1.6.0' }],
      ['docker.io/openyurt/yurthub', ['v1.6.0'], { latest: 'v1.6.0' }],
      ['docker.io/openyurt/raven-agent', ['v0.4.1'], { latest: 'v0.4.1' }],
    ],
  );
  assert.deepEqual(spec.mappings.map((m) => [m.from, m.to]), [['docker.io/openyurt/*', 'quanzhenglong.com/edge/*']]);
  assert.deepEqual(spec.platforms, ['all']);
  assert.deepEqual(spec.registries['quanzhenglong.com'], { credentials: { username: 'edge_admin', password: env.REGISTRY_PASSWORD }, tlsVerify: true });
  // Origins point at each `- source:` line of the file.
  const text = readFileSync(file, 'utf8').split('\n');
  for (const s of spec.sources) assert.match(text[s.origin.line - 1] ?? '', new RegExp(`- source: ${s.repository}$`));
});

interface Case {
  name: string;
  text: string;
  sources?: Partial<SyncSource>[];
  check?: (spec: ReturnType<typeof readTugboatFile>) => void;
}

const cases: Case[] = [
  {
    name: 'short Docker Hub names are normalised; source:tag is shorthand for tags',
    text: lines(...HEAD, 'images:', '  - source: nginx:1.27', '  - source: openyurt/yurthub', '    tags: [v1.6.0]'),
    sources: [
      { repository: 'docker.io/library/nginx', filter: { tags: ['1.27'] }, origin: { file: 'f.yaml', line: 4 } },
      { repository: 'docker.io/openyurt/yurthub', filter: { tags: ['v1.6.0'] }, origin: { file: 'f.yaml', line: 5 } },
    ],
  },
  {
    name: 'numbers in tags and aliases are kept as written (1.10 is not 1.1)',
    text: lines(...HEAD, 'images:', '  - source: r.example.com/a', '    tags: [1.10, 2]', '    aliases: {stable: 1.10}'),
    sources: [{ repository: 'r.example.com/a', filter: { tags: ['1.10', '2'] }, aliases: { stable: '1.10' } }],
  },
  {
    name: 'filters: regex, semver, exclude, newest as a number or an object',
    text: lines(
      ...HEAD,
      'images:',
      '  - source: quay.io/coreos/etcd',
      '    regex: ^v3\\.5\\.',
      '    exclude: [-rc]',
      '    newest: 3',
      '  - source: docker.io/library/alpine',
      '    semver: ">=3.18 <4"',
      '    newest: {count: 2, by: created}',
      '    platforms: [linux/amd64, linux/arm/v7]',
      '    to: mirror.example.com/base/alpine',
    ),
    sources: [
      { repository: 'quay.io/coreos/etcd', filter: { regex: '^v3\\.5\\.', exclude: ['-rc'], newest: { count: 3, by: 'semver' } } },
      {
        repository: 'docker.io/library/alpine',
        filter: { semver: '>=3.18 <4', newest: { count: 2, by: 'created' } },
        platforms: ['linux/amd64', 'linux/arm/v7'],
        destination: 'mirror.example.com/base/alpine',
      },
    ],
  },
  {
    name: 'no filter at all means every tag',
    text: lines(...HEAD, 'images:', '  - source: r.example.com/a'),
    sources: [{ repository: 'r.example.com/a', filter: {} }],
  },
  {
    name: 'a pinned digest with a tag copies the digest and writes the tag',
    text: lines(...HEAD, 'images:', `  - source: r.example.com/a:1.0@sha256:${'a'.repeat(64)}`),
    sources: [{ repository: 'r.example.com/a', filter: { tags: [`sha256:${'a'.repeat(64)}`] }, aliases: { '1.0': `sha256:${'a'.repeat(64)}` } }],
  },
  {
    name: 'destination, platform list, mappings (exact and wildcard), registries',
    text: lines(
      ...HEAD,
      'destination: registry.example.com/edge/',
      'platforms: [linux/amd64, linux/arm64]',
      'mappings:',
      '  - {from: nginx, to: registry.example.com/web/nginx}',
      '  - {from: openyurt/*, to: registry.example.com/edge/*}',
      'registries:',
      '  Registry.Example.com:5000:',
      '    tls-verify: false',
      '    cert-dir: certs',
      '    plain-http: true',
      'images:',
      '  - source: nginx',
    ),
    check: (spec) => {
      assert.equal(spec.destination, 'registry.example.com/edge');
      assert.deepEqual(spec.platforms, ['linux/amd64', 'linux/arm64']);
      assert.deepEqual(spec.mappings.map((m) => [m.from, m.to, m.origin.line]), [
        ['docker.io/library/nginx', 'registry.example.com/web/nginx', 6],
        ['docker.io/openyurt/*', 'registry.example.com/edge/*', 7],
      ]);
      assert.deepEqual(spec.registries['registry.example.com:5000'], { tlsVerify: false, certDir: '/conf/certs', plainHttp: true });
    },
  },
];

for (const c of cases) {
  test(`tugboat: ${c.name}`, () => {
    const spec = readTugboatFile({ file: c.name.includes('registries') ? '/conf/f.yaml' : 'f.yaml', text: c.text }, { env });
    if (c.sources) {
      assert.equal(spec.sources.length, c.sources.length);
      c.sources.forEach((want, i) => {
        const got = spec.sources[i];
        for (const [k, v] of Object.entries(want)) assert.deepEqual(got?.[k as keyof SyncSource], v, `${k} of source ${i}`);
      });
    }
    c.check?.(spec);
  });
}

test('tugboat: passwordFile is read relative to the sync file, without its trailing newline', () => {
  const read: string[] = [];
  const spec = readTugboatFile(
    { file: '/etc/tug/sync.yaml', text: lines(...HEAD, 'registries:', '  r.example.com:', '    credentials: {username: u, passwordFile: secret.txt}', 'images: [{source: r.example.com/a}]') },
    {
      readFile: (p) => {
        read.push(p);
        return 'file-pw\n';
      },
    },
  );
  assert.deepEqual(read, ['/etc/tug/secret.txt']);
  assert.deepEqual(spec.registries['r.example.com']?.credentials, { username: 'u', password: 'file-pw' });
});

interface ErrorCase {
  name: string;
  text: string;
  line: number;
  pattern: RegExp;
  env?: NodeJS.ProcessEnv;
}

const errors: ErrorCase[] = [
  {
    name: 'unknown key (typo tag: for tags:)',
    text: lines(...HEAD, 'images:', '  - source: nginx', '    tag: [1.27]'),
    line: 5,
    pattern: /images\[0\]: unknown key "tag" .*did you mean "tags"\?/,
  },
  { name: 'unknown top-level key', text: lines(...HEAD, 'image:', '  - source: nginx'), line: 3, pattern: /unknown key "image".*did you mean "images"/ },
  {
    name: 'plaintext password refused, naming passwordEnv and passwordFile',
    text: lines(...HEAD, 'registries:', '  r.example.com:', '    credentials:', '      username: u', '      password: hunter2-secret', 'images: [{source: nginx}]'),
    line: 7,
    pattern: /credentials\.password: a plaintext password is not allowed.*passwordEnv.*passwordFile/,
  },
  {
    name: 'unset passwordEnv names the variable',
    text: lines(...HEAD, 'registries:', '  r.example.com:', '    credentials:', '      username: u', '      passwordEnv: EDGE_PASSWORD', 'images: [{source: nginx}]'),
    line: 7,
    pattern: /environment variable EDGE_PASSWORD is not set/,
    env: {},
  },
  {
    name: 'credentials with neither passwordEnv nor passwordFile',
    text: lines(...HEAD, 'registries:', '  r.example.com:', '    credentials:', '      username: u', 'images: [{source: nginx}]'),
    line: 5,
    pattern: /exactly one of passwordEnv or passwordFile/,
  },
  { name: 'bad image reference', text: lines(...HEAD, 'images:', '  - source: Docker.io/OpenYurt/YurtHub'), line: 4, pattern: /images\[0\]\.source: invalid image reference.*lower-case/ },
  { name: 'bad regex', text: lines(...HEAD, 'images:', '  - source: nginx', '    regex: "v1.(6"'), line: 5, pattern: /images\[0\]\.regex: invalid regular expression "v1.\(6"/ },
  { name: 'bad semver range', text: lines(...HEAD, 'images:', '  - source: nginx', '    semver: ">=banana"'), line: 5, pattern: /images\[0\]\.semver: invalid semver range ">=banana"/ },
  { name: 'bad tag in tags', text: lines(...HEAD, 'images:', '  - source: nginx', '    tags:', '      - v1', '      - -bad'), line: 7, pattern: /images\[0\]\.tags\[1\]: "-bad" is not a valid tag/ },
  { name: 'wrong type', text: lines(...HEAD, 'images:', '  - source: nginx', '    tags: v1.6.0'), line: 5, pattern: /images\[0\]\.tags: found a string \(expected a list\)/ },
  { name: 'missing source', text: lines(...HEAD, 'images:', '  - tags: [v1]'), line: 4, pattern: /images\[0\]: missing required key "source"/ },
  { name: 'wrong apiVersion', text: lines('apiVersion: tugboat.dev/v2', 'kind: SyncConfig', 'images: [{source: nginx}]'), line: 1, pattern: /apiVersion: unsupported value \(expected "tugboat.dev\/v1alpha1"\)/ },
  { name: 'empty images list', text: lines(...HEAD, 'images: []'), line: 3, pattern: /images: the list is empty/ },
  { name: 'bad platform', text: lines(...HEAD, 'platforms: [amd64]', 'images: [{source: nginx}]'), line: 3, pattern: /platforms/ },
  { name: 'newest of zero', text: lines(...HEAD, 'images:', '  - source: nginx', '    newest: 0'), line: 5, pattern: /images\[0\]\.newest: the number is too small \(expected more than 0\)/ },
  {
    name: 'alias pointing at a tag that is not copied',
    text: lines(...HEAD, 'images:', '  - source: nginx', '    tags: [v1.6.0]', '    aliases:', '      latest: v1.6.1'),
    line: 7,
    pattern: /aliases\.latest: "v1\.6\.1" is not one of the tags copied \(expected one of v1\.6\.0\)/,
  },
  { name: 'mapping to /* from an exact repository', text: lines(...HEAD, 'mappings:', '  - from: nginx', '    to: r.example.com/x/*', 'images: [{source: nginx}]'), line: 5, pattern: /ends in \/\* but from/ },
  { name: 'YAML syntax error', text: lines(...HEAD, 'images:', '  - source: nginx', '   tags: [v1'), line: 5, pattern: /expected valid YAML/ },
  { name: 'duplicate key', text: lines(...HEAD, 'images: [{source: nginx}]', 'images: [{source: redis}]'), line: 4, pattern: /unique/ },
];

for (const c of errors) {
  test(`tugboat error: ${c.name}`, () => {
    expectIssue(() => readTugboatFile({ file: 'sync.yaml', text: c.text }, { env: c.env ?? env }), 'sync.yaml', c.line, c.pattern);
  });
}

test('tugboat: every problem is reported at once, in line order', () => {
  const text = lines(...HEAD, 'images:', '  - source: nginx', '    tag: [1]', '  - source: redis', '    regex: "("');
  const err = expectIssue(() => readTugboatFile({ file: 's.yaml', text }, { env }), 's.yaml', 5, /unknown key "tag"/);
  assert.deepEqual(err.issues.map((i) => i.line), [5, 7]);
});

test('tugboat: no error message contains a password', () => {
  const secret = 'hunter2-Sup3r-S3cret';
  const texts = [
    lines(...HEAD, 'registries:', '  r.example.com:', '    credentials:', '      username: u', `      password: ${secret}`, 'images: [{source: nginx}]'),
    lines(...HEAD, 'registries:', '  r.example.com:', '    credentials:', '      username: u', `      ${secret}`, 'images: [{source: nginx}]'),
    lines(...HEAD, 'registries:', '  r.example.com:', '    credentials:', '      username: u', `      password: "${secret}`, 'images: [{source: nginx}]'),
    lines(...HEAD, 'registries:', '  r.example.com:', '    credentials:', '      username: u', `      passwordEnv: ${secret}`, '      extra: 1', 'images: [{source: nginx}]'),
  ];
  for (const text of texts) {
    assert.throws(
      () => readTugboatFile({ file: 's.yaml', text }, { env: { [secret]: undefined } }),
      (err: Error) => {
        assert.ok(!err.message.includes(secret) && !String((err as { hint?: string }).hint).includes(secret), err.message);
        return true;
      },
    );
  }
  // A password read from the environment never appears either, even when other things fail.
  assert.throws(
    () => readTugboatFile({ file: 's.yaml', text: lines(...HEAD, 'registries:', '  r.example.com:', '    credentials: {username: u, passwordEnv: P}', 'images: [{source: "BAD"}]') }, { env: { P: secret } }),
    (err: Error) => !err.message.includes(secret),
  );
});
