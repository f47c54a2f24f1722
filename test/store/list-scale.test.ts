/**
 * Lists at scale (issue 15, "Scale"): keyset pages that agree with one
 * sorted listing whatever the filter, list items without the fields
 * ListOptions.omit names (removed by the database, a single get keeps
 * them), and on SQLite the plans that keep a search and a health claim off
 * the objects' JSON (migration 8).
 */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import type { Repository } from '../../src/api/types.ts';
import { backends, repository } from './backends.ts';

const OMIT = [['status', 'platforms'], ['status', 'manifest', 'layers'], ['status', 'manifest', 'config']];

function syncedStatus(i: number): NonNullable<Repository['status']> {
  const manifest = (arch: string) => ({
    digest: `sha256:${String(i).padStart(64, arch === 'amd64' ? 'a' : 'b')}`,
    architecture: arch,
    os: 'linux',
    size: '12kB',
    sizeBytes: 12_345,
    config: { digest: `sha256:${'c'.repeat(64)}`, size: 345 },
    layers: [{ digest: `sha256:${'d'.repeat(64)}`, size: '12000', mediaType: 'application/vnd.oci.image.layer.v1.tar+gzip' }],
  });
  return { syncStatus: 'Success', domain: 'registry.example.com', observedDigest: `sha256:${'e'.repeat(64)}`, manifest: manifest('amd64'), platforms: [manifest('amd64'), manifest('arm64')] };
}

