/**
 * Faults a registry will not make on demand, injected by a proxy in front of
 * the real registry: a connection dropped mid-blob, 429 with Retry-After,
 * 503 bursts, a flipped byte, a lying Content-Range.
 */
import assert from 'node:assert/strict';
import { after, before, beforeEach, test } from 'node:test';
import { copyImage } from '../../src/copy/copy.ts';
import type { CopyEvent } from '../../src/copy/events.ts';
import { parseImageName } from '../../src/transports/index.ts';
import { type FaultProxy, startFaultProxy } from '../support/fault-proxy.ts';
import { type GeneratedImage, makeImage, pushImage } from '../support/images.ts';
import { type TestRegistry, startRegistry } from '../support/registry.ts';
import { rawManifest, skopeo } from '../support/skopeo.ts';
import { runTug } from '../support/tug.ts';

let upstream: TestRegistry;
let proxy: FaultProxy;
let dest: TestRegistry;
let image: GeneratedImage;
let bigLayer: string;
let n = 0;

before(async () => {
  upstream = await startRegistry();
  dest = await startRegistry();
  proxy = await startFaultProxy(upstream.url);
  // One layer of ~3 MiB of incompressible data, so a drop lands mid-body.
  image = await makeImage({ seed: 'faults', layerSizes: [3 * 1024 * 1024, 1024] });
  await pushImage({ url: upstream.url, repository: 'src/app', tag: 'v1' }, image);
  bigLayer = image.manifests[0]!.layers[0]!.digest;
});

after(async () => {
  await proxy.stop();
  await upstream.stop();
  await dest.stop();
});

beforeEach(() => {
  proxy.setFaults([]);
  proxy.requests.length = 0;
});

const ctx = { retryMaxDelayMs: 2000 };
const blobPath = (digest: string) => new RegExp(`/blobs/${digest}$`);

async function copyThroughProxy(events: CopyEvent[] = []) {
  const target = `docker://${dest.host}/dst${++n}/app:v1`;
  const result = await copyImage(parseImageName(`docker://${proxy.host}/src/app:v1`), parseImageName(target), {
    sourceContext: ctx,
    destinationContext: ctx,
    onEvent: (e) => events.push(e),
  });
  return { result, target };
}

test('a connection dropped mid-blob is resumed with Range and the blob verifies', async () => {
  proxy.setFaults([{ kind: 'drop-after', bytes: 1_000_000, method: 'GET', path: blobPath(bigLayer), times: 1 }]);
  const events: CopyEvent[] = [];
  const { result, target } = await copyThroughProxy(events);
  const gets = proxy.requests.filter((r) => r.method === 'GET' && r.path.endsWith(bigLayer));
  assert.ok(gets.length >= 2, 'the blob was requested again');
  assert.equal(gets[0]!.fault, 'drop-after');
  assert.match(gets[1]!.range ?? '', /^bytes=[1-9]\d*-/, 'the second request resumed at an offset');
  assert.ok(events.some((e) => e.type === 'transport' && e.event.type === 'resume'), 'a resume event was reported');
  assert.equal(result.digest, image.top.digest);
  assert.equal(await rawManifest(target, ['--tls-verify=false']), image.top.bytes.toString());
});

test('429 with Retry-After is honoured, then the copy succeeds', async () => {
  proxy.setFaults([{ kind: 'status', status: 429, retryAfter: '1', method: 'GET', path: /\/manifests\/v1$/, times: 1 }]);
  const events: CopyEvent[] = [];
  const { result } = await copyThroughProxy(events);
  const retries = events.flatMap((e) => (e.type === 'transport' && e.event.type === 'retry' ? [e.event] : []));
  assert.ok(retries.length >= 1, 'a retry was reported');
  assert.ok(retries[0]!.delayMs >= 1000, `waited ${retries[0]!.delayMs} ms for Retry-After: 1`);
  assert.equal(result.digest, image.top.digest);
});

test('a Retry-After date is honoured and capped', async () => {
  const in2s = new Date(Date.now() + 2000).toUTCString();
  proxy.setFaults([{ kind: 'status', status: 503, retryAfter: in2s, method: 'GET', path: /\/manifests\/v1$/, times: 1 }]);
  const events: CopyEvent[] = [];
  const { result } = await copyThroughProxy(events);
  const retry = events.find((e) => e.type === 'transport' && e.event.type === 'retry');
  assert.ok(retry && retry.type === 'transport' && retry.event.type === 'retry' && retry.event.delayMs <= 2000, 'the wait is capped by retryMaxDelayMs');
  assert.equal(result.digest, image.top.digest);
});

test('bursts of 503 on blob downloads are retried', async () => {
  proxy.setFaults([{ kind: 'status', status: 503, method: 'GET', path: /\/blobs\/sha256:/, times: 3 }]);
  const { result } = await copyThroughProxy();
  assert.equal(proxy.requests.filter((r) => r.status === 503).length, 3);
  assert.equal(result.digest, image.top.digest);
});

