/**
 * Signatures and referrers cross the air gap with their images (issue 14
 * item 1: "referrers and signatures too, once they travel with images"): a
 * cosign signature tag and an OCI 1.1 SBOM referrer at the source are in the
 * bundle, arrive byte for byte at the offline registry, and the signature
 * verifies there with the public key (`tug copy --require-signed`);
 * `--no-referrers` leaves them behind.
 */
import assert from 'node:assert/strict';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { type GeneratedImage, makeImage, pushImage } from '../support/images.ts';
import { type TestRegistry, startRegistry } from '../support/registry.ts';
import { cosignSignatureImage, cosignTag, generateCosignKeyPair, pushReferrer, pushSignature, referrerImage } from '../support/signing.ts';
import { tempDir } from '../support/tmp.ts';
import { runTug } from '../support/tug.ts';

let src: TestRegistry;
let work: string;
let app: GeneratedImage;
let sbom: string;
let publicKeyFile: string;

const ACCEPT = 'application/vnd.oci.image.manifest.v1+json, application/vnd.oci.image.index.v1+json';
async function manifest(registry: TestRegistry, repository: string, ref: string): Promise<{ status: number; bytes: Buffer }> {
  const res = await fetch(`${registry.url}/v2/${repository}/manifests/${ref}`, { headers: { accept: ACCEPT } });
  return { status: res.status, bytes: Buffer.from(await res.arrayBuffer()) };
}

before(async () => {
  src = await startRegistry();
  work = tempDir(undefined, 'tug-bundle-referrers-');
  const target = { url: src.url, repository: 'team/app' };
  app = await makeImage({ seed: 'bundle-referrers-app', flavour: 'oci' });
  await pushImage({ ...target, tag: 'v1' }, app);
  const keys = generateCosignKeyPair();
  publicKeyFile = join(work, 'cosign.pub');
  writeFileSync(publicKeyFile, keys.publicKeyPem);
  await pushSignature(target, app.top.digest, cosignSignatureImage({ dockerReference: `${src.host}/team/app`, manifestDigest: app.top.digest, privateKey: keys.privateKey }));
  sbom = await pushReferrer(target, referrerImage({ subject: { digest: app.top.digest, size: app.top.bytes.length, mediaType: app.top.mediaType }, artifactType: 'application/spdx+json', content: '{"spdxVersion":"SPDX-2.3"}' }), { fallbackIndex: true });
  writeFileSync(join(work, 'images.txt'), `${src.host}/team/app:v1\n`);
});
after(async () => {
  await src?.stop();
});

test('a signed image with an SBOM: both travel in the bundle and arrive byte for byte; the signature verifies offline', async () => {
  const out = join(work, 'b1');
  const created = await runTug(['bundle', 'create', '--src-tls-verify=false', join(work, 'images.txt'), out]);
  assert.equal(created.code, 0, created.stderr);
  const bundle = JSON.parse(readFileSync(join(out, 'bundle.json'), 'utf8')) as { images: { tag: string; digest: string }[] };
  const tags = bundle.images.map((i) => i.tag).sort();
  assert.ok(tags.includes(cosignTag(app.top.digest)), `the signature tag is in the bundle: ${tags.join(', ')}`);
  assert.ok(bundle.images.some((i) => i.digest === sbom), 'the SBOM referrer is in the bundle');

  const offline = await startRegistry();
  try {
    const applied = await runTug(['bundle', 'apply', '--dest-tls-verify=false', out, `${offline.host}/mirror`]);
    assert.equal(applied.code, 0, applied.stderr);
    const sig = await manifest(offline, 'mirror/team/app', cosignTag(app.top.digest));
    assert.equal(sig.status, 200);
    assert.ok(sig.bytes.equals((await manifest(src, 'team/app', cosignTag(app.top.digest))).bytes), 'the signature, byte for byte');
    assert.equal((await manifest(offline, 'mirror/team/app', sbom)).status, 200, 'the SBOM by digest');
    // The referrers tag schema index names it, so a client without the referrers API finds it.
    const index = JSON.parse((await manifest(offline, 'mirror/team/app', `sha256-${app.top.digest.slice(7)}`)).bytes.toString('utf8')) as { manifests: { digest: string }[] };
    assert.ok(index.manifests.some((d) => d.digest === sbom));
    // Verified offline, with the public key only.
    const verify = await runTug(['copy', '--src-tls-verify=false', '--require-signed', '--key', publicKeyFile, `docker://${offline.host}/mirror/team/app:v1`, `dir:${join(work, 'verified')}`]);
    assert.equal(verify.code, 0, verify.stderr);
    const otherKey = join(work, 'other.pub');
    writeFileSync(otherKey, generateCosignKeyPair().publicKeyPem);
    const refused = await runTug(['copy', '--src-tls-verify=false', '--require-signed', '--key', otherKey, `docker://${offline.host}/mirror/team/app:v1`, `dir:${join(work, 'refused')}`]);
    assert.equal(refused.code, 3, 'another key does not verify it: the check above was real');
  } finally {
    await offline.stop();
  }

  const plain = join(work, 'b2');
  const without = await runTug(['bundle', 'create', '--src-tls-verify=false', '--no-referrers', join(work, 'images.txt'), plain]);
  assert.equal(without.code, 0, without.stderr);
  assert.deepEqual((JSON.parse(readFileSync(join(plain, 'bundle.json'), 'utf8')) as { images: { tag: string }[] }).images.map((i) => i.tag), ['v1']);
});
