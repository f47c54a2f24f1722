/**
 * Kubernetes conventions of issue 15 item 9 and the audit queries of item
 * 10, over real HTTP against the real SQLite store: `GET /namespaces`,
 * `fieldSelector` on lists, `GET /auditlogs` filtered by user, kind, verb,
 * namespace and time. (Watch resume and 410: test/server/watch.test.ts.)
 */
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { type TestServer, registryDoc, repositoryDoc, startTestServer, waitFor } from './harness.ts';

let s: TestServer;
let startedAt: string;
before(async () => {
  s = await startTestServer();
  startedAt = new Date().toISOString();
  for (const ns of ['default', 'team-a']) assert.equal((await s.api('POST', `/namespaces/${ns}/registries`, { body: registryDoc('r', 'http://127.0.0.1:9', {}, ns) })).status, 201);
  for (const name of ['one', 'two']) {
    assert.equal((await s.api('POST', '/namespaces/default/repositories', { body: repositoryDoc(name, { repository: `a/${name}`, tag: '1', registryRef: { name: 'r' }, retryCount: 0 }) })).status, 201);
  }
  assert.equal((await s.api('POST', '/namespaces/team-a/repositories', { body: repositoryDoc('three', { repository: 'a/three', tag: '1', registryRef: { name: 'r' }, retryCount: 0 }, 'team-a') })).status, 201);
});
after(async () => {
  await s.close();
});

test('GET /namespaces lists every namespace with its counts; a scoped token sees its own, empty ones too', async () => {
  const all = await s.api('GET', '/namespaces');
  assert.equal(all.status, 200);
  assert.equal(all.body.kind, 'NamespaceList');
  assert.deepEqual(all.body.items.map((n: any) => [n.metadata.name, n.status]), [
    ['default', { repositories: 2, registries: 1 }],
    ['team-a', { repositories: 1, registries: 1 }],
  ]);
  const scoped = await s.token('ns-viewer', 'viewer', ['team-a', 'empty-ns']);
  const mine = await s.api('GET', '/namespaces', { token: scoped });
  assert.deepEqual(mine.body.items.map((n: any) => [n.metadata.name, n.status.repositories]), [['empty-ns', 0], ['team-a', 1]]);
  assert.equal((await s.api('GET', '/namespaces', { token: null })).status, 401);
});

test('fieldSelector narrows lists and totalCount; an unknown field is a 400 naming the fields there are', async () => {
  // Nothing listens on port 9: every first sync fails.
  await waitFor('three failed syncs', async () => (await s.api('GET', '/repositories?fieldSelector=status.syncStatus%3DFailed')).body.items.length === 3);
  await s.store.updateStatus('Repository', 'default', 'two', { syncStatus: 'Success' });
  const failed = await s.api('GET', '/repositories?fieldSelector=status.syncStatus%3DFailed');
  assert.deepEqual(failed.body.items.map((r: any) => r.metadata.name), ['one', 'three']);
  assert.equal(failed.body.metadata.totalCount, 2);
  const notFailed = await s.api('GET', '/namespaces/default/repositories?fieldSelector=status.syncStatus!%3DFailed,metadata.name%3Dtwo');
  assert.deepEqual(notFailed.body.items.map((r: any) => r.metadata.name), ['two']);
  const bad = await s.api('GET', '/repositories?fieldSelector=spec.tag%3D1');
  assert.equal(bad.status, 400);
  assert.equal(bad.body.reason, 'BadRequest');
  assert.match(bad.body.message, /field label not supported for Repository: "spec\.tag"/);
  assert.match(bad.body.message + JSON.stringify(bad.body.details ?? {}), /status\.syncStatus/);
  assert.equal((await s.api('GET', '/registries?fieldSelector=status.syncStatus%3DFailed')).status, 400);
});

test('GET /auditlogs filters by user, kind, verb, namespace and time; bad filters are 400', async () => {
  const editor = await s.token('audit-editor', 'editor');
  await s.api('DELETE', '/namespaces/team-a/repositories/three', { token: editor });
  const page = async (query: string) => {
    const r = await s.api('GET', `/auditlogs?${query}`);
    assert.equal(r.status, 200, r.text);
    return r.body.items as { user: string; verb: string; kind: string; namespace: string; name: string; time: string }[];
  };
  const byEditor = await page('user=audit-editor');
  assert.deepEqual(byEditor.map((e) => `${e.verb} ${e.kind} ${e.namespace}/${e.name}`), ['delete Repository team-a/three']);
  const creates = await page('verb=create&kind=Repository&namespace=default');
  assert.deepEqual(creates.map((e) => e.name), ['two', 'one'], 'newest first');
  assert.equal((await s.api('POST', '/tokens', { body: { name: 'made-by-api', role: 'viewer' } })).status, 201);
  assert.deepEqual((await page('kind=Token')).map((e) => `${e.verb} ${e.name}`), ['create made-by-api']);
  assert.equal((await page(`since=${encodeURIComponent(startedAt)}&verb=create&kind=Registry`)).length, 2);
  assert.equal((await page('until=2000-01-01T00:00:00Z')).length, 0);
  assert.ok((await page('since=1h&user=audit-editor')).length === 1, 'a duration counts back from now');
  const limited = await s.api('GET', '/auditlogs?verb=create&limit=1');
  assert.equal(limited.body.items.length, 1);
  const next = await s.api('GET', `/auditlogs?verb=create&limit=1&continue=${limited.body.metadata.continue}`);
  assert.equal(next.body.items[0].verb, 'create');
  assert.notDeepEqual(next.body.items[0], limited.body.items[0]);
  for (const bad of ['verb=remove', 'kind=Pod', 'since=yesterday', 'until=12/05/2026']) {
    const r = await s.api('GET', `/auditlogs?${bad}`);
    assert.equal(r.status, 400, bad);
    assert.match(r.body.message, /must be/);
  }
  // A scoped admin's filters stay within its namespaces.
  const scopedAdmin = await s.token('audit-scoped-admin', 'admin', ['default']);
  const scoped = await s.api('GET', '/auditlogs?namespace=team-a', { token: scopedAdmin });
  assert.deepEqual(scoped.body.items, []);
});
