import assert from 'node:assert/strict';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { TugError } from '../../src/errors/index.ts';
import { detectFormat, loadSyncSpec, SyncConfigError, type SyncFormat } from '../../src/sync/config/index.ts';
import { expectIssue, expectIssueAsync, lines } from './support.ts';
import { tempDir } from '../support/tmp.ts';

const env = { REGISTRY_PASSWORD: 'detect-pw' };

const detections: { name: string; text: string; format: SyncFormat; role?: string }[] = [
  { name: 'tugboat by kind', text: lines('kind: SyncConfig', 'apiVersion: tugboat.dev/v1alpha1', 'images: []'), format: 'tugboat' },
  { name: 'tugboat by apiVersion, kind mistyped', text: lines('apiVersion: tugboat.dev/v1alpha1', 'kind: SyncConfg'), format: 'tugboat' },
  { name: 'skopeo', text: lines('docker.io:', '  images:', '    busybox: []'), format: 'skopeo' },
  { name: 'skopeo with a credentials-only registry', text: lines('quay.io:', '  tls-verify: false', 'docker.io:', '  images-by-semver:', '    alpine: ">=3"'), format: 'skopeo' },
  { name: 'image-syncer images (JSON)', text: '{"quay.io/a/b:v1,v2": "r.io/b", "quay.io/a/c": ["r.io/c", "r.io/d"]}', format: 'image-syncer', role: 'images' },
  { name: 'image-syncer images (YAML)', text: lines('quay.io/a/b: r.io/b'), format: 'image-syncer', role: 'images' },
  { name: 'image-syncer auth', text: '{"quay.io": {"username": "u", "password": "p", "insecure": true}}', format: 'image-syncer', role: 'auth' },
  { name: 'image-syncer config', text: lines('auth: {}', 'images:', '  quay.io/a/b: ""'), format: 'image-syncer', role: 'config' },
  { name: 'list of one', text: lines('nginx:1.27'), format: 'list' },
  { name: 'list with sections', text: lines('##a', 'nginx:1.27', 'quay.io/a/b@sha256:' + 'd'.repeat(64)), format: 'list' },
];

for (const c of detections) {
  test(`detect: ${c.name}`, () => {
    const d = detectFormat({ file: 'x', text: c.text });
    assert.equal(d.format, c.format);
    if (c.role) assert.equal(d.role, c.role);
  });
}

test('detect: failure names the file and every format tried', () => {
  const err = expectIssue(() => detectFormat({ file: 'odd.yaml', text: lines('hello: [1, 2]', 'world: 3') }), 'odd.yaml', 1, /cannot tell the format/);
  for (const f of ['tugboat', 'skopeo', 'image-syncer', 'list']) assert.match(err.message, new RegExp(`${f}:`));
  assert.match(err.hint ?? '', /--src tugboat\|skopeo\|image-syncer\|list/);
  expectIssue(() => detectFormat({ file: 'e.txt', text: '\n# nothing\n' }), 'e.txt', 1, /the file is empty/);
});

test('loadSyncSpec: each example file, auto-detected', async () => {
  const cases: [string[], SyncFormat][] = [
    [['examples/openyurt-1.6.sync.yaml'], 'tugboat'],
    [['examples/openyurt-1.6.skopeo.yaml'], 'skopeo'],
    [['examples/openyurt-1.6.images-list.txt'], 'list'],
    [['examples/image-syncer/auth.json', 'examples/image-syncer/images.json'], 'image-syncer'],
  ];
  for (const [files, format] of cases) {
    const spec = await loadSyncSpec(files, { env });
    assert.equal(spec.format, format);
    assert.deepEqual(spec.files, files);
    assert.deepEqual(
      spec.sources.map((s) => s.repository),
      ['docker.io/openyurt/yurt-manager', 'docker.io/openyurt/yurthub', 'docker.io/openyurt/raven-agent'],
      files.join(','),
    );
  }
});

test('loadSyncSpec: a forced format, several list files merged, mixed formats refused, missing file', async (t) => {
  const dir = tempDir(t, 'tug-sync-config-');
  const a = join(dir, 'a.txt');
  const b = join(dir, 'b.txt');
  const y = join(dir, 'skopeo.yaml');
  writeFileSync(a, 'nginx:1.27\n');
  writeFileSync(b, '##b\nredis:7\n');
  writeFileSync(y, 'docker.io:\n  images: {alpine: []}\n');
  const merged = await loadSyncSpec([a, b]);
  assert.deepEqual(merged.sources.map((s) => [s.repository, s.section]), [['docker.io/library/nginx', undefined], ['docker.io/library/redis', 'b']]);
  assert.deepEqual(merged.files, [a, b]);

  // Forced: a one-line file read as a list even though it would also be detected as one.
  assert.equal((await loadSyncSpec([a], { format: 'list' })).format, 'list');
  // Forced wrongly: the reader's own errors, with lines.
  await expectIssueAsync(() => loadSyncSpec([y], { format: 'list' }), y, 2, /expected one image reference per line, found 3 words/);

  await expectIssueAsync(() => loadSyncSpec([a, y]), y, 1, /this is a skopeo file but .* is a list file/);
  await assert.rejects(loadSyncSpec([join(dir, 'missing.yaml')]), (err: unknown) => err instanceof TugError && !(err instanceof SyncConfigError) && err.code === 'USAGE' && /cannot read sync file ".*missing.yaml": no such file/.test(err.message));
  await assert.rejects(loadSyncSpec([]), (err: unknown) => err instanceof TugError && err.code === 'USAGE');
});

test('loadSyncSpec: a bad ref on line N of a list and an unset passwordEnv, through the loader', async (t) => {
  const dir = tempDir(t, 'tug-sync-config-');
  const list = join(dir, 'images.txt');
  writeFileSync(list, lines('# images', 'nginx:1.27', '', 'quay.io/Bad:1'));
  await expectIssueAsync(() => loadSyncSpec([list]), list, 4, /invalid image reference "quay.io\/Bad:1"/);
  const example = 'examples/openyurt-1.6.sync.yaml';
  const line = readFileSync(example, 'utf8').split('\n').findIndex((l) => l.includes('passwordEnv: REGISTRY_PASSWORD')) + 1;
  await expectIssueAsync(() => loadSyncSpec([example], { env: {} }), example, line, /passwordEnv: environment variable REGISTRY_PASSWORD is not set/);
});
