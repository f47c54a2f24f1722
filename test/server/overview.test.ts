/**
 * `GET /overview` (issue 15 item 5): the dashboard's figures, checked
 * against what the API lists one by one: status counts, runs finished in the
 * window (failures, bytes moved), the slowest and the failing Repositories,
 * in the namespaces the token sees. Real SQLite, a real registry.
 */
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { makeImage, pushImage } from '../support/images.ts';
import { type TestRegistry, startRegistry } from '../support/registry.ts';
import { type TestServer, registryDoc, repositoryDoc, startTestServer, waitFor } from './harness.ts';

let src: TestRegistry;
let s: TestServer;
before(async () => {
  src = await startRegistry();
  await pushImage({ url: src.url, repository: 'team/ok', tag: 'v1' }, await makeImage({ seed: 'overview-ok', layerSizes: [200_000] }));
  s = await startTestServer();
  for (const ns of ['dash', 'other']) {
    assert.equal((await s.api('POST', `/namespaces/${ns}/registries`, { body: registryDoc('up', src.url, {}, ns) })).status, 201);
    assert.equal((await s.api('POST', `/namespaces/${ns}/registries`, { body: registryDoc('down', 'http://127.0.0.1:9', {}, ns) })).status, 201);
  }
  const mk = (ns: string, name: string, registry: string, repository = 'team/ok') => s.api('POST', `/namespaces/${ns}/repositories`, { body: repositoryDoc(name, { repository, tag: 'v1', registryRef: { name: registry }, retryCount: 0 }, ns) });
  assert.equal((await mk('dash', 'good', 'up')).status, 201);
  assert.equal((await mk('dash', 'bad', 'down')).status, 201);
  assert.equal((await mk('other', 'bad', 'down')).status, 201);
  await waitFor('all settled', async () => (await s.api('GET', '/repositories?fieldSelector=status.syncStatus%3DSyncing')).body.items.length === 0 && (await s.api('GET', '/repositories?fieldSelector=status.syncStatus%3DPending')).body.items.length === 0, 30_000);
});
after(async () => {
  await s?.close();
  await src?.stop();
});

test('counts and runs match what the API lists one by one; the failing and the slowest come first', async () => {
  const r = await s.api('GET', '/overview?window=1h&bucket=1m&top=5');
  assert.equal(r.status, 200, r.text);
  assert.equal(r.body.kind, 'Overview');
  assert.deepEqual(r.body.repositories.byStatus, { Failed: 2, Success: 1 });
  assert.equal(r.body.repositories.total, 3);
  const runs = [];
  for (const [ns, name] of [['dash', 'good'], ['dash', 'bad'], ['other', 'bad']]) runs.push(...(await s.api('GET', `/namespaces/${ns}/repositories/${name}/syncruns`)).body.items);
  assert.equal(r.body.runs.total, runs.length);
  assert.equal(r.body.runs.failed, runs.filter((x: any) => x.status.phase === 'Failed').length);
  assert.equal(r.body.runs.bytesMoved, runs.reduce((n: number, x: any) => n + (x.status.bytesMoved ?? 0), 0));
  assert.ok(r.body.runs.series.every((b: any) => Date.parse(b.at) % 60_000 === 0), 'buckets start on the minute');
  assert.deepEqual(r.body.failing.map((f: any) => `${f.namespace}/${f.repository}`).sort(), ['dash/bad', 'other/bad']);
  const slow = r.body.slowest.map((x: any) => x.durationMs);
  assert.deepEqual(slow, [...slow].sort((a: number, b: number) => b - a));
  assert.equal(r.body.slowest.length, 3);
});

test('a scoped token sees its namespaces\' figures only; bad windows are one line', async () => {
  const token = await s.token('overview-dash', 'viewer', ['dash']);
  const r = await s.api('GET', '/overview', { token });
  assert.deepEqual(r.body.repositories.byStatus, { Failed: 1, Success: 1 });
  assert.deepEqual(r.body.failing.map((f: any) => f.namespace), ['dash']);
  assert.ok(!r.text.includes('other'));
  for (const bad of ['window=forever', 'window=2000h', 'bucket=1s', 'window=744h&bucket=1m', 'top=1000']) {
    const x = await s.api('GET', `/overview?${bad}`);
    assert.equal(x.status, 400, bad);
  }
});
