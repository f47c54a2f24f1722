import assert from 'node:assert/strict';
import { test } from 'node:test';
import { SOURCE_DIGEST_ANNOTATION, selectFromIndex } from '../../src/copy/select.ts';
import { TugError } from '../../src/errors/index.ts';
import { MediaType, digestBytes, parseManifest, parsePlatform } from '../../src/oci/index.ts';
import type { ImageIndex } from '../../src/oci/manifest.ts';
import type { Digest } from '../../src/reference/digest.ts';

const D = (c: string) => `sha256:${c.repeat(64)}` as Digest;
const index: ImageIndex = {
  schemaVersion: 2,
  mediaType: MediaType.DockerManifestList,
  manifests: [
    { mediaType: MediaType.DockerManifest, digest: D('a'), size: 10, platform: { os: 'linux', architecture: 'amd64' } },
    { mediaType: MediaType.DockerManifest, digest: D('b'), size: 11, platform: { os: 'linux', architecture: 'arm64', variant: 'v8' } },
    { mediaType: MediaType.DockerManifest, digest: D('c'), size: 12, platform: { os: 'linux', architecture: 'arm', variant: 'v7' } },
  ],
};
const bytes = new TextEncoder().encode(JSON.stringify(index));
const digest = digestBytes(bytes);
const base = { mode: 'system' as const, system: parsePlatform('linux/amd64'), destinationSupportsIndex: true };

const cases: { name: string; opts: Partial<Parameters<typeof selectFromIndex>[4]>; expect: { kind: string; instances?: string[]; rewritten?: boolean } }[] = [
  { name: 'system picks the host platform', opts: {}, expect: { kind: 'single', instances: [D('a')] } },
  { name: 'system honours overrides', opts: { system: parsePlatform('linux/arm64') }, expect: { kind: 'single', instances: [D('b')] } },
  { name: 'all keeps the index as is', opts: { mode: 'all' }, expect: { kind: 'index', instances: [D('a'), D('b'), D('c')], rewritten: false } },
  { name: 'index-only copies no instances', opts: { mode: 'index-only' }, expect: { kind: 'index', instances: [], rewritten: false } },
  { name: '--platform filters and rewrites', opts: { platforms: [parsePlatform('linux/amd64'), parsePlatform('linux/arm64')] }, expect: { kind: 'index', instances: [D('a'), D('b')], rewritten: true } },
  { name: '--platform naming every platform keeps the digest', opts: { platforms: ['linux/amd64', 'linux/arm64', 'linux/arm'].map(parsePlatform) }, expect: { kind: 'index', instances: [D('a'), D('b'), D('c')], rewritten: false } },
  { name: 'one --platform into a single-image destination', opts: { platforms: [parsePlatform('linux/arm/v7')], destinationSupportsIndex: false }, expect: { kind: 'single', instances: [D('c')] } },
  { name: 'system into a single-image destination', opts: { destinationSupportsIndex: false }, expect: { kind: 'single', instances: [D('a')] } },
];

for (const c of cases) {
  test(c.name, () => {
    const sel = selectFromIndex(index, MediaType.DockerManifestList, bytes, digest, { ...base, ...c.opts });
    assert.equal(sel.kind, c.expect.kind);
    if (sel.kind === 'single') assert.deepEqual([sel.instance?.digest], c.expect.instances);
    else {
      assert.deepEqual(sel.instances.map((d) => d.digest), c.expect.instances);
      assert.equal(sel.rewrittenFrom !== undefined, c.expect.rewritten);
      if (!c.expect.rewritten) assert.equal(sel.index.digest, digest);
    }
  });
}

test('a filtered Docker manifest list stays a Docker manifest list and records its source', () => {
  const sel = selectFromIndex(index, MediaType.DockerManifestList, bytes, digest, { ...base, platforms: [parsePlatform('linux/arm64')] });
  assert.equal(sel.kind, 'index');
  if (sel.kind !== 'index') return;
  const parsed = parseManifest(sel.index.bytes, MediaType.DockerManifestList);
  assert.equal(parsed.mediaType, MediaType.DockerManifestList);
  assert.equal(sel.index.mediaType, MediaType.DockerManifestList);
  assert.equal(parsed.kind === 'index' && parsed.manifest.annotations?.[SOURCE_DIGEST_ANNOTATION], digest);
  assert.equal(sel.index.digest, digestBytes(sel.index.bytes));
  assert.notEqual(sel.index.digest, digest);
});

test('errors name what is missing', () => {
  assert.throws(() => selectFromIndex(index, MediaType.OciIndex, bytes, digest, { ...base, system: parsePlatform('windows/amd64') }), (e: unknown) => e instanceof TugError && e.code === 'NOT_FOUND' && /windows\/amd64.*available: linux\/amd64, linux\/arm64\/v8/.test(e.message));
  assert.throws(() => selectFromIndex(index, MediaType.OciIndex, bytes, digest, { ...base, platforms: [parsePlatform('linux/s390x')] }), /linux\/s390x not in the index/);
  assert.throws(() => selectFromIndex(index, MediaType.OciIndex, bytes, digest, { ...base, mode: 'all', destinationSupportsIndex: false }), (e: unknown) => e instanceof TugError && e.code === 'USAGE');
});
