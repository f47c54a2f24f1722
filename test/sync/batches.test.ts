/**
 * A sync a batch of images at a time (src/sync/batches.ts) plans what the
 * whole job would, runs it batch by batch against real registries, and
 * keeps of the results what the outputs need (src/sync/tally.ts).
 */
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import type { SystemContext } from '../../src/context/system-context.ts';
import { planBatches } from '../../src/sync/batches.ts';
import { type DiscoverOptions, discover, enumerateImages, enumerateJob } from '../../src/sync/discover.ts';
import { type ItemResult, executeJob, executePlan } from '../../src/sync/execute.ts';
import { type PlanItem, assemblePlan } from '../../src/sync/plan.ts';
import { specFromReference } from '../../src/sync/from-reference.ts';
import { SyncTally } from '../../src/sync/tally.ts';
import { syncTarget } from '../../src/transports/index.ts';
import { type GeneratedImage, makeImage, pushImage } from '../support/images.ts';
import { type TestRegistry, startRegistry } from '../support/registry.ts';

const TAGS = ['v1', 'v2', 'v3', 'v4', 'v5', 'v6', 'v7'];
let src: TestRegistry;
let dst: TestRegistry;
const images = new Map<string, GeneratedImage>();
const ctx: SystemContext = { tlsVerify: false };

before(async () => {
  src = await startRegistry();
  dst = await startRegistry();
  for (const tag of TAGS) {
    // Two contents under seven tags: blobs shared between batches.
    const img = await makeImage({ seed: `app-${Number(tag.slice(1)) % 2}`, baseLayers: [{ seed: 'base', size: 4096 }] });
    images.set(tag, img);
    await pushImage({ url: src.url, repository: 'tools/app', tag }, img);
  }
  // One tag already at the destination: a skip in the first batch.
  await pushImage({ url: dst.url, repository: 'mirror/app', tag: 'v2' }, images.get('v2')!);
});

after(async () => {
  await src.stop();
  await dst.stop();
});

const options = (): DiscoverOptions => ({ destination: { target: syncTarget('docker'), location: `${dst.host}/mirror` }, platforms: 'all', contextFor: () => ctx });
const strip = (items: PlanItem[]) => items.map((i) => ({ ...i }));

async function collect(spec: ReturnType<typeof specFromReference>, batchSize: number) {
  const batches = [];
  for await (const b of planBatches(spec, { ...options(), batchSize })) batches.push(b);
  return batches;
}

test('batches plan exactly what the whole job plans, in the same order', async () => {
  const spec = specFromReference(`${src.host}/tools/app`);
  const whole = assemblePlan(await discover(spec, options()));
  const batches = await collect(spec, 3);
  assert.deepEqual(
    batches.map((b) => [b.offset, b.total, b.plan.items.length]),
    [
      [0, 7, 3],
      [3, 7, 3],
      [6, 7, 1],
    ],
  );
  assert.deepEqual(strip(batches.flatMap((b) => b.plan.items)), strip(whole.items));
  assert.equal(whole.counts.skip, 1);
});

test('a job with an alias or a shared destination stays one batch (the planner relates its images)', async () => {
  const spec = specFromReference(`${src.host}/tools/app`);
  spec.sources[0]!.aliases = { latest: 'v3' };
  const batches = await collect(spec, 3);
  assert.equal(batches.length, 1);
  assert.equal(batches[0]!.plan.items.length, 8);
  assert.equal(batches[0]!.plan.items.find((i) => i.destination.endsWith(':latest'))?.aliasOf, 'v3');
});

test('executed batch by batch with a shared job: every tag arrives; the tally holds the outputs', async () => {
  const spec = specFromReference(`${src.host}/tools/app`);
  const job = executeJob({});
  const tally = new SyncTally({ digests: true, results: true });
  const indexes: number[] = [];
  for await (const batch of planBatches(spec, { ...options(), batchSize: 3 })) {
    tally.addPlan(batch.plan.counts);
    const results = await executePlan(batch.plan, { contextFor: () => ctx, job, onEvent: (e) => e.type === 'item-done' && indexes.push(e.index + batch.offset) });
    for (const r of results) tally.add(r);
  }
  assert.deepEqual(tally.planned, { copy: 6, skip: 1, retag: 0, fail: 0 });
  assert.deepEqual(tally.statuses, { copied: 6, skipped: 1, retagged: 0, failed: 0, 'not-run': 0 });
  assert.deepEqual([...indexes].sort((a, b) => a - b), [0, 1, 2, 3, 4, 5, 6]);
  assert.equal(tally.images, 7);
  assert.deepEqual(
    tally.digestLines,
    TAGS.map((t) => `${images.get(t)!.top.digest} docker://${dst.host}/mirror/app:${t}\n`),
  );
  for (const t of TAGS) {
    const res = await fetch(`${dst.url}/v2/mirror/app/manifests/${t}`, { method: 'HEAD', headers: { accept: images.get(t)!.top.mediaType } });
    assert.equal(res.headers.get('docker-content-digest'), images.get(t)!.top.digest, t);
  }
  assert.equal(tally.results?.length, 7);
});

test('without --keep-going, a failure in one batch leaves the later batches\' copies not run', async () => {
  const spec = specFromReference(`${src.host}/tools/app`);
  spec.sources[0]!.filter = { tags: ['missing', 'v1', 'v3', 'v4', 'v5'] };
  const job = executeJob({});
  const results: ItemResult[] = [];
  const fresh = { destination: { target: syncTarget('docker'), location: `${dst.host}/other` }, platforms: 'all', contextFor: () => ctx };
  for await (const batch of planBatches(spec, { ...fresh, batchSize: 2 })) results.push(...(await executePlan(batch.plan, { contextFor: () => ctx, job })));
  assert.deepEqual(
    results.map((r) => r.status),
    ['failed', 'not-run', 'not-run', 'not-run', 'not-run'],
  );
  assert.equal(results[0]!.errorCode, 'NOT_FOUND');
  const tally = SyncTally.of(results);
  assert.deepEqual(tally.failures(), [results[0], {}, {}, {}, {}]);
});

test('a job is enumerated slice by slice: the slices are the whole enumeration, in order', async () => {
  const spec = specFromReference(`${src.host}/tools/app`);
  spec.sources[0]!.aliases = { latest: 'v3', stable: 'v1' };
  spec.sources.push({ repository: `${src.host}/tools/absent`, filter: {}, origin: { file: 'test', line: 2 } });
  const whole = await enumerateImages(spec, options());
  const job = await enumerateJob(spec, options());
  assert.equal(job.count, 10);
  assert.equal(job.independent, false);
  const sliced = [0, 4, 8].flatMap((start) => job.slice(start, start + 4));
  assert.deepEqual(
    sliced.map((e) => e.observation),
    whole.map((e) => e.observation),
  );
  assert.deepEqual(
    whole.slice(-3).map((e) => [e.observation.destination.split('/').pop(), e.observation.aliasOf ?? e.observation.errorCode]),
    [
      ['app:latest', 'v3'],
      ['app:stable', 'v1'],
      ['absent)', 'NOT_FOUND'], // a source that cannot be listed: one failed image named `(REPOSITORY)`
    ],
  );
});
