/**
 * The registry client against the real registry (distribution 2.8, plain
 * HTTP on loopback): ping and the plain-HTTP notice, manifests of every kind
 * compared with skopeo, blobs, uploads, mounts, deletes, hostile input.
 */
import assert from 'node:assert/strict';
import { existsSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { after, before, test } from 'node:test';
import type { TransportEvent } from '../../src/context/system-context.ts';
import { RegistryClient } from '../../src/distribution/index.ts';
import { RegistryError, TugError } from '../../src/errors/index.ts';
import type { Digest } from '../../src/reference/digest.ts';
import { type GeneratedImage, makeImage, multiArch, pushImage, randomBytesFrom, sha256 } from '../support/images.ts';
import { type TestRegistry, startRegistry } from '../support/registry.ts';
import { rawManifest } from '../support/skopeo.ts';
import { type TestProxy, startProxy } from './proxy.ts';

let reg: TestRegistry;
let client: RegistryClient;
const events: TransportEvent[] = [];
const images: Record<string, GeneratedImage> = {};

/** The methods of the upload requests the client sent for `repo`, in order. */
function uploadRequests(proxy: TestProxy, repo: string): string[] {
  return proxy.seen.filter((r) => r.url.startsWith(`/v2/${repo}/blobs/uploads/`)).map((r) => r.method);
}

async function collect(stream: Readable): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const c of stream) chunks.push(c as Buffer);
  return Buffer.concat(chunks);
}

/**
 * Upload sessions the registry still holds for `repo`. A cancelled session
 * loses its `startedat` and `data` files (distribution 2.8 leaves an empty
 * hashstates directory behind, which it garbage-collects later).
 */
function openUploads(repo: string): string[] {
  const dir = join(reg.root, 'docker/registry/v2/repositories', repo, '_uploads');
  return existsSync(dir) ? readdirSync(dir).filter((id) => existsSync(join(dir, id, 'startedat'))) : [];
}

before(async () => {
  reg = await startRegistry();
  client = new RegistryClient(reg.host, { onEvent: (e) => events.push(e) }, { retryBaseDelayMs: 10 });
  images.docker = await makeImage({ seed: 'client-docker', flavour: 'docker' });
  images.dockerList = await multiArch('client-docker-list', 'docker');
  images.oci = await makeImage({ seed: 'client-oci', flavour: 'oci' });
  images.ociIndex = await multiArch('client-oci-index', 'oci');
  for (const [name, image] of Object.entries(images)) await pushImage({ url: reg.url, repository: `kinds/${name.toLowerCase()}`, tag: 'v1' }, image);
});

after(async () => {
  await client?.close();
  await reg?.stop();
});

test('ping: a loopback plain-HTTP registry works and the fallback is reported once', async () => {
  const first = await client.ping();
  assert.equal(first.origin, `http://${reg.host}`);
  assert.equal(first.status, 200);
  await client.ping();
  await client.headBlob('kinds/oci', sha256('nothing'));
  const notices = events.filter((e) => e.type === 'notice');
  assert.equal(notices.length, 1);
  assert.equal(notices[0]?.type === 'notice' && notices[0].message, `${reg.host} does not speak TLS; using plain HTTP because it is a loopback / insecure registry`);
});

test('ping: plainHttp goes straight to http without a notice', async () => {
  const seen: TransportEvent[] = [];
  const c = new RegistryClient(reg.host, { plainHttp: true, onEvent: (e) => seen.push(e) });
  try {
    assert.equal((await c.ping()).origin, `http://${reg.host}`);
    // One exchange (reported as an http event), no notice.
    assert.deepEqual(seen.map((e) => e.type), ['http']);
  } finally {
    await c.close();
  }
});

for (const kind of ['docker', 'dockerList', 'oci', 'ociIndex']) {
  test(`getManifest (${kind}): bytes, type and digest match skopeo inspect --raw`, async () => {
    const image = images[kind]!;
    const repo = `kinds/${kind.toLowerCase()}`;
    const m = await client.getManifest(repo, 'v1');
    const skopeoBytes = await rawManifest(`docker://${reg.host}/${repo}:v1`, ['--tls-verify=false']);
    assert.equal(Buffer.from(m.bytes).toString('utf8'), skopeoBytes);
    assert.ok(Buffer.from(m.bytes).equals(image.top.bytes));
    assert.equal(m.mediaType, image.top.mediaType);
    assert.equal(m.digest, image.top.digest);
    assert.equal(sha256(Buffer.from(m.bytes)), image.top.digest);
    const byDigest = await client.getManifest(repo, image.top.digest);
    assert.ok(Buffer.from(byDigest.bytes).equals(image.top.bytes));
    const head = await client.headManifest(repo, 'v1');
    assert.deepEqual(head, { digest: image.top.digest, mediaType: image.top.mediaType, size: image.top.bytes.length });
  });
}

