/**
 * A Repository following several tags (issue 15 item 3, spec.tags) against
 * real registries: a list, a semver range and newest N; each followed tag
 * reaches the mirror with its digest, status.tags and the SyncRun say how
 * each went (an unknown tag Failed, the others Success, the Repository the
 * worst of them), a bad filter is 422 naming its field, a tag added by merge
 * PATCH is synced at the next sync, the tags API marks what is followed, the
 * retention plan never deletes a followed tag, storage counts every
 * followed image with shared layers once, a tag list the source refuses
 * fails the run without losing what the filters had selected, and newest by
 * created dates the candidates.
 */
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { type FaultProxy, startFaultProxy } from '../support/fault-proxy.ts';
import { type GeneratedImage, makeImage, pushImage } from '../support/images.ts';
import { type TestRegistry, startRegistry } from '../support/registry.ts';
import { type TestServer, registryDoc, repositoryDoc, startTestServer, waitFor } from './harness.ts';

let src: TestRegistry;
let mirror: TestRegistry;
/** In front of the source, to count what a sync asks it. */
let proxy: FaultProxy;
let s: TestServer;
const img: Record<string, GeneratedImage> = {};
const base = [{ seed: 'followed-base', size: 8192 }];

/** The digest the mirror serves for mirror/app:TAG, or undefined. */
async function inMirror(tag: string): Promise<string | undefined> {
  const res = await fetch(`${mirror.url}/v2/mirror/app/manifests/${tag}`, { method: 'HEAD', headers: { accept: 'application/vnd.oci.image.manifest.v1+json,application/vnd.oci.image.index.v1+json' } });
  return res.status === 200 ? (res.headers.get('docker-content-digest') ?? undefined) : undefined;
}

async function repo(): Promise<any> {
  return (await s.api('GET', '/namespaces/default/repositories/app')).body;
}

async function runs(): Promise<any[]> {
  return (await s.api('GET', '/namespaces/default/repositories/app/syncruns')).body.items as any[];
}

/** Waits until no sync of the Repository runs (an edit of spec.tags starts one by itself). */
async function idle(): Promise<void> {
  await waitFor('no sync running', async () => !(await runs()).some((r) => r.status.phase === 'Running') && (await repo()).status?.syncStatus !== 'Syncing', 60_000);
}

/** Runs a manual sync (after any running one) and waits for its run to finish; returns the run. */
async function syncNow(): Promise<any> {
  await idle();
  const before = new Set((await runs()).map((r) => r.metadata.name));
  const started = await s.api('POST', '/namespaces/default/repositories/app/sync');
  assert.equal(started.status, 202, started.text);
  const name = started.body.metadata.name;
  return waitFor('the manual run to finish', async () => {
    const all = await runs();
    const run = name ? all.find((r) => r.metadata.name === name) : all.find((r) => r.spec.trigger === 'manual' && !before.has(r.metadata.name));
    return run && run.status.phase !== 'Running' && run;
  }, 60_000);
}

before(async () => {
  src = await startRegistry();
  mirror = await startRegistry();
  // Every image shares one base layer: storage must count it once.
  for (const tag of ['latest', 'dev', 'v1.0.0', 'v1.1.0', 'v2.0.0', 'v2.1.0', 'v3.0.0']) {
    img[tag] = await makeImage({ seed: `followed-${tag}`, baseLayers: base, layerSizes: [1024] });
    await pushImage({ url: src.url, repository: 'team/app', tag }, img[tag]!);
  }
  // Tags in the mirror that nobody follows: what retention may take.
  for (const tag of ['v0.8.0', 'v0.9.0']) await pushImage({ url: mirror.url, repository: 'mirror/app', tag }, await makeImage({ seed: `followed-old-${tag}`, baseLayers: base, layerSizes: [1024] }));
  proxy = await startFaultProxy(src.url);
  s = await startTestServer();
  for (const [name, url] of [['src', proxy.url], ['mirror', mirror.url]] as const) assert.equal((await s.api('POST', '/namespaces/default/registries', { body: registryDoc(name, url) })).status, 201);
  const created = await s.api('POST', '/namespaces/default/repositories', {
    body: repositoryDoc('app', {
      repository: 'team/app',
      tag: 'latest',
      registryRef: { name: 'src' },
      retryCount: 0,
      mirror: { registryRef: { name: 'mirror' }, repository: 'mirror/app' },
      tags: { list: ['dev', 'v9.9.9'], semver: '>=1.0.0 <3', newest: { count: 2 } },
    }),
  });
  assert.equal(created.status, 201, created.text);
  await waitFor('the first sync', async () => ['Success', 'Failed'].includes((await repo()).status?.syncStatus) && (await repo()).status.tags);
});
after(async () => {
  await s?.close();
  await proxy?.stop();
  await src?.stop();
  await mirror?.stop();
});

