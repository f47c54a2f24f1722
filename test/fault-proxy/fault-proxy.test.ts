import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { after, before, test } from 'node:test';
import { fetch } from 'undici';
import { type Blob, type GeneratedImage, makeImage, pushImage } from '../support/images.ts';
import { type FaultProxy, startFaultProxy } from '../support/fault-proxy.ts';
import { type TestRegistry, startRegistry } from '../support/registry.ts';
import { waitFor } from '../support/wait.ts';

let registry: TestRegistry;
let proxy: FaultProxy;
let image: GeneratedImage;
let big: Blob;
const REPO = 'faults/app';

const sha256 = (b: Uint8Array) => `sha256:${createHash('sha256').update(b).digest('hex')}`;
const blobUrl = () => `${proxy.url}/v2/${REPO}/blobs/${big.digest}`;
const blobPath = () => new RegExp(`/blobs/${big.digest}$`);

/** Reads a body to the end or to its error; returns the bytes and the error. */
async function readAll(body: ReadableStream<Uint8Array> | null): Promise<{ bytes: Buffer; error: unknown }> {
  const chunks: Uint8Array[] = [];
  let error: unknown;
  try {
    for await (const c of body ?? []) chunks.push(c);
  } catch (err) {
    error = err;
  }
  return { bytes: Buffer.concat(chunks), error };
}

before(async () => {
  registry = await startRegistry();
  proxy = await startFaultProxy(registry.url);
  // One layer of ~1 MiB (random data does not compress), so bodies span many chunks.
  image = await makeImage({ seed: 'fault-proxy', layerSizes: [1 << 20, 3000] });
  big = [...image.blobs.values()].sort((a, b) => b.size - a.size)[0]!;
  // Pushed THROUGH the proxy: uploads must follow rewritten Locations.
  await pushImage({ url: proxy.url, repository: REPO, tag: 'v1' }, image);
});

after(async () => {
  await proxy?.stop();
  await registry?.stop();
});

test('pass-through: a push through the proxy lands upstream, uploads stay on the proxy, pulls are byte-exact', async () => {
  const puts = proxy.requests.filter((r) => r.method === 'PUT' && r.path.includes('/blobs/uploads/'));
  assert.equal(puts.length, image.blobs.size, 'every blob upload PUT went through the proxy');
  assert.ok(puts.every((r) => r.status === 201));
  const direct = await fetch(`${registry.url}/v2/${REPO}/manifests/v1`, { headers: { accept: image.top.mediaType } });
  assert.equal(Buffer.from(await direct.arrayBuffer()).equals(image.top.bytes), true, 'the registry itself has the manifest');

  proxy.setFaults([]);
  const res = await fetch(blobUrl());
  assert.equal(res.status, 200);
  const { bytes, error } = await readAll(res.body);
  assert.equal(error, undefined);
  assert.equal(bytes.length, big.size);
  assert.equal(sha256(bytes), big.digest);
  const head = await fetch(blobUrl(), { method: 'HEAD' });
  assert.equal(head.status, 200);
  assert.equal(head.headers.get('content-length'), String(big.size));
  assert.equal(head.headers.get('docker-content-digest'), big.digest);
  const ranged = await fetch(blobUrl(), { headers: { range: 'bytes=5000-' } });
  assert.equal(ranged.status, 206);
  assert.equal(ranged.headers.get('content-range'), `bytes 5000-${big.size - 1}/${big.size}`);
  assert.equal(Buffer.from(await ranged.arrayBuffer()).equals(big.bytes.subarray(5000)), true);
});

test('status faults answer without upstream, carry Retry-After, and are spent after `times`', async () => {
  const date = new Date(Date.now() + 5000).toUTCString();
  proxy.setFaults([
    { kind: 'status', status: 503, retryAfter: '2', method: 'GET', path: blobPath(), times: 2 },
    { kind: 'status', status: 429, retryAfter: date, method: 'HEAD', path: /\/manifests\/v1$/ },
    { kind: 'status', status: 500, method: 'POST', path: /\/blobs\/uploads\/$/ },
    { kind: 'status', status: 408, method: 'GET', path: /\/tags\/list$/ },
  ]);
  proxy.requests.length = 0;
  for (let i = 0; i < 2; i++) {
    const res = await fetch(blobUrl());
    assert.equal(res.status, 503);
    assert.equal(res.headers.get('retry-after'), '2');
    const body = (await res.json()) as { errors: { code: string }[] };
    assert.equal(body.errors[0]?.code, 'UNAVAILABLE');
  }
  const third = await fetch(blobUrl());
  assert.equal(third.status, 200, 'spent after 2');
  assert.equal(sha256(Buffer.from(await third.arrayBuffer())), big.digest);

  const head = await fetch(`${proxy.url}/v2/${REPO}/manifests/v1`, { method: 'HEAD', headers: { accept: image.top.mediaType } });
  assert.equal(head.status, 429);
  assert.equal(head.headers.get('retry-after'), date);
  const get = await fetch(`${proxy.url}/v2/${REPO}/manifests/v1`, { headers: { accept: image.top.mediaType } });
  assert.equal(get.status, 200, 'a HEAD fault does not touch GET');
  await get.arrayBuffer();

  const post = await fetch(`${proxy.url}/v2/${REPO}/blobs/uploads/`, { method: 'POST', body: Buffer.alloc(100_000, 1) });
  assert.equal(post.status, 500);
  await post.arrayBuffer();
  const tags = await fetch(`${proxy.url}/v2/${REPO}/tags/list`);
  assert.equal(tags.status, 408);
  await tags.arrayBuffer();
  assert.deepEqual(
    proxy.requests.map((r) => [r.method, r.status, r.fault]),
    [
      ['GET', 503, 'status'],
      ['GET', 503, 'status'],
      ['GET', 200, undefined],
      ['HEAD', 429, 'status'],
      ['GET', 200, undefined],
      ['POST', 500, 'status'],
      ['GET', 408, 'status'],
    ],
  );
});

