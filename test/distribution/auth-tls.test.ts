/**
 * Basic auth (htpasswd) and TLS against the real registry: good, bad and
 * missing credentials; the login check; a TLS registry with its CA given via
 * certDir, without it, and with verification off.
 */
import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { Agent } from 'undici';
import type { TransportEvent } from '../../src/context/system-context.ts';
import { RegistryClient, checkLogin } from '../../src/distribution/index.ts';
import type { RegistryError, TugError } from '../../src/errors/index.ts';
import { type GeneratedImage, makeImage, pushImage } from '../support/images.ts';
import { type TestRegistry, startRegistry } from '../support/registry.ts';
import { tempDir } from '../support/tmp.ts';

let basicReg: TestRegistry;
let tlsReg: TestRegistry;
let image: GeneratedImage;
let emptyAuthDir: string;
let emptyAuthFile: string;

before(async () => {
  [basicReg, tlsReg] = await Promise.all([startRegistry({ users: { alice: 'wonderland' } }), startRegistry({ tls: true })]);
  image = await makeImage({ seed: 'auth-tls', flavour: 'docker' });
  await pushImage({ url: basicReg.url, repository: 'sec/app', tag: 'v1', username: 'alice', password: 'wonderland' }, image);
  const insecure = new Agent({ connect: { rejectUnauthorized: false } });
  await pushImage({ url: tlsReg.url, repository: 'sec/app', tag: 'v1', dispatcher: insecure }, image);
  await insecure.close();
  // An empty auth file, so no credentials of the machine running the tests leak in.
  emptyAuthDir = tempDir(undefined, 'tug-auth-');
  emptyAuthFile = join(emptyAuthDir, 'auth.json');
  writeFileSync(emptyAuthFile, '{"auths":{}}');
});

after(async () => {
  await Promise.all([basicReg?.stop(), tlsReg?.stop()]);
});

async function withClient<T>(host: string, ctx: ConstructorParameters<typeof RegistryClient>[1], fn: (c: RegistryClient) => Promise<T>): Promise<T> {
  const c = new RegistryClient(host, { authFile: emptyAuthFile, ...ctx });
  try {
    return await fn(c);
  } finally {
    await c.close();
  }
}

test('Basic auth: good credentials read the manifest', async () => {
  await withClient(basicReg.host, { credentials: { username: 'alice', password: 'wonderland' } }, async (c) => {
    const ping = await c.ping();
    assert.equal(ping.status, 401);
    assert.equal(ping.authScheme, 'basic');
    const m = await c.getManifest('sec/app', 'v1');
    assert.ok(Buffer.from(m.bytes).equals(image.top.bytes));
  });
});

test('Basic auth: bad credentials fail with AUTH naming tug login, without the password', async () => {
  await withClient(basicReg.host, { credentials: { username: 'alice', password: 'not-the-password' } }, async (c) => {
    await assert.rejects(c.getManifest('sec/app', 'v1'), (e: RegistryError) => {
      assert.equal(e.code, 'AUTH');
      assert.equal(e.status, 401);
      assert.match(e.describe(), new RegExp(`tug login ${basicReg.host}`));
      assert.doesNotMatch(`${e.describe()} ${e.url} ${e.stack}`, /not-the-password|YWxpY2U6bm90/);
      return true;
    });
  });
});

test('Basic auth: missing credentials fail with AUTH naming tug login', async () => {
  await withClient(basicReg.host, {}, async (c) => {
    await assert.rejects(c.getManifest('sec/app', 'v1'), (e: TugError) => e.code === 'AUTH' && /tug login/.test(e.describe()));
  });
});

test('checkLogin accepts good credentials and refuses bad ones with AUTH', async () => {
  assert.deepEqual(await checkLogin(basicReg.host, { credentials: { username: 'alice', password: 'wonderland' } }), { authScheme: 'basic' });
  await assert.rejects(checkLogin(basicReg.host, { credentials: { username: 'alice', password: 'nope' } }), (e: TugError) => e.code === 'AUTH' && /tug login/.test(e.describe()));
  await assert.rejects(checkLogin(basicReg.host, {}), (e: TugError) => e.code === 'USAGE');
});

test('TLS: the registry CA given through certDir verifies, with no plain-HTTP notice', async () => {
  const events: TransportEvent[] = [];
  await withClient(tlsReg.host, { certDir: tlsReg.certDir, onEvent: (e) => events.push(e) }, async (c) => {
    assert.equal((await c.ping()).origin, `https://${tlsReg.host}`);
    const m = await c.getManifest('sec/app', 'v1');
    assert.equal(m.digest, image.top.digest);
  });
  assert.deepEqual(events.filter((e) => e.type !== 'http'), []);
  assert.ok(events.every((e) => e.type !== 'http' || e.url.startsWith('https://')), 'every exchange over https');
});

test('TLS: without the CA the error is TLS with a --cert-dir hint', async () => {
  await withClient(tlsReg.host, {}, async (c) => {
    await assert.rejects(c.getManifest('sec/app', 'v1'), (e: TugError) => {
      assert.equal(e.code, 'TLS');
      assert.match(e.hint ?? '', /--cert-dir DIR \(with ca\.crt\)/);
      assert.match(e.hint ?? '', /--tls-verify=false/);
      return true;
    });
  });
});

test('TLS: tlsVerify=false works over https (not silently over http)', async () => {
  await withClient(tlsReg.host, { tlsVerify: false }, async (c) => {
    assert.equal((await c.ping()).origin, `https://${tlsReg.host}`);
    assert.equal((await c.getManifest('sec/app', 'v1')).digest, image.top.digest);
  });
});

test('TLS: a certDir that does not exist is a usage error, not a silent fallback', async () => {
  await withClient(tlsReg.host, { certDir: join(emptyAuthDir, 'nope') }, async (c) => {
    await assert.rejects(c.ping(), (e: TugError) => e.code === 'USAGE' && /does not exist/.test(e.message));
  });
});
