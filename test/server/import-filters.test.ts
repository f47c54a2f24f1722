/**
 * Batch import of entries that select tags by a filter (issue 15 items 1 and
 * 3): skopeo's images-by-tag-regex and images-by-semver each become ONE
 * Repository following what the filter selects (spec.tags), its spec.tag the
 * newest match, read from the source's tag list through the Registry. A
 * filter matching nothing and a source that does not answer are row causes,
 * and the import stays all or nothing. Real docker-registry, real HTTP.
 */
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { makeImage, pushImage } from '../support/images.ts';
import { type TestRegistry, startRegistry } from '../support/registry.ts';
import { type TestServer, registryDoc, startTestServer, waitFor } from './harness.ts';

let src: TestRegistry;
let s: TestServer;
const TAGS = { 'team/pause': ['2.0', '3.8', '3.9', '3.10'], 'team/app': ['v1.5.0', 'v1.6.0', 'v1.6.1', 'v2.0.0'] };

before(async () => {
  src = await startRegistry();
  for (const [repository, tags] of Object.entries(TAGS)) {
    for (const tag of tags) await pushImage({ url: src.url, repository, tag }, await makeImage({ seed: `import-filters-${repository}-${tag}` }));
  }
  s = await startTestServer();
  for (const [name, url] of [['src', src.url], ['gone', 'http://127.0.0.1:9']] as const) {
    const extra = name === 'gone' ? { credentials: { username: 'robot', password: 'gone-secret-pw' } } : {};
    assert.equal((await s.api('POST', '/namespaces/filters/registries', { body: registryDoc(name, url, extra, 'filters') })).status, 201);
  }
});
after(async () => {
  await s?.close();
  await src?.stop();
});

const post = (body: object) => s.api('POST', '/namespaces/filters/imports', { body });
const skopeoYaml = (host: string, lines: string[]) => [`${host}:`, ...lines.map((l) => `  ${l}`), '  tls-verify: false', ''].join('\n');

test('a filter matching nothing and a source that does not answer: row causes, nothing created', async () => {
  const content = [
    skopeoYaml(src.host, ['images:', '  team/app: [v1.5.0]', 'images-by-semver:', "  team/pause: '>=9.0.0'", 'images-by-tag-regex:', "  team/slow: '(a+)+$'"]),
    skopeoYaml('127.0.0.1:9', ['images-by-tag-regex:', "  team/lost: '.*'"]),
  ].join('');
  const r = await post({ content });
  assert.equal(r.status, 422, r.text);
  const bySource = Object.fromEntries(r.body.rows.map((row: any) => [row.source, row]));
  assert.equal(bySource[`${src.host}/team/app:v1.5.0`].state, 'create');
  const none = bySource[`${src.host}/team/pause`];
  assert.deepEqual(none.causes.map((c: any) => c.reason), ['ImportNoTagMatches']);
  assert.match(none.causes[0].message, /no tag of team\/pause at 127\.0\.0\.1:\d+ matches semver >=9\.0\.0 \(4 tags listed\)/);
  // A pattern that can backtrack for minutes is refused before it runs over the tag list, as the schema refuses it.
  const slow = bySource[`${src.host}/team/slow`];
  assert.deepEqual(slow.causes.map((c: any) => [c.reason, c.field]), [['FieldValueInvalid', 'spec.tags.regex']]);
  assert.match(slow.causes[0].message, /nests a quantifier/);
  const lost = bySource['127.0.0.1:9/team/lost'];
  assert.deepEqual(lost.causes.map((c: any) => c.reason), ['ImportTagListUnreadable']);
  assert.match(lost.causes[0].message, /^the tags of team\/lost at 127\.0\.0\.1:9 could not be read: /);
  assert.doesNotMatch(r.text, /gone-secret-pw/);
  console.log(`unreachable: ${lost.causes[0].message}`);
  assert.equal(r.body.status.created, 0);
  assert.equal((await s.api('GET', '/namespaces/filters/repositories/app-v1.5.0')).status, 404);
});