test('each followed tag reaches the mirror with its digest; an unknown one fails alone and the Repository shows the worst', async () => {
  const r = await repo();
  const byTag = Object.fromEntries(r.status.tags.map((t: any) => [t.tag, t]));
  assert.deepEqual(r.status.tags.map((t: any) => t.tag), ['v9.9.9', 'v2.1.0', 'v2.0.0', 'latest', 'dev'], 'list + newest 2 of the range, newest-looking first');
  for (const tag of ['latest', 'dev', 'v2.1.0', 'v2.0.0']) {
    assert.equal(byTag[tag].syncStatus, 'Success', tag);
    assert.equal(byTag[tag].digest, img[tag]!.top.digest, tag);
    assert.equal(await inMirror(tag), img[tag]!.top.digest, `${tag} in the mirror`);
  }
  assert.equal(byTag['v9.9.9'].syncStatus, 'Failed');
  assert.match(byTag['v9.9.9'].message, /v9\.9\.9/);
  assert.equal(await inMirror('v9.9.9'), undefined);
  assert.equal(await inMirror('v1.1.0'), undefined, 'outside newest 2');
  assert.equal(r.status.syncStatus, 'Failed');
  assert.match(r.status.message, /^1 of 5 followed tags failed: v9\.9\.9: /);
  // spec.tag keeps its own fields as before.
  assert.equal(r.status.observedDigest, img.latest!.top.digest);
  assert.equal(r.status.mirror.digest, img.latest!.top.digest);
  const run = (await s.api('GET', '/namespaces/default/repositories/app/syncruns')).body.items[0];
  assert.equal(run.status.phase, 'Failed');
  const runTags = Object.fromEntries(run.status.tags.map((t: any) => [t.tag, t]));
  assert.equal(runTags['v2.1.0'].result, 'Succeeded');
  assert.equal(runTags['v2.1.0'].digestAfter, img['v2.1.0']!.top.digest);
  assert.ok(runTags['v2.1.0'].bytesMoved > 0, 'its own layer moved');
  assert.equal(runTags['v9.9.9'].result, 'Failed');
  assert.equal(run.status.bytesMoved, run.status.tags.reduce((n: number, t: any) => n + t.bytesMoved, 0));
});

test('a bad filter is 422 naming each field', async () => {
  const bad = await s.api('PATCH', '/namespaces/default/repositories/app', {
    contentType: 'application/merge-patch+json',
    body: { spec: { tags: { regex: '(', semver: 'not a range', newest: { count: 0 }, list: ['-nope'] } } },
  });
  assert.equal(bad.status, 422, bad.text);
  const fields = Object.fromEntries(bad.body.details.causes.map((c: any) => [c.field, c.message]));
  assert.match(fields['spec.tags.regex'], /is not a regular expression/);
  assert.match(fields['spec.tags.semver'], /is not a semver range/);
  assert.match(fields['spec.tags.newest.count'], /at least 1/);
  assert.match(fields['spec.tags.list[0]'], /must be a tag/);
  const tooMany = await s.api('PATCH', '/namespaces/default/repositories/app', { contentType: 'application/merge-patch+json', body: { spec: { tags: { list: Array.from({ length: 101 }, (_, i) => `t${i}`) } } } });
  assert.equal(tooMany.status, 422);
  assert.match(tooMany.text, /at most 100 tags by name/);
  const clash = await s.api('PATCH', '/namespaces/default/repositories/app', { contentType: 'application/merge-patch+json', body: { spec: { mirror: { tag: 'stable' }, tags: { list: ['dev', 'stable'] } } } });
  assert.equal(clash.status, 422);
  assert.equal(clash.body.details.causes[0].field, 'spec.tags.list[1]');
  assert.match(clash.body.details.causes[0].message, /is spec\.mirror\.tag/);
  const redos = await s.api('PATCH', '/namespaces/default/repositories/app', { contentType: 'application/merge-patch+json', body: { spec: { tags: { regex: '^(a+)+$' } } } });
  assert.equal(redos.status, 422);
  assert.match(redos.text, /nests a quantifier/);
});

