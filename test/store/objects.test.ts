import assert from 'node:assert/strict';
import { existsSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { describe, test } from 'node:test';
import type { Repository, WatchEvent } from '../../src/api/types.ts';
import { TugError } from '../../src/errors/index.ts';
import { EVENT_RETENTION, StoreConflict, openStore, parseLabelSelector } from '../../src/store/index.ts';
import type { Page, Store } from '../../src/store/index.ts';
import { tempDir } from '../support/tmp.ts';
import { backends, eventually, registry, repository } from './backends.ts';

async function rejectsWith(p: Promise<unknown>, check: (err: unknown) => boolean, what: string): Promise<void> {
  await assert.rejects(p, (err) => {
    assert.ok(check(err), `expected ${what}, got ${String(err)}`);
    return true;
  });
}
const conflict = (reason: string) => (err: unknown) => err instanceof StoreConflict && err.reason === reason;
const tugError = (code: string) => (err: unknown) => err instanceof TugError && err.code === code;

for (const backend of backends) {
  describe(`${backend.name} objects`, () => {
    test('create sets identity fields; get; missing is undefined', async () => {
      const store = await (await backend.database()).open();
      const created = await store.create('Repository', repository('default', 'nginx'));
      assert.match(created.metadata.uid ?? '', /^[0-9a-f-]{36}$/);
      assert.equal(created.metadata.generation, 1);
      assert.ok(Number(created.metadata.resourceVersion) > 0);
      assert.ok(!Number.isNaN(Date.parse(created.metadata.creationTimestamp ?? '')));
      assert.deepEqual(created.status, { syncStatus: 'Pending' });
      assert.deepEqual(await store.get('Repository', 'default', 'nginx'), created);
      assert.equal(await store.get('Repository', 'default', 'missing'), undefined);
      assert.equal(await store.get('Registry', 'default', 'nginx'), undefined, 'kinds are separate');
      await rejectsWith(store.create('Repository', repository('default', 'nginx')), conflict('AlreadyExists'), 'AlreadyExists');
    });

    test('update keeps status, bumps resourceVersion and generation on spec change; stale version conflicts', async () => {
      const store = await (await backend.database()).open();
      const created = await store.create('Repository', repository('default', 'nginx'));
      const withStatus = await store.updateStatus('Repository', 'default', 'nginx', { syncStatus: 'Success', lastSynced: '2025-01-01T00:00:00Z' });
      assert.ok(withStatus);
      assert.ok(Number(withStatus.metadata.resourceVersion) > Number(created.metadata.resourceVersion));
      assert.equal(withStatus.metadata.generation, 1, 'status writes keep the generation');

      const relabelled = await store.update('Repository', { ...withStatus, metadata: { ...withStatus.metadata, labels: { team: 'a' } }, status: { syncStatus: 'Failed' } }, { expectedResourceVersion: withStatus.metadata.resourceVersion });
      assert.deepEqual(relabelled.status, withStatus.status, 'update keeps status');
      assert.equal(relabelled.metadata.generation, 1, 'no spec change');
      assert.equal(relabelled.metadata.uid, created.metadata.uid);
      assert.equal(relabelled.metadata.creationTimestamp, created.metadata.creationTimestamp);
      assert.deepEqual(relabelled.metadata.labels, { team: 'a' });

      const respecced = await store.update('Repository', { ...relabelled, spec: { ...relabelled.spec, syncInterval: '30m' } });
      assert.equal(respecced.metadata.generation, 2);
      assert.deepEqual(await store.get('Repository', 'default', 'nginx'), respecced);

      await rejectsWith(store.update('Repository', respecced, { expectedResourceVersion: created.metadata.resourceVersion }), conflict('Conflict'), 'Conflict');
      await rejectsWith(store.update('Repository', repository('default', 'missing')), tugError('NOT_FOUND'), 'NOT_FOUND');
      assert.equal(await store.updateStatus('Repository', 'default', 'missing', { syncStatus: 'Failed' }), undefined);
    });

    test('delete checks the version and returns the last object', async () => {
      const store = await (await backend.database()).open();
      const created = await store.create('Registry', registry('default', 'harbor'));
      const updated = await store.update('Registry', { ...created, spec: { url: 'https://h2.example.com' } });
      await rejectsWith(store.delete('Registry', 'default', 'harbor', { expectedResourceVersion: created.metadata.resourceVersion }), conflict('Conflict'), 'Conflict');
      const last = await store.delete('Registry', 'default', 'harbor', { expectedResourceVersion: updated.metadata.resourceVersion });
      assert.equal(last?.spec.url, 'https://h2.example.com');
      assert.equal(await store.get('Registry', 'default', 'harbor'), undefined);
      assert.equal(await store.delete('Registry', 'default', 'harbor'), undefined);
    });

    test('secrets: opaque column, kept, replaced, removed; plaintext in the spec never stored', async () => {
      const db = await backend.database();
      const store = await db.open();
      const plaintext = 'plain-Passw0rd-must-not-be-stored';
      const reg = registry('default', 'harbor');
      reg.spec.credentials = { username: 'robot', password: plaintext, token: plaintext };
      const created = await store.create('Registry', reg, { secret: 'v1:ciphertext-one' });
      assert.deepEqual(created.spec.credentials, { username: 'robot' });
      assert.equal(await store.getSecret('Registry', 'default', 'harbor'), 'v1:ciphertext-one');
      await store.update('Registry', created);
      assert.equal(await store.getSecret('Registry', 'default', 'harbor'), 'v1:ciphertext-one', 'undefined keeps');
      const again = await store.update('Registry', { ...created, spec: { ...created.spec, credentials: { username: 'robot', password: plaintext } } }, { secret: 'v1:ciphertext-two' });
      assert.equal(again.spec.credentials?.password, undefined);
      assert.equal(await store.getSecret('Registry', 'default', 'harbor'), 'v1:ciphertext-two');
      // At rest, on both stores: the rows (the sealed value is there, so the search covers where secrets live) and the files on disk.
      const stored = await db.atRest();
      assert.ok(stored.rows.includes('v1:ciphertext-two'), 'the dump holds the sealed value');
      assert.ok(!stored.rows.includes(plaintext), 'a row holds the plaintext');
      assert.ok(stored.files.length > 0);
      for (const f of stored.files) assert.ok(!f.bytes.includes(plaintext), `${f.path} holds the plaintext`);
      await store.update('Registry', created, { secret: null });
      assert.equal(await store.getSecret('Registry', 'default', 'harbor'), undefined, 'null removes');
      assert.equal(await store.getSecret('Registry', 'default', 'nope'), undefined);
      await store.close();
      const removed = await db.atRest();
      assert.ok(!removed.rows.includes('v1:ciphertext-two'), 'the removed sealed value is gone from the rows');
      for (const f of removed.files) assert.ok(!f.bytes.includes(plaintext), `${f.path} holds the plaintext`);
    });

    test('list: namespace, namespaces scope, q, labelSelector', async () => {
      const store = await (await backend.database()).open();
      await store.create('Repository', repository('dev', 'nginx-latest', { displayName: 'Nginx 最新版本', labels: { app: 'web', tier: 'front' } }));
      await store.create('Repository', repository('dev', 'redis', { repository: 'library/redis', tag: '7.2', labels: { app: 'cache' } }));
      await store.create('Repository', repository('prod', 'nginx', { tag: '1.27', labels: { app: 'web' } }));
      await store.create('Repository', repository('prod', 'pct', { repository: 'team/100%_done', tag: 'v1' }));
      await store.create('Registry', registry('dev', 'harbor', 'https://Harbor.Example.com'));
      const names = async (o: Parameters<Store['list']>[1]) => (await store.list('Repository', o)).items.map((r) => `${r.metadata.namespace}/${r.metadata.name}`);

      assert.deepEqual(await names({}), ['dev/nginx-latest', 'dev/redis', 'prod/nginx', 'prod/pct']);
      assert.deepEqual(await names({ namespace: 'prod' }), ['prod/nginx', 'prod/pct']);
      assert.deepEqual(await names({ namespaces: ['dev'] }), ['dev/nginx-latest', 'dev/redis']);
      assert.deepEqual(await names({ namespaces: [] }), []);
      assert.deepEqual(await names({ namespace: 'dev', namespaces: ['prod'] }), []);
      assert.deepEqual(await names({ q: 'NGINX' }), ['dev/nginx-latest', 'prod/nginx']);
      assert.deepEqual(await names({ q: '最新' }), ['dev/nginx-latest'], 'display name');
      assert.deepEqual(await names({ q: 'redis:7.2' }), ['dev/redis'], 'repository:tag');
      assert.deepEqual(await names({ q: 'nginx:1.27' }), ['prod/nginx']);
      assert.deepEqual(await names({ q: '100%_' }), ['prod/pct'], 'LIKE wildcards are literal');
      assert.deepEqual(await names({ q: '%' }), ['prod/pct']);
      assert.deepEqual(await names({ q: 'latestredis' }), [], 'no match across fields');
      assert.deepEqual((await store.list('Registry', { q: 'harbor.example' })).items.map((r) => r.metadata.name), ['harbor'], 'registry url');

      assert.deepEqual(await names({ labelSelector: 'app=web' }), ['dev/nginx-latest', 'prod/nginx']);
      assert.deepEqual(await names({ labelSelector: 'app==web,tier' }), ['dev/nginx-latest']);
      assert.deepEqual(await names({ labelSelector: 'app!=web' }), ['dev/redis', 'prod/pct'], '!= matches objects without the label');
      assert.deepEqual(await names({ labelSelector: 'app' }), ['dev/nginx-latest', 'dev/redis', 'prod/nginx']);
      assert.deepEqual(await names({ labelSelector: ' app = web , tier!=back ', q: 'nginx', namespace: 'dev' }), ['dev/nginx-latest']);
      const page = await store.list('Repository', { labelSelector: 'app=web' });
      assert.equal(page.totalCount, 2);
      assert.equal(page.continue, undefined);
      assert.ok(Number(page.resourceVersion) >= 5);

      for (const bad of ['app=web,', 'a b=c', 'app=we b', '!app', 'app=web,=x']) {
        await rejectsWith(store.list('Repository', { labelSelector: bad }), (err) => tugError('USAGE')(err) && /labelSelector part/.test((err as Error).message), `USAGE for "${bad}"`);
      }
      await rejectsWith(store.list('Repository', { continue: 'not-a-token' }), tugError('USAGE'), 'USAGE for a bad continue');
    });

    test('pagination: 250 objects, continue tokens, totalCount, stable order', async () => {
      const store = await (await backend.database()).open();
      const expected: string[] = [];
      for (let i = 0; i < 250; i++) {
        const ns = ['a', 'b', 'c'][i % 3] ?? 'a';
        const name = `repo-${String(i).padStart(3, '0')}`;
        expected.push(`${ns}/${name}`);
        await store.create('Repository', repository(ns, name, { labels: { even: String(i % 2 === 0) } }));
      }
      expected.sort();
      const seen: string[] = [];
      let token: string | undefined;
      let pages = 0;
      do {
        const page: Page<Repository> = await store.list('Repository', { limit: 100, continue: token });
        assert.equal(page.totalCount, 250);
        pages++;
        seen.push(...page.items.map((r) => `${r.metadata.namespace}/${r.metadata.name}`));
        token = page.continue;
      } while (token);
      assert.equal(pages, 3);
      assert.deepEqual(seen, expected);

      const evens: string[] = [];
      token = undefined;
      do {
        const page: Page<Repository> = await store.list('Repository', { limit: 40, continue: token, labelSelector: 'even=true' });
        assert.equal(page.totalCount, 125);
        evens.push(...page.items.map((r) => r.metadata.name));
        token = page.continue;
      } while (token);
      assert.equal(evens.length, 125);
      assert.equal(new Set(evens).size, 125);

      assert.equal((await store.list('Repository')).items.length, 100, 'default limit');
      assert.equal((await store.list('Repository', { limit: 5000 })).items.length, 250, 'limit is clamped to 1000, not rejected');
    });

    test('watch: ADDED, MODIFIED, DELETED with the last object; namespace filter; unsubscribe', async () => {
      const store = await (await backend.database()).open();
      const all: WatchEvent<Repository>[] = [];
      const dev: WatchEvent<Repository>[] = [];
      const stop = store.watch('Repository', {}, (e) => all.push(e));
      store.watch('Repository', { namespaces: ['dev'] }, (e) => dev.push(e));
      store.watch('Repository', {}, () => {
        throw new Error('a throwing watcher does not break the writer');
      });
      const created = await store.create('Repository', repository('dev', 'nginx'));
      await store.create('Repository', repository('prod', 'nginx'));
      await store.create('Registry', registry('dev', 'harbor'));
      const updated = await store.update('Repository', { ...created, metadata: { ...created.metadata, labels: { a: 'b' } } });
      await store.updateStatus('Repository', 'dev', 'nginx', { syncStatus: 'Syncing' });
      await store.delete('Repository', 'dev', 'nginx');
      await eventually(() => all.length >= 5 && dev.length >= 4, 'events');
      assert.deepEqual(all.map((e) => `${e.type} ${e.object.metadata.namespace}`), ['ADDED dev', 'ADDED prod', 'MODIFIED dev', 'MODIFIED dev', 'DELETED dev']);
      assert.deepEqual(dev.map((e) => e.type), ['ADDED', 'MODIFIED', 'MODIFIED', 'DELETED']);
      assert.equal(all[2]?.object.metadata.resourceVersion, updated.metadata.resourceVersion);
      assert.equal(all[4]?.object.status?.syncStatus, 'Syncing', 'DELETED carries the last object');
      const versions = all.map((e) => Number(e.object.metadata.resourceVersion));
      assert.deepEqual(versions, [...versions].sort((a, b) => a - b), 'increasing resourceVersions');
      stop();
      await store.create('Repository', repository('dev', 'after'));
      await eventually(() => dev.length >= 5, 'the scoped watcher still receives');
      assert.equal(all.length, 5, 'unsubscribed');
    });

    if (backend.name === 'postgres') {
      test('watch: a write by one Store reaches another Store on the same database, large objects too', async () => {
        const db = await backend.database();
        const writer = await db.open();
        const reader = await db.open();
        const readerEvents: WatchEvent<Repository>[] = [];
        const writerEvents: WatchEvent<Repository>[] = [];
        reader.watch('Repository', {}, (e) => readerEvents.push(e));
        writer.watch('Repository', {}, (e) => writerEvents.push(e));
        const big = repository('dev', 'big', { displayName: 'x'.repeat(20_000) });
        await writer.create('Repository', repository('dev', 'small'));
        await writer.create('Repository', big);
        await writer.delete('Repository', 'dev', 'big');
        await eventually(() => readerEvents.length >= 3 && writerEvents.length >= 3, 'events on both stores');
        assert.deepEqual(readerEvents.map((e) => `${e.type} ${e.object.metadata.name}`), ['ADDED small', 'ADDED big', 'DELETED big']);
        assert.equal(readerEvents[2]?.object.metadata.annotations?.['theriseunion.io/display-name']?.length, 20_000, 'a large DELETED carries the last object');
        assert.deepEqual(writerEvents.map((e) => e.type), ['ADDED', 'ADDED', 'DELETED'], 'the writer hears itself');
      });
    }
  });
}

describe('openStore', () => {
  test('creates the SQLite data directory 0700', async (t) => {
    const dir = join(tempDir(t, 'tug-open-'), 'data');
    const store = await openStore({ data: dir });
    await store.close();
    assert.equal(statSync(dir).mode & 0o777, 0o700);
    assert.ok(existsSync(join(dir, 'tugboat.db')));
  });

  test('a PostgreSQL connection error never shows the password', async () => {
    const err = await openStore({ database: 'postgres://tugboat:S3cret-pw%21@127.0.0.1:1/tugboat' }).then(
      () => assert.fail('connected to port 1?'),
      (e: unknown) => e,
    );
    assert.ok(err instanceof TugError);
    assert.doesNotMatch(`${err.message} ${err.stack} ${String(err.cause)}`, /S3cret/);
    assert.match(err.message, /127\.0\.0\.1:1/);
  });

  test('label selector parsing is table-driven', () => {
    const cases: { in: string; out: ReturnType<typeof parseLabelSelector> }[] = [
      { in: '', out: [] },
      { in: 'a=b', out: [{ op: 'eq', key: 'a', value: 'b' }] },
      { in: 'app.kubernetes.io/name!=x', out: [{ op: 'neq', key: 'app.kubernetes.io/name', value: 'x' }] },
      { in: 'a=', out: [{ op: 'eq', key: 'a', value: '' }] },
      { in: 'a,b==c', out: [{ op: 'exists', key: 'a' }, { op: 'eq', key: 'b', value: 'c' }] },
    ];
    for (const c of cases) assert.deepEqual(parseLabelSelector(c.in), c.out, c.in);
  });
});

for (const backend of backends) {
  describe(`${backend.name} field selectors, namespaces and the event log`, () => {
    test('fieldSelector filters on metadata and the kind\'s selectable fields; a field the kind lacks is a USAGE error naming those it has', async () => {
      const store = await (await backend.database()).open();
      for (const name of ['a', 'b', 'c']) await store.create('Repository', repository('default', name));
      await store.create('Repository', repository('team-x', 'a'));
      await store.updateStatus('Repository', 'default', 'b', { syncStatus: 'Failed', message: 'boom' });
      const names = async (fieldSelector: string) => (await store.list('Repository', { fieldSelector })).items.map((r) => `${r.metadata.namespace}/${r.metadata.name}`);
      assert.deepEqual(await names('status.syncStatus=Failed'), ['default/b']);
      assert.deepEqual(await names('status.syncStatus!=Failed'), ['default/a', 'default/c', 'team-x/a']);
      assert.deepEqual(await names('metadata.name=a,metadata.namespace==team-x'), ['team-x/a']);
      assert.deepEqual(await names('spec.registryRef.name=hub,status.syncStatus=Pending'), ['default/a', 'default/c', 'team-x/a']);
      assert.equal((await store.list('Repository', { fieldSelector: 'status.syncStatus=Failed' })).totalCount, 1);
      await rejectsWith(store.list('Repository', { fieldSelector: 'status.phase=Failed' }), (err) => tugError('USAGE')(err) && /status\.phase/.test((err as Error).message) && /status\.syncStatus/.test((err as TugError).hint ?? ''), 'USAGE naming the fields');
      await rejectsWith(store.list('Registry', { fieldSelector: 'status.syncStatus=Failed' }), tugError('USAGE'), 'USAGE: Registries have no syncStatus');
      await rejectsWith(store.list('Repository', { fieldSelector: "metadata.name=a'; DROP TABLE objects; --" }), tugError('USAGE'), 'USAGE for a value outside the label syntax');
    });

    test('listNamespaces counts each kind per namespace', async () => {
      const store = await (await backend.database()).open();
      await store.create('Registry', registry('default', 'hub'));
      await store.create('Repository', repository('default', 'a'));
      await store.create('Repository', repository('default', 'b'));
      await store.create('Repository', repository('team-x', 'a'));
      assert.deepEqual(await store.listNamespaces(), [
        { name: 'default', counts: { Registry: 1, Repository: 2 } },
        { name: 'team-x', counts: { Repository: 1 } },
      ]);
      // The counts are kept by triggers (migration 8): a namespace whose last object goes is gone, a kind at 0 is not listed.
      await store.delete('Repository', 'team-x', 'a');
      await store.delete('Registry', 'default', 'hub');
      assert.deepEqual(await store.listNamespaces(), [{ name: 'default', counts: { Repository: 2 } }]);
    });

    test('changesSince replays committed changes after a version in order, scoped to namespaces; a version older than the log is expired', async () => {
      const db = await backend.database();
      const store = await db.open();
      const first = await store.create('Repository', repository('default', 'a'));
      const from = Number(first.metadata.resourceVersion);
      await store.create('Repository', repository('team-x', 'b'));
      await store.updateStatus('Repository', 'default', 'a', { syncStatus: 'Success' });
      await store.delete('Repository', 'default', 'a');
      await store.create('Registry', registry('default', 'hub'));
      const changes = await store.changesSince('Repository', from, {});
      assert.ok(changes !== 'expired');
      assert.deepEqual(changes.map((e) => `${e.type} ${e.object.metadata.namespace}/${e.object.metadata.name}`), ['ADDED team-x/b', 'MODIFIED default/a', 'DELETED default/a']);
      const versions = changes.map((e) => Number(e.object.metadata.resourceVersion));
      assert.deepEqual(versions, [...versions].sort((x, y) => x - y));
      const scoped = await store.changesSince('Repository', from, { namespaces: ['team-x'] });
      assert.deepEqual(scoped !== 'expired' && scoped.map((e) => e.object.metadata.name), ['b']);
      assert.deepEqual(await store.changesSince('Repository', from, { namespaces: [] }), []);
      // Move the version counter past the window, as EVENT_RETENTION writes would.
      if (backend.name === 'sqlite') await db.raw(`UPDATE counters SET value = value + ${EVENT_RETENTION + 1} WHERE name = 'resource_version'`);
      else await db.raw(`SELECT setval('resource_version_seq', nextval('resource_version_seq') + ${EVENT_RETENTION + 1})`);
      assert.equal(await store.changesSince('Repository', from, {}), 'expired');
      // A write prunes what fell out of the window: the log stays bounded.
      await store.create('Repository', repository('default', 'c'));
      const left = await db.raw('SELECT count(*) AS n FROM events');
      assert.equal(Number(left[0]?.['n']), 1);
    });
  });
}
