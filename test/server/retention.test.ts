/**
 * Retention in mirrors (issue 15 item 6) against a real registry with
 * deletes on: a plan first (readable by viewers), then an apply of exactly
 * that plan; the newest N versions stay, a tag a Repository mirrors to
 * stays, a manifest another kept tag names stays (shared digest), every
 * deletion is audited, and a plan read before the mirror changed is refused.
 */
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { type GeneratedImage, makeImage, pushImage } from '../support/images.ts';
import { type TestRegistry, startRegistry } from '../support/registry.ts';
import { type TestServer, registryDoc, repositoryDoc, startTestServer, waitFor } from './harness.ts';

let src: TestRegistry;
let mirror: TestRegistry;
let s: TestServer;
const img: Record<string, GeneratedImage> = {};

async function present(tag: string): Promise<boolean> {
  const res = await fetch(`${mirror.url}/v2/mirror/app/manifests/${tag}`, { method: 'HEAD', headers: { accept: 'application/vnd.oci.image.manifest.v1+json,application/vnd.docker.distribution.manifest.v2+json' } });
  return res.status === 200;
}

before(async () => {
  src = await startRegistry();
  mirror = await startRegistry();
  for (const k of ['x', 'y', 'z', 'w']) img[k] = await makeImage({ seed: `retention-${k}` });
  // In the mirror: v1.0.0 and v1.1.0 are the same manifest; latest is v1.4.0's.
  const tags: [string, string][] = [['v1.0.0', 'x'], ['v1.1.0', 'x'], ['v1.2.0', 'y'], ['v1.3.0', 'z'], ['v1.4.0', 'w'], ['latest', 'w']];
  for (const [tag, k] of tags) await pushImage({ url: mirror.url, repository: 'mirror/app', tag }, img[k]!);
  await pushImage({ url: src.url, repository: 'team/app', tag: 'v1.1.0' }, img.x!);
  s = await startTestServer();
  for (const [name, r] of [['src', src], ['mirror', mirror]] as const) assert.equal((await s.api('POST', '/namespaces/default/registries', { body: registryDoc(name, r.url) })).status, 201);
  // The Repository mirrors v1.1.0 into mirror/app: that tag is what clusters pull.
  assert.equal((await s.api('POST', '/namespaces/default/repositories', { body: repositoryDoc('app', { repository: 'team/app', tag: 'v1.1.0', registryRef: { name: 'src' }, retryCount: 0, mirror: { registryRef: { name: 'mirror' }, repository: 'mirror/app' } }) })).status, 201);
  await waitFor('synced', async () => (await s.api('GET', '/namespaces/default/repositories/app')).body.status.syncStatus === 'Success', 30_000);
});
after(async () => {
  await s?.close();
  await src?.stop();
  await mirror?.stop();
});

test('the plan keeps the newest N, the mirrored tag, non-versions and shared manifests; apply deletes exactly it, audited', async () => {
  const viewer = await s.token('retention-viewer', 'viewer');
  const plan = await s.api('GET', '/namespaces/default/repositories/app/retention?keep=2&by=semver', { token: viewer });
  assert.equal(plan.status, 200, plan.text);
  assert.equal(plan.body.kind, 'RetentionPlan');
  const why = Object.fromEntries(plan.body.status.keep.map((k: any) => [k.tag, k.why]));
  assert.deepEqual(why, {
    latest: 'not a version',
    'v1.0.0': 'its manifest is also a kept or mirrored image',
    'v1.1.0': 'a Repository mirrors to it',
    'v1.3.0': 'one of the newest 2',
    'v1.4.0': 'one of the newest 2',
  });
  assert.deepEqual(plan.body.status.delete.map((d: any) => d.tag), ['v1.2.0']);
  assert.equal((await s.api('POST', '/namespaces/default/repositories/app/retention', { token: viewer, body: { keep: 2, planId: plan.body.status.planId } })).status, 403);
  const stale = await s.api('POST', '/namespaces/default/repositories/app/retention', { body: { keep: 2, planId: 'not-the-plan' } });
  assert.equal(stale.status, 409);
  assert.match(stale.body.message, /read the plan again/);
  assert.ok(await present('v1.2.0'), 'nothing deleted by a refused apply');

  const applied = await s.api('POST', '/namespaces/default/repositories/app/retention', { body: { keep: 2, by: 'semver', planId: plan.body.status.planId } });
  assert.equal(applied.status, 200, applied.text);
  assert.deepEqual(applied.body.status.deleted.map((d: any) => d.tag), ['v1.2.0']);
  assert.deepEqual(applied.body.status.failed, []);
  assert.equal(await present('v1.2.0'), false);
  for (const tag of ['v1.0.0', 'v1.1.0', 'v1.3.0', 'v1.4.0', 'latest']) assert.ok(await present(tag), `${tag} kept`);
  const audit = (await s.api('GET', '/auditlogs?kind=MirrorImage')).body.items;
  assert.equal(audit.length, 1);
  assert.match(audit[0].detail, new RegExp(`retention \\(keep 2 by semver\\): ${img.y!.top.digest}`));
  // The next plan has nothing left to delete.
  assert.deepEqual((await s.api('GET', '/namespaces/default/repositories/app/retention?keep=2')).body.status.delete, []);
});

test('planRetention by creation time: the newest N by the image\'s creation, undated tags kept', async () => {
  const { planRetention } = await import('../../src/server/retention.ts');
  const plan = planRetention(
    [
      { tag: 'nightly-3', digest: 'sha256:c', created: '2026-03-01T00:00:00Z' },
      { tag: 'nightly-1', digest: 'sha256:a', created: '2026-01-01T00:00:00Z' },
      { tag: 'nightly-2', digest: 'sha256:b', created: '2026-02-01T00:00:00Z' },
      { tag: 'mystery', digest: 'sha256:d' },
    ],
    { keep: 1, by: 'created', followedTags: new Set(), referencedDigests: new Set(['sha256:a']) },
  );
  assert.deepEqual(plan.keep.map((k) => `${k.tag}: ${k.why}`), ['mystery: no creation time', 'nightly-1: its manifest is also a kept or mirrored image', 'nightly-3: one of the newest 1']);
  assert.deepEqual(plan.delete.map((d) => d.tag), ['nightly-2']);
  assert.equal(planRetention([], { keep: 1, by: 'semver', followedTags: new Set(), referencedDigests: new Set() }).delete.length, 0);
});