test('a flipped byte fails with exit code 3 and nothing is tagged', async () => {
  proxy.setFaults([{ kind: 'flip-byte', method: 'GET', path: blobPath(bigLayer), times: 100 }]);
  const target = `docker://${dest.host}/flipped/app:v1`;
  const run = await runTug(['copy', '--retry-times', '1', `docker://${proxy.host}/src/app:v1`, target]);
  assert.equal(run.code, 3, run.stderr);
  assert.match(run.stderr, /digest|integrity|match/i);
  assert.equal(run.stderr.trim().split('\n').filter((l) => l.startsWith('tug: error')).length, 1, 'one error line');
  await assert.rejects(skopeo(['inspect', '--raw', '--tls-verify=false', target]), /manifest unknown|not found|name unknown/i);
});

test('a lying Content-Range is never spliced', async () => {
  proxy.setFaults([
    { kind: 'drop-after', bytes: 1_000_000, method: 'GET', path: blobPath(bigLayer), times: 1 },
    { kind: 'lie-content-range', method: 'GET', path: blobPath(bigLayer), times: 5 },
  ]);
  const events: CopyEvent[] = [];
  const target = `docker://${dest.host}/lie/app:v1`;
  let ok = true;
  try {
    await copyImage(parseImageName(`docker://${proxy.host}/src/app:v1`), parseImageName(target), { sourceContext: ctx, destinationContext: ctx, onEvent: (e) => events.push(e) });
  } catch {
    ok = false;
  }
  assert.ok(proxy.requests.some((r) => r.fault === 'lie-content-range'), 'the lie was told');
  if (ok) {
    // Recovered by starting the blob over: the content is exactly the source's.
    assert.equal(await rawManifest(target, ['--tls-verify=false']), image.top.bytes.toString());
    const blob = await fetch(`${dest.url}/v2/lie/app/blobs/${bigLayer}`);
    const { createHash } = await import('node:crypto');
    assert.equal(`sha256:${createHash('sha256').update(Buffer.from(await blob.arrayBuffer())).digest('hex')}`, bigLayer);
  } else {
    await assert.rejects(skopeo(['inspect', '--raw', '--tls-verify=false', target]));
  }
});

test('a 429 pauses every request to that registry, not only the refused one', async () => {
  await pushImage({ url: upstream.url, repository: 'src/other', tag: 'v2' }, await makeImage({ seed: 'faults-other' }));
  proxy.setFaults([{ kind: 'status', status: 429, retryAfter: '1', method: 'GET', path: /\/src\/app\/manifests\/v1$/, times: 1 }]);
  const first = copyThroughProxy();
  while (!proxy.requests.some((r) => r.status === 429)) await new Promise((r) => setTimeout(r, 10));
  const refused = proxy.requests.find((r) => r.status === 429)!;
  // A second image from the same registry, started after the 429: it waits too.
  const second = copyImage(parseImageName(`docker://${proxy.host}/src/other:v2`), parseImageName(`docker://${dest.host}/other/app:v2`), { sourceContext: { ...ctx }, destinationContext: ctx });
  await Promise.all([first, second]);
  const during = proxy.requests.filter((r) => r.at > refused.at + 50 && r.at < refused.at + 900);
  assert.deepEqual(during.map((r) => `${r.method} ${r.path}`), [], 'no request reached the registry while it asked us to wait');
  assert.ok(proxy.requests.some((r) => r.path.includes('/src/other/') && r.at >= refused.at + 900), 'the second image went ahead after the pause');
});

test('after a 429 the registry gets fewer requests at once: nothing new is sent while the halved window is full', async () => {
  const wide = await makeImage({ seed: 'faults-wide', layerSizes: Array.from({ length: 16 }, (_, i) => 2048 + i) });
  await pushImage({ url: upstream.url, repository: 'src/wide', tag: 'v1' }, wide);
  const blobs = /\/src\/wide\/blobs\//;
  // Five slow blob reads stay in flight; the sixth is refused (Retry-After 0: no pause, only the cut).
  proxy.setFaults([
    { kind: 'delay', ms: 600, method: 'GET', path: blobs, times: 5 },
    { kind: 'status', status: 429, retryAfter: '0', method: 'GET', path: blobs, times: 1 },
  ]);
  const result = await copyImage(parseImageName(`docker://${proxy.host}/src/wide:v1`), parseImageName(`docker://${dest.host}/wide/app:v1`), {
    sourceContext: {},
    destinationContext: {},
    concurrency: 8,
  });
  assert.equal(result.digest, wide.top.digest);
  const reads = proxy.requests.filter((r) => blobs.test(r.path));
  const refused = reads.find((r) => r.status === 429)!;
  const slow = reads.filter((r) => r.fault === 'delay');
  assert.equal(slow.length, 5);
  // At most 8 were in flight at the 429, so the window is at most 4: with five slow reads still out, nothing new may go.
  const firstAfter = reads.find((r) => r.at > refused.at && r.fault === undefined && !reads.slice(0, reads.indexOf(refused)).includes(r))!;
  const firstSlowDone = Math.min(...slow.map((r) => r.doneAt ?? Infinity));
  assert.ok(firstAfter.at >= firstSlowDone - 5, `the next read waited for a slot: sent ${firstAfter.at - refused.at} ms after the 429, the first slow read ended ${firstSlowDone - refused.at} ms after it`);
});