test('first contact: the first API call doubles as the ping, also with credentials, and concurrent calls wait for it', async () => {
  const authed = await startRegistry({ users: { alice: 'wonderland' } });
  try {
    await pushImage({ url: authed.url, repository: 'fc/app', tag: 'v1', username: 'alice', password: 'wonderland' }, images.docker!);
    for (const target of [reg.url, authed.url]) {
      const proxy = await startProxy(target);
      const notices: TransportEvent[] = [];
      const c = new RegistryClient(proxy.host, { credentials: { username: 'alice', password: 'wonderland' }, onEvent: (e) => notices.push(e) }, { retryBaseDelayMs: 10 });
      try {
        const repo = target === reg.url ? 'kinds/docker' : 'fc/app';
        const heads = await Promise.all(['v1', 'v1', 'nope'].map((tag) => c.headManifest(repo, tag)));
        assert.equal(heads[0]?.digest, images.docker!.top.digest);
        assert.equal(heads[2], undefined);
        assert.deepEqual(proxy.seen.filter((r) => r.url === '/v2/'), [], 'no GET /v2/');
        // Anonymous registry: one HEAD each. Basic auth: the first HEAD's 401 teaches the challenge, once.
        const expected = target === reg.url ? 3 : 4;
        assert.equal(proxy.seen.length, expected, proxy.seen.map((r) => `${r.method} ${r.url} ${r.headers.authorization ? 'auth' : 'anon'}`).join(', '));
        assert.equal(notices.filter((e) => e.type === 'notice').length, 1, JSON.stringify(notices));
      } finally {
        await c.close();
        await proxy.stop();
      }
    }
  } finally {
    await authed.stop();
  }
});

