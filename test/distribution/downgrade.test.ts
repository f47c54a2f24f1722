/**
 * A registry reached over https must not move anything secret to plain
 * http: not the credentials (a token realm on http://) and not the blob
 * (a redirect to http://). Each test puts a recording listener at the http
 * end that must receive nothing. A plain-HTTP registry may keep its
 * plain-HTTP realm (token.test.ts runs exactly that).
 */
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { RegistryClient } from '../../src/distribution/index.ts';
import type { TugError } from '../../src/errors/index.ts';
import { type GeneratedImage, makeImage, pushImage } from '../support/images.ts';
import { type RecordingListener, startListener } from '../support/listener.ts';
import { type TestRegistry, makeTlsFiles, startRegistry } from '../support/registry.ts';
import { type TokenServer, startTokenServer } from '../support/token-server.ts';
import { runTug } from '../support/tug.ts';
import { startProxy } from './proxy.ts';
import { tempDir } from '../support/tmp.ts';

let listener: RecordingListener;
let tokens: TokenServer;
let tlsReg: TestRegistry;
let plainReg: TestRegistry;
let image: GeneratedImage;
let dir: string;
let authFile: string;

before(async () => {
  listener = await startListener();
  tokens = await startTokenServer({ users: { alice: 'wonderland' } });
  // An https registry whose token realm is the plain-http listener.
  [tlsReg, plainReg] = await Promise.all([
    startRegistry({ tls: true, tokenAuth: { realm: `${listener.url}/token`, service: tokens.service, issuer: tokens.issuer, rootCertBundle: tokens.rootCertBundle } }),
    startRegistry(),
  ]);
  image = await makeImage({ seed: 'downgrade', flavour: 'oci' });
  await pushImage({ url: plainReg.url, repository: 'dg/app', tag: 'v1' }, image);
  dir = tempDir(undefined, 'tug-downgrade-');
  authFile = join(dir, 'auth.json');
  writeFileSync(authFile, JSON.stringify({ auths: { [tlsReg.host]: { auth: Buffer.from('alice:wonderland').toString('base64') } } }));
});

after(async () => {
  await Promise.all([listener?.stop(), tokens?.stop(), tlsReg?.stop(), plainReg?.stop()]);
});

test('an https registry naming an http token realm: AUTH, and the realm receives nothing', async () => {
  const c = new RegistryClient(tlsReg.host, { authFile, certDir: tlsReg.certDir });
  try {
    await assert.rejects(c.getManifest('dg/app', 'v1'), (e: TugError) => {
      assert.equal(e.code, 'AUTH');
      assert.match(e.message, /refusing the token realm http:\/\/127\.0\.0\.1:\d+\/token: the registry speaks https but names a plain-http realm/);
      return true;
    });
  } finally {
    await c.close();
  }
  assert.equal(listener.connections, 0);
  assert.deepEqual(listener.requests, []);
});

test('the CLI says so in one line and exits 5', async () => {
  const r = await runTug(['list-tags', `docker://${tlsReg.host}/dg/app`, '--cert-dir', tlsReg.certDir!, '--authfile', authFile]);
  assert.equal(r.code, 5, r.stderr);
  const lines = r.stderr.trim().split('\n');
  assert.equal(lines.length, 1, r.stderr);
  assert.match(lines[0]!, /plain-http realm/);
  assert.doesNotMatch(r.stderr, /wonderland|YWxpY2U6d29uZGVybGFuZA/);
  assert.equal(listener.connections, 0);
});

test('a blob redirect from https to http is refused, and the http end receives nothing', async () => {
  const tls = makeTlsFiles(mkdtempSync(join(dir, 'front-')));
  // An https front of the real registry that sends blob GETs to the plain-http listener.
  const front = await startProxy(plainReg.url, {
    tls: { cert: readFileSync(tls.cert, 'utf8'), key: readFileSync(tls.key, 'utf8') },
    handle: (req, res) => {
      if (req.method !== 'GET' || !req.url?.includes('/blobs/')) return false;
      res.writeHead(307, { location: `${listener.url}/storage${req.url}?X-Amz-Signature=secret` });
      res.end();
      return true;
    },
  });
  const [blob] = [...image.blobs.values()];
  const c = new RegistryClient(front.host, { authFile, caCertificates: tls.caPem, retryMaxAttempts: 1 });
  try {
    await assert.rejects(c.getBlob('dg/app', { digest: blob!.digest as `sha256:${string}`, size: blob!.size }), (e: TugError) => {
      assert.equal(e.code, 'UNSAFE_INPUT');
      assert.match(e.message, /refusing a redirect from https to plain http \(http:\/\/127\.0\.0\.1:\d+\/storage\//);
      assert.doesNotMatch(e.message, /X-Amz-Signature=secret/);
      return true;
    });
    // The same front still serves manifests over https: only the downgrade is refused.
    assert.ok(Buffer.from((await c.getManifest('dg/app', 'v1')).bytes).equals(image.top.bytes));
  } finally {
    await c.close();
    await front.stop();
  }
  assert.equal(listener.connections, 0);
});
