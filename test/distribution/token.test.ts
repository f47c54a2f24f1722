/**
 * The Bearer token flow against the real registry running `auth: token`
 * with test/support/token-server.ts as its issuer: scopes, anonymous
 * tokens, the token cache, mount scopes, bad credentials, a fixed
 * registry token, and the login check.
 */
import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { after, before, test } from 'node:test';
import { RegistryClient, checkLogin } from '../../src/distribution/index.ts';
import type { TugError } from '../../src/errors/index.ts';
import type { Digest } from '../../src/reference/digest.ts';
import { randomBytesFrom, sha256 } from '../support/images.ts';
import { type TestRegistry, startRegistry } from '../support/registry.ts';
import { tempDir } from '../support/tmp.ts';
import { type TokenServer, startTokenServer } from '../support/token-server.ts';

let tokens: TokenServer;
let reg: TestRegistry;
const alice = { username: 'alice', password: 'wonderland' };
const blob = randomBytesFrom('token-blob', 50_000);
const blobDigest = sha256(blob) as Digest;
const SEEDED = 'tok/seeded';

before(async () => {
  tokens = await startTokenServer({ users: { alice: 'wonderland' }, anonymousPull: true });
  reg = await startRegistry({ tokenAuth: { realm: tokens.realm, service: tokens.service, issuer: tokens.issuer, rootCertBundle: tokens.rootCertBundle } });
  // The blob the reading tests read, in a repository of its own (the push test counts its own tokens in tok/app).
  const seeder = new RegistryClient(reg.host, { plainHttp: true, credentials: alice });
  try {
    await seeder.upload(SEEDED, { digest: blobDigest, size: blob.length }, Readable.from([blob]));
  } finally {
    await seeder.close();
  }
});

after(async () => {
  await reg?.stop();
  await tokens?.stop();
});

test('push with credentials: one token for pull,push reused across requests', async () => {
  const c = new RegistryClient(reg.host, { plainHttp: true, credentials: alice });
  try {
    const ping = await c.ping();
    assert.equal(ping.status, 401);
    assert.equal(ping.authScheme, 'bearer');
    await c.upload('tok/app', { digest: blobDigest, size: blob.length }, Readable.from([blob]));
    const pushRequests = tokens.requests.filter((r) => r.scopes.includes('repository:tok/app:pull,push'));
    assert.equal(pushRequests.length, 1, 'the POST and the PUT share one cached token');
    assert.equal(pushRequests[0]?.user, 'alice');
    assert.equal(pushRequests[0]?.account, 'alice');
    assert.equal(pushRequests[0]?.service, tokens.service);
    assert.equal(await c.headBlob('tok/app', blobDigest), blob.length);
    assert.equal(await c.headBlob('tok/app', blobDigest), blob.length);
    assert.equal(tokens.requests.filter((r) => r.scopes.includes('repository:tok/app:pull') && r.user === 'alice').length, 1, 'the pull token is cached');
  } finally {
    await c.close();
  }
});

test('anonymous pull gets an anonymous token; anonymous push is refused with AUTH', async () => {
  const c = new RegistryClient(reg.host, { plainHttp: true, authFile: '/nonexistent/auth.json' });
  try {
    const before = tokens.requests.length;
    assert.equal(await c.headBlob(SEEDED, blobDigest), blob.length);
    const anon = tokens.requests.slice(before);
    assert.equal(anon.length, 1);
    assert.equal(anon[0]?.user, undefined);
    assert.deepEqual(anon[0]?.scopes, [`repository:${SEEDED}:pull`]);
    const data = randomBytesFrom('anon-push', 1000);
    await assert.rejects(c.upload('tok/anon', { digest: sha256(data) as Digest, size: data.length }, Readable.from([data])), (e: TugError) => e.code === 'AUTH' && /tug login/.test(e.describe()));
    // The first token lacks push: the 401 causes exactly one refresh and retry, then the error.
    assert.equal(tokens.requests.filter((r) => r.scopes.includes('repository:tok/anon:pull,push')).length, 2);
  } finally {
    await c.close();
  }
});

test('mounting asks for pull,push on the target and pull on the source in one token', async () => {
  const c = new RegistryClient(reg.host, { plainHttp: true, credentials: alice });
  try {
    assert.equal(await c.mountBlob('tok/other', blobDigest, SEEDED), true);
    const req = tokens.requests.at(-1);
    assert.deepEqual([...(req?.scopes ?? [])].sort(), ['repository:tok/other:pull,push', `repository:${SEEDED}:pull`]);
    assert.equal(await c.headBlob('tok/other', blobDigest), blob.length);
  } finally {
    await c.close();
  }
});

test('bad credentials: the token server refuses them, AUTH with a login hint', async () => {
  const c = new RegistryClient(reg.host, { plainHttp: true, credentials: { username: 'alice', password: 'wrong' } });
  try {
    await assert.rejects(c.headBlob(SEEDED, blobDigest), (e: TugError) => e.code === 'AUTH' && /refused the credentials of "alice"/.test(e.message) && /tug login/.test(e.describe()) && !/wrong/.test(e.describe()));
  } finally {
    await c.close();
  }
});

test('a registry token is used as is; a bad one is AUTH', async () => {
  const fetchToken = async (creds: string | undefined) => {
    const url = new URL(tokens.realm);
    url.searchParams.set('service', tokens.service);
    url.searchParams.set('scope', `repository:${SEEDED}:pull`);
    const res = await fetch(url, creds ? { headers: { authorization: `Basic ${Buffer.from(creds).toString('base64')}` } } : {});
    return ((await res.json()) as { token: string }).token;
  };
  const good = new RegistryClient(reg.host, { plainHttp: true, registryToken: await fetchToken('alice:wonderland') });
  const bad = new RegistryClient(reg.host, { plainHttp: true, registryToken: 'not.a.token' });
  try {
    const before = tokens.requests.length;
    assert.equal(await good.headBlob(SEEDED, blobDigest), blob.length);
    assert.equal(tokens.requests.length, before, 'no token request with --registry-token');
    await assert.rejects(bad.headBlob(SEEDED, blobDigest), (e: TugError) => e.code === 'AUTH');
  } finally {
    await good.close();
    await bad.close();
  }
});

test('credentials come from the auth file when none are given', async (t) => {
  const authFile = join(tempDir(t, 'tug-authfile-'), 'auth.json');
  writeFileSync(authFile, JSON.stringify({ auths: { [reg.host]: { auth: Buffer.from('alice:wonderland').toString('base64') } } }));
  const c = new RegistryClient(reg.host, { plainHttp: true, authFile });
  try {
    const data = randomBytesFrom('authfile-push', 3000);
    await c.upload('tok/authfile', { digest: sha256(data) as Digest, size: data.length }, Readable.from([data]));
    assert.equal(await c.headBlob('tok/authfile', sha256(data)), data.length);
    assert.equal(tokens.requests.at(-1)?.user, 'alice');
  } finally {
    await c.close();
  }
});

test('checkLogin runs the token flow with the credentials', async () => {
  assert.deepEqual(await checkLogin(reg.host, { plainHttp: true, credentials: alice }), { authScheme: 'bearer' });
  await assert.rejects(checkLogin(reg.host, { plainHttp: true, credentials: { username: 'alice', password: 'nope' } }), (e: TugError) => e.code === 'AUTH');
});
