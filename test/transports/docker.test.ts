/**
 * The docker:// transport against the real registry: parsing, reading with
 * DockerSource, writing with DockerDestination (blobs, instance and
 * top-level manifests, mounts, the same-digest race), tag listing and
 * deletion, checked against skopeo and the registry itself.
 */
import assert from 'node:assert/strict';
import { Readable } from 'node:stream';
import { after, before, test } from 'node:test';
import type { SystemContext } from '../../src/context/system-context.ts';
import { IDLE_CLOSE_MS, acquireClient } from '../../src/distribution/pool.ts';
import { RegistryError, type TugError } from '../../src/errors/index.ts';
import type { Descriptor } from '../../src/oci/manifest.ts';
import { MediaType } from '../../src/oci/media-types.ts';
import type { Digest } from '../../src/reference/digest.ts';
import { DockerReference, dockerTransport } from '../../src/transports/docker/docker-transport.ts';
import { isBlobMounter, isDeleter, isRegistryLocated, isTagLister } from '../../src/transports/types.ts';
import { type GeneratedImage, makeImage, multiArch, pushImage, randomBytesFrom, sha256 } from '../support/images.ts';
import { type TestRegistry, startRegistry } from '../support/registry.ts';
import { rawManifest } from '../support/skopeo.ts';

let reg: TestRegistry;
let noDelete: TestRegistry;
let multi: GeneratedImage;
const ctx: SystemContext = { plainHttp: true };

before(async () => {
  [reg, noDelete] = await Promise.all([startRegistry(), startRegistry({ deleteEnabled: false })]);
  multi = await multiArch('docker-transport', 'oci');
  await pushImage({ url: reg.url, repository: 'src/multi', tag: 'v1', }, multi);
  await pushImage({ url: noDelete.url, repository: 'keep/me', tag: 'v1' }, multi);
});

after(async () => {
  await Promise.all([reg?.stop(), noDelete?.stop()]);
});

async function collect(stream: Readable): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const c of stream) chunks.push(c as Buffer);
  return Buffer.concat(chunks);
}

function desc(b: { mediaType: string; digest: string; size: number }): Descriptor {
  return { mediaType: b.mediaType, digest: b.digest as Digest, size: b.size };
}

test('parse: normalises names, exposes the Reference, and has the capabilities', () => {
  const r = dockerTransport.parse('nginx');
  assert.ok(r instanceof DockerReference);
  assert.equal(r.ref.registry, 'docker.io');
  assert.equal(r.ref.repository, 'library/nginx');
  assert.equal(r.ref.tag, 'latest');
  assert.equal(r.toString(), 'docker://docker.io/library/nginx:latest');
  assert.equal(r.transport.name, 'docker');
  assert.ok(isTagLister(r) && isDeleter(r));
  const d = dockerTransport.parse(`127.0.0.1:5000/a/b@${multi.top.digest}`) as DockerReference;
  assert.equal(d.ref.digest, multi.top.digest);
  assert.equal(d.ref.tag, undefined);
  assert.throws(() => dockerTransport.parse('Foo/Bar'), (e: TugError) => e.code === 'USAGE');
  assert.throws(() => dockerTransport.parse('a/b@sha256:1234'), (e: TugError) => e.code === 'USAGE');
});

test('source: top-level index, instances and blobs, raw and with claimed digests', async () => {
  const src = await dockerTransport.parse(`${reg.host}/src/multi:v1`).newSource(ctx);
  try {
    assert.ok(isRegistryLocated(src));
    assert.deepEqual(src.registryLocation, { registry: reg.host, repository: 'src/multi' });
    const top = await src.getManifest();
    assert.equal(Buffer.from(top.bytes).toString(), await rawManifest(`docker://${reg.host}/src/multi:v1`, ['--tls-verify=false']));
    assert.equal(top.mediaType, MediaType.OciIndex);
    assert.equal(top.claimedDigest, multi.top.digest);
    for (const m of multi.manifests) {
      const got = await src.getManifest(m.digest as Digest);
      assert.ok(Buffer.from(got.bytes).equals(m.bytes));
      assert.equal(got.claimedDigest, m.digest);
      const layer = m.layers.at(-1)!;
      assert.ok((await collect(await src.getBlob(desc(layer)))).equals(layer.bytes));
    }
  } finally {
    await src.close();
  }
  const byDigest = await dockerTransport.parse(`${reg.host}/src/multi@${multi.top.digest}`).newSource(ctx);
  try {
    assert.equal((await byDigest.getManifest()).claimedDigest, multi.top.digest);
  } finally {
    await byDigest.close();
  }
});