test('images-by-tag-regex and images-by-semver: one Repository each, spec.tag the newest match, its first sync follows the matches', async () => {
  const regex = skopeoYaml(src.host, ['images-by-tag-regex:', "  team/pause: '^3\\.'"]);
  const semver = skopeoYaml(src.host, ['images-by-semver:', "  team/app: '>=1.6.0 <2.0.0'"]);
  // The preview says which tag becomes spec.tag and what the first sync follows.
  const preview = await post({ content: regex, dryRun: true, mirror: { registryRef: { name: 'src' }, prefix: 'copy' } });
  assert.equal(preview.status, 200, preview.text);
  assert.equal(preview.body.rows.length, 1);
  const row = preview.body.rows[0];
  assert.equal(row.name, 'pause-all');
  assert.equal(row.source, `${src.host}/team/pause:3.10`);
  assert.deepEqual(row.tags, ['3.10', '3.9', '3.8']);
  assert.equal(row.object.spec.tag, '3.10');
  assert.deepEqual(row.object.spec.tags, { regex: '^3\\.' });
  assert.deepEqual(row.object.spec.mirror, { registryRef: { name: 'src', namespace: 'filters' }, repository: 'copy/team/pause' }, 'no mirror tag: each followed tag goes under its own name');
  assert.equal((await s.api('GET', '/namespaces/filters/repositories')).body.items.length, 0);

  for (const content of [regex, semver]) {
    const r = await post({ content });
    assert.equal(r.status, 201, r.text);
    assert.equal(r.body.status.created, 1);
  }
  const app = (await s.api('GET', '/namespaces/filters/repositories/app-all')).body;
  assert.equal(app.spec.tag, 'v1.6.1');
  assert.deepEqual(app.spec.tags, { semver: '>=1.6.0 <2.0.0' });
  for (const [name, want] of [['pause-all', ['3.10', '3.9', '3.8']], ['app-all', ['v1.6.1', 'v1.6.0']]] as const) {
    const synced = await waitFor(`the first sync of ${name}`, async () => {
      const r = (await s.api('GET', `/namespaces/filters/repositories/${name}`)).body;
      return ['Success', 'Failed'].includes(r.status?.syncStatus) && r.status.tags && r;
    }, 60_000);
    assert.equal(synced.status.syncStatus, 'Success', JSON.stringify(synced.status));
    assert.deepEqual(synced.status.tags.map((t: any) => t.tag), want);
    assert.ok(synced.status.tags.every((t: any) => t.syncStatus === 'Success' && /^sha256:/.test(t.digest)), JSON.stringify(synced.status.tags));
  }
});

test('a Tugboat file: a tag list with a filter follows what the filter keeps of the list, by name; no tags follows every tag', async () => {
  const content = [
    'apiVersion: tugboat.dev/v1alpha1',
    'kind: SyncConfig',
    'images:',
    `  - source: ${src.host}/team/app`,
    '    tags: [v1.5.0, v1.6.0, v1.6.1, v2.0.0]',
    '    regex: ^v1\\.',
    '    exclude: [^v1\\.6\\.0$]',
    '    newest: {count: 2, by: semver}',
    `  - source: ${src.host}/team/pause`,
    '',
  ].join('\n');
  const r = await s.api('POST', '/namespaces/filters/imports', { body: { content, dryRun: true, skipExisting: true } });
  assert.equal(r.status, 200, r.text);
  const [app, pause] = r.body.rows;
  assert.equal(app.object.spec.tag, 'v1.6.1');
  // As `tug sync` reads it: the filter narrows the named tags, a fixed set, followed by name (spec.tags.list is never narrowed).
  assert.deepEqual(app.object.spec.tags, { list: ['v1.5.0'] });
  assert.deepEqual(app.tags, ['v1.6.1', 'v1.5.0']);
  assert.equal(pause.object.spec.tag, '3.10');
  assert.deepEqual(pause.object.spec.tags, { regex: '.*' });
  assert.deepEqual(pause.tags, ['3.10', '3.9', '3.8', '2.0']);
});
