import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { test } from 'node:test';
import { readImageList } from '../../src/sync/config/index.ts';
import { expectIssue, lines } from './support.ts';

const D = `sha256:${'c'.repeat(64)}`;

test('list: the OpenYurt example, with sections', () => {
  const file = 'examples/openyurt-1.6.images-list.txt';
  const spec = readImageList({ file, text: readFileSync(file, 'utf8') });
  assert.equal(spec.format, 'list');
  assert.deepEqual(
    spec.sources.map((s) => [s.repository, s.filter.tags, s.section]),
    [
      ['docker.io/openyurt/yurt-manager', ['v1.6.0'], 'openyurt-core'],
      ['docker.io/openyurt/yurthub', ['v1.6.0'], 'openyurt-core'],
      ['docker.io/openyurt/raven-agent', ['v0.4.1'], 'openyurt-network'],
    ],
  );
});

test('list: kubesphere style, comments, blank lines, CRLF, BOM, trailing space, no tag, digests, duplicates', () => {
  const text = `\ufeff##k8s-images\r\nkubesphere/kube-apiserver:v1.26.12  \r\n\r\n# a comment\r\n  registry.k8s.io/pause:3.9 # inline comment\r\nnginx\r\nr.io/a:1@${D}\r\nr.io/b@${D}\r\n##kubesphere-images\r\nnginx:latest\r\nkubesphere/ks-installer:v3.4.1\r\n`;
  const spec = readImageList({ file: 'images-list.txt', text });
  assert.deepEqual(
    spec.sources.map((s) => [s.repository, s.filter.tags, s.aliases, s.section, s.origin.line]),
    [
      ['docker.io/kubesphere/kube-apiserver', ['v1.26.12'], undefined, 'k8s-images', 2],
      ['registry.k8s.io/pause', ['3.9'], undefined, 'k8s-images', 5],
      ['docker.io/library/nginx', ['latest'], undefined, 'k8s-images', 6],
      ['r.io/a', [D], { '1': D }, 'k8s-images', 7],
      ['r.io/b', [D], undefined, 'k8s-images', 8],
      // nginx:latest (line 10) repeats line 6 and is dropped.
      ['docker.io/kubesphere/ks-installer', ['v3.4.1'], undefined, 'kubesphere-images', 11],
    ],
  );
});

const errors: { name: string; text: string; line: number; pattern: RegExp }[] = [
  { name: 'a bad reference on line 4', text: lines('##core', 'nginx:1.27', '# fine', 'Nginx:1.27', 'redis'), line: 4, pattern: /invalid image reference "Nginx:1.27".*lower-case/ },
  { name: 'a second column', text: lines('nginx:1.27 r.io/nginx:1.27'), line: 1, pattern: /expected one image reference per line, found 2 words/ },
  { name: 'an arrow destination', text: lines('nginx', 'nginx:1.27 => r.io/nginx'), line: 2, pattern: /found 3 words/ },
  { name: 'a transport prefix', text: lines('docker://nginx'), line: 1, pattern: /transport prefix.*drop "docker:\/\/"/ },
  { name: 'a bad tag', text: lines('nginx:-x'), line: 1, pattern: /tag "-x"/ },
  { name: 'no images', text: lines('# only', '##a section'), line: 1, pattern: /names no images/ },
];

for (const c of errors) {
  test(`list error: ${c.name}`, () => {
    expectIssue(() => readImageList({ file: 'list.txt', text: c.text }), 'list.txt', c.line, c.pattern);
  });
}