test('destination: copy a multi-arch image blob by blob, instances by digest, top level by tag; skopeo reads it back', async () => {
  const src = await dockerTransport.parse(`${reg.host}/src/multi:v1`).newSource(ctx);
  const dest = await dockerTransport.parse(`${reg.host}/dst/multi:copied`).newDestination(ctx);
  try {
    assert.equal(dest.supportsIndex, true);
    const blobs = [...multi.blobs.values()];
    assert.deepEqual(await Promise.all(blobs.map((b) => dest.hasBlob(desc(b)))), blobs.map(() => false));
    await Promise.all(blobs.map(async (b) => dest.putBlob(desc(b), await src.getBlob(desc(b)))));
    assert.deepEqual(await Promise.all(blobs.map((b) => dest.hasBlob(desc(b)))), blobs.map(() => true));
    // A HEAD that finds the digest with another size is not a hit.
    assert.equal(await dest.hasBlob({ ...desc(blobs[0]!), size: blobs[0]!.size + 1 }), false);
    for (const m of multi.manifests) await dest.putManifest({ bytes: m.bytes, mediaType: m.mediaType, digest: m.digest as Digest }, { instance: true });
    await dest.putManifest({ bytes: multi.top.bytes, mediaType: multi.top.mediaType, digest: multi.top.digest as Digest }, { instance: false });
    await dest.commit();
  } finally {
    await dest.close();
    await src.close();
  }
  const raw = await rawManifest(`docker://${reg.host}/dst/multi:copied`, ['--tls-verify=false']);
  assert.equal(sha256(raw), multi.top.digest);
  const instance = await rawManifest(`docker://${reg.host}/dst/multi@${multi.manifests[1]!.digest}`, ['--tls-verify=false']);
  assert.equal(sha256(instance), multi.manifests[1]!.digest);
});

test('destination: a digest-only reference writes by digest and refuses another digest', async () => {
  const image = await makeImage({ seed: 'by-digest', flavour: 'docker' });
  const dest = await dockerTransport.parse(`${reg.host}/dst/bydigest@${image.top.digest}`).newDestination(ctx);
  try {
    for (const b of image.blobs.values()) await dest.putBlob(desc(b), Readable.from([b.bytes]));
    await dest.putManifest({ bytes: image.top.bytes, mediaType: image.top.mediaType, digest: image.top.digest as Digest }, { instance: false });
    const other = await makeImage({ seed: 'by-digest-other', flavour: 'docker' });
    await assert.rejects(dest.putManifest({ bytes: other.top.bytes, mediaType: other.top.mediaType, digest: other.top.digest as Digest }, { instance: false }), (e: TugError) => e.code === 'USAGE');
  } finally {
    await dest.close();
  }
  assert.equal(sha256(await rawManifest(`docker://${reg.host}/dst/bydigest@${image.top.digest}`, ['--tls-verify=false'])), image.top.digest);
});

test('destination: schema1 manifests are refused with UNSUPPORTED', async () => {
  const dest = await dockerTransport.parse(`${reg.host}/dst/schema1:v1`).newDestination(ctx);
  try {
    const bytes = Buffer.from('{"schemaVersion":1,"name":"dst/schema1","tag":"v1","architecture":"amd64","fsLayers":[],"history":[]}');
    for (const mediaType of [MediaType.DockerSchema1Signed, MediaType.DockerSchema1]) {
      await assert.rejects(dest.putManifest({ bytes, mediaType, digest: sha256(bytes) as Digest }, { instance: false }), (e: TugError) => e.code === 'UNSUPPORTED' && /schema1 manifests are read-only/.test(e.message));
    }
  } finally {
    await dest.close();
  }
});

test('destination: mountBlob across repositories of the registry', async () => {
  const dest = await dockerTransport.parse(`${reg.host}/dst/mounted:v1`).newDestination(ctx);
  try {
    assert.ok(isBlobMounter(dest));
    const layer = multi.manifests[0]!.layers[0]!;
    assert.equal(await dest.mountBlob(desc(layer), 'src/multi'), true);
    assert.equal(await dest.hasBlob(desc(layer)), true);
    assert.equal(await dest.mountBlob({ ...desc(layer), digest: sha256('never pushed') as Digest }, 'src/multi'), false);
  } finally {
    await dest.close();
  }
});

