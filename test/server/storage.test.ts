/**
 * Storage figures (issue 15 item 4) against real registries: the bytes the
 * API reports per namespace, Registry and Repository equal the sizes of the
 * blob files in the registries' own storage trees, shared layers counted
 * once; a namespace over its storageWarning is flagged.
 */
import assert from 'node:assert/strict';
import { statSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { type GeneratedImage, makeImage, multiArch, pushImage } from '../support/images.ts';
import { type TestRegistry, startRegistry } from '../support/registry.ts';
import { type TestServer, registryDoc, repositoryDoc, startTestServer, waitFor } from './harness.ts';

let src: TestRegistry;
let mirror: TestRegistry;
let s: TestServer;
const images: Record<string, GeneratedImage> = {};

/** The size of a blob as the registry stores it (its `data` file). */
const storedSize = (r: TestRegistry, digest: string) => statSync(join(r.root, 'docker/registry/v2/blobs/sha256', digest.slice(7, 9), digest.slice(7), 'data')).size;
/** Configs and layers of `list` (every platform), each digest once, sized from `r`'s storage. */
function bytesAt(r: TestRegistry, list: GeneratedImage[]): number {
  const digests = new Set(list.flatMap((i) => i.manifests.flatMap((m) => [m.config.digest, ...m.layers.map((l) => l.digest)])));
  let n = 0;
  for (const d of digests) n += storedSize(r, d);
  return n;
}

before(async () => {
  src = await startRegistry();
  mirror = await startRegistry();
  const base = [{ seed: 'storage-base', size: 300_000 }];
  images.a = await makeImage({ seed: 'storage-a', baseLayers: base, layerSizes: [50_000] });
  images.b = await makeImage({ seed: 'storage-b', baseLayers: base, layerSizes: [70_000] });
  images.m = await multiArch('storage-multi');
  for (const [name, image] of Object.entries(images)) await pushImage({ url: src.url, repository: `team/${name}`, tag: 'v1' }, image);
  s = await startTestServer();
  for (const [name, r] of [['src', src], ['mirror', mirror]] as const) assert.equal((await s.api('POST', '/namespaces/store/registries', { body: registryDoc(name, r.url, {}, 'store') })).status, 201);
  const mk = (name: string, extra: Record<string, unknown> = {}) => s.api('POST', '/namespaces/store/repositories', { body: repositoryDoc(name, { repository: `team/${name}`, tag: 'v1', registryRef: { name: 'src' }, retryCount: 0, ...extra }, 'store') });
  // a and b mirrored (they share the base layer); m only described at its source.
  for (const name of ['a', 'b']) assert.equal((await mk(name, { mirror: { registryRef: { name: 'mirror' } } })).status, 201);
  assert.equal((await mk('m')).status, 201);
  await waitFor('three synced', async () => (await s.api('GET', '/namespaces/store/repositories?fieldSelector=status.syncStatus%3DSuccess')).body.items.length === 3, 30_000);
});
after(async () => {
  await s?.close();
  await src?.stop();
  await mirror?.stop();
});

test('bytes per namespace, Registry and Repository match the registries\' storage, shared layers once', async () => {
  const r = await s.api('GET', '/storage');
  assert.equal(r.status, 200, r.text);
  const ns = r.body.namespaces.find((n: any) => n.name === 'store');
  assert.equal(ns.source.bytes, bytesAt(src, [images.a!, images.b!, images.m!]));
  assert.equal(ns.mirror.bytes, bytesAt(mirror, [images.a!, images.b!]));
  const shared = images.a!.manifests[0]!.layers[0]!;
  assert.ok(ns.mirror.bytes < bytesAt(mirror, [images.a!]) + bytesAt(mirror, [images.b!]), 'the shared base layer is counted once');
  assert.equal(bytesAt(mirror, [images.a!]) + bytesAt(mirror, [images.b!]) - ns.mirror.bytes, storedSize(mirror, shared.digest));
  const reg = Object.fromEntries(r.body.registries.map((x: any) => [x.name, x]));
  assert.equal(reg.src.source.bytes, ns.source.bytes);
  assert.equal(reg.mirror.mirror.bytes, ns.mirror.bytes);
  const repo = Object.fromEntries(r.body.repositories.map((x: any) => [x.name, x]));
  assert.equal(repo.m.source.bytes, bytesAt(src, [images.m!]), 'every platform of the multi-arch image');
  assert.equal(repo.m.mirror.bytes, 0);
  assert.equal(repo.a.mirror.bytes, bytesAt(mirror, [images.a!]));
  const totals = r.body.repositories.map((x: any) => x.source.bytes + x.mirror.bytes);
  assert.deepEqual(totals, [...totals].sort((x: number, y: number) => y - x), 'biggest first');
  assert.equal((await s.api('GET', '/storage?limit=1')).body.repositories.length, 1);
});

test('a storageWarning below what the mirrors hold flags the namespace; only admins set it; bad sizes are one line', async () => {
  const mirrorBytes = (await s.api('GET', '/storage?namespace=store')).body.namespaces[0].mirror.bytes as number;
  const put = (warning: unknown, token?: string) => s.api('PUT', '/namespaces/store/settings', { body: { spec: { storageWarning: warning } }, ...(token ? { token } : {}) });
  assert.equal((await put(`${Math.floor(mirrorBytes / 1000)}kB`)).status, 200);
  let ns = (await s.api('GET', '/storage?namespace=store')).body.namespaces[0];
  assert.equal(ns.warning, true);
  assert.equal((await put(mirrorBytes * 2)).status, 200);
  ns = (await s.api('GET', '/storage?namespace=store')).body.namespaces[0];
  assert.deepEqual([ns.warning, ns.warningBytes], [false, mirrorBytes * 2]);
  assert.equal((await s.api('GET', '/namespaces/store/settings')).body.spec.storageWarningBytes, mirrorBytes * 2);
  const bad = await put('lots');
  assert.equal(bad.status, 400);
  assert.match(bad.body.message, /storageWarning must be a size such as 500GiB/);
  const editor = await s.token('storage-editor', 'editor');
  assert.equal((await put('1GiB', editor)).status, 403);
  const elsewhere = await s.token('storage-viewer-elsewhere', 'viewer', ['other']);
  const theirs = await s.api('GET', '/storage', { token: elsewhere });
  assert.deepEqual(theirs.body.namespaces, [], 'other namespaces\' figures stay hidden');
  assert.equal((await put(null)).status, 200);
  assert.equal((await s.api('GET', '/storage?namespace=store')).body.namespaces[0].warning, false);
});

test('list items carry each Repository\'s status.storage (issue 16\'s storage column), the same figures as GET /storage and the registries\' files', async () => {
  const list = await s.api('GET', '/namespaces/store/repositories?limit=50');
  assert.equal(list.status, 200, list.text);
  const report = Object.fromEntries((await s.api('GET', '/storage?namespace=store&limit=100')).body.repositories.map((x: any) => [x.name, x]));
  for (const item of list.body.items) {
    assert.equal(item.status.platforms, undefined, 'items stay slim');
    const { name } = item.metadata;
    assert.deepEqual(item.status.storage, { source: report[name].source, mirror: report[name].mirror }, name);
  }
  const byName = Object.fromEntries(list.body.items.map((x: any) => [x.metadata.name, x.status.storage]));
  assert.equal(byName.a.source.bytes, bytesAt(src, [images.a!]));
  assert.equal(byName.a.mirror.bytes, bytesAt(mirror, [images.a!]));
  assert.equal(byName.m.source.bytes, bytesAt(src, [images.m!]), 'every platform, shared blobs once');
  assert.deepEqual(byName.m.mirror, { blobs: 0, bytes: 0 }, 'no mirror');
});
