/**
 * Batch import and export (issue 15 item 1; seed 001 "批量添加", Q4): one
 * request validates and creates many Repositories from a sync file, an image
 * list, skopeo YAML, an image-syncer config or Repository YAML; a preview
 * (dryRun) shows each row; one bad row creates nothing; the export reads back
 * through the import (and `tug apply`) unchanged. Real HTTP, real SQLite.
 */
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import YAML from 'yaml';
import { tempDir } from '../support/tmp.ts';
import { TUG_ARGV } from '../support/tug.ts';
import { type TestServer, registryDoc, startTestServer } from './harness.ts';

let s: TestServer;
before(async () => {
  s = await startTestServer();
  // Hosts only (the syncs fail fast: nothing listens on port 9); what is tested is the import.
  for (const [name, url] of [['hub', 'https://registry-1.docker.io'], ['edge', 'http://127.0.0.1:9'], ['quay', 'quay.io']] as const) {
    assert.equal((await s.api('POST', '/namespaces/imports/registries', { body: registryDoc(name, url, name === 'edge' ? { credentials: { username: 'robot', password: 'edge-secret-pw' } } : {}, 'imports') })).status, 201);
  }
});
after(async () => {
  await s.close();
});

const post = (body: object, token?: string) => s.api('POST', '/namespaces/imports/imports', { body, ...(token ? { token } : {}) });

test('an image list previews one row per image with its Registry found by host; dryRun creates nothing', async () => {
  const content = readFileSync('examples/openyurt-1.6.images-list.txt', 'utf8');
  const r = await post({ content, dryRun: true, mirror: { registryRef: { name: 'edge' }, prefix: 'edge' } });
  assert.equal(r.status, 200, r.text);
  assert.equal(r.body.kind, 'RepositoryImport');
  assert.equal(r.body.format, 'list');
  assert.equal(r.body.status.phase, 'Planned');
  const yurthub = r.body.rows.find((row: any) => row.source === 'docker.io/openyurt/yurthub:v1.6.0');
  assert.equal(yurthub.name, 'yurthub-v1.6.0');
  assert.equal(yurthub.state, 'create');
  assert.deepEqual(yurthub.object.spec.registryRef, { name: 'hub', namespace: 'imports' });
  assert.deepEqual(yurthub.object.spec.mirror, { registryRef: { name: 'edge', namespace: 'imports' }, repository: 'edge/openyurt/yurthub', tag: 'v1.6.0' });
  assert.match(yurthub.origin, /^line \d+$/);
  assert.equal((await s.api('GET', '/namespaces/imports/repositories')).body.items.length, 0);
});

test('one bad row: 422 with every row and its causes, nothing created', async () => {
  // Row 4 is another image whose derived name (yurthub-v1.6.0) row 1 has taken.
  const content = ['docker.io/openyurt/yurthub:v1.6.0', 'ghcr.io/acme/tool:1.0', 'quay.io/coreos/etcd:v3.5.0', 'quay.io/fork/yurthub:v1.6.0', ''].join('\n');
  const r = await post({ content });
  assert.equal(r.status, 422, r.text);
  assert.equal(r.body.status.phase, 'Refused');
  const byRow = Object.fromEntries(r.body.rows.map((row: any) => [row.row, row]));
  assert.equal(byRow[1].state, 'create');
  assert.match(JSON.stringify(byRow[2].causes), /no Registry in imports points at ghcr\.io: add one/);
  assert.equal(byRow[3].state, 'create');
  assert.equal(byRow[4].state, 'invalid');
  assert.match(JSON.stringify(byRow[4].causes), /Repository \\"yurthub-v1\.6\.0\\" is in this import twice/);
  // Each cause carries a stable reason the console words in its user's language.
  assert.deepEqual(byRow[2].causes.map((c: any) => c.reason), ['ImportHostUnknown']);
  assert.deepEqual(byRow[4].causes.map((c: any) => c.reason), ['ImportDuplicateName']);
  assert.equal(r.body.status.invalid, 2);
  assert.equal((await s.api('GET', '/namespaces/imports/repositories')).body.items.length, 0);
});