test('drop-after forwards headers and exactly N body bytes, then cuts the connection', async () => {
  proxy.setFaults([{ kind: 'drop-after', bytes: 100_000, method: 'GET', path: blobPath() }]);
  const res = await fetch(blobUrl());
  assert.equal(res.status, 200);
  assert.equal(res.headers.get('content-length'), String(big.size), 'headers are the real ones');
  const { bytes, error } = await readAll(res.body);
  assert.ok(error, 'the body ends in an error, not a clean end');
  assert.equal(bytes.length, 100_000);
  assert.equal(bytes.equals(big.bytes.subarray(0, 100_000)), true, 'the bytes that arrived are the right ones');
  // What a resuming client does next: ask for the rest, and the log shows it.
  proxy.requests.length = 0;
  const rest = await fetch(blobUrl(), { headers: { range: `bytes=${bytes.length}-` } });
  assert.equal(rest.status, 206, 'spent: the next GET is not cut');
  const whole = Buffer.concat([bytes, Buffer.from(await rest.arrayBuffer())]);
  assert.equal(sha256(whole), big.digest);
  assert.deepEqual(proxy.requests.map((r) => [r.method, r.range, r.status]), [['GET', 'bytes=100000-', 206]]);

  proxy.setFaults([{ kind: 'drop-after', bytes: 0, method: 'GET', path: blobPath() }]);
  const zero = await fetch(blobUrl());
  assert.equal(zero.status, 200, 'headers still arrive when the body is cut at once');
  const z = await readAll(zero.body);
  assert.ok(z.error);
  assert.equal(z.bytes.length, 0);
});

test('flip-byte keeps the length, flips one byte, every time it applies', async () => {
  proxy.setFaults([{ kind: 'flip-byte', offset: 70_000, method: 'GET', path: blobPath(), times: 2 }]);
  for (let i = 0; i < 2; i++) {
    const got = Buffer.from(await (await fetch(blobUrl())).arrayBuffer());
    assert.equal(got.length, big.size);
    assert.notEqual(sha256(got), big.digest);
    const diff = [...got.keys()].filter((k) => got[k] !== big.bytes[k]);
    assert.deepEqual(diff, [70_000]);
    assert.equal(got[70_000], big.bytes[70_000]! ^ 0xff);
  }
  const clean = Buffer.from(await (await fetch(blobUrl())).arrayBuffer());
  assert.equal(sha256(clean), big.digest, 'spent after 2');

  proxy.setFaults([{ kind: 'flip-byte', method: 'GET', path: blobPath() }]);
  const mid = Buffer.from(await (await fetch(blobUrl())).arrayBuffer());
  assert.deepEqual(
    [...mid.keys()].filter((k) => mid[k] !== big.bytes[k]),
    [Math.floor(big.size / 2)],
    'default offset is the middle',
  );
});

