/**
 * Answers the stock registry cannot be made to give, produced by a loopback
 * proxy in front of the real one: Link pagination of tags, 503/429 with
 * Retry-After, oversized manifests, dropped blob bodies and bad
 * Content-Ranges, and a redirect of a blob GET to another host.
 */
import assert from 'node:assert/strict';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Readable } from 'node:stream';
import { after, before, test } from 'node:test';
import type { TransportEvent } from '../../src/context/system-context.ts';
import { RegistryClient } from '../../src/distribution/index.ts';
import type { RegistryError, TugError } from '../../src/errors/index.ts';
import type { Digest } from '../../src/reference/digest.ts';
import { type GeneratedImage, makeImage, pushImage } from '../support/images.ts';
import { type TestRegistry, startRegistry } from '../support/registry.ts';
import { type ProxyHooks, type TestProxy, startProxy } from './proxy.ts';

let reg: TestRegistry;
let image: GeneratedImage;
let bigLayer: { digest: Digest; size: number; bytes: Buffer };
const cleanups: (() => Promise<void>)[] = [];

before(async () => {
  reg = await startRegistry({ users: { alice: 'wonderland' } });
  image = await makeImage({ seed: 'faults', flavour: 'oci', layerSizes: [300_000] });
  await pushImage({ url: reg.url, repository: 'f/app', tag: 'v1', username: 'alice', password: 'wonderland' }, image);
  for (const tag of ['t1', 't2', 't3', 't4', 't5']) await pushImage({ url: reg.url, repository: 'f/app', tag, username: 'alice', password: 'wonderland' }, image);
  const l = image.manifests[0]!.layers[0]!;
  bigLayer = { digest: l.digest as Digest, size: l.size, bytes: l.bytes };
});

after(async () => {
  for (const c of cleanups.reverse()) await c();
  await reg?.stop();
});

const creds = { username: 'alice', password: 'wonderland' };

async function proxied(hooks: ProxyHooks, events?: TransportEvent[]): Promise<{ proxy: TestProxy; client: RegistryClient }> {
  const proxy = await startProxy(reg.url, hooks);
  const client = new RegistryClient(proxy.host, { plainHttp: true, credentials: creds, onEvent: (e) => events?.push(e), retryMaxDelayMs: 50 }, { retryBaseDelayMs: 5 });
  cleanups.push(async () => {
    await client.close();
    await proxy.stop();
  });
  // The hooks expect requests that carry credentials: let the ping learn the challenge first.
  await client.ping();
  return { proxy, client };
}

async function collect(stream: Readable): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const c of stream) chunks.push(c as Buffer);
  return Buffer.concat(chunks);
}

test('listTags follows Link rel="next" pages (page size 2 over 6 tags)', async () => {
  // distribution 2.8 ignores ?n= for tags; the proxy paginates its full answer as the spec describes.
  const { proxy, client } = await proxied({
    async handle(req, res, forward) {
      const url = new URL(req.url ?? '/', 'http://x');
      if (!url.pathname.endsWith('/tags/list') || !url.searchParams.has('n')) return false;
      const all = JSON.parse((await forward({}, url.pathname)).body.toString()) as { name: string; tags: string[] };
      const n = Number(url.searchParams.get('n'));
      const last = url.searchParams.get('last');
      const sorted = all.tags.sort();
      const start = last ? sorted.indexOf(last) + 1 : 0;
      const page = sorted.slice(start, start + n);
      const headers: Record<string, string> = { 'content-type': 'application/json' };
      if (start + n < sorted.length) headers.link = `<${url.pathname}?n=${n}&last=${page.at(-1)}>; rel="next"`;
      res.writeHead(200, headers);
      res.end(JSON.stringify({ name: all.name, tags: page }));
      return true;
    },
  });
  const tags = await client.listTags('f/app', { pageSize: 2 });
  assert.deepEqual(tags, ['t1', 't2', 't3', 't4', 't5', 'v1']);
  const pages = proxy.seen.filter((r) => r.url.includes('/tags/list'));
  assert.equal(pages.length, 3);
  assert.equal(pages[1]?.url, '/v2/f/app/tags/list?n=2&last=t2');
});

