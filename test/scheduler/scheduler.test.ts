/**
 * The scheduler against the real SQLite store and a real registry:
 * concurrency limit, one run per repository at a time, jittered next due
 * time, graceful shutdown that interrupts and hands back.
 */
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { API_VERSION, type Registry, type Repository } from '../../src/api/types.ts';
import { TugError } from '../../src/errors/index.ts';
import { Scheduler } from '../../src/scheduler/scheduler.ts';
import { syncRepository } from '../../src/scheduler/sync-repository.ts';
import { openStore } from '../../src/store/index.ts';
import type { Store } from '../../src/store/types.ts';
import { type FaultProxy, startFaultProxy } from '../support/fault-proxy.ts';
import { makeImage, pushImage } from '../support/images.ts';
import { type TestRegistry, startRegistry } from '../support/registry.ts';
import { tempDir } from '../support/tmp.ts';
import { waitFor } from '../support/wait.ts';

let registry: TestRegistry;
let proxy: FaultProxy;
let store: Store;

const reg = (name: string, url: string): Registry => ({ apiVersion: API_VERSION, kind: 'Registry', metadata: { name, namespace: 'default' }, spec: { url } });
const repo = (name: string, registryName: string, extra: Partial<Repository['spec']> = {}): Repository => ({
  apiVersion: API_VERSION,
  kind: 'Repository',
  metadata: { name, namespace: 'default' },
  spec: { repository: 'library/app', tag: 'v1', registryRef: { name: registryName, namespace: 'default' }, syncInterval: '1h', syncTimeout: '10m', retryCount: 0, ...extra },
});

function scheduler(options: Partial<ConstructorParameters<typeof Scheduler>[0]> = {}): Scheduler {
  return new Scheduler({
    store,
    replicaId: 'test',
    pollMs: 50,
    leaseMs: 3000,
    loadRegistry: async ({ namespace, name }) => {
      const registry = await store.get('Registry', namespace, name);
      return registry ? { registry, credentials: undefined } : undefined;
    },
    ...options,
  });
}

before(async () => {
  registry = await startRegistry();
  proxy = await startFaultProxy(registry.url);
  await pushImage({ url: registry.url, repository: 'library/app', tag: 'v1' }, await makeImage({ seed: 'sched-app' }));
  store = await openStore({ data: tempDir(undefined, 'tug-sched-') });
  await store.create('Registry', reg('direct', registry.url));
  await store.create('Registry', reg('slow', proxy.url));
});
after(async () => {
  await store?.close();
  await proxy?.stop();
  await registry?.stop();
});

test('at most maxConcurrent syncs at once; every repository synced once; next due time jittered around the interval', async () => {
  let active = 0;
  let peak = 0;
  // The first syncs wait until two run at once (a scheduler that never ran two would hang here and
  // time out); then all go. A third one started meanwhile would show in the peak.
  let bothRunning!: () => void;
  const both = new Promise<void>((resolve) => (bothRunning = resolve));
  const s = scheduler({
    maxConcurrent: 2,
    sync: async (input) => {
      active++;
      peak = Math.max(peak, active);
      if (active === 2) bothRunning();
      try {
        await both;
        return await syncRepository(input);
      } finally {
        active--;
      }
    },
  });
  for (let i = 0; i < 6; i++) await store.create('Repository', repo(`c-${i}`, 'direct'));
  await s.start();
  try {
    const all = await waitFor('six syncs', async () => {
      const page = await store.list('Repository', { labelSelector: '', q: 'c-' });
      return page.items.every((r) => r.status?.syncStatus === 'Success') && page.items;
    });
    assert.equal(peak, 2);
    for (const r of all) {
      assert.equal((await store.listRuns('default', r.metadata.name)).items.length, 1);
      const next = Date.parse(r.status!.nextSyncTime!) - Date.parse(r.status!.lastSynced!);
      assert.ok(next > 3_600_000 * 0.89 && next < 3_600_000 * 1.11, `next sync in ${next} ms`);
    }
  } finally {
    await s.stop(1000);
    for (let i = 0; i < 6; i++) await store.delete('Repository', 'default', `c-${i}`);
  }
});

test('a spec change while the repository syncs runs it again right after, with the new spec, not an interval later', async () => {
  let release!: () => void;
  const held = new Promise<void>((resolve) => (release = resolve));
  const seen: (string | undefined)[] = [];
  const s = scheduler({
    sync: async (input) => {
      seen.push(input.repository.spec.tag);
      if (seen.length === 1) await held;
      return syncRepository(input);
    },
  });
  await store.create('Repository', repo('edited', 'direct'));
  await s.start();
  try {
    await waitFor('the first run', async () => seen.length === 1);
    // What the update route does after writing a spec that changes what a sync does.
    const cur = (await store.get('Repository', 'default', 'edited'))!;
    await store.update('Repository', { ...cur, spec: { ...cur.spec, tag: 'v1', syncInterval: '24h' } }, { expectedResourceVersion: cur.metadata.resourceVersion });
    await s.changed('default', 'edited');
    release();
    const runs = await waitFor('the run after the change', async () => {
      const items = (await store.listRuns('default', 'edited')).items;
      return items.length === 2 && items.every((r) => r.status.phase === 'Succeeded') && items;
    });
    assert.equal(seen.length, 2);
    // The second run read the spec as edited (its interval is the new one).
    const after = (await store.get('Repository', 'default', 'edited'))!;
    const next = Date.parse(after.status!.nextSyncTime!) - Date.parse(after.status!.lastSynced!);
    assert.ok(next > 24 * 3_600_000 * 0.89, `next sync in ${next} ms follows the new 24h interval`);
    assert.ok(Date.parse(runs[0]!.status.startTime) >= Date.parse(runs[1]!.status.completionTime!));
  } finally {
    release();
    await s.stop(1000);
  }
});

