/**
 * One real docker-registry with images signed (and mis-signed) as cosign
 * signs them, for the signature tests: keys made with node:crypto
 * (test/support/signing.ts), their public halves written as a.pub / b.pub.
 */
import { existsSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { type GeneratedImage, makeImage, multiArch, pushImage } from '../support/images.ts';
import { type TestRegistry, startRegistry } from '../support/registry.ts';
import { type CosignKeyPair, cosignSignatureImage, generateCosignKeyPair, pushSignature } from '../support/signing.ts';
import { tempDir } from '../support/tmp.ts';

/** How a case's image is signed. */
export type Signing = 'good' | 'none' | 'wrong-key' | 'tampered' | 'other-digest';

/** Each case: an image in `repo` (tag v1), how it is signed, what a check with a.pub finds and says. */
export const CASES: { repo: string; signing: Signing; verdict: string; reason: RegExp }[] = [
  { repo: 'sig/good', signing: 'good', verdict: 'verified', reason: /./ },
  { repo: 'sig/none', signing: 'none', verdict: 'unsigned', reason: /is not signed: no cosign signature found/ },
  { repo: 'sig/wrongkey', signing: 'wrong-key', verdict: 'invalid', reason: /does not verify with .*a\.pub \(signed by another key, or its payload was altered\)/ },
  { repo: 'sig/tampered', signing: 'tampered', verdict: 'invalid', reason: /does not verify with .*a\.pub \(signed by another key, or its payload was altered\)/ },
  { repo: 'sig/mismatch', signing: 'other-digest', verdict: 'invalid', reason: /is for sha256:[0-9a-f]{64}, not sha256:/ },
];

export interface SignedRegistry {
  reg: TestRegistry;
  work: string;
  keyA: CosignKeyPair;
  keyB: CosignKeyPair;
  pubA: string;
  pubB: string;
  /** By repository; `other/app` holds the image of sig/good without a signature (named by no test policy); `signed/multi` is an index signed by a.pub. */
  images: Record<string, GeneratedImage>;
  /** True when the registry holds anything (a blob link, a manifest, a tag) under `repo`. */
  written(repo: string): boolean;
}

/** Starts the registry and pushes every case; the caller stops `reg`. */
export async function startSignedRegistry(): Promise<SignedRegistry> {
  const work = tempDir(undefined, 'tug-signature-');
  const reg = await startRegistry();
  const keyA = generateCosignKeyPair();
  const keyB = generateCosignKeyPair();
  const pubA = join(work, 'a.pub');
  const pubB = join(work, 'b.pub');
  writeFileSync(pubA, keyA.publicKeyPem);
  writeFileSync(pubB, keyB.publicKeyPem);
  const images: Record<string, GeneratedImage> = {};
  for (const c of CASES) {
    const image = await makeImage({ seed: c.repo, flavour: 'oci' });
    images[c.repo] = image;
    const target = { url: reg.url, repository: c.repo };
    await pushImage({ ...target, tag: 'v1' }, image);
    const digest = image.top.digest;
    const dockerReference = `${reg.host}/${c.repo}`;
    if (c.signing === 'none') continue;
    const sig = cosignSignatureImage({
      dockerReference,
      manifestDigest: c.signing === 'other-digest' ? images['sig/good']!.top.digest : digest,
      privateKey: c.signing === 'wrong-key' ? keyB.privateKey : keyA.privateKey,
      // Signed bytes swapped for others naming the same digest (the layer digest is the new bytes': the registry checks it).
      storedPayload: c.signing === 'tampered' ? (p) => Buffer.from(p.toString().replace(`"${dockerReference}"`, '"evil.example.com/app"')) : undefined,
    });
    await pushSignature(target, digest, sig);
  }
  // An image no scope of the test policies names: the policies' default applies.
  await pushImage({ url: reg.url, repository: 'other/app', tag: 'v1' }, images['sig/good']!);
  // A multi-arch image signed on its index: copying one platform of it is accepted.
  images['signed/multi'] = await multiArch('signed-multi');
  await pushImage({ url: reg.url, repository: 'signed/multi', tag: 'v1' }, images['signed/multi']);
  await pushSignature(
    { url: reg.url, repository: 'signed/multi' },
    images['signed/multi'].top.digest,
    cosignSignatureImage({ dockerReference: `${reg.host}/signed/multi`, manifestDigest: images['signed/multi'].top.digest, privateKey: keyA.privateKey }),
  );
  const written = (repo: string) => existsSync(join(reg.root, 'docker/registry/v2/repositories', repo));
  return { reg, work, keyA, keyB, pubA, pubB, images, written };
}