test('a tag added by merge PATCH (the list replaced, the filters kept) is synced at once; the tags API marks it followed', async () => {
  await idle();
  const runsBefore = (await runs()).length;
  const patched = await s.api('PATCH', '/namespaces/default/repositories/app', { contentType: 'application/merge-patch+json', body: { spec: { tags: { list: ['dev', 'v1.0.0'] } } } });
  assert.equal(patched.status, 200, patched.text);
  assert.deepEqual(patched.body.spec.tags, { list: ['dev', 'v1.0.0'], semver: '>=1.0.0 <3', newest: { count: 2 } }, 'arrays replace, objects merge (RFC 7386)');
  // The edit queued a sync of its own (routes/resources.ts), not left to the next interval.
  await waitFor('the sync the edit queued', async () => (await runs()).length > runsBefore, 60_000);
  await idle();
  assert.equal(await inMirror('v1.0.0'), img['v1.0.0']!.top.digest, 'the new tag is in the mirror without a manual sync');
  proxy.requests.length = 0;
  const run = await syncNow();
  assert.equal(run.status.phase, 'Succeeded', JSON.stringify(run.status));
  assert.equal(proxy.requests.filter((r) => r.path.includes('/tags/list')).length, 1, 'one tag list for the filters and every copy\'s referrers');
  const r = await repo();
  assert.equal(r.status.syncStatus, 'Success');
  assert.equal(r.status.message, undefined);
  assert.deepEqual(r.status.tags.map((t: any) => [t.tag, t.syncStatus]), [['v2.1.0', 'Success'], ['v2.0.0', 'Success'], ['v1.0.0', 'Success'], ['latest', 'Success'], ['dev', 'Success']], 'v9.9.9 left with the list');
  assert.equal(await inMirror('v1.0.0'), img['v1.0.0']!.top.digest);
  const tags = await s.api('GET', '/namespaces/default/repositories/app/tags?limit=100');
  assert.equal(tags.status, 200, tags.text);
  const byTag = Object.fromEntries(tags.body.items.map((t: any) => [t.tag, t]));
  assert.equal(byTag['v1.0.0'].followed, true);
  assert.deepEqual([byTag['v1.0.0'].synced.digest, byTag['v1.0.0'].synced.current], [img['v1.0.0']!.top.digest, true]);
  assert.equal(byTag['v2.1.0'].followed, true, 'selected by the filters');
  assert.equal(byTag['v2.1.0'].followedBy.name, 'app');
  assert.equal(byTag['v1.1.0'].followed, false);
  assert.equal(byTag['v1.1.0'].synced, undefined);
  assert.equal(byTag['v3.0.0'].followed, false, 'outside the range');
});

test('the retention plan never deletes a followed tag', async () => {
  const plan = await s.api('GET', '/namespaces/default/repositories/app/retention?keep=1&by=semver');
  assert.equal(plan.status, 200, plan.text);
  assert.deepEqual(plan.body.status.delete.map((d: any) => d.tag), ['v0.8.0'], 'only an unfollowed version past the newest 1');
  const why = Object.fromEntries(plan.body.status.keep.map((k: any) => [k.tag, k.why]));
  assert.equal(why['v0.9.0'], 'one of the newest 1');
  for (const tag of ['v2.1.0', 'v2.0.0', 'v1.0.0', 'latest', 'dev']) assert.equal(why[tag], 'a Repository mirrors to it', tag);
});

test('storage counts every followed image once, shared layers once', async () => {
  const followed = ['latest', 'dev', 'v1.0.0', 'v2.0.0', 'v2.1.0'];
  const blobs = new Map<string, number>();
  for (const tag of followed) for (const [d, b] of img[tag]!.blobs) blobs.set(d, b.size);
  const want = { blobs: blobs.size, bytes: [...blobs.values()].reduce((n, x) => n + x, 0) };
  const report = await s.api('GET', '/storage?namespace=default');
  assert.equal(report.status, 200, report.text);
  const app = report.body.repositories.find((r: any) => r.name === 'app');
  assert.deepEqual(app.source, want);
  assert.deepEqual(app.mirror, want);
  assert.deepEqual(report.body.namespaces[0].mirror, want);
});

test('a tag list the source refuses: spec.tag and the list synced, the filters\' tags kept as last recorded, the run failed', async () => {
  proxy.setFaults([{ kind: 'status', status: 404, path: /\/tags\/list/, times: 100 }]);
  try {
    const run = await syncNow();
    assert.equal(run.status.phase, 'Failed');
    assert.match(run.status.error, /^listing the tags of team\/app for the filters of spec\.tags: .*only spec\.tag and spec\.tags\.list were synced/);
    assert.deepEqual(run.status.tags.map((t: any) => t.tag), ['v1.0.0', 'latest', 'dev'], 'what the filters selected was not synced');
    const r = await repo();
    assert.equal(r.status.syncStatus, 'Failed');
    assert.deepEqual(r.status.tags.map((t: any) => [t.tag, t.syncStatus]), [['v2.1.0', 'Success'], ['v2.0.0', 'Success'], ['v1.0.0', 'Success'], ['latest', 'Success'], ['dev', 'Success']]);
  } finally {
    proxy.setFaults([]);
  }
});

test('newest by created follows the most recently built image, not the highest version', async () => {
  const dated: [string, string][] = [['v1.0.0', '2026-03-01T00:00:00Z'], ['v2.0.0', '2025-03-01T00:00:00Z'], ['edge', '2026-06-01T00:00:00Z']];
  for (const [tag, created] of dated) await pushImage({ url: src.url, repository: 'team/dated', tag }, await makeImage({ seed: `followed-dated-${tag}`, created }));
  const doc = repositoryDoc('dated', { repository: 'team/dated', tag: 'edge', registryRef: { name: 'src' }, retryCount: 0, tags: { regex: '^v', newest: { count: 1, by: 'created' } } });
  assert.equal((await s.api('POST', '/namespaces/default/repositories', { body: doc })).status, 201);
  const r = await waitFor('the dated sync', async () => {
    const got = (await s.api('GET', '/namespaces/default/repositories/dated')).body;
    return got.status?.tags && got;
  }, 30_000);
  assert.equal(r.status.syncStatus, 'Success', r.status.message);
  assert.deepEqual(r.status.tags.map((t: any) => t.tag), ['v1.0.0', 'edge']);
});
