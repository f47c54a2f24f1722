/**
 * Signature verification against a real registry (the CNCF
 * docker-registry, ./fixtures.ts): cosign key-pair signatures made with
 * node:crypto and pushed as cosign pushes them. The library's verdicts for
 * good, unsigned, wrong-key, tampered and digest-mismatch signatures, and
 * `tug copy --require-signed --key` (exit 3, nothing at the destination).
 */
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { COSIGN_SIGNATURE_ARTIFACT_TYPE, parsePublicKey } from '../../src/signature/cosign.ts';
import { verifyImageSignature } from '../../src/signature/image-policy.ts';
import { parseImageName } from '../../src/transports/index.ts';
import { sha256 } from '../support/images.ts';
import { cosignSignatureImage, pushReferrer } from '../support/signing.ts';
import { runTug } from '../support/tug.ts';
import { CASES, type SignedRegistry, startSignedRegistry } from './fixtures.ts';

let f: SignedRegistry;

before(async () => {
  f = await startSignedRegistry();
});

after(async () => {
  await f.reg.stop();
});

for (const c of CASES) {
  test(`library verdict: ${c.repo} is ${c.verdict}`, async () => {
    const keys = [parsePublicKey(f.keyA.publicKeyPem, f.pubA)];
    const v = await verifyImageSignature(parseImageName(`docker://${f.reg.host}/${c.repo}:v1`), f.images[c.repo]!.top.digest as `sha256:${string}`, keys, {});
    assert.equal(v.status, c.verdict, JSON.stringify(v));
    if (v.status === 'verified') assert.equal(v.payload.manifestDigest, f.images[c.repo]!.top.digest);
  });

  test(`tug copy --require-signed --key: ${c.repo} ${c.signing === 'good' ? 'copied' : 'refused with exit 3, nothing written'}`, async () => {
    const dest = `copied/${c.repo}`;
    const run = await runTug(['copy', '--insecure-policy', '--require-signed', '--key', f.pubA, `docker://${f.reg.host}/${c.repo}:v1`, `docker://${f.reg.host}/${dest}:v1`]);
    if (c.signing === 'good') {
      assert.equal(run.code, 0, run.stderr);
      assert.equal(f.written(dest), true);
      return;
    }
    assert.equal(run.code, 3, run.stderr);
    // One line of error (a note about plain HTTP to the loopback registry may precede it).
    const lines = run.stderr.trim().split('\n').filter((l) => !l.startsWith('Note: '));
    assert.equal(lines.length, 1, run.stderr);
    assert.match(lines[0]!, new RegExp(`${c.repo}:v1`));
    assert.match(lines[0]!, c.reason);
    assert.equal(f.written(dest), false, 'nothing at the destination');
  });
}

test('--key is repeatable: any one key suffices; a platform of a signed index is accepted', async () => {
  const run = await runTug(['copy', '--insecure-policy', '--require-signed', '--key', f.pubB, '--key', f.pubA, `docker://${f.reg.host}/signed/multi:v1`, `docker://${f.reg.host}/copied/multi:v1`]);
  assert.equal(run.code, 0, run.stderr);
  const onlyB = await runTug(['copy', '--insecure-policy', '--require-signed', '--key', f.pubB, '--dry-run', `docker://${f.reg.host}/signed/multi:v1`, `docker://${f.reg.host}/copied/multi2:v1`]);
  assert.equal(onlyB.code, 3, onlyB.stderr);
  assert.match(onlyB.stderr, /does not verify with .*b\.pub/);
});

test('bad flags: --key without --require-signed, a missing key file, signing flags', async () => {
  const cases = [
    { args: ['--key', f.pubA], want: /--key is used only with --require-signed/ },
    { args: ['--require-signed'], want: /--require-signed needs at least one --key/ },
    { args: ['--require-signed', '--key', join(f.work, 'nope.pub')], want: /cannot read key .*nope\.pub: ENOENT/ },
    { args: ['--sign-by-sigstore-private-key', join(f.work, 'cosign.key')], want: /--sign-by-sigstore-private-key is not supported: tug verifies signatures but does not sign/ },
  ];
  for (const c of cases) {
    const run = await runTug(['copy', '--insecure-policy', ...c.args, `docker://${f.reg.host}/sig/good:v1`, `docker://${f.reg.host}/flags/app:v1`]);
    assert.equal(run.code, 2, `${c.args.join(' ')}: ${run.stderr}`);
    assert.match(run.stderr, c.want);
    assert.equal(run.stderr.trim().split('\n').filter((l) => !l.startsWith('Note: ')).length, 1, run.stderr);
  }
  assert.equal(f.written('flags/app'), false);
});

test('a signature stored as an OCI 1.1 referrer (referrers tag schema, no .sig tag) verifies', async () => {
  const image = f.images['sig/good']!; // also pushed, unsigned, as other/app:v1
  const sig = cosignSignatureImage({ dockerReference: `${f.reg.host}/other/app`, manifestDigest: image.top.digest, privateKey: f.keyA.privateKey });
  // cosign's OCI 1.1 mode: the same signature manifest, with an artifactType and the image as its subject.
  const doc = { ...JSON.parse(sig.image.top.bytes.toString()), artifactType: COSIGN_SIGNATURE_ARTIFACT_TYPE, subject: { mediaType: image.top.mediaType, digest: image.top.digest, size: image.top.bytes.length } };
  const bytes = Buffer.from(JSON.stringify(doc));
  const referrer = { ...sig.image, top: { ...sig.image.top, bytes, digest: sha256(bytes) } };
  await pushReferrer({ url: f.reg.url, repository: 'other/app' }, referrer, { fallbackIndex: true });
  const keys = [parsePublicKey(f.keyA.publicKeyPem, f.pubA)];
  const v = await verifyImageSignature(parseImageName(`docker://${f.reg.host}/other/app:v1`), image.top.digest as `sha256:${string}`, keys, {});
  assert.equal(v.status, 'verified', JSON.stringify(v));
  assert.equal((v as { where: string }).where, `referrer ${referrer.top.digest}`);
});