test('503 with Retry-After is retried with retry events, then succeeds', async () => {
  const events: TransportEvent[] = [];
  let failures = 0;
  const { client } = await proxied(
    {
      handle(req, res) {
        if (req.url?.includes('/manifests/') && failures < 2) {
          failures++;
          res.writeHead(503, { 'retry-after': '0', 'content-type': 'application/json' });
          res.end('{"errors":[{"code":"UNAVAILABLE","message":"try later"}]}');
          return true;
        }
        return false;
      },
    },
    events,
  );
  const m = await client.getManifest('f/app', 'v1');
  assert.ok(Buffer.from(m.bytes).equals(image.top.bytes));
  const retries = events.filter((e) => e.type === 'retry');
  assert.equal(retries.length, 2);
  assert.deepEqual(retries.map((e) => e.type === 'retry' && e.attempt), [1, 2]);
});

test('429 that never ends: TRANSIENT after retryMaxAttempts requests', async () => {
  const proxy = await startProxy(reg.url, {
    handle(req, res) {
      if (!req.url?.includes('/manifests/')) return false;
      res.writeHead(429, { 'retry-after': '0' });
      res.end();
      return true;
    },
  });
  const client = new RegistryClient(proxy.host, { plainHttp: true, credentials: creds, retryMaxAttempts: 3 }, { retryBaseDelayMs: 5 });
  try {
    await assert.rejects(client.getManifest('f/app', 'v1'), (e: RegistryError) => e.code === 'TRANSIENT' && e.temporary && e.status === 429);
    assert.equal(proxy.seen.filter((r) => r.url.includes('/manifests/')).length, 3);
  } finally {
    await client.close();
    await proxy.stop();
  }
});

test('manifests over 4 MiB are refused, by Content-Length and while reading a chunked body', async () => {
  const huge = Buffer.alloc(4 * 1024 * 1024 + 10, 0x20);
  const { client } = await proxied({
    handle(req, res) {
      if (req.url === '/v2/f/app/manifests/huge') {
        res.writeHead(200, { 'content-type': 'application/vnd.oci.image.manifest.v1+json', 'content-length': String(huge.length) });
        res.end(huge);
        return true;
      }
      if (req.url === '/v2/f/app/manifests/chunked') {
        res.writeHead(200, { 'content-type': 'application/vnd.oci.image.manifest.v1+json' });
        for (let i = 0; i < huge.length; i += 256 * 1024) res.write(huge.subarray(i, i + 256 * 1024));
        res.end();
        return true;
      }
      return false;
    },
  });
  await assert.rejects(client.getManifest('f/app', 'huge'), (e: TugError) => e.code === 'UNSAFE_INPUT' && /4 MiB/.test(e.message));
  await assert.rejects(client.getManifest('f/app', 'chunked'), (e: TugError) => e.code === 'UNSAFE_INPUT' && /4 MiB/.test(e.message));
});

/** Cuts the first full GET of the big layer after `cut` bytes, answering later ones per `ranged`. */
function cutOnce(cut: number, ranged: 'forward' | 'ignore-range' | 'bad-range'): ProxyHooks {
  let cutDone = false;
  return {
    async handle(req, res, forward) {
      if (req.url !== `/v2/f/app/blobs/${bigLayer.digest}` || req.method !== 'GET') return false;
      if (!cutDone) {
        cutDone = true;
        const f = await forward();
        res.writeHead(200, { 'content-length': String(f.body.length), 'content-type': 'application/octet-stream' });
        res.write(f.body.subarray(0, cut), () => setTimeout(() => res.socket?.destroy(), 20));
        return true;
      }
      if (ranged === 'ignore-range') {
        const f = await forward({ range: undefined });
        res.writeHead(f.status, f.headers);
        res.end(f.body);
        return true;
      }
      if (ranged === 'bad-range') {
        const f = await forward({ range: 'bytes=0-' });
        res.writeHead(206, { 'content-range': `bytes 0-${bigLayer.size - 1}/${bigLayer.size}`, 'content-length': String(f.body.length) });
        res.end(f.body);
        return true;
      }
      return false;
    },
  };
}