test('skopeo YAML and an image-syncer config import for real; existing names fail unless skipExisting', async () => {
  const skopeo = readFileSync('examples/openyurt-1.6.skopeo.yaml', 'utf8');
  const r = await post({ content: skopeo, mirror: { registryRef: { name: 'edge' } } });
  assert.equal(r.status, 201, r.text);
  assert.equal(r.body.format, 'skopeo');
  assert.equal(r.body.status.phase, 'Created');
  const created = r.body.status.created as number;
  const images = (skopeo.match(/^\s+- v/gm) ?? []).length;
  assert.equal(created, images, `one Repository per tag of ${skopeo}`);
  const list = (await s.api('GET', '/namespaces/imports/repositories?limit=1000')).body;
  assert.equal(list.metadata.totalCount, created);
  const audit = (await s.api('GET', '/auditlogs?verb=create&kind=Repository&namespace=imports&limit=1000')).body.items;
  assert.equal(audit.length, created);
  assert.ok(audit.every((e: any) => e.detail === 'import (skopeo)'));
  // Again: every row exists.
  const again = await post({ content: skopeo });
  assert.equal(again.status, 422);
  assert.match(JSON.stringify(again.body.rows[0].causes), /already exists \(skipExisting leaves it alone\)/);
  const skipped = await post({ content: skopeo, skipExisting: true });
  assert.equal(skipped.status, 201, skipped.text);
  assert.equal(skipped.body.status.existing, created);
  assert.equal(skipped.body.status.created, 0);
  // image-syncer: a map of source -> destination; the destination host names the mirror Registry.
  const syncer = JSON.stringify({ 'quay.io/coreos/etcd:v3.5.9': '127.0.0.1:9/mirror/etcd' });
  const r2 = await post({ content: syncer, format: 'image-syncer' });
  assert.equal(r2.status, 201, r2.text);
  assert.deepEqual(r2.body.rows[0].object.spec.mirror, { registryRef: { name: 'edge', namespace: 'imports' }, repository: 'mirror/etcd', tag: 'v3.5.9' });
});

test('a file cannot make the server read its disk or environment, nor carry credentials', async () => {
  process.env.TUG_IMPORT_CANARY = 'env-canary-value';
  const tugboat = [
    'apiVersion: tugboat.dev/v1alpha1',
    'kind: SyncFile',
    'registries:',
    '  docker.io:',
    '    username: me',
    '    passwordFile: /etc/passwd',
    'images:',
    '  - from: docker.io/library/busybox:1.36',
    '',
  ].join('\n');
  const r = await post({ content: tugboat });
  assert.equal(r.status, 400, r.text);
  assert.doesNotMatch(r.text, /root:/);
  const env = await post({ content: tugboat.replace('passwordFile: /etc/passwd', 'passwordEnv: TUG_IMPORT_CANARY') });
  assert.doesNotMatch(env.text, /env-canary-value/);
  const withSecret = YAML.stringify({ apiVersion: 'image.theriseunion.io/v1alpha1', kind: 'Registry', metadata: { name: 'sneaky' }, spec: { url: 'https://sneaky.example.com', credentials: { username: 'u', password: 'p' } } });
  const refused = await post({ content: withSecret });
  assert.equal(refused.status, 422);
  assert.match(JSON.stringify(refused.body.rows[0].causes), /does not take credentials/);
  // A viewer may not import; a token scoped elsewhere may not either.
  const viewer = await s.token('import-viewer', 'viewer');
  assert.equal((await post({ content: 'docker.io/library/busybox:1.36' }, viewer)).status, 403);
  const other = await s.token('import-other', 'editor', ['other']);
  assert.equal((await post({ content: 'docker.io/library/busybox:1.36' }, other)).status, 403);
});