test('destination: parallel putBlob of the same digest shares one upload', async () => {
  const data = randomBytesFrom('same-digest', 200_000);
  const d: Descriptor = { mediaType: MediaType.OciLayerGzip, digest: sha256(data) as Digest, size: data.length };
  const dest = await dockerTransport.parse(`${reg.host}/dst/race:v1`).newDestination(ctx);
  try {
    const streams = Array.from({ length: 4 }, () => Readable.from([data.subarray(0, 100_000), data.subarray(100_000)]));
    await Promise.all(streams.map((s) => dest.putBlob(d, s)));
    assert.equal(await dest.hasBlob(d), true);
    // Only one stream was read; the others were let go.
    assert.equal(streams.filter((s) => s.readableEnded).length, 1);
    assert.ok(streams.every((s) => s.destroyed || s.readableEnded));
  } finally {
    await dest.close();
  }
});

test('listTags and deleteImage through the reference', async () => {
  const image = await makeImage({ seed: 'tags-delete', flavour: 'oci' });
  for (const tag of ['one', 'two', 'three']) await pushImage({ url: reg.url, repository: 'life/cycle', tag }, image);
  const ref = dockerTransport.parse(`${reg.host}/life/cycle:two`);
  assert.ok(isTagLister(ref) && isDeleter(ref));
  assert.deepEqual((await ref.listTags(ctx)).sort(), ['one', 'three', 'two']);
  await ref.deleteImage(ctx);
  // Deleting by digest removes the manifest every tag pointed at.
  const src = await dockerTransport.parse(`${reg.host}/life/cycle:one`).newSource(ctx);
  try {
    await assert.rejects(src.getManifest(), (e: TugError) => e.code === 'NOT_FOUND');
  } finally {
    await src.close();
  }
  await assert.rejects(ref.deleteImage(ctx), (e: TugError) => e.code === 'NOT_FOUND');
});

test('deleteImage on a registry with deletion disabled: UNSUPPORTED naming storage.delete.enabled', async () => {
  const ref = dockerTransport.parse(`${noDelete.host}/keep/me:v1`);
  assert.ok(isDeleter(ref));
  await assert.rejects(ref.deleteImage(ctx), (e: RegistryError) => e instanceof RegistryError && e.code === 'UNSUPPORTED' && e.status === 405 && /the registry does not allow deletes \(storage\.delete\.enabled\)/.test(e.message));
  const src = await ref.newSource(ctx);
  try {
    assert.equal((await src.getManifest()).claimedDigest, multi.top.digest);
  } finally {
    await src.close();
  }
});

test('one client per registry and context; it outlives its last lease by the grace period, then a new one is made', (t) => {
  // The pool's own API (what every docker:// source and destination calls), with
  // mocked timers: the grace period is observed without waiting for it.
  t.mock.timers.enable({ apis: ['setTimeout'] });
  const shared: SystemContext = { plainHttp: true };
  const a = acquireClient(reg.host, shared);
  const b = acquireClient(reg.host, shared);
  assert.equal(a.client, b.client, 'a source and a destination on one context share the client');
  assert.notEqual(acquireClient(reg.host, { plainHttp: true }).client, a.client, 'another context object, even with the same settings, gets its own');
  void a.release();
  void b.release();
  t.mock.timers.tick(IDLE_CLOSE_MS - 1);
  const c = acquireClient(reg.host, shared);
  assert.equal(c.client, a.client, 'within the grace period the next image reuses it (no new ping, token or connections)');
  void c.release();
  t.mock.timers.tick(IDLE_CLOSE_MS);
  const d = acquireClient(reg.host, shared);
  assert.notEqual(d.client, a.client, 'after the grace period a new client');
  void d.release();
});

test('a destination keeps working after a source on the same context closes', async () => {
  const shared: SystemContext = { plainHttp: true };
  const a = await dockerTransport.parse(`${reg.host}/src/multi:v1`).newSource(shared);
  const b = await dockerTransport.parse(`${reg.host}/dst/other:v1`).newDestination(shared);
  await a.close();
  try {
    assert.equal(await b.hasBlob(desc(multi.manifests[0]!.config)), false);
  } finally {
    await b.close();
  }
  const c = await dockerTransport.parse(`${reg.host}/src/multi:v1`).newSource(shared);
  try {
    assert.equal((await c.getManifest()).claimedDigest, multi.top.digest);
  } finally {
    await c.close();
  }
});