test('a blob body that drops mid-way resumes with Range and splices a matching 206', async () => {
  const events: TransportEvent[] = [];
  const { proxy, client } = await proxied(cutOnce(100_000, 'forward'), events);
  const bytes = await collect(await client.getBlob('f/app', bigLayer));
  assert.ok(bytes.equals(bigLayer.bytes));
  const gets = proxy.seen.filter((r) => r.url.includes('/blobs/'));
  assert.equal(gets.length, 2);
  const range = gets[1]?.headers.range;
  assert.match(String(range), /^bytes=\d+-$/);
  const resumes = events.filter((e) => e.type === 'resume');
  assert.equal(resumes.length, 1);
  assert.equal(`bytes=${resumes[0]?.type === 'resume' && resumes[0].offset}-`, range);
});

test('a 200 answer to a Range request restarts and skips the bytes already delivered', async () => {
  const { proxy, client } = await proxied(cutOnce(150_000, 'ignore-range'));
  const bytes = await collect(await client.getBlob('f/app', bigLayer));
  assert.ok(bytes.equals(bigLayer.bytes));
  assert.equal(proxy.seen.filter((r) => r.url.includes('/blobs/')).length, 2);
});

test('a 206 with a mismatching Content-Range is not spliced: TRANSIENT', async () => {
  const { client } = await proxied(cutOnce(100_000, 'bad-range'));
  const stream = await client.getBlob('f/app', bigLayer);
  await assert.rejects(collect(stream), (e: RegistryError) => e.code === 'TRANSIENT' && /not splicing/.test(e.message));
});

test('a redirect to another host is followed without the Authorization header', async () => {
  const storageSeen: Record<string, string | string[] | undefined>[] = [];
  const storage = createServer((req, res) => {
    storageSeen.push(req.headers);
    res.writeHead(200, { 'content-length': String(bigLayer.size) });
    res.end(bigLayer.bytes);
  });
  await new Promise<void>((r) => storage.listen(0, '127.0.0.1', r));
  cleanups.push(() => new Promise<void>((r) => storage.close(() => r())));
  // "localhost" is another host than 127.0.0.1 as far as credentials go.
  const storageUrl = `http://localhost:${(storage.address() as AddressInfo).port}/bucket/blob?X-Amz-Signature=abc`;
  const { proxy, client } = await proxied({
    handle(req, res) {
      if (req.url !== `/v2/f/app/blobs/${bigLayer.digest}`) return false;
      if (!req.headers.authorization) {
        res.writeHead(401, { 'www-authenticate': 'Basic realm="tugboat-test"' });
        res.end();
        return true;
      }
      res.writeHead(307, { location: storageUrl });
      res.end();
      return true;
    },
  });
  const bytes = await collect(await client.getBlob('f/app', bigLayer));
  assert.ok(bytes.equals(bigLayer.bytes));
  const blobGets = proxy.seen.filter((r) => r.url.includes('/blobs/'));
  assert.match(String(blobGets.at(-1)?.headers.authorization), /^Basic /, 'the registry itself gets the credentials');
  assert.equal(storageSeen.length, 1);
  assert.equal(storageSeen[0]?.authorization, undefined, 'the storage host never sees them');
});

test('aborting: an already-aborted signal refuses at once; an abort mid-body ends the stream with ABORTED', async () => {
  let stalled: (() => void) | undefined;
  const { client } = await proxied({
    async handle(req, res, forward) {
      if (req.url !== `/v2/f/app/blobs/${bigLayer.digest}`) return false;
      const f = await forward();
      res.writeHead(200, { 'content-length': String(f.body.length) });
      res.write(f.body.subarray(0, 64 * 1024));
      // Never finishes on its own: only the abort ends this body.
      await new Promise<void>((r) => {
        stalled = r;
      });
      res.destroy();
      return true;
    },
  });
  await assert.rejects(client.getManifest('f/app', 'v1', { signal: AbortSignal.abort() }), (e: TugError) => e.code === 'ABORTED');
  const controller = new AbortController();
  const stream = await client.getBlob('f/app', bigLayer, { signal: controller.signal });
  const first = await new Promise<Buffer>((r) => stream.once('data', r));
  assert.ok(first.length > 0);
  controller.abort();
  await assert.rejects(collect(stream), (e: TugError) => e.code === 'ABORTED');
  stalled?.();
});
