/**
 * Issue 12 item 5: signatures, attestations, SBOMs and OCI referrers travel
 * with their image. The stock registry (distribution 2.8) has no referrers
 * API, so this file covers the referrers tag schema (the fallback the spec
 * gives) and cosign's tag scheme, into a registry and a registry-dir: tree;
 * test/copy/referrers-api.test.ts covers the API through a proxy.
 */
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { type GeneratedImage, makeImage, multiArch, pushImage } from '../support/images.ts';
import { type TestRegistry, startRegistry } from '../support/registry.ts';
import { cosignSignatureImage, cosignTag, generateCosignKeyPair, pushReferrer, pushSignature, referrerImage } from '../support/signing.ts';
import { tempDir } from '../support/tmp.ts';
import { runTug } from '../support/tug.ts';

let registry: TestRegistry;
let image: GeneratedImage;
let sigDigest: string;
let sbomDigest: string;
let sbomSigDigest: string;
const SPDX = 'application/spdx+json';

/** A manifest's bytes and Content-Type, straight from the registry (not through Tugboat). */
async function manifest(reg: TestRegistry, repository: string, ref: string): Promise<{ status: number; bytes: Buffer; type: string | null }> {
  const res = await fetch(`${reg.url}/v2/${repository}/manifests/${ref}`, { headers: { accept: 'application/vnd.oci.image.manifest.v1+json, application/vnd.oci.image.index.v1+json' } });
  return { status: res.status, bytes: Buffer.from(await res.arrayBuffer()), type: res.headers.get('content-type') };
}

async function tags(reg: TestRegistry, repository: string): Promise<string[]> {
  const res = await fetch(`${reg.url}/v2/${repository}/tags/list`);
  return res.status === 200 ? (((await res.json()) as { tags: string[] | null }).tags ?? []) : [];
}

before(async () => {
  registry = await startRegistry();
  const target = { url: registry.url, repository: 'src/app' };
  image = await makeImage({ seed: 'referrers-app', flavour: 'oci' });
  await pushImage({ ...target, tag: 'v1' }, image);
  const { privateKey } = generateCosignKeyPair();
  const subject = image.top.digest;
  sigDigest = await pushSignature(target, subject, cosignSignatureImage({ dockerReference: `${registry.host}/src/app`, manifestDigest: subject, privateKey }));
  const sbom = referrerImage({ subject: { digest: subject, size: image.top.bytes.length, mediaType: image.top.mediaType }, artifactType: SPDX, content: '{"spdxVersion":"SPDX-2.3"}' });
  sbomDigest = await pushReferrer(target, sbom, { fallbackIndex: true });
  // A signature of the SBOM: a referrer of a referrer, found by its own cosign tag.
  sbomSigDigest = await pushSignature(target, sbomDigest, cosignSignatureImage({ dockerReference: `${registry.host}/src/app`, manifestDigest: sbomDigest, privateKey }));
});

after(async () => {
  await registry.stop();
});

/** Every artifact at `repository` byte-identical to the source's, and the fallback index naming the SBOM. */
async function assertCarried(reg: TestRegistry, repository: string, what: { sig: boolean; sbom: boolean; sbomSig: boolean }): Promise<void> {
  const subject = image.top.digest;
  const src = (ref: string) => manifest(registry, 'src/app', ref);
  const dst = (ref: string) => manifest(reg, repository, ref);
  const sig = await dst(cosignTag(subject));
  assert.equal(sig.status, what.sig ? 200 : 404, `.sig at ${repository}`);
  if (what.sig) assert.ok(sig.bytes.equals((await src(sigDigest)).bytes), 'the signature arrives byte-identical');
  const sbom = await dst(sbomDigest);
  assert.equal(sbom.status, what.sbom ? 200 : 404, `SBOM at ${repository}`);
  const index = await dst(subject.replace(':', '-'));
  if (what.sbom) {
    assert.ok(sbom.bytes.equals((await src(sbomDigest)).bytes), 'the SBOM arrives byte-identical');
    assert.equal(index.status, 200, 'the referrers tag schema index exists');
    const doc = JSON.parse(index.bytes.toString()) as { mediaType: string; manifests: { digest: string; artifactType: string }[] };
    assert.equal(doc.mediaType, 'application/vnd.oci.image.index.v1+json');
    assert.deepEqual(
      doc.manifests.map((m) => [m.digest, m.artifactType]),
      [[sbomDigest, SPDX]],
    );
  } else assert.equal(index.status, 404, 'no referrers index without referrers');
  const sbomSig = await dst(cosignTag(sbomDigest));
  assert.equal(sbomSig.status, what.sbomSig ? 200 : 404, `signature of the SBOM at ${repository}`);
  if (what.sbomSig) assert.ok(sbomSig.bytes.equals((await src(sbomSigDigest)).bytes));
}

test('copy carries the cosign signature, the SBOM referrer (fallback index) and the SBOM\'s own signature; a second copy copies none', async () => {
  const run = await runTug(['copy', `docker://${registry.host}/src/app:v1`, `docker://${registry.host}/dst/app:v1`]);
  assert.equal(run.code, 0, run.stderr);
  assert.match(run.stdout, /referrers: 3 copied, 0 already there/);
  await assertCarried(registry, 'dst/app', { sig: true, sbom: true, sbomSig: true });
  const again = await runTug(['copy', `docker://${registry.host}/src/app:v1`, `docker://${registry.host}/dst/app:v1`]);
  assert.equal(again.code, 0, again.stderr);
  assert.match(again.stdout, /referrers: 0 copied, 3 already there/);
});

