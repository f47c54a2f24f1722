/**
 * Format conversion and the engine's decisions, as pure functions: media
 * types per the tables, what Docker schema 2 cannot carry, and when
 * --format / --preserve-digests / --dest-compress* convert.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { planLayerTransform, type LayerPolicy } from '../../src/copy/compress.ts';
import { convertImageDoc, convertIndexDoc, planConversion } from '../../src/copy/conversion.ts';
import { TugError } from '../../src/errors/index.ts';
import { rewriteImageManifest, rewriteIndex } from '../../src/oci/convert.ts';
import { MediaType, digestBytes, encodeManifest, parseManifest } from '../../src/oci/index.ts';
import type { Descriptor, ImageIndex, ImageManifest } from '../../src/oci/manifest.ts';
import type { Digest } from '../../src/reference/digest.ts';

const D = (c: string) => `sha256:${c.repeat(64)}` as Digest;
const layer = (mediaType: string, c: string, extra: Partial<Descriptor> = {}): Descriptor => ({ mediaType, digest: D(c), size: 100, ...extra });
const image = (layers: Descriptor[], extra: Partial<ImageManifest> = {}, config: string = MediaType.DockerConfig): ImageManifest => ({
  schemaVersion: 2,
  mediaType: config === MediaType.DockerConfig ? MediaType.DockerManifest : MediaType.OciManifest,
  config: { mediaType: config, digest: D('c'), size: 50 },
  layers,
  ...extra,
});

const layerCases: { name: string; from: string; format: 'oci' | 'v2s2'; to: string | RegExp; extra?: Partial<Descriptor> }[] = [
  { name: 'Docker gzip -> OCI gzip', from: MediaType.DockerLayerGzip, format: 'oci', to: MediaType.OciLayerGzip },
  { name: 'Docker tar -> OCI tar', from: MediaType.DockerLayer, format: 'oci', to: MediaType.OciLayer },
  { name: 'Docker foreign -> OCI non-distributable, urls kept', from: MediaType.DockerForeignLayerGzip, format: 'oci', to: MediaType.OciLayerNondistributableGzip, extra: { urls: ['https://example.com/l'] } },
  { name: 'OCI gzip -> Docker gzip', from: MediaType.OciLayerGzip, format: 'v2s2', to: MediaType.DockerLayerGzip },
  { name: 'OCI non-distributable -> Docker foreign', from: MediaType.OciLayerNondistributableGzip, format: 'v2s2', to: MediaType.DockerForeignLayerGzip },
  { name: 'OCI zstd -> Docker: refused', from: MediaType.OciLayerZstd, format: 'v2s2', to: /Docker schema 2 cannot carry zstd layers/ },
  { name: 'unknown layer type: refused', from: 'application/vnd.example.blob', format: 'oci', to: /has no OCI equivalent/ },
];

for (const c of layerCases) {
  test(`layer: ${c.name}`, () => {
    const config = c.format === 'oci' ? MediaType.DockerConfig : MediaType.OciConfig;
    const m = image([layer(c.from, '1', c.extra)], {}, config);
    if (c.to instanceof RegExp) {
      assert.throws(() => rewriteImageManifest(m, { format: c.format }), (err: unknown) => err instanceof TugError && err.code === 'UNSUPPORTED' && c.to instanceof RegExp && c.to.test(err.message));
      return;
    }
    const out = rewriteImageManifest(m, { format: c.format });
    assert.equal(out.layers[0]!.mediaType, c.to);
    assert.equal(out.layers[0]!.digest, D('1'), 'layer bytes stay');
    assert.equal(out.config.digest, D('c'), 'config bytes stay');
    assert.equal(out.config.mediaType, c.format === 'oci' ? MediaType.OciConfig : MediaType.DockerConfig);
    assert.equal(out.mediaType, c.format === 'oci' ? MediaType.OciManifest : MediaType.DockerManifest);
    assert.deepEqual(out.layers[0]!.urls, c.extra?.urls);
  });
}

test('to v2s2: annotations dropped, artifacts and subjects refused', () => {
  const oci = image([layer(MediaType.OciLayerGzip, '1', { annotations: { a: 'b' } })], { annotations: { x: 'y' } }, MediaType.OciConfig);
  const out = rewriteImageManifest(oci, { format: 'v2s2' });
  assert.equal(out.annotations, undefined);
  assert.equal(out.layers[0]!.annotations, undefined);
  assert.deepEqual(rewriteImageManifest(oci, { format: 'oci' }).annotations, { x: 'y' }, 'OCI keeps them');
  assert.throws(() => rewriteImageManifest({ ...oci, subject: layer(MediaType.OciManifest, 'f') }, { format: 'v2s2' }), /subject/);
  assert.throws(() => rewriteImageManifest(image([], {}, 'application/vnd.dev.cosign.artifact.sig.v1+json'), { format: 'v2s2' }), /is an artifact/);
});

test('layer replacements: new digest, size and compressed type; config untouched', () => {
  const m = image([layer(MediaType.DockerLayer, '1'), layer(MediaType.DockerLayer, '2')]);
  const out = rewriteImageManifest(m, { format: 'v2s2', layers: new Map([[D('1'), { digest: D('9'), size: 42, compression: 'gzip' as const }]]) });
  assert.deepEqual(out.layers[0], { mediaType: MediaType.DockerLayerGzip, digest: D('9'), size: 42 });
  assert.deepEqual(out.layers[1], { mediaType: MediaType.DockerLayer, digest: D('2'), size: 100 });
  assert.throws(() => rewriteImageManifest(m, { format: 'v2s2', layers: new Map([[D('1'), { digest: D('9'), size: 42, compression: 'zstd' as const }]]) }), /zstd/);
});

test('a Docker manifest list becomes an OCI index pointing at the converted instances', () => {
  const docs = ['a', 'b'].map((c) => {
    const m = image([layer(MediaType.DockerLayerGzip, c)]);
    const bytes = encodeManifest(m);
    return { m, doc: { bytes, digest: digestBytes(bytes), mediaType: MediaType.DockerManifest } };
  });
  const list: ImageIndex = {
    schemaVersion: 2,
    mediaType: MediaType.DockerManifestList,
    manifests: docs.map(({ doc }, i) => ({ mediaType: doc.mediaType, digest: doc.digest, size: doc.bytes.byteLength, platform: { os: 'linux', architecture: i ? 'arm64' : 'amd64', features: ['sse4'] } })),
  };
  const listBytes = encodeManifest(list);
  const listDoc = { bytes: listBytes, digest: digestBytes(listBytes), mediaType: MediaType.DockerManifestList };
  const converted = new Map(docs.map(({ m, doc }) => [doc.digest, convertImageDoc(doc, m, 'oci', new Map())]));
  const out = convertIndexDoc(listDoc, list, 'oci', converted);
  const parsed = parseManifest(out.bytes, out.mediaType);
  assert.equal(parsed.kind, 'index');
  assert.equal(out.mediaType, MediaType.OciIndex);
  if (parsed.kind !== 'index') return;
  for (const [i, entry] of parsed.manifest.manifests.entries()) {
    const inst = converted.get(docs[i]!.doc.digest)!;
    assert.deepEqual(entry, { mediaType: MediaType.OciManifest, digest: inst.digest, size: inst.bytes.byteLength, platform: { architecture: i ? 'arm64' : 'amd64', os: 'linux' } });
    assert.equal(parseManifest(inst.bytes, inst.mediaType).mediaType, MediaType.OciManifest);
  }
  // Pure and deterministic: the same input gives the same bytes.
  assert.equal(convertIndexDoc(listDoc, list, 'oci', converted).digest, out.digest);
  // Nothing to do: the same document, bytes untouched.
  assert.equal(convertIndexDoc(listDoc, list, undefined, new Map(docs.map(({ doc }) => [doc.digest, doc]))), listDoc);
  assert.throws(() => rewriteIndex({ ...list, subject: list.manifests[0] }, 'v2s2', new Map()), /cannot carry/);
});

const wantsOci = { manifestFormats: ['oci' as const], desiredLayerCompression: 'compress' as const };
const wantsAny = { desiredLayerCompression: 'preserve' as const };
const planCases: { name: string; source: 'oci' | 'v2s2'; wants: Parameters<typeof planConversion>[1]; options: Parameters<typeof planConversion>[2]; format?: string | undefined; layers?: string; notice?: RegExp; error?: RegExp }[] = [
  { name: 'Docker into an OCI layout converts', source: 'v2s2', wants: wantsOci, options: {}, format: 'oci', layers: 'compress' },
  { name: 'OCI into an OCI layout stays', source: 'oci', wants: wantsOci, options: {}, format: undefined },
  { name: 'dir: keeps the source format and layers', source: 'v2s2', wants: wantsAny, options: {}, format: undefined, layers: 'preserve' },
  { name: '--format v2s2 anywhere', source: 'oci', wants: wantsAny, options: { format: 'v2s2' }, format: 'v2s2' },
  { name: '--preserve-digests into an OCI layout: a notice, no conversion', source: 'v2s2', wants: wantsOci, options: { preserveDigests: true }, format: undefined, layers: 'preserve', notice: /skopeo and podman cannot find it by its ref/ },
  { name: '--preserve-digests with a converting --format: refused', source: 'v2s2', wants: wantsAny, options: { preserveDigests: true, format: 'oci' }, error: /--preserve-digests conflicts with --format oci/ },
  { name: '--preserve-digests with the source format: fine', source: 'oci', wants: wantsAny, options: { preserveDigests: true, format: 'oci' }, format: undefined },
  { name: '--preserve-digests with --dest-compress: refused', source: 'oci', wants: wantsAny, options: { preserveDigests: true, layerCompression: 'compress' }, error: /changing a layer changes the digest/ },
  { name: 'zstd writes OCI', source: 'v2s2', wants: { desiredLayerCompression: 'compress' }, options: { compressionFormat: 'zstd' }, format: 'oci', layers: 'compress' },
  { name: 'zstd with --format v2s2: refused', source: 'v2s2', wants: { desiredLayerCompression: 'compress' }, options: { compressionFormat: 'zstd', format: 'v2s2' }, error: /Docker schema 2 has no zstd/ },
  { name: 'a level out of range: refused', source: 'v2s2', wants: wantsAny, options: { compressionFormat: 'gzip', compressionLevel: 12 }, error: /--dest-compress-level 12 is out of range for gzip/ },
  { name: '--dest-compress overrides dir:', source: 'v2s2', wants: wantsAny, options: { layerCompression: 'compress' }, format: undefined, layers: 'compress' },
];

for (const c of planCases) {
  test(`plan: ${c.name}`, () => {
    if (c.error) {
      assert.throws(() => planConversion(c.source, c.wants, c.options, 'oci:/x:v1'), (err: unknown) => err instanceof TugError && err.code === 'USAGE' && c.error!.test(err.message));
      return;
    }
    const plan = planConversion(c.source, c.wants, c.options, 'oci:/x:v1');
    assert.equal(plan.format, c.format);
    if (c.layers) assert.equal(plan.layers.mode, c.layers);
    if (c.notice) assert.match(plan.notice ?? '', c.notice);
    else assert.equal(plan.notice, undefined);
  });
}

const policy = (p: Partial<LayerPolicy>): LayerPolicy => ({ mode: 'compress', algorithm: 'gzip', explicitAlgorithm: false, ...p });
const transformCases: { name: string; type: string; policy: LayerPolicy; expect: string | undefined }[] = [
  { name: 'compress an uncompressed Docker layer', type: MediaType.DockerLayer, policy: policy({}), expect: 'none>gzip' },
  { name: 'a gzip layer stays', type: MediaType.DockerLayerGzip, policy: policy({}), expect: undefined },
  { name: 'an explicit zstd recompresses gzip', type: MediaType.OciLayerGzip, policy: policy({ algorithm: 'zstd', explicitAlgorithm: true }), expect: 'gzip>zstd' },
  { name: 'decompress', type: MediaType.OciLayerZstd, policy: policy({ mode: 'decompress' }), expect: 'zstd>none' },
  { name: 'preserve', type: MediaType.OciLayer, policy: policy({ mode: 'preserve' }), expect: undefined },
  { name: 'foreign layers are never touched', type: MediaType.DockerForeignLayer, policy: policy({}), expect: undefined },
  { name: 'unknown types are never touched', type: 'application/vnd.example+json', policy: policy({}), expect: undefined },
];

for (const c of transformCases) {
  test(`layer transform: ${c.name}`, () => {
    const t = planLayerTransform(layer(c.type, '1'), c.policy);
    assert.equal(t ? `${t.from}>${t.to}` : undefined, c.expect);
  });
}
