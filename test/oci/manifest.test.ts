import assert from 'node:assert/strict';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { Writable } from 'node:stream';
import { test } from 'node:test';
import { TugError } from '../../src/errors/index.ts';
import { MAX_MANIFEST_BYTES, MediaType, digestBytes, parseManifest, parsePlatform, platformMatches, verifyingStream } from '../../src/oci/index.ts';

const D = (c: string) => `sha256:${c.repeat(64)}`;
const enc = (o: unknown) => new TextEncoder().encode(JSON.stringify(o));
const image = { schemaVersion: 2, mediaType: MediaType.OciManifest, config: { mediaType: MediaType.OciConfig, digest: D('a'), size: 2 }, layers: [{ mediaType: MediaType.OciLayerGzip, digest: D('b'), size: 3 }] };
const index = { schemaVersion: 2, mediaType: MediaType.OciIndex, manifests: [{ mediaType: MediaType.OciManifest, digest: D('c'), size: 4, platform: { os: 'linux', architecture: 'amd64' } }] };

const unsafe = (e: unknown) => e instanceof TugError && e.code === 'UNSAFE_INPUT';

test('parses each manifest kind', () => {
  assert.equal(parseManifest(enc(image), MediaType.OciManifest).kind, 'image');
  assert.equal(parseManifest(enc(index), MediaType.OciIndex).kind, 'index');
  assert.equal(parseManifest(enc({ ...image, mediaType: MediaType.DockerManifest }), MediaType.DockerManifest).mediaType, MediaType.DockerManifest);
  assert.equal(parseManifest(enc({ ...index, mediaType: MediaType.DockerManifestList }), undefined).mediaType, MediaType.DockerManifestList);
  const { mediaType: _m, ...noType } = image;
  assert.equal(parseManifest(enc(noType), undefined).mediaType, MediaType.OciManifest, 'OCI allows omitting mediaType');
  assert.equal(parseManifest(enc({ schemaVersion: 1, name: 'a', tag: 'b', architecture: 'amd64', fsLayers: [], history: [] }), MediaType.DockerSchema1Signed).kind, 'schema1');
});

test('refuses a document whose mediaType disagrees with how it was served', () => {
  assert.throws(() => parseManifest(enc(index), MediaType.OciManifest), unsafe);
  assert.throws(() => parseManifest(enc(image), MediaType.DockerManifest), unsafe);
});

test('refuses ambiguous documents (manifests and layers)', () => {
  assert.throws(() => parseManifest(enc({ ...image, manifests: [] }), undefined), unsafe);
});

test('refuses hostile digests in descriptors', () => {
  for (const digest of ['sha256:../../../etc/passwd', D('A'), 'sha256:abc', `md5:${'a'.repeat(32)}`]) {
    assert.throws(() => parseManifest(enc({ ...image, layers: [{ mediaType: MediaType.OciLayerGzip, digest, size: 1 }] }), undefined), unsafe, digest);
  }
  assert.throws(() => parseManifest(enc({ ...image, layers: [{ mediaType: MediaType.OciLayerGzip, digest: D('b'), size: -1 }] }), undefined), unsafe);
});

test('refuses manifests over 4 MiB', () => {
  const big = new Uint8Array(MAX_MANIFEST_BYTES + 1).fill(32);
  assert.throws(() => parseManifest(big, undefined), (e: unknown) => unsafe(e) && /4 MiB/.test((e as Error).message));
});

test('refuses non-JSON and unknown schema versions', () => {
  assert.throws(() => parseManifest(new TextEncoder().encode('{nope'), undefined), unsafe);
  assert.throws(() => parseManifest(enc({ schemaVersion: 3 }), undefined), unsafe);
});

test('platform matching follows containerd defaults', () => {
  assert.ok(platformMatches(parsePlatform('linux/arm64'), { os: 'linux', architecture: 'arm64', variant: 'v8' }));
  assert.ok(platformMatches(parsePlatform('linux/arm64/v8'), { os: 'linux', architecture: 'arm64' }));
  assert.ok(platformMatches(parsePlatform('linux/arm'), { os: 'linux', architecture: 'arm', variant: 'v7' }));
  assert.ok(!platformMatches(parsePlatform('linux/arm/v6'), { os: 'linux', architecture: 'arm', variant: 'v7' }));
  assert.ok(!platformMatches(parsePlatform('linux/amd64'), { os: 'windows', architecture: 'amd64' }));
  assert.throws(() => parsePlatform('linux'), (e: unknown) => e instanceof TugError && e.code === 'USAGE');
});

async function drain(stream: Readable, verifier: ReturnType<typeof verifyingStream>): Promise<void> {
  await pipeline(stream, verifier, new Writable({ write: (_c, _e, cb) => cb() }));
}

test('verifying stream passes good bytes and fails bad ones with INTEGRITY', async () => {
  const bytes = Buffer.from('hello tugboat');
  const digest = digestBytes(bytes);
  await drain(Readable.from([bytes]), verifyingStream({ digest, size: bytes.length }, 'blob'));
  const flipped = Buffer.from(bytes);
  flipped[0] = flipped[0]! ^ 1;
  await assert.rejects(drain(Readable.from([flipped]), verifyingStream({ digest, size: bytes.length }, 'blob')), (e: unknown) => e instanceof TugError && e.code === 'INTEGRITY');
  await assert.rejects(drain(Readable.from([bytes, Buffer.from('x')]), verifyingStream({ digest, size: bytes.length }, 'blob')), /more than the expected/);
  await assert.rejects(drain(Readable.from([bytes.subarray(0, 3)]), verifyingStream({ digest, size: bytes.length }, 'blob')), /got 3 bytes/);
});
