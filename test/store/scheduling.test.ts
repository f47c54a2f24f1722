import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import type { Store } from '../../src/store/index.ts';
import { backends, repository } from './backends.ts';

const names = (repos: { metadata: { namespace: string; name: string } }[]) => repos.map((r) => `${r.metadata.namespace}/${r.metadata.name}`);

for (const backend of backends) {
  describe(`${backend.name} scheduling`, () => {
    test('a new repository is due at once; a claimed one is leased to one owner until the lease expires', async () => {
      const store = await (await backend.database()).open();
      await store.create('Repository', repository('dev', 'a'));
      await store.create('Repository', repository('dev', 'b'));
      const now = Date.now() + 1;
      assert.deepEqual(names(await store.claimDue('alpha', now, 60_000, 10)), ['dev/a', 'dev/b']);
      assert.deepEqual(await store.claimDue('beta', now, 60_000, 10), [], 'leased');
      assert.deepEqual((await store.listLeases('alpha')).map((l) => `${l.name} ${l.owner} ${l.expiresAt}`), [
        `a alpha ${new Date(now + 60_000).toISOString()}`,
        `b alpha ${new Date(now + 60_000).toISOString()}`,
      ]);
      assert.equal((await store.listLeases()).length, 0, 'no expired lease yet');

      // alpha dies; after its lease expires beta takes the work over.
      const later = now + 60_001;
      assert.deepEqual(names(await store.claimDue('beta', later, 60_000, 1)), ['dev/a'], 'limit');
      assert.equal(await store.renewLease('dev', 'a', 'alpha', later + 60_000), false, 'alpha lost a');
      assert.equal(await store.renewLease('dev', 'a', 'beta', later + 120_000), true);
      assert.deepEqual((await store.listLeases('beta')).map((l) => l.expiresAt), [new Date(later + 120_000).toISOString()]);

      // releasing schedules the next sync; a release by a non-owner changes nothing.
      await store.releaseLease('dev', 'a', 'alpha', later);
      assert.deepEqual((await store.listLeases('beta')).length, 1);
      await store.releaseLease('dev', 'a', 'beta', later + 3_600_000);
      assert.deepEqual((await store.listLeases('beta')).length, 0);
      assert.deepEqual(names(await store.claimDue('gamma', later + 1, 60_000, 10)), ['dev/b'], 'a is not due for an hour');
      // By then gamma's lease on b has expired too: b is older, so it comes first.
      assert.deepEqual(names(await store.claimDue('delta', later + 3_600_000, 60_000, 10)), ['dev/b', 'dev/a']);
    });

    test('setNextSync moves the due time; an expired lease shows in listLeases()', async () => {
      const store = await (await backend.database()).open();
      await store.create('Repository', repository('dev', 'a'));
      const now = Date.now();
      await store.setNextSync('dev', 'a', now + 10_000);
      assert.deepEqual(await store.claimDue('alpha', now, 1000, 10), []);
      // Due, and claimed with a 1 ms lease 10 ms in the past: expired already, no waiting for it.
      await store.setNextSync('dev', 'a', now - 10);
      assert.deepEqual(names(await store.claimDue('alpha', now - 10, 1, 10)), ['dev/a']);
      assert.deepEqual((await store.listLeases()).map((l) => `${l.name} ${l.owner}`), ['a alpha']);
      await store.delete('Repository', 'dev', 'a');
      assert.deepEqual(await store.listLeases(), [], 'leases go with the repository');
    });

    test('concurrent claims from 200 due repositories: each claimed exactly once', async () => {
      const db = await backend.database();
      // Three Store instances on one database, as three replicas would have
      // (SQLite: three connections to one file, writes take turns).
      const replicas: Store[] = await Promise.all([db.open(), db.open(), db.open()]);
      const [first] = replicas as [Store, ...Store[]];
      for (let i = 0; i < 200; i++) await first.create('Repository', repository(`ns${i % 4}`, `r${i}`));
      const now = Date.now() + 1;
      const claimed = new Map<string, string[]>();
      await Promise.all(
        replicas.map(async (store, i) => {
          const owner = `replica-${i}`;
          for (;;) {
            const got = await store.claimDue(owner, now, 60_000, 7);
            if (got.length === 0) break;
            for (const key of names(got)) claimed.set(key, [...(claimed.get(key) ?? []), owner]);
          }
        }),
      );
      assert.equal(claimed.size, 200);
      const twice = [...claimed].filter(([, owners]) => owners.length !== 1);
      assert.deepEqual(twice, [], 'claimed more than once');
      const owners = new Set([...claimed.values()].flat());
      // SQLite writes take turns in one process: one replica may win every round.
      if (backend.name === 'postgres') assert.ok(owners.size >= 2, `work was shared (${[...owners].join(', ')})`);
    });
  });
}

for (const backend of backends) {
  describe(`${backend.name} health check schedule`, () => {
    test('a never-checked repository is due; a claimed one is not again until its next time; setHealth writes only status.health', async () => {
      const store = await (await backend.database()).open();
      await store.create('Repository', repository('dev', 'a'));
      await store.create('Repository', repository('dev', 'b'));
      const now = Date.now();
      assert.deepEqual(names(await store.claimHealthChecks(now, now + 60_000, 1)), ['dev/a']);
      assert.deepEqual(names(await store.claimHealthChecks(now, now + 60_000, 10)), ['dev/b']);
      assert.deepEqual(await store.claimHealthChecks(now + 59_999, now + 120_000, 10), [], 'claimed until their next time');
      assert.deepEqual(names(await store.claimHealthChecks(now + 60_000, now + 120_000, 10)), ['dev/a', 'dev/b']);
      // The scheduler's status and the checker's health do not overwrite each other.
      await store.updateStatus('Repository', 'dev', 'a', { syncStatus: 'Success', lastSynced: '2026-01-01T00:00:00Z' });
      const health = { pullable: true, state: 'Healthy' as const, checkedAt: '2026-01-01T00:01:00Z' };
      const after = await store.setHealth('dev', 'a', health);
      assert.deepEqual(after?.status, { syncStatus: 'Success', lastSynced: '2026-01-01T00:00:00Z', health });
      assert.equal(await store.setHealth('dev', 'gone', health), undefined);
    });
  });
}