test('first contact with a host that is not a registry: the 404 is explained by a real ping', async () => {
  const { createServer } = await import('node:http');
  const server = createServer((_req, res) => {
    res.writeHead(404, { 'content-type': 'text/html' });
    res.end('<h1>Not Found</h1>');
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const { port } = server.address() as import('node:net').AddressInfo;
  const c = new RegistryClient(`127.0.0.1:${port}`, { plainHttp: true }, { retryBaseDelayMs: 5 });
  try {
    await assert.rejects(c.headManifest('a/b', 'v1'), (err: RegistryError) => err.code === 'REGISTRY' && /does not serve the registry API at \/v2\//.test(err.message));
  } finally {
    await c.close();
    server.closeAllConnections();
    await new Promise((r) => server.close(r));
  }
});

test('getManifest of an index instance by digest', async () => {
  const instance = images.ociIndex!.manifests[1]!;
  const m = await client.getManifest('kinds/ociindex', instance.digest);
  assert.ok(Buffer.from(m.bytes).equals(instance.bytes));
  assert.equal(m.digest, instance.digest);
});

test('missing manifests and repositories are NOT_FOUND; headManifest says undefined', async () => {
  await assert.rejects(client.getManifest('kinds/oci', 'nope'), (e: TugError) => e.code === 'NOT_FOUND' && /kinds\/oci:nope: manifest not found/.test(e.message));
  await assert.rejects(client.getManifest('no/such', 'v1'), (e: TugError) => e.code === 'NOT_FOUND');
  assert.equal(await client.headManifest('kinds/oci', 'nope'), undefined);
});

test('hostile references are refused with UNSAFE_INPUT before any request', async () => {
  await assert.rejects(client.getManifest('kinds/oci', 'sha256:../../etc/passwd'), (e: TugError) => e.code === 'UNSAFE_INPUT');
  await assert.rejects(client.getManifest('kinds/oci', '../x'), (e: TugError) => e.code === 'UNSAFE_INPUT');
  await assert.rejects(client.headBlob('kinds/oci', 'sha256:ABC'), (e: TugError) => e.code === 'UNSAFE_INPUT');
  await assert.rejects(client.getBlob('kinds/oci', { digest: 'md5:00' as Digest, size: 1 }), (e: TugError) => e.code === 'UNSAFE_INPUT');
  await assert.rejects(client.deleteManifest('kinds/oci', 'latest'), (e: TugError) => e.code === 'UNSAFE_INPUT');
});

test('headBlob and getBlob: size and bytes of a real layer', async () => {
  const layer = images.oci!.manifests[0]!.layers[1]!;
  assert.equal(await client.headBlob('kinds/oci', layer.digest), layer.size);
  assert.equal(await client.headBlob('kinds/oci', sha256('absent')), undefined);
  const bytes = await collect(await client.getBlob('kinds/oci', { digest: layer.digest as Digest, size: layer.size }));
  assert.ok(bytes.equals(layer.bytes));
  await assert.rejects(client.getBlob('kinds/oci', { digest: sha256('absent') as Digest, size: 1 }), (e: RegistryError) => e.code === 'NOT_FOUND' && e.status === 404 && e.diagnostics.includes('BLOB_UNKNOWN'));
});

test('monolithic upload: the blob lands with its digest and no session is left', async () => {
  const data = randomBytesFrom('mono', 300_000);
  const digest = sha256(data) as Digest;
  await client.upload('up/mono', { digest, size: data.length }, Readable.from([data.subarray(0, 1000), data.subarray(1000)]));
  assert.equal(await client.headBlob('up/mono', digest), data.length);
  assert.ok((await collect(await client.getBlob('up/mono', { digest, size: data.length }))).equals(data));
  assert.deepEqual(openUploads('up/mono'), []);
});

test('chunked upload: PATCH chunks then PUT', async () => {
  const data = randomBytesFrom('chunked', 250_001);
  const digest = sha256(data) as Digest;
  await client.upload('up/chunked', { digest, size: data.length }, Readable.from([data.subarray(0, 7), data.subarray(7, 90_000), data.subarray(90_000)]), { chunkSize: 64 * 1024 });
  assert.equal(await client.headBlob('up/chunked', digest), data.length);
  assert.ok((await collect(await client.getBlob('up/chunked', { digest, size: data.length }))).equals(data));
  assert.deepEqual(openUploads('up/chunked'), []);
});

test('an upload whose bytes do not match the digest is refused by the registry and the session cancelled', async () => {
  const proxy = await startProxy(reg.url);
  const c = new RegistryClient(proxy.host, { plainHttp: true });
  try {
    const data = randomBytesFrom('liar', 5000);
    const claimed = sha256('something else') as Digest;
    await assert.rejects(c.upload('up/bad', { digest: claimed, size: data.length }, Readable.from([data])), (e: RegistryError) => e instanceof RegistryError && e.status === 400 && e.diagnostics.includes('DIGEST_INVALID'));
    assert.equal(await client.headBlob('up/bad', claimed), undefined);
    assert.deepEqual(uploadRequests(proxy, 'up/bad'), ['POST', 'PUT', 'DELETE']);
  } finally {
    await c.close();
    await proxy.stop();
  }
});

test('an upload whose stream fails keeps the stream error, cancels the session and links nothing', async () => {
  const proxy = await startProxy(reg.url);
  const c = new RegistryClient(proxy.host, { plainHttp: true });
  try {
    const data = randomBytesFrom('broken', 100_000);
    const digest = sha256(data) as Digest;
    const integrity = new TugError('INTEGRITY', 'blob: digest mismatch');
    for (const [repo, chunkSize] of [['up/broken-mono', undefined], ['up/broken-chunked', 16 * 1024]] as const) {
      const stream = new Readable({ read() {} });
      stream.push(data.subarray(0, 40_000));
      setTimeout(() => stream.destroy(integrity), 50);
      await assert.rejects(c.upload(repo, { digest, size: data.length }, stream, { chunkSize }), (e) => e === integrity);
      assert.equal(await client.headBlob(repo, digest), undefined);
      const methods = uploadRequests(proxy, repo);
      assert.equal(methods[0], 'POST');
      assert.equal(methods.at(-1), 'DELETE');
      assert.ok(!methods.includes('PUT') || chunkSize === undefined, 'a chunked upload never reaches its final PUT');
    }
  } finally {
    await c.close();
    await proxy.stop();
  }
});

test('mountBlob: 201 across repositories, then HEAD-able; a missing source blob is not mounted and leaves no session', async () => {
  const layer = images.docker!.manifests[0]!.layers[0]!;
  assert.equal(await client.headBlob('mount/target', layer.digest), undefined);
  assert.equal(await client.mountBlob('mount/target', layer.digest, 'kinds/docker'), true);
  assert.equal(await client.headBlob('mount/target', layer.digest), layer.size);
  assert.equal(await client.mountBlob('mount/target', sha256('never pushed'), 'kinds/docker'), false);
  assert.deepEqual(openUploads('mount/target'), []);
});

test('putManifest then deleteManifest by digest', async () => {
  const image = await makeImage({ seed: 'client-delete', flavour: 'oci' });
  await pushImage({ url: reg.url, repository: 'del/me', tag: 'base' }, image);
  const stored = await client.putManifest('del/me', 'again', image.top.bytes, image.top.mediaType);
  assert.equal(stored, image.top.digest);
  assert.equal((await client.headManifest('del/me', 'again'))?.digest, image.top.digest);
  await client.deleteManifest('del/me', image.top.digest);
  assert.equal(await client.headManifest('del/me', image.top.digest), undefined);
  assert.equal(await client.headManifest('del/me', 'again'), undefined);
  await assert.rejects(client.deleteManifest('del/me', image.top.digest), (e: TugError) => e.code === 'NOT_FOUND');
});

test('listTags without pagination', async () => {
  const image = await makeImage({ seed: 'client-tags', flavour: 'oci' });
  for (const tag of ['a', 'b', 'c']) await pushImage({ url: reg.url, repository: 'tags/plain', tag }, image);
  assert.deepEqual((await client.listTags('tags/plain')).sort(), ['a', 'b', 'c']);
  await assert.rejects(client.listTags('tags/none'), (e: TugError) => e.code === 'NOT_FOUND');
});
