/**
 * Repositories with `spec.signature`, synced by the real scheduler against a
 * real docker-registry holding cosign signatures made with node:crypto: a
 * signed image shows `verified`, an unsigned one `unsigned` (or fails the
 * run with the reason when `require` is set, and nothing reaches the
 * mirror), and the API refuses keys that are not public keys.
 */
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { makeImage, pushImage } from '../support/images.ts';
import { type TestRegistry, startRegistry } from '../support/registry.ts';
import { cosignSignatureImage, generateCosignKeyPair, pushSignature } from '../support/signing.ts';
import { type TestServer, registryDoc, repositoryDoc, startTestServer, waitFor } from './harness.ts';

let src: TestRegistry;
let mirror: TestRegistry;
let s: TestServer;
const key = generateCosignKeyPair();
const other = generateCosignKeyPair();

async function settled(name: string): Promise<any> {
  return waitFor(`${name} to settle`, async () => {
    const r = await s.api('GET', `/namespaces/default/repositories/${name}`);
    const st = r.body?.status?.syncStatus;
    return (st === 'Success' || st === 'Failed') && r.body;
  });
}

before(async () => {
  src = await startRegistry();
  mirror = await startRegistry();
  const signed = await makeImage({ seed: 'server-signed' });
  const unsigned = await makeImage({ seed: 'server-unsigned' });
  await pushImage({ url: src.url, repository: 'team/signed', tag: '1' }, signed);
  await pushImage({ url: src.url, repository: 'team/unsigned', tag: '1' }, unsigned);
  await pushSignature({ url: src.url, repository: 'team/signed' }, signed.top.digest, cosignSignatureImage({ dockerReference: `${src.host}/team/signed`, manifestDigest: signed.top.digest, privateKey: key.privateKey }));
  s = await startTestServer({ retryBaseMs: 50 });
  for (const [name, url] of [['src', src.url], ['mirror', mirror.url]] as const) {
    assert.equal((await s.api('POST', '/namespaces/default/registries', { body: registryDoc(name, url) })).status, 201);
  }
});

after(async () => {
  await s?.close();
  await src?.stop();
  await mirror?.stop();
});

const cases = [
  { name: 'signed-checked', repository: 'team/signed', signature: { publicKeys: [other.publicKeyPem, key.publicKeyPem] }, syncStatus: 'Success', signed: 'verified' },
  { name: 'unsigned-checked', repository: 'team/unsigned', signature: { publicKeys: [key.publicKeyPem] }, syncStatus: 'Success', signed: 'unsigned' },
  { name: 'wrong-key', repository: 'team/signed', signature: { publicKeys: [other.publicKeyPem] }, syncStatus: 'Success', signed: 'invalid' },
  { name: 'no-spec', repository: 'team/signed', signature: undefined, syncStatus: 'Success', signed: 'not-checked' },
  { name: 'signed-required', repository: 'team/signed', signature: { require: true, publicKeys: [key.publicKeyPem] }, syncStatus: 'Success', signed: 'verified', mirrored: true },
  { name: 'unsigned-required', repository: 'team/unsigned', signature: { require: true, publicKeys: [key.publicKeyPem] }, syncStatus: 'Failed', signed: undefined, mirrored: false },
];

for (const c of cases) {
  test(`Repository ${c.name}: ${c.syncStatus}, signed ${c.signed ?? '(not recorded: the run failed)'}`, async () => {
    const spec = {
      repository: c.repository,
      tag: '1',
      registryRef: { name: 'src' },
      ...(c.signature ? { signature: c.signature } : {}),
      ...(c.mirrored !== undefined ? { mirror: { registryRef: { name: 'mirror' }, repository: `m/${c.name}` } } : {}),
    };
    const created = await s.api('POST', '/namespaces/default/repositories', { body: repositoryDoc(c.name, spec) });
    assert.equal(created.status, 201, created.text);
    const repo = await settled(c.name);
    assert.equal(repo.status.syncStatus, c.syncStatus, repo.status.message);
    assert.equal(repo.status.signature?.signed, c.signed);
    if (c.signed === 'verified') assert.equal(repo.status.signature.digest, repo.status.observedDigest);
    if (c.mirrored !== undefined) assert.equal(existsSync(join(mirror.root, 'docker/registry/v2/repositories/m', c.name)), c.mirrored, 'mirror written only for a verified image');
    if (c.syncStatus === 'Failed') {
      assert.match(repo.status.message, /team\/unsigned:1 \(sha256:[0-9a-f]{64}\) is not signed: no cosign signature found \(spec\.signature\.require\)/);
      const runs = (await s.api('GET', `/namespaces/default/repositories/${c.name}/syncruns`)).body.items;
      assert.ok(runs.length >= 1);
      assert.match(runs[0].status.message ?? runs[0].status.error ?? JSON.stringify(runs[0].status), /is not signed/);
    }
  });
}

test('spec.signature refuses keys that are not public keys, naming the field', async () => {
  const { privateKey } = key;
  const bad = [
    { publicKeys: [] },
    { publicKeys: ['hello'] },
    { publicKeys: [privateKey.export({ type: 'pkcs8', format: 'pem' }).toString()] },
    { publicKeys: [key.publicKeyPem], requre: true },
  ];
  for (const signature of bad) {
    const r = await s.api('POST', '/namespaces/default/repositories', { body: repositoryDoc('bad-key', { repository: 'team/signed', tag: '1', registryRef: { name: 'src' }, signature }) });
    assert.equal(r.status, 422, r.text);
    assert.match(r.text, /spec\.signature/);
    assert.doesNotMatch(r.text, /PRIVATE KEY-----\n[A-Za-z0-9+/]/, 'a private key is never echoed');
  }
});
