/**
 * The registry client's side of proxies and `--debug`: `http` events for
 * every exchange of a copy (token realm included) that carry no secret,
 * and the egress policy through a proxy (the proxy's address, the target's
 * name), against the real registry, a real token server and tinyproxy.
 */
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { Agent } from 'undici';
import type { SystemContext, TransportEvent } from '../../src/context/system-context.ts';
import { copyImage } from '../../src/copy/copy.ts';
import { RegistryClient, createEgressPolicy } from '../../src/distribution/index.ts';
import { eventUrl } from '../../src/distribution/http.ts';
import type { TugError } from '../../src/errors/index.ts';
import { parseImageName } from '../../src/transports/index.ts';
import { type GeneratedImage, makeImage, pushImage } from '../support/images.ts';
import { startProxyServer } from '../support/proxy-server.ts';
import { type TestRegistry, startRegistry } from '../support/registry.ts';
import { tempDir } from '../support/tmp.ts';
import { type TokenServer, startTokenServer } from '../support/token-server.ts';

const alice = { username: 'alice', password: 'w0nderland-Secret' };
let tokens: TokenServer;
let reg: TestRegistry;
let plain: TestRegistry;
let image: GeneratedImage;

before(async () => {
  tokens = await startTokenServer({ users: { alice: alice.password } });
  reg = await startRegistry({ tokenAuth: { realm: tokens.realm, service: tokens.service, issuer: tokens.issuer, rootCertBundle: tokens.rootCertBundle } });
  plain = await startRegistry();
  image = await makeImage({ seed: 'events', flavour: 'oci' });
  await pushImage({ url: plain.url, repository: 'src/app', tag: 'v1' }, image);
});

after(async () => {
  await reg?.stop();
  await plain?.stop();
  await tokens?.stop();
});

const urlCases: [name: string, input: string, shown: string][] = [
  ['paging parameters are kept', 'https://r.example/v2/a/tags/list?n=100&last=v1', 'https://r.example/v2/a/tags/list?n=100&last=v1'],
  ['a token realm keeps service and scope, not account', 'https://auth.example/token?service=reg&scope=repository%3Aa%3Apull&account=alice', 'https://auth.example/token?service=reg&scope=repository%3Aa%3Apull&account=REDACTED'],
  ['a signed storage URL loses its signature', 'https://s3.example/blob?X-Amz-Credential=AKIA%2F1&X-Amz-Signature=abc&X-Amz-Expires=60', 'https://s3.example/blob?X-Amz-Credential=REDACTED&X-Amz-Signature=REDACTED&X-Amz-Expires=REDACTED'],
  ['user info is dropped', 'https://u:p@r.example/v2/', 'https://r.example/v2/'],
  ['a user name alone is dropped too', 'https://u@r.example/v2/a/manifests/v1', 'https://r.example/v2/a/manifests/v1'],
  ['a URL with neither (most requests) is shown as it is', 'http://127.0.0.1:5000/v2/a/b/manifests/sha256%3Aab', 'http://127.0.0.1:5000/v2/a/b/manifests/sha256%3Aab'],
  ['an empty query keeps its mark', 'https://r.example/v2/a/tags/list?', 'https://r.example/v2/a/tags/list?'],
  ['an upload session state is replaced', 'http://r.example/v2/a/blobs/uploads/1?_state=xyz&digest=sha256%3Aab', 'http://r.example/v2/a/blobs/uploads/1?_state=REDACTED&digest=sha256%3Aab'],
];
for (const [name, input, shown] of urlCases) {
  test(`eventUrl: ${name}`, () => {
    assert.equal(eventUrl(new URL(input)), shown);
  });
}

