/**
 * What a list carries (issue 15, "Scale"): Repository list items without the
 * per-platform manifests and the default platform's layers, a single GET
 * with everything, and the dependencies endpoint that replaced the console's
 * comparison of list items' layers, over real HTTP and the real SQLite store.
 */
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import type { Repository } from '../../src/api/types.ts';
import { type TestServer, registryDoc, repositoryDoc, startTestServer, waitFor } from './harness.ts';

const layer = (c: string, size: number) => ({ digest: `sha256:${c.repeat(64)}`, size: String(size), mediaType: 'application/vnd.oci.image.layer.v1.tar+gzip' });

function status(layers: ReturnType<typeof layer>[]): NonNullable<Repository['status']> {
  const manifest = (arch: string) => ({ digest: `sha256:${(arch === 'amd64' ? '1' : '2').repeat(64)}`, architecture: arch, os: 'linux', size: '1MB', sizeBytes: 1_000_000, config: { digest: `sha256:${'9'.repeat(64)}`, size: 100 }, layers });
  return { syncStatus: 'Success', domain: 'registry.example.com', observedDigest: `sha256:${'3'.repeat(64)}`, manifest: manifest('amd64'), platforms: [manifest('amd64'), manifest('arm64')] };
}

let s: TestServer;
before(async () => {
  s = await startTestServer();
  for (const ns of ['default', 'team-a']) assert.equal((await s.api('POST', `/namespaces/${ns}/registries`, { body: registryDoc('r', 'http://127.0.0.1:9', {}, ns) })).status, 201);
  const repos: [string, string][] = [['default', 'one'], ['default', 'two'], ['default', 'three'], ['team-a', 'four']];
  for (const [ns, name] of repos) {
    assert.equal((await s.api('POST', `/namespaces/${ns}/repositories`, { body: repositoryDoc(name, { repository: `a/${name}`, tag: '1', registryRef: { name: 'r' }, retryCount: 0 }, ns) })).status, 201);
  }
  // Nothing listens on port 9: the first syncs fail, and then nothing writes the status the test sets.
  await waitFor('four failed syncs', async () => (await s.api('GET', '/repositories?fieldSelector=status.syncStatus%3DFailed')).body.items.length === 4);
  await s.store.updateStatus('Repository', 'default', 'one', status([layer('a', 1000), layer('b', 20)]));
  await s.store.updateStatus('Repository', 'default', 'two', status([layer('a', 1000), layer('c', 30)]));
  await s.store.updateStatus('Repository', 'default', 'three', status([layer('d', 40)]));
  await s.store.updateStatus('Repository', 'team-a', 'four', status([layer('a', 1000), layer('b', 20)]));
});
after(async () => {
  await s.close();
});

test('list items leave out status.platforms and the manifest\'s layers and config; a GET has them', async () => {
  const list = await s.api('GET', '/namespaces/default/repositories');
  assert.equal(list.status, 200);
  const one = list.body.items.find((r: Repository) => r.metadata.name === 'one');
  assert.equal(one.status.platforms, undefined);
  assert.equal(one.status.manifest.layers, undefined);
  assert.equal(one.status.manifest.config, undefined);
  assert.equal(one.status.manifest.digest, `sha256:${'1'.repeat(64)}`, 'the list view\'s fields stay');
  assert.equal(one.status.syncStatus, 'Success');
  assert.equal(one.spec.repository, 'a/one');
  const all = await s.api('GET', '/repositories?q=a/one');
  assert.equal(all.body.items[0].status.platforms, undefined, 'every list, searched or not');
  const got = await s.api('GET', '/namespaces/default/repositories/one');
  assert.equal(got.body.status.platforms.length, 2);
  assert.equal(got.body.status.manifest.layers.length, 2);
  assert.ok(Buffer.byteLength(JSON.stringify(one)) < Buffer.byteLength(got.text) / 2, 'an item is well under half the object');
});

test('GET .../repositories/{name}/dependencies: the others sharing layers, most shared first, only in namespaces the token sees', async () => {
  const deps = await s.api('GET', '/namespaces/default/repositories/one/dependencies');
  assert.equal(deps.status, 200);
  assert.equal(deps.body.kind, 'RepositoryDependencies');
  assert.equal(deps.body.layers, 2);
  assert.equal(deps.body.compared, 3);
  assert.deepEqual(deps.body.items.map((d: any) => [`${d.repository.metadata.namespace}/${d.repository.metadata.name}`, d.sharedLayers, d.sharedBytes]), [
    ['team-a/four', 2, 1020],
    ['default/two', 1, 1000],
  ]);
  assert.equal(deps.body.items[0].repository.status.platforms, undefined, 'items as a list carries them');
  const scoped = await s.token('default-viewer', 'viewer', ['default']);
  const mine = await s.api('GET', '/namespaces/default/repositories/one/dependencies', { token: scoped });
  assert.deepEqual(mine.body.items.map((d: any) => d.repository.metadata.name), ['two']);
  assert.equal((await s.api('GET', '/namespaces/team-a/repositories/four/dependencies', { token: scoped })).status, 404);
  assert.equal((await s.api('GET', '/namespaces/default/repositories/missing/dependencies')).status, 404);
  assert.deepEqual((await s.api('GET', '/namespaces/default/repositories/three/dependencies')).body.items, []);
});
