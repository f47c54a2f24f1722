/**
 * Issue 12 item 5, the referrers API path: the stock registry behind
 * test/support/referrers-proxy.ts, which adds `GET /v2/<name>/referrers/<digest>`
 * and answers pushes of manifests with a subject with `OCI-Subject`. A
 * destination with the API indexes what tug pushes (no fallback tag is
 * written); from an API source into a registry without it, tug writes the
 * referrers tag schema index itself.
 */
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { type GeneratedImage, makeImage, pushImage } from '../support/images.ts';
import { type ReferrersProxy, startReferrersProxy } from '../support/referrers-proxy.ts';
import { type TestRegistry, startRegistry } from '../support/registry.ts';
import { cosignSignatureImage, cosignTag, generateCosignKeyPair, pushReferrer, pushSignature, referrerImage } from '../support/signing.ts';
import { runTug } from '../support/tug.ts';

let registry: TestRegistry;
let proxy: ReferrersProxy;
let image: GeneratedImage;
let sbomDigest: string;
let vexDigest: string;
const SPDX = 'application/spdx+json';
const VEX = 'application/vnd.openvex+json';

async function manifest(repository: string, ref: string): Promise<{ status: number; bytes: Buffer }> {
  const res = await fetch(`${registry.url}/v2/${repository}/manifests/${ref}`, { headers: { accept: 'application/vnd.oci.image.manifest.v1+json, application/vnd.oci.image.index.v1+json' } });
  return { status: res.status, bytes: Buffer.from(await res.arrayBuffer()) };
}

async function tags(repository: string): Promise<string[]> {
  const res = await fetch(`${registry.url}/v2/${repository}/tags/list`);
  return res.status === 200 ? (((await res.json()) as { tags: string[] | null }).tags ?? []) : [];
}

before(async () => {
  registry = await startRegistry();
  proxy = await startReferrersProxy(registry.url);
  // Pushed through the proxy, as to a registry with the API: no fallback tag.
  const target = { url: proxy.url, repository: 'src/app' };
  image = await makeImage({ seed: 'referrers-api-app', flavour: 'oci' });
  await pushImage({ ...target, tag: 'v1' }, image);
  const subject = { digest: image.top.digest, size: image.top.bytes.length, mediaType: image.top.mediaType };
  await pushSignature(target, image.top.digest, cosignSignatureImage({ dockerReference: `${proxy.host}/src/app`, manifestDigest: image.top.digest, privateKey: generateCosignKeyPair().privateKey }));
  sbomDigest = await pushReferrer(target, referrerImage({ subject, artifactType: SPDX, content: '{"spdxVersion":"SPDX-2.3"}' }), { fallbackIndex: false });
  vexDigest = await pushReferrer(target, referrerImage({ subject, artifactType: VEX, content: '{"statements":[]}', annotations: { 'org.opencontainers.image.created': '2026-12-05T00:00:00Z' } }), { fallbackIndex: false });
});

after(async () => {
  await proxy.stop();
  await registry.stop();
});

test('API to API: referrers found by the API arrive byte-identical, the destination indexes them (OCI-Subject), no fallback tag is written', async () => {
  const run = await runTug(['copy', `docker://${proxy.host}/src/app:v1`, `docker://${proxy.host}/dst/app:v1`]);
  assert.equal(run.code, 0, run.stderr);
  assert.match(run.stdout, /referrers: 3 copied/);
  for (const d of [sbomDigest, vexDigest]) assert.ok((await manifest('dst/app', d)).bytes.equals((await manifest('src/app', d)).bytes), `${d} byte-identical`);
  assert.ok((await manifest('dst/app', cosignTag(image.top.digest))).bytes.equals((await manifest('src/app', cosignTag(image.top.digest))).bytes));
  assert.deepEqual(
    proxy.pushes.filter((p) => p.repository === 'dst/app').map((p) => p.digest).sort(),
    [sbomDigest, vexDigest].sort(),
  );
  assert.ok(!(await tags('dst/app')).includes(image.top.digest.replace(':', '-')), 'no referrers tag schema index where the registry has the API');
  assert.ok(proxy.listings.some((l) => l.repository === 'src/app' && l.subject === image.top.digest), 'the source was asked through the API');
});

test('API to a registry without it: tug writes the referrers tag schema index; --referrers narrows by type', async () => {
  const run = await runTug(['copy', '--referrers', VEX, `docker://${proxy.host}/src/app:v1`, `docker://${registry.host}/plain/app:v1`]);
  assert.equal(run.code, 0, run.stderr);
  const index = await manifest('plain/app', image.top.digest.replace(':', '-'));
  assert.equal(index.status, 200);
  const doc = JSON.parse(index.bytes.toString()) as { manifests: { digest: string; artifactType: string; annotations?: Record<string, string> }[] };
  assert.deepEqual(
    doc.manifests.map((m) => [m.digest, m.artifactType, m.annotations?.['org.opencontainers.image.created']]),
    [[vexDigest, VEX, '2026-12-05T00:00:00Z']],
  );
  assert.equal((await manifest('plain/app', sbomDigest)).status, 404, 'the SBOM was filtered out');
  assert.equal((await manifest('plain/app', cosignTag(image.top.digest))).status, 404, 'the signature was filtered out');
  // Adding the SBOM later is a read-modify-write of that index: both entries remain.
  const more = await runTug(['copy', '--referrers', 'sbom', `docker://${proxy.host}/src/app:v1`, `docker://${registry.host}/plain/app:v1`]);
  assert.equal(more.code, 0, more.stderr);
  const after2 = JSON.parse((await manifest('plain/app', image.top.digest.replace(':', '-'))).bytes.toString()) as { manifests: { digest: string }[] };
  assert.deepEqual(after2.manifests.map((m) => m.digest), [vexDigest, sbomDigest]);
});
