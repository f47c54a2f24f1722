/**
 * Health checks (issue 15 item 2) against real registries: between syncs a
 * manifest HEAD at the source and at the mirror sets status.health; a moved
 * tag degrades it, a mirror that lost its image makes it Unhealthy; each
 * change is counted in /metrics and logged; a check never syncs.
 */
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { makeImage, pushImage } from '../support/images.ts';
import { type TestRegistry, startRegistry } from '../support/registry.ts';
import { type TestServer, registryDoc, repositoryDoc, startTestServer, waitFor } from './harness.ts';

let src: TestRegistry;
let mirror: TestRegistry;
let s: TestServer;
before(async () => {
  src = await startRegistry();
  mirror = await startRegistry();
  s = await startTestServer({ healthIntervalMs: 300 });
  for (const [name, r] of [['src', src], ['mirror', mirror]] as const) assert.equal((await s.api('POST', '/namespaces/default/registries', { body: registryDoc(name, r.url) })).status, 201);
});
after(async () => {
  await s?.close();
  await src?.stop();
  await mirror?.stop();
});

const repo = async () => (await s.api('GET', '/namespaces/default/repositories/app')).body;

test('Healthy after the sync; Degraded when the tag moves; Unhealthy when the mirror loses the image', async () => {
  const v1 = await makeImage({ seed: 'health-v1' });
  await pushImage({ url: src.url, repository: 'team/app', tag: 'v1' }, v1);
  assert.equal((await s.api('POST', '/namespaces/default/repositories', { body: repositoryDoc('app', { repository: 'team/app', tag: 'v1', registryRef: { name: 'src' }, retryCount: 0, mirror: { registryRef: { name: 'mirror' } } }) })).status, 201);
  const healthy = await waitFor('Healthy', async () => {
    const r = await repo();
    return r.status.health?.state === 'Healthy' && r;
  }, 30_000);
  assert.equal(healthy.status.health.source.digest, v1.top.digest);
  assert.equal(healthy.status.health.mirror.digest, v1.top.digest);
  assert.equal(healthy.status.health.pullable, true);
  const runsBefore = (await s.api('GET', '/namespaces/default/repositories/app/syncruns')).body.items.length;

  // The tag moves at the source: the next sync will take it; until then the mirror serves v1.
  const v2 = await makeImage({ seed: 'health-v2' });
  await pushImage({ url: src.url, repository: 'team/app', tag: 'v1' }, v2);
  const degraded = await waitFor('Degraded', async () => {
    const r = await repo();
    return r.status.health?.state === 'Degraded' && r;
  }, 10_000);
  assert.match(degraded.status.health.message, new RegExp(`the tag moved at the source \\(${v2.top.digest}`));
  assert.equal(degraded.status.syncStatus, 'Success', 'a check does not touch the sync status');

  // The mirror loses the image (someone deleted it): clusters cannot pull it.
  const del = await fetch(`${mirror.url}/v2/team/app/manifests/${v1.top.digest}`, { method: 'DELETE' });
  assert.equal(del.status, 202);
  const unhealthy = await waitFor('Unhealthy', async () => {
    const r = await repo();
    return r.status.health?.state === 'Unhealthy' && r;
  }, 10_000);
  assert.match(unhealthy.status.health.message, /^mirror: .*team\/app:v1 does not exist/);
  assert.equal((await s.api('GET', '/namespaces/default/repositories/app/syncruns')).body.items.length, runsBefore, 'checks are not syncs');
  const metrics = (await s.api('GET', '/metrics')).text;
  assert.match(metrics, /tug_repository_health_changes_total\{state="Unhealthy"\} [1-9]/);
  assert.match(metrics, /tug_repository_health_changes_total\{state="Degraded"\} [1-9]/);
  assert.ok(s.logs.some((l) => l.includes('"health changed"') && l.includes('"to":"Unhealthy"')));
  // The list's health filter: a field selector.
  const listed = await s.api('GET', '/repositories?fieldSelector=status.health.state%3DUnhealthy');
  assert.deepEqual(listed.body.items.map((r: any) => r.metadata.name), ['app']);
  assert.equal((await s.api('GET', '/repositories?fieldSelector=status.health.state%3DHealthy')).body.items.length, 0);
});