for (const backend of backends) {
  describe(`${backend.name} lists at scale`, () => {
    test('keyset pages (limit 4) across namespaces, with and without a search, equal one sorted listing', async () => {
      const store = await (await backend.database()).open();
      const names: string[] = [];
      for (const ns of ['a', 'b', 'c']) {
        for (let i = 0; i < 7; i++) {
          await store.create('Repository', repository(ns, `r-${i}`, { repository: i % 2 === 0 ? 'library/even' : 'library/odd' }));
          names.push(`${ns}/r-${i}`);
        }
      }
      const walk = async (options: { q?: string; namespace?: string }) => {
        const seen: string[] = [];
        let cont: string | undefined;
        let total: number;
        do {
          const page = await store.list('Repository', { ...options, limit: 4, continue: cont });
          assert.ok(page.items.length <= 4);
          total = page.totalCount;
          seen.push(...page.items.map((r) => `${r.metadata.namespace}/${r.metadata.name}`));
          cont = page.continue;
        } while (cont);
        assert.equal(seen.length, total, 'the pages add up to totalCount');
        return seen;
      };
      assert.deepEqual(await walk({}), names);
      assert.deepEqual(await walk({ namespace: 'b' }), names.filter((n) => n.startsWith('b/')));
      const even = names.filter((n) => Number(n.split('-')[1]) % 2 === 0);
      assert.deepEqual(await walk({ q: 'library/even' }), even);
    });

    test('totalCount without a filter (trigger-kept counts) follows creates and deletes, per namespace and scope', async () => {
      const store = await (await backend.database()).open();
      const total = async (options: { namespace?: string; namespaces?: string[] } = {}) => (await store.list('Repository', { ...options, limit: 1 })).totalCount;
      assert.equal(await total(), 0);
      for (const [ns, name] of [['a', 'x'], ['a', 'y'], ['b', 'x']] as const) await store.create('Repository', repository(ns, name));
      await store.create('Registry', { apiVersion: 'image.theriseunion.io/v1alpha1', kind: 'Registry', metadata: { name: 'hub', namespace: 'a' }, spec: { url: 'https://r.example.com' } });
      assert.equal(await total(), 3, 'kinds are counted apart');
      assert.equal(await total({ namespace: 'a' }), 2);
      assert.equal(await total({ namespaces: ['b', 'c'] }), 1);
      assert.equal(await total({ namespaces: [] }), 0);
      await store.delete('Repository', 'a', 'x');
      assert.equal(await total({ namespace: 'a' }), 1);
      await store.delete('Repository', 'a', 'y');
      assert.equal(await total({ namespace: 'a' }), 0);
      assert.equal(await total(), 1);
      assert.equal((await store.list('Registry', {})).totalCount, 1);
    });

    test('omit leaves the named paths out of list items only; get keeps them', async () => {
      const store = await (await backend.database()).open();
      await store.create('Repository', repository('default', 'one'));
      await store.create('Repository', repository('default', 'pending'));
      const full = await store.updateStatus('Repository', 'default', 'one', syncedStatus(1));
      assert.ok(full);
      const page = await store.list('Repository', { namespace: 'default', omit: OMIT });
      const [one, pending] = page.items;
      assert.equal(one?.metadata.name, 'one');
      assert.equal(one?.status?.platforms, undefined);
      assert.equal(one?.status?.manifest?.layers, undefined);
      assert.equal(one?.status?.manifest?.config, undefined);
      const { platforms: _p, manifest, ...rest } = full.status!;
      const { layers: _l, config: _c, ...slimManifest } = manifest!;
      assert.deepEqual(one?.status, { ...rest, manifest: slimManifest }, 'everything else is kept');
      assert.deepEqual(pending?.status, { syncStatus: 'Pending' }, 'paths that are absent are no error');
      assert.deepEqual(one?.spec, full.spec);
      assert.deepEqual(await store.get('Repository', 'default', 'one'), full, 'a get is whole');
      assert.deepEqual((await store.list('Repository', { namespace: 'default' })).items[0], full, 'without omit, whole');
    });

    test('getJson and listJson answer the text of what get and list answer, never an older version of an object', async () => {
      const store = await (await backend.database()).open();
      for (let i = 0; i < 5; i++) await store.create('Repository', repository(i < 3 ? 'a' : 'b', `r-${i}`));
      await store.updateStatus('Repository', 'a', 'r-1', syncedStatus(1));
      const same = async (options: { namespace?: string; q?: string; limit?: number; continue?: string }) => {
        const parsed = await store.list('Repository', { ...options, omit: OMIT });
        const text = await store.listJson('Repository', { ...options, omit: OMIT });
        assert.deepEqual(text.items.map((t) => JSON.parse(t) as unknown), parsed.items, JSON.stringify(options));
        assert.deepEqual({ ...text, items: [] }, { ...parsed, items: [] }, 'the same count, continue and resourceVersion');
        return text;
      };
      const first = await same({ limit: 2 });
      await same({ limit: 2, continue: first.continue! });
      await same({ namespace: 'a' });
      await same({ q: 'r-1' });
      await same({ q: 'r-', limit: 3 });
      // Read once (cached at its version), then written: the next page carries the new object.
      const changed = await store.updateStatus('Repository', 'a', 'r-1', { syncStatus: 'Failed', message: 'changed' });
      const again = await same({ namespace: 'a' });
      assert.equal((JSON.parse(again.items[1]!) as Repository).metadata.resourceVersion, changed!.metadata.resourceVersion);
      assert.deepEqual(JSON.parse((await store.getJson('Repository', 'a', 'r-1'))!), await store.get('Repository', 'a', 'r-1'));
      assert.equal(await store.getJson('Repository', 'a', 'missing'), undefined);
    });

    test('a search through the trigram index (migration 9) finds what a scan finds, after creates, edits and deletes', async () => {
      const store = await (await backend.database()).open();
      const names = async (q: string) => (await store.list('Repository', { q, limit: 1000 })).items.map((r) => `${r.metadata.namespace}/${r.metadata.name}`);
      for (let i = 0; i < 30; i++) await store.create('Repository', repository(i % 2 ? 'a' : 'b', `repo-${String(i).padStart(4, '0')}`, { repository: `library/img-${i % 3}` }));
      assert.deepEqual(await names('repo-001'), ['a/repo-0011', 'a/repo-0013', 'a/repo-0015', 'a/repo-0017', 'a/repo-0019', 'b/repo-0010', 'b/repo-0012', 'b/repo-0014', 'b/repo-0016', 'b/repo-0018']);
      assert.equal((await names('img-2')).length, 10, 'repository:tag, three characters and more');
      assert.equal((await names('o-')).length, 30, 'shorter than a trigram: a scan');
      // A spec edit changes the search text: the index follows.
      const r = (await store.get('Repository', 'a', 'repo-0011'))!;
      await store.update('Repository', { ...r, spec: { ...r.spec, repository: 'other/moved' } });
      assert.deepEqual(await names('other/moved'), ['a/repo-0011']);
      assert.equal((await names('img-2')).length, 9, 'the old text no longer matches');
      await store.delete('Repository', 'a', 'repo-0011');
      assert.deepEqual(await names('other/moved'), []);
      await store.create('Repository', repository('a', 'repo-0011', { repository: 'again/here' }));
      assert.deepEqual(await names('again/here'), ['a/repo-0011'], 'created again under the same name');
      assert.deepEqual(await names('"x" OR y'), [], 'query syntax is text');
      assert.deepEqual((await store.list('Repository', { q: 'repo-002', limit: 4 })).totalCount, 10);
    });

    if (backend.name === 'sqlite') {
      test('a long search reads the trigram index, not every row (migration 9)', async () => {
        const db = await backend.database();
        const store = await db.open();
        await store.create('Repository', repository('default', 'x'));
        const plan = (await db.raw(`EXPLAIN QUERY PLAN SELECT namespace, name FROM objects WHERE kind = 'Repository' AND instr(search, 'abc') > 0 AND (kind, namespace, name) IN (SELECT kind, namespace, name FROM search_ids WHERE id IN (SELECT rowid FROM objects_trigram WHERE objects_trigram MATCH '"abc"')) ORDER BY namespace, name LIMIT 51`)).map((r) => String(r['detail'])).join('\n');
        assert.match(plan, /VIRTUAL TABLE INDEX/);
        assert.doesNotMatch(plan, /SCAN objects\b/, 'objects is read by key');
      });

      test('a search and a page pick their keys from the covering index, a health claim from its own (migrations 8, 10)', async () => {
        const db = await backend.database();
        const store = await db.open();
        await store.create('Repository', repository('default', 'x'));
        const plan = async (sql: string) => (await db.raw(`EXPLAIN QUERY PLAN ${sql}`)).map((r) => String(r['detail'])).join('\n');
        const keys = await plan(`SELECT namespace, name, resource_version FROM objects WHERE kind = 'Repository' AND instr(search, 'x') > 0 ORDER BY namespace, name LIMIT 51`);
        assert.match(keys, /COVERING INDEX objects_page/);
        // A page's keys with their versions (the item cache's key): from the index, not the rows (migration 10).
        const page = await plan(`SELECT namespace, name, resource_version FROM objects WHERE kind = 'Repository' AND namespace = 'default' AND (namespace, name) > ('default', 'a') ORDER BY namespace, name LIMIT 51`);
        assert.match(page, /COVERING INDEX objects_page/);
        assert.doesNotMatch(page, /TEMP B-TREE/, 'no sort');
        const claim = await plan(`SELECT namespace, name FROM objects WHERE kind = 'Repository' AND COALESCE(next_health_at, 0) <= 5 ORDER BY COALESCE(next_health_at, 0), namespace, name LIMIT 4`);
        assert.match(claim, /objects_health_due/);
        assert.doesNotMatch(claim, /TEMP B-TREE/, 'no sort of every row');
        // listLeases' own statements (sorted in JavaScript: an ORDER BY made SQLite walk every row in key order instead).
        const leases = await plan(`SELECT namespace, name, lease_owner, lease_expires_at FROM objects WHERE kind = 'Repository' AND lease_owner IS NOT NULL AND lease_expires_at <= 5`);
        assert.match(leases, /INDEX objects_lease/);
        assert.match(await plan(`SELECT namespace, name, lease_owner, lease_expires_at FROM objects WHERE kind = 'Repository' AND lease_owner = 'r1'`), /INDEX objects_lease/);
      });
    }
  });
}
