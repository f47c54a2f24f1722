/**
 * Faults a registry will not make on demand, injected by a proxy in front of
 * the real registry: a connection dropped mid-blob, 429 with Retry-After,
 * 503 bursts, a flipped byte, a lying Content-Range.
 */
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
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

async function copyThroughProxy(events: CopyEvent[] = [], onEvent: (e: CopyEvent) => void = () => {}) {
  const target = `docker://${dest.host}/dst${++n}/app:v1`;
  const result = await copyImage(parseImageName(`docker://${proxy.host}/src/app:v1`), parseImageName(target), {
    sourceContext: ctx,
    destinationContext: ctx,
    onEvent: (e) => {
      events.push(e);
      onEvent(e);
    },
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

test('a Retry-After date far beyond the cap waits exactly the cap', async () => {
  // An hour away: without the cap the copy would wait an hour, so the wait
  // reported can only be the cap (a date just past the cap would hide it).
  const capMs = 400;
  const inAnHour = new Date(Date.now() + 3_600_000).toUTCString();
  proxy.setFaults([{ kind: 'status', status: 503, retryAfter: inAnHour, method: 'GET', path: /\/manifests\/v1$/, times: 1 }]);
  const events: CopyEvent[] = [];
  const abort = new AbortController();
  const capped = { retryMaxDelayMs: capMs };
  const target = `docker://${dest.host}/dst${++n}/app:v1`;
  const copy = copyImage(parseImageName(`docker://${proxy.host}/src/app:v1`), parseImageName(target), {
    sourceContext: capped,
    destinationContext: capped,
    signal: abort.signal,
    onEvent: (e) => {
      events.push(e);
      // A wait past the cap fails the test now, not an hour from now.
      if (e.type === 'transport' && e.event.type === 'retry' && e.event.delayMs > capMs) abort.abort(new Error(`waited ${e.event.delayMs} ms`));
    },
  });
  let failure: unknown;
  const result = await copy.catch((err: unknown) => void (failure = err));
  const retries = events.flatMap((e) => (e.type === 'transport' && e.event.type === 'retry' ? [e.event.delayMs] : []));
  assert.deepEqual(retries, [capMs], 'one retry, waiting exactly retryMaxDelayMs');
  assert.equal(failure, undefined);
  assert.equal(result?.digest, image.top.digest);
  // The retried GET came after the wait (a lower bound: a slow machine only makes it later).
  const manifestGets = proxy.requests.filter((r) => r.method === 'GET' && /\/manifests\/v1$/.test(r.path));
  assert.equal(manifestGets[0]!.status, 503);
  assert.ok(manifestGets[1]!.at - manifestGets[0]!.at >= capMs, `retried ${manifestGets[1]!.at - manifestGets[0]!.at} ms after the 503`);
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

test('a lying Content-Range is never spliced: the blob starts over and the copy succeeds', async () => {
  proxy.setFaults([
    { kind: 'drop-after', bytes: 1_000_000, method: 'GET', path: blobPath(bigLayer), times: 1 },
    { kind: 'lie-content-range', method: 'GET', path: blobPath(bigLayer), times: 5 },
  ]);
  const events: CopyEvent[] = [];
  const target = `docker://${dest.host}/lie/app:v1`;
  const result = await copyImage(parseImageName(`docker://${proxy.host}/src/app:v1`), parseImageName(target), { sourceContext: ctx, destinationContext: ctx, onEvent: (e) => events.push(e) });
  const gets = proxy.requests.filter((r) => r.method === 'GET' && r.path.endsWith(bigLayer));
  // The drop, the resume answered with a lie (refused, not spliced), then the whole blob again from byte 0.
  assert.deepEqual(
    gets.map((r) => [r.fault ?? null, r.range === undefined ? 'whole' : 'ranged']),
    [
      ['drop-after', 'whole'],
      ['lie-content-range', 'ranged'],
      [null, 'whole'],
    ],
  );
  const blobRetries = events.flatMap((e) => (e.type === 'blob-retry' && e.digest === bigLayer ? [e.reason] : []));
  assert.equal(blobRetries.length, 1);
  assert.match(blobRetries[0]!, /not splicing/);
  assert.equal(result.digest, image.top.digest);
  assert.equal(await rawManifest(target, ['--tls-verify=false']), image.top.bytes.toString());
  const blob = Buffer.from(await (await fetch(`${dest.url}/v2/lie/app/blobs/${bigLayer}`)).arrayBuffer());
  assert.equal(`sha256:${createHash('sha256').update(blob).digest('hex')}`, bigLayer);
});

test('a 429 pauses every request to that registry, not only the refused one', async () => {
  await pushImage({ url: upstream.url, repository: 'src/other', tag: 'v2' }, await makeImage({ seed: 'faults-other' }));
  proxy.setFaults([{ kind: 'status', status: 429, retryAfter: '1', method: 'GET', path: /\/src\/app\/manifests\/v1$/, times: 1 }]);
  // The retry event comes after the client has taken the 429 in (and paused the host).
  let refusedSeen!: () => void;
  const seen = new Promise<void>((resolve) => (refusedSeen = resolve));
  const first = copyThroughProxy([], (e) => {
    if (e.type === 'transport' && e.event.type === 'retry') refusedSeen();
  });
  await Promise.race([seen, first.then(() => assert.fail('the copy ended without reporting the 429'))]);
  const refused = proxy.requests.find((r) => r.status === 429)!;
  const sent = proxy.requests.length;
  // A second image from the same registry, started after the 429: it waits too.
  const second = copyImage(parseImageName(`docker://${proxy.host}/src/other:v2`), parseImageName(`docker://${dest.host}/other/app:v2`), { sourceContext: { ...ctx }, destinationContext: ctx });
  await Promise.all([first, second]);
  const later = proxy.requests.slice(sent);
  assert.ok(later.some((r) => r.path.includes('/src/other/')), 'the second image went ahead after the pause');
  // The pause began when the client read the 429, after the proxy logged it: a lower bound only, never a window.
  const early = later.filter((r) => r.at < refused.at + 1000);
  assert.deepEqual(early.map((r) => `${r.method} ${r.path} +${r.at - refused.at} ms`), [], 'no request reached the registry while it asked us to wait');
});

test('after a 429 the registry gets fewer requests at once: nothing new is sent while the halved window is full', async (t) => {
  const wide = await makeImage({ seed: 'faults-wide', layerSizes: Array.from({ length: 16 }, (_, i) => 2048 + i) });
  await pushImage({ url: upstream.url, repository: 'src/wide', tag: 'v1' }, wide);
  // A proxy of its own: a host whose request budget no earlier test has cut (the budget is per host, process-wide).
  const fresh = await startFaultProxy(upstream.url);
  t.after(() => fresh.stop());
  const blobs = /\/src\/wide\/blobs\//;
  // Six reads at once: five slow ones stay in flight, the sixth is refused (Retry-After 0: no pause, only the cut).
  fresh.setFaults([
    { kind: 'delay', ms: 600, method: 'GET', path: blobs, times: 5 },
    { kind: 'status', status: 429, retryAfter: '0', method: 'GET', path: blobs, times: 1 },
  ]);
  const result = await copyImage(parseImageName(`docker://${fresh.host}/src/wide:v1`), parseImageName(`docker://${dest.host}/wide/app:v1`), {
    sourceContext: {},
    destinationContext: {},
    concurrency: 6,
  });
  assert.equal(result.digest, wide.top.digest);
  const reads = fresh.requests.filter((r) => blobs.test(r.path));
  assert.deepEqual(reads.slice(0, 6).map((r) => r.fault), ['delay', 'delay', 'delay', 'delay', 'delay', 'status'], 'the first six went out at once');
  const refused = reads[5]!;
  const slow = reads.slice(0, 5);
  // Six were in flight at the 429, so the window is three: with five slow reads still out, nothing
  // may go, not even the refused read's retry, until slow reads have ended. (Every read after the
  // first six was admitted after the cut: only six fit before it.)
  const firstAfter = reads[6]!;
  const firstSlowDone = Math.min(...slow.map((r) => r.doneAt ?? Infinity));
  assert.ok(firstAfter.at >= firstSlowDone - 5, `the next read waited for a slot: sent ${firstAfter.at - refused.at} ms after the 429, the first slow read ended ${firstSlowDone - refused.at} ms after it`);
});