test('a copy reports one http event per exchange, token requests included, with no secret in any', async (t) => {
  const events: TransportEvent[] = [];
  const onEvent = (e: TransportEvent) => events.push(e);
  const dest = tempDir(t, 'tug-events-');
  // Push through the token registry, then read back from it: both sides authenticate.
  await copyImage(parseImageName(`docker://${plain.host}/src/app:v1`), parseImageName(`docker://${reg.host}/tok/app:v1`), {
    sourceContext: { onEvent },
    destinationContext: { credentials: alice, onEvent },
  });
  await copyImage(parseImageName(`docker://${reg.host}/tok/app:v1`), parseImageName(`dir:${dest}`), { sourceContext: { credentials: alice, onEvent } });
  const http = events.filter((e): e is Extract<TransportEvent, { type: 'http' }> => e.type === 'http');
  const has = (method: string, pattern: RegExp) => http.some((e) => e.method === method && pattern.test(e.url) && typeof e.status === 'number' && e.ms >= 0);
  assert.ok(has('GET', new RegExp(`^http://${plain.host}/v2/src/app/manifests/v1$`)), 'the source manifest');
  assert.ok(has('PUT', /\/v2\/tok\/app\/manifests\/v1$/), 'the destination manifest');
  assert.ok(has('GET', /\/v2\/tok\/app\/blobs\/sha256:/), 'blob reads');
  assert.ok(has('GET', /\/token\?.*account=REDACTED/), 'the token realm, account redacted');
  const text = JSON.stringify(http);
  for (const secret of [alice.password, Buffer.from(`alice:${alice.password}`).toString('base64'), 'account=alice', 'Bearer', 'Basic']) {
    assert.ok(!text.includes(secret), `no event carries ${secret}`);
  }
  // The https attempts that found plain-HTTP loopback registries are reported too, with their error.
  assert.ok(http.some((e) => e.status === undefined && e.url.startsWith(`https://${plain.host}/`) && e.error !== undefined), 'the failed https attempt');
  for (const e of http) assert.ok(Object.keys(e).every((k) => ['type', 'method', 'url', 'status', 'ms', 'error'].includes(k)), 'no headers in an event');
});

test('egress through a proxy: the target is judged by name and the proxy by address, before anything is sent', async (t) => {
  const proxy = await startProxyServer(t, { connectPorts: [plain.port] });
  const attempt = async (ctx: SystemContext) => {
    const c = new RegistryClient(plain.host, { proxy: proxy.url, retryMaxAttempts: 1, ...ctx });
    try {
      return await c.headManifest('src/app', 'v1');
    } finally {
      await c.close();
    }
  };
  await assert.rejects(attempt({ egress: createEgressPolicy({ deny: ['127.0.0.0/8'] }) }), (e: TugError) => e.code === 'UNSAFE_INPUT' && /egress policy refuses/.test(e.message));
  assert.deepEqual(proxy.requests(), [], 'a refused target never reaches the proxy');
  // The target is fine, the proxy is not: refused by the proxy's address (a name resolving to it is refused the same way).
  const other = await startRegistry();
  t.after(() => other.stop());
  const viaLocalhost = new RegistryClient(other.host, { proxy: proxy.url.replace('127.0.0.1', 'localhost'), retryMaxAttempts: 1, egress: createEgressPolicy({ deny: ['127.0.0.1'], allow: [] }) });
  try {
    await assert.rejects(viaLocalhost.ping(), (e: TugError) => e.code === 'UNSAFE_INPUT');
  } finally {
    await viaLocalhost.close();
  }
  assert.deepEqual(proxy.requests(), []);
  // Allowed: the request goes through the proxy and comes back with the image.
  const head = await attempt({ egress: createEgressPolicy({ deny: ['metadata.example'] }) });
  assert.equal(head?.digest, image.top.digest);
  assert.ok(proxy.requests().some((r) => r.startsWith(`HEAD http://${plain.host}/v2/src/app/manifests/v1 `)));
});

test('an https registry through a proxy: one CONNECT tunnel, TLS verified end to end with the registry CA', async (t) => {
  const secure = await startRegistry({ tls: true });
  t.after(() => secure.stop());
  const trust = new Agent({ connect: { ca: secure.caPem } });
  t.after(() => trust.close());
  await pushImage({ url: secure.url, repository: 'sec/app', tag: 'v1', dispatcher: trust }, image);
  const proxy = await startProxyServer(t, { connectPorts: [secure.port] });
  const c = new RegistryClient(secure.host, { proxy: proxy.url, certDir: secure.certDir });
  try {
    assert.equal((await c.getManifest('sec/app', 'v1')).digest, image.top.digest);
  } finally {
    await c.close();
  }
  assert.deepEqual(proxy.requests(), [`CONNECT ${secure.host} HTTP/1.1`], 'the proxy saw only the tunnel, never a request');
  // Without the CA the tunnel opens but verification fails: TLS is not the proxy's.
  const blind = new RegistryClient(secure.host, { proxy: proxy.url, retryMaxAttempts: 1 });
  try {
    await assert.rejects(blind.getManifest('sec/app', 'v1'), (e: TugError) => e.code === 'TLS');
  } finally {
    await blind.close();
  }
});