test('export writes Registries without secrets and Repositories as YAML that the import (and tug apply) take back', async (t) => {
  const names = ['yurthub-v1.6.0', 'yurt-manager-v1.6.0'];
  const r = await s.api('GET', `/namespaces/imports/export?names=${names.join(',')}`);
  assert.equal(r.status, 200, r.text);
  assert.match(r.headers.get('content-type') ?? '', /^application\/yaml/);
  assert.doesNotMatch(r.text, /edge-secret-pw|hasPassword|resourceVersion|status:/);
  const docs = YAML.parseAllDocuments(r.text).map((d) => d.toJS());
  assert.deepEqual(docs.map((d: any) => `${d.kind}/${d.metadata.name}`).sort(), ['Registry/edge', 'Registry/hub', 'Repository/yurt-manager-v1.6.0', 'Repository/yurthub-v1.6.0']);
  assert.deepEqual(docs.find((d: any) => d.metadata.name === 'edge').spec.credentials, { username: 'robot' });
  // The export as it is into another namespace: its objects and their references to their namespace move there.
  const moved = await s.api('POST', '/namespaces/moved-imports/imports', { body: { content: r.text, dryRun: true } });
  assert.equal(moved.status, 200, moved.text);
  assert.deepEqual(moved.body.rows.map((row: any) => row.state), ['create', 'create', 'create', 'create']);
  assert.deepEqual(moved.body.rows.find((row: any) => row.name === 'yurthub-v1.6.0').object.spec.registryRef, { name: 'hub', namespace: 'moved-imports' });
  const third = await s.api('POST', '/namespaces/moved-imports/imports', { body: { content: r.text.replace(/(registryRef:\n\s+name: hub\n\s+namespace:) imports/, '$1 elsewhere'), dryRun: true } });
  assert.equal(third.status, 422, third.text);
  assert.ok(third.body.rows.some((row: any) => row.causes.some((c: any) => c.reason === 'ImportForeignNamespace')), third.text);
  // Into another namespace: Registries come along (without passwords), Repositories follow.
  const back = await s.api('POST', '/namespaces/copy-of-imports/imports', { body: { content: r.text.replaceAll('namespace: imports', 'namespace: copy-of-imports') } });
  assert.equal(back.status, 201, back.text);
  assert.equal(back.body.format, 'resources');
  assert.deepEqual(back.body.rows.map((row: any) => row.kind), ['Registry', 'Registry', 'Repository', 'Repository'], 'Registries first');
  const copied = (await s.api('GET', '/namespaces/copy-of-imports/repositories/yurthub-v1.6.0')).body;
  const original = (await s.api('GET', '/namespaces/imports/repositories/yurthub-v1.6.0')).body;
  assert.deepEqual(copied.spec, { ...original.spec, registryRef: { ...original.spec.registryRef, namespace: 'copy-of-imports' }, mirror: { ...original.spec.mirror, registryRef: { ...original.spec.mirror.registryRef, namespace: 'copy-of-imports' } } });
  // tug apply takes the same file: every object is there already, so each is unchanged.
  const file = join(tempDir(t, 'tug-export-'), 'export.yaml');
  writeFileSync(file, r.text);
  // Async: the server answering it runs in this process.
  const applied = await new Promise<string>((resolve, reject) => {
    execFile(TUG_ARGV[0]!, [...TUG_ARGV.slice(1), 'apply', '-f', file, '--server', s.url], { encoding: 'utf8', timeout: 60_000, env: { ...process.env, TUG_TOKEN: s.adminToken } }, (err, out, errOut) => (err ? reject(new Error(`${err.message}\n${errOut}`)) : resolve(out)));
  });
  assert.equal(applied.trim().split('\n').filter((l) => / unchanged$/.test(l)).length, 4, applied);
  const all = await s.api('GET', '/namespaces/imports/export');
  const repositories = (await s.api('GET', '/namespaces/imports/repositories?limit=1000')).body.metadata.totalCount as number;
  assert.equal(YAML.parseAllDocuments(all.text).filter((d) => (d.toJS() as any).kind === 'Repository').length, repositories);
});