const filters: { name: string; args: string[]; repository: string; want: { sig: boolean; sbom: boolean; sbomSig: boolean } }[] = [
  { name: '--no-referrers carries nothing', args: ['--no-referrers'], repository: 'none/app', want: { sig: false, sbom: false, sbomSig: false } },
  { name: '--referrers sbom carries the SBOM only', args: ['--referrers', 'sbom'], repository: 'sbom/app', want: { sig: false, sbom: true, sbomSig: false } },
  { name: `--referrers ${SPDX},sig carries the SBOM and every signature`, args: ['--referrers', `${SPDX},sig`], repository: 'typed/app', want: { sig: true, sbom: true, sbomSig: true } },
  { name: '--remove-signatures carries the SBOM without any signature', args: ['--remove-signatures'], repository: 'unsigned/app', want: { sig: false, sbom: true, sbomSig: false } },
];
for (const c of filters) {
  test(c.name, async () => {
    const run = await runTug(['copy', ...c.args, `docker://${registry.host}/src/app:v1`, `docker://${registry.host}/${c.repository}:v1`]);
    assert.equal(run.code, 0, run.stderr);
    await assertCarried(registry, c.repository, c.want);
    const listed = await tags(registry, c.repository);
    assert.ok(listed.includes('v1'));
  });
}

test('--referrers with something that is no artifact type is one usage line', async () => {
  const run = await runTug(['copy', '--referrers', 'sbom,not a type', `docker://${registry.host}/src/app:v1`, `docker://${registry.host}/bad/app:v1`]);
  assert.equal(run.code, 2, run.stderr);
  assert.match(run.stderr, /--referrers: "not a type" is not an artifact type/);
  assert.deepEqual(await tags(registry, 'bad/app'), []);
});

test('registry-dir: keeps them in the tag schema, as the registry serving the tree reads them', async (t) => {
  const root = tempDir(t, 'tug-referrers-rd-');
  const run = await runTug(['copy', `docker://${registry.host}/src/app:v1`, `registry-dir:${root}:mirror/app:v1`]);
  assert.equal(run.code, 0, run.stderr);
  const served = await startRegistry({ rootDirectory: root });
  try {
    await assertCarried(served, 'mirror/app', { sig: true, sbom: true, sbomSig: true });
    // And back out of the tree: registry-dir: is a source of referrers too.
    const back = await runTug(['copy', `registry-dir:${root}:mirror/app:v1`, `docker://${registry.host}/back/app:v1`]);
    assert.equal(back.code, 0, back.stderr);
    await assertCarried(registry, 'back/app', { sig: true, sbom: true, sbomSig: true });
  } finally {
    await served.stop();
  }
});

test('dir: keeps no referrers: one notice says what stays behind, and the image is copied', async (t) => {
  const dir = join(tempDir(t, 'tug-referrers-dir-'), 'app');
  const run = await runTug(['copy', `docker://${registry.host}/src/app:v1`, `dir:${dir}`]);
  assert.equal(run.code, 0, run.stderr);
  assert.match(run.stderr, /2 signatures\/referrers \(application\/vnd\.dev\.cosign\.artifact\.sig\.v1\+json, application\/spdx\+json\) of docker:\/\/.*src\/app:v1 not carried: dir: keeps no referrers/);
  assert.equal((run.stderr.match(/not carried/g) ?? []).length, 1);
});

test('an index: --all carries the index\'s signature and each instance\'s; one platform carries its own and says the index\'s stays behind', async () => {
  const target = { url: registry.url, repository: 'src/multi' };
  const multi = await multiArch('referrers-multi');
  await pushImage({ ...target, tag: 'v1' }, multi);
  const { privateKey } = generateCosignKeyPair();
  const sign = (digest: string) => pushSignature(target, digest, cosignSignatureImage({ dockerReference: `${registry.host}/src/multi`, manifestDigest: digest, privateKey }));
  await sign(multi.top.digest);
  const amd64 = multi.manifests.find((m) => m.platform.architecture === 'amd64')!;
  await sign(amd64.digest);

  const all = await runTug(['copy', '--all', `docker://${registry.host}/src/multi:v1`, `docker://${registry.host}/all/multi:v1`]);
  assert.equal(all.code, 0, all.stderr);
  for (const d of [multi.top.digest, amd64.digest]) assert.equal((await manifest(registry, 'all/multi', cosignTag(d))).status, 200, `signature of ${d}`);

  const one = await runTug(['copy', '--override-arch', 'amd64', '--override-os', 'linux', `docker://${registry.host}/src/multi:v1`, `docker://${registry.host}/one/multi:v1`]);
  assert.equal(one.code, 0, one.stderr);
  assert.equal((await manifest(registry, 'one/multi', cosignTag(amd64.digest))).status, 200, 'the instance\'s own signature travels');
  assert.equal((await manifest(registry, 'one/multi', cosignTag(multi.top.digest))).status, 404);
  assert.match(one.stderr, new RegExp(`1 signature/referrer \\(application/vnd\\.dev\\.cosign\\.artifact\\.sig\\.v1\\+json\\) of ${multi.top.digest} not carried: .*copy with --all to keep them`));
});