test('a manual sync of a running repository does not start a second run; it follows the first', async () => {
  // The first sync is held until the manual trigger is in: it is surely still running then.
  let release!: () => void;
  const held = new Promise<void>((resolve) => (release = resolve));
  let syncs = 0;
  const s = scheduler({
    sync: async (input) => {
      if (++syncs === 1) await held;
      return syncRepository(input);
    },
  });
  await store.create('Repository', repo('once', 'direct'));
  await s.start();
  try {
    await waitFor('the first run', async () => (await store.listRuns('default', 'once')).items.length === 1);
    const t = await s.trigger('default', 'once');
    release();
    assert.equal(t.alreadyRunning, true);
    assert.equal(t.run?.spec.trigger, 'create');
    const runs = await waitFor('the follow-up run', async () => {
      const items = (await store.listRuns('default', 'once')).items;
      return items.length === 2 && items.every((r) => r.status.phase === 'Succeeded') && items;
    });
    // Never overlapping.
    const [newer, older] = runs;
    assert.ok(Date.parse(newer!.status.startTime) >= Date.parse(older!.status.completionTime!));
  } finally {
    release();
    await s.stop(1000);
  }
});

test('keepSyncRuns: each finished run prunes its repository\'s history to the newest N, logs included', async () => {
  let calls = 0;
  const started: string[] = [];
  const s = scheduler({
    keepSyncRuns: 2,
    onEvent: (e) => {
      if (e.type === 'run-started') started.push(e.run.metadata.name);
    },
    retryBaseMs: 1,
    // Three failed attempts, then a real sync: four runs in one go.
    sync: async (input) => {
      if (++calls <= 3) throw new TugError('TRANSIENT', `attempt ${calls} failed on purpose`);
      return syncRepository(input);
    },
  });
  await store.create('Repository', repo('pruned', 'direct', { retryCount: 3 }));
  await s.start();
  try {
    await waitFor('the sync to succeed', async () => (await store.get('Repository', 'default', 'pruned'))?.status?.syncStatus === 'Success');
    const runs = (await store.listRuns('default', 'pruned')).items;
    assert.deepEqual(runs.map((r) => [r.spec.attempt, r.status.phase]), [[4, 'Succeeded'], [3, 'Failed']]);
    assert.equal(calls, 4);
    const log = await store.getRunLog('default', runs[1]!.metadata.name);
    assert.match(log.map((l) => l.message).join('\n'), /attempt 3 failed on purpose/);
    for (const gone of started.slice(0, 2)) {
      assert.equal(await store.getRun('default', gone), undefined);
      assert.deepEqual(await store.getRunLog('default', gone), []);
    }
  } finally {
    await s.stop(1000);
    await store.delete('Repository', 'default', 'pruned');
  }
});

test('graceful shutdown: in-flight runs past the deadline are Interrupted and handed back due now', async () => {
  proxy.requests.length = 0;
  proxy.setFaults([{ kind: 'delay', ms: 30_000, path: /\/manifests\//, times: 5 }]);
  const s = scheduler();
  await store.create('Repository', repo('stuck', 'slow'));
  await s.start();
  try {
    await waitFor('Syncing', async () => (await store.get('Repository', 'default', 'stuck'))?.status?.syncStatus === 'Syncing');
    await s.stop(300);
    // stop() did not wait for the held answer: the sync gave the request up, so it never reached the registry.
    await proxy.idle();
    assert.deepEqual(proxy.requests.filter((r) => r.fault === 'delay').map((r) => r.status), [0]);
    const [run] = (await store.listRuns('default', 'stuck')).items;
    assert.equal(run!.status.phase, 'Interrupted');
    const r = await store.get('Repository', 'default', 'stuck');
    assert.equal(r!.status!.syncStatus, 'Pending');
    assert.match(r!.status!.message!, /interrupted/);
    assert.deepEqual(await store.listLeases('test'), []);
    assert.ok(Date.parse(r!.status!.nextSyncTime!) <= Date.now(), 'due at once');
  } finally {
    proxy.setFaults([]);
  }
  // The next start picks it up at once.
  const again = scheduler();
  await again.start();
  try {
    await waitFor('Success after restart', async () => (await store.get('Repository', 'default', 'stuck'))?.status?.syncStatus === 'Success');
  } finally {
    await again.stop(1000);
  }
});
