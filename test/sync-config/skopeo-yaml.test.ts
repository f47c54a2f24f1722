import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { test } from 'node:test';
import { readSkopeoYaml } from '../../src/sync/config/index.ts';
import { expectIssue, lines } from './support.ts';

const D = `sha256:${'0'.repeat(32)}${'1'.repeat(32)}`;

test('skopeo: the OpenYurt example gives the 3 repositories and tags', () => {
  const file = 'examples/openyurt-1.6.skopeo.yaml';
  const spec = readSkopeoYaml({ file, text: readFileSync(file, 'utf8') });
  assert.equal(spec.format, 'skopeo');
  assert.deepEqual(
    spec.sources.map((s) => [s.repository, s.filter]),
    [
      ['docker.io/openyurt/yurt-manager', { tags: ['v1.6.0'] }],
      ['docker.io/openyurt/yurthub', { tags: ['v1.6.0'] }],
      ['docker.io/openyurt/raven-agent', { tags: ['v0.4.1'] }],
    ],
  );
});

test("skopeo: the man page's example", () => {
  const text = lines(
    'registry.example.com:',
    '    images:',
    '        busybox: []',
    '        redis:',
    '            - "1.0"',
    '            - 2.0',
    `            - "${D}"`,
    '    images-by-tag-regex:',
    '        nginx: ^1\\.13\\.[12]-alpine-perl$',
    '    images-by-semver:',
    '        alpine: ">= 3.12.0"',
    '    credentials:',
    '        username: john',
    '        password: this is a secret',
    '    tls-verify: true',
    '    cert-dir: /home/john/certs',
    'quay.io:',
    '    tls-verify: false',
    '    images:',
    '        coreos/etcd:',
    '            - latest',
    'docker.io:',
    '    images:',
    '        busybox:',
  );
  const spec = readSkopeoYaml({ file: 'sync.yml', text });
  assert.deepEqual(
    spec.sources.map((s) => [s.repository, s.filter, s.origin.line]),
    [
      ['registry.example.com/busybox', {}, 3],
      ['registry.example.com/redis', { tags: ['1.0', '2.0', D] }, 4],
      ['registry.example.com/nginx', { regex: '^1\\.13\\.[12]-alpine-perl$' }, 9],
      ['registry.example.com/alpine', { semver: '>= 3.12.0' }, 11],
      ['quay.io/coreos/etcd', { tags: ['latest'] }, 20],
      // Docker normalisation: docker.io + busybox; no value means every tag.
      ['docker.io/library/busybox', {}, 24],
    ],
  );
  assert.deepEqual(spec.registries, {
    'registry.example.com': { credentials: { username: 'john', password: 'this is a secret' }, tlsVerify: true, certDir: '/home/john/certs' },
    'quay.io': { tlsVerify: false },
  });
});

test('skopeo: semver lists are ORed, Masterminds commas become AND; Go (?i) is translated', () => {
  const text = lines('r.example.com:', '  images-by-semver:', '    alpine: ["3.12 - 3.13", ">= 3.17, < 4"]', '  images-by-tag-regex:', '    app: (?i)^V1');
  const spec = readSkopeoYaml({ file: 's.yaml', text });
  assert.deepEqual(spec.sources.map((s) => s.filter), [{ semver: '3.12 - 3.13 || >= 3.17 < 4' }, { regex: '(?i:^V1)' }]);
  assert.ok(new RegExp(spec.sources[1]?.filter.regex ?? '').test('v1.2'));
});

const errors: { name: string; text: string; line: number; pattern: RegExp }[] = [
  { name: 'bad regex', text: lines('docker.io:', '  images-by-tag-regex:', "    library/nginx: '^1\\.(13'"), line: 3, pattern: /invalid regular expression "\^1\\\.\(13"/ },
  { name: 'bad semver range', text: lines('docker.io:', '  images-by-semver:', '    alpine: ">= three"'), line: 3, pattern: /invalid semver range ">= three"/ },
  { name: 'bad tag', text: lines('docker.io:', '  images:', '    alpine:', '      - "3.19"', '      - "bad tag"'), line: 5, pattern: /"bad tag" is not a valid tag/ },
  { name: 'bad digest', text: lines('docker.io:', '  images:', '    alpine: ["sha256:abc"]'), line: 3, pattern: /"sha256:abc" is not a valid digest/ },
  { name: 'bad repository', text: lines('docker.io:', '  images:', '    Alpine: []'), line: 3, pattern: /invalid image reference "docker.io\/Alpine": .*lower-case/ },
  { name: 'tag in the repository key', text: lines('docker.io:', '  images:', '    alpine:3.19: []'), line: 3, pattern: /names a tag or digest/ },
  { name: 'unknown key', text: lines('docker.io:', '  image:', '    alpine: []'), line: 2, pattern: /unknown key "image" in registry "docker.io".*did you mean "images"/ },
  { name: 'host that is not a host', text: lines('myregistry:', '  images:', '    alpine: []'), line: 1, pattern: /"myregistry" is not a registry host/ },
  { name: 'tls-verify not a boolean', text: lines('docker.io:', '  tls-verify: maybe', '  images: {alpine: []}'), line: 2, pattern: /tls-verify must be true or false/ },
  { name: 'no images at all', text: lines('docker.io:', '  tls-verify: true'), line: 1, pattern: /no images to sync/ },
  { name: 'not a mapping', text: lines('- docker.io'), line: 1, pattern: /expected a mapping of registry hosts/ },
  { name: 'empty file', text: lines('# nothing'), line: 1, pattern: /the file is empty/ },
];

for (const c of errors) {
  test(`skopeo error: ${c.name}`, () => {
    expectIssue(() => readSkopeoYaml({ file: 'sync.yml', text: c.text }), 'sync.yml', c.line, c.pattern);
  });
}

test('skopeo: no error message contains the password', () => {
  const secret = 'this-is-a-Secret-99';
  for (const text of [
    lines('docker.io:', '  images: {alpine: []}', '  credentials:', '    username: u', `    pasword: ${secret}`),
    lines('docker.io:', '  images: {alpine: []}', '  credentials:', '    username: u', `    password: [${secret}]`),
    lines('docker.io:', '  images: {alpine: []}', '  credentials:', '    username: u', `    password: "${secret}`),
    lines('docker.io:', '  images: {alpine: []}', '  credentials:', '    username: u', `    ${secret}`),
  ]) {
    assert.throws(
      () => readSkopeoYaml({ file: 's.yml', text }),
      (err: Error) => {
        assert.ok(!err.message.includes(secret), err.message);
        return true;
      },
    );
  }
});