test('lie-content-range answers a ranged GET from another offset, and ignores unranged ones', async () => {
  proxy.setFaults([{ kind: 'lie-content-range', method: 'GET', path: blobPath() }]);
  proxy.requests.length = 0;
  const plain = await fetch(blobUrl());
  assert.equal(plain.status, 200, 'no Range: untouched, fault not spent');
  assert.equal(sha256(Buffer.from(await plain.arrayBuffer())), big.digest);

  const res = await fetch(blobUrl(), { headers: { range: 'bytes=5000-' } });
  assert.equal(res.status, 206);
  assert.equal(res.headers.get('content-range'), `bytes 0-${big.size - 1}/${big.size}`);
  const body = Buffer.from(await res.arrayBuffer());
  assert.equal(body.equals(big.bytes), true, 'the body really starts at the lied offset');

  const honest = await fetch(blobUrl(), { headers: { range: 'bytes=5000-' } });
  assert.equal(honest.headers.get('content-range'), `bytes 5000-${big.size - 1}/${big.size}`, 'spent');
  await honest.arrayBuffer();

  proxy.setFaults([{ kind: 'lie-content-range', method: 'GET', path: blobPath(), start: 123 }]);
  const chosen = await fetch(blobUrl(), { headers: { range: 'bytes=0-' } });
  assert.equal(chosen.headers.get('content-range'), `bytes 123-${big.size - 1}/${big.size}`);
  assert.equal(Buffer.from(await chosen.arrayBuffer()).equals(big.bytes.subarray(123)), true);
  assert.deepEqual(
    proxy.requests.map((r) => [r.range, r.status, r.fault]),
    [
      [undefined, 200, undefined],
      ['bytes=5000-', 206, 'lie-content-range'],
      ['bytes=5000-', 206, undefined],
      ['bytes=0-', 206, 'lie-content-range'],
    ],
  );
});

test('delay holds the request before forwarding it', async () => {
  proxy.setFaults([{ kind: 'delay', ms: 400, method: 'GET', path: blobPath() }]);
  proxy.requests.length = 0;
  const res = await fetch(blobUrl());
  assert.equal(sha256(Buffer.from(await res.arrayBuffer())), big.digest);
  await (await fetch(blobUrl(), { method: 'HEAD' })).arrayBuffer();
  await (await fetch(blobUrl())).arrayBuffer();
  // The log says which request was held: a lower bound on its time, no upper bound on the others'.
  assert.deepEqual(proxy.requests.map((r) => [r.method, r.fault ?? null, r.status]), [
    ['GET', 'delay', 200],
    ['HEAD', null, 200],
    ['GET', null, 200],
  ], 'spent after one, and HEAD did not match anyway');
  const held = proxy.requests[0]!;
  assert.ok(held.doneAt! - held.at >= 400, `held ${held.doneAt! - held.at} ms`);
});

test('a delayed request whose client went away is dropped, and idle() waits for it', async () => {
  proxy.setFaults([{ kind: 'delay', ms: 300, method: 'GET', path: blobPath() }]);
  proxy.requests.length = 0;
  const gone = new AbortController();
  const pending = fetch(blobUrl(), { signal: gone.signal }).catch((err: unknown) => err);
  await waitFor('the request to reach the proxy', () => proxy.requests.length > 0, 10_000, 5);
  gone.abort();
  assert.ok((await pending) instanceof Error);
  await proxy.idle();
  assert.deepEqual(proxy.requests.map((r) => [r.fault ?? null, r.status]), [['delay', 0]], 'held, then never forwarded (no status from upstream)');
  // A forwarded exchange settles too.
  const ok = await fetch(blobUrl(), { method: 'HEAD' });
  await ok.arrayBuffer();
  await proxy.idle();
  assert.equal(proxy.requests.at(-1)?.status, 200);
});

test('dropConnections cuts an open connection; the proxy keeps serving', async () => {
  proxy.setFaults([{ kind: 'delay', ms: 60_000, method: 'GET', path: blobPath() }]);
  proxy.requests.length = 0;
  const held = fetch(blobUrl()).then(
    (res) => res.arrayBuffer(),
    (err: unknown) => err,
  );
  await waitFor('the request to be held', () => proxy.requests.length > 0, 10_000, 5);
  proxy.dropConnections();
  assert.ok((await held) instanceof Error, 'the held request was cut');
  await proxy.idle();
  const res = await fetch(blobUrl(), { method: 'HEAD' });
  assert.equal(res.status, 200);
});

test('with an htpasswd registry: Authorization is forwarded, logged as a boolean only', async () => {
  const secured = await startRegistry({ users: { alice: 'wonder-land-pw' } });
  const p = await startFaultProxy(secured.url);
  try {
    const small = await makeImage({ seed: 'fault-proxy-auth', layerSizes: [500] });
    await pushImage({ url: p.url, repository: 'sec/app', tag: 'v1', username: 'alice', password: 'wonder-land-pw' }, small);
    const anon = await fetch(`${p.url}/v2/`);
    assert.equal(anon.status, 401);
    assert.match(anon.headers.get('www-authenticate') ?? '', /Basic realm="tugboat-test"/);
    await anon.arrayBuffer();
    assert.ok(p.requests.length > 3);
    assert.ok(p.requests.slice(0, -1).every((r) => r.hadAuthorization));
    assert.equal(p.requests.at(-1)?.hadAuthorization, false);
    const logged = JSON.stringify(p.requests);
    assert.ok(!logged.includes('wonder-land-pw') && !logged.includes(Buffer.from('alice:wonder-land-pw').toString('base64')));
  } finally {
    await p.stop();
    await secured.stop();
  }
});
