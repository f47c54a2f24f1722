import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import type { AuditEntry, RunLogLine } from '../../src/api/types.ts';
import { StoreConflict } from '../../src/store/index.ts';
import { postgresMigrations } from '../../src/store/postgres/postgres-migrations.ts';
import { sqliteMigrations } from '../../src/store/sqlite/sqlite-migrations.ts';
import { waitFor } from '../support/wait.ts';
import { backends, repository, run } from './backends.ts';

const line = (i: number): RunLogLine => ({ time: new Date(1_700_000_000_000 + i).toISOString(), level: 'info', message: `line ${i}` });

for (const backend of backends) {
  describe(`${backend.name} runs, tokens, audit, migrations`, () => {
    test('runs: create, conflict, update, get, running, newest first with pages', async () => {
      const store = await (await backend.database()).open();
      await store.create('Repository', repository('dev', 'nginx'));
      const first = await store.createRun(run('dev', 'nginx-1', 'nginx'));
      assert.ok(first.metadata.uid && first.metadata.resourceVersion && first.metadata.creationTimestamp);
      await assert.rejects(store.createRun(run('dev', 'nginx-1', 'nginx')), (e) => e instanceof StoreConflict && e.reason === 'AlreadyExists');
      for (let i = 2; i <= 25; i++) await store.createRun(run('dev', `nginx-${i}`, 'nginx'));
      await store.createRun(run('dev', 'other-1', 'other'));

      const done = await store.updateRun('dev', 'nginx-1', { ...first.status, phase: 'Succeeded', completionTime: new Date().toISOString() });
      assert.equal(done?.status.phase, 'Succeeded');
      assert.ok(Number(done?.metadata.resourceVersion) > Number(first.metadata.resourceVersion));
      assert.deepEqual(await store.getRun('dev', 'nginx-1'), done);
      assert.equal(await store.updateRun('dev', 'missing', first.status), undefined);
      assert.equal(await store.getRun('dev', 'missing'), undefined);
      assert.equal((await store.listRunningRuns()).length, 25, '24 nginx + 1 other still running');

      const seen: string[] = [];
      let token: string | undefined;
      do {
        const page = await store.listRuns('dev', 'nginx', { limit: 10, ...(token ? { continue: token } : {}) });
        assert.equal(page.totalCount, 25);
        seen.push(...page.items.map((r) => r.metadata.name));
        token = page.continue;
      } while (token);
      assert.deepEqual(seen, Array.from({ length: 25 }, (_, i) => `nginx-${25 - i}`), 'newest first, updates do not reorder');
    });

    test('run logs keep the newest lines up to the cap and go with the repository', async () => {
      const store = await (await backend.database()).open({ runLogLines: 300 });
      await store.create('Repository', repository('dev', 'nginx'));
      await store.createRun(run('dev', 'nginx-1', 'nginx'));
      for (let i = 0; i < 500; i += 50) await store.appendRunLog('dev', 'nginx-1', Array.from({ length: 50 }, (_, j) => line(i + j)));
      let log = await store.getRunLog('dev', 'nginx-1');
      assert.equal(log.length, 300);
      assert.deepEqual(log[0], line(200));
      assert.deepEqual(log.at(-1), line(499));
      await store.appendRunLog('dev', 'nginx-1', Array.from({ length: 1000 }, (_, j) => line(1000 + j)));
      log = await store.getRunLog('dev', 'nginx-1');
      assert.deepEqual([log.length, log[0]?.message, log.at(-1)?.message], [300, 'line 1700', 'line 1999'], 'one append larger than the cap');

      await store.appendRunLog('dev', 'no-such-run', [line(1)]);
      assert.deepEqual(await store.getRunLog('dev', 'no-such-run'), [], 'lines of an unknown run are dropped');

      await store.delete('Repository', 'dev', 'nginx');
      assert.equal(await store.getRun('dev', 'nginx-1'), undefined);
      assert.deepEqual(await store.getRunLog('dev', 'nginx-1'), []);
    });

    test('pruneRuns keeps the newest N of one repository with their logs, never a Running run', async () => {
      const db = await backend.database();
      const store = await db.open();
      const finish = (name: string) => store.updateRun('dev', name, { phase: 'Succeeded', startTime: new Date().toISOString(), completionTime: new Date().toISOString() });
      for (let i = 1; i <= 8; i++) {
        await store.createRun(run('dev', `nginx-${i}`, 'nginx'));
        await store.appendRunLog('dev', `nginx-${i}`, [line(i)]);
        // nginx-2 is a long sync still Running when newer ones finish.
        if (i !== 2) await finish(`nginx-${i}`);
      }
      await store.createRun(run('dev', 'other-1', 'other'));
      await finish('other-1');
      await store.createRun(run('prod', 'nginx-1', 'nginx'));
      await finish('nginx-1');

      assert.equal(await store.pruneRuns('dev', 'nginx', 10), 0, 'fewer runs than N: nothing to do');
      assert.equal(await store.pruneRuns('dev', 'nginx', 3), 4);
      const names = (await store.listRuns('dev', 'nginx')).items.map((r) => r.metadata.name);
      assert.deepEqual(names, ['nginx-8', 'nginx-7', 'nginx-6', 'nginx-2'], 'the newest three, and the old Running one');
      assert.deepEqual(await store.getRunLog('dev', 'nginx-1'), [], 'a pruned run\'s log goes with it');
      assert.deepEqual(await store.getRunLog('dev', 'nginx-6'), [line(6)]);
      assert.deepEqual(await db.raw(`SELECT count(*) AS n FROM run_logs WHERE namespace = 'dev' AND run_name IN ('nginx-1', 'nginx-3', 'nginx-4', 'nginx-5')`).then((r) => Number(r[0]?.['n'])), 0);
      assert.equal((await store.listRuns('dev', 'other')).totalCount, 1, 'other repositories are untouched');
      assert.equal((await store.listRuns('prod', 'nginx')).totalCount, 1, 'the same name in another namespace is untouched');

      await finish('nginx-2');
      assert.equal(await store.pruneRuns('dev', 'nginx', 3), 1, 'once finished, it goes too');
      assert.equal(await store.pruneRuns('dev', 'nginx', 1), 2);
      assert.deepEqual((await store.listRuns('dev', 'nginx')).items.map((r) => r.metadata.name), ['nginx-8']);
    });

    test('the default cap is 2000 lines', async () => {
      const store = await (await backend.database()).open();
      await store.createRun(run('dev', 'r-1', 'r'));
      await store.appendRunLog('dev', 'r-1', Array.from({ length: 2100 }, (_, i) => line(i)));
      const log = await store.getRunLog('dev', 'r-1');
      assert.deepEqual([log.length, log[0]?.message], [2000, 'line 100']);
    });

    test('tokens and audit', async () => {
      const store = await (await backend.database()).open();
      assert.equal(await store.countTokens(), 0);
      const token = { id: 't1', name: 'admin', role: 'admin' as const, createdAt: new Date().toISOString() };
      await store.createToken(token, 'sha256-of-secret');
      await store.createToken({ id: 't2', name: 'ci', role: 'editor', namespaces: ['dev'], createdAt: token.createdAt }, 'sha256-two');
      await assert.rejects(store.createToken(token, 'other-hash'), (e) => e instanceof StoreConflict && e.reason === 'AlreadyExists');
      assert.deepEqual(await store.findToken('sha256-of-secret'), token);
      assert.deepEqual((await store.findToken('sha256-two'))?.namespaces, ['dev']);
      assert.equal(await store.findToken('nope'), undefined);
      assert.equal(await store.countTokens(), 2);

      const entries: AuditEntry[] = Array.from({ length: 30 }, (_, i) => ({ time: new Date(1_700_000_000_000 + i).toISOString(), user: 'admin', verb: 'create', kind: 'Repository', namespace: 'dev', name: `r${i}` }));
      for (const e of entries) await store.appendAudit(e);
      const seen: string[] = [];
      let cont: string | undefined;
      do {
        const page = await store.listAudit({ limit: 12, ...(cont ? { continue: cont } : {}) });
        assert.equal(page.totalCount, 30);
        seen.push(...page.items.map((e) => e.name));
        cont = page.continue;
      } while (cont);
      assert.deepEqual(seen, entries.map((e) => e.name).reverse());
    });

    test('a removed token is refused at once by the store that removed it, and by another on the database as soon as it hears of it', async () => {
      const db = await backend.database();
      const [a, b] = [await db.open(), await db.open()];
      const token = { id: 't1', name: 'ci', role: 'editor' as const, createdAt: new Date().toISOString() };
      const other = { id: 't2', name: 'ops', role: 'viewer' as const, createdAt: token.createdAt };
      await a.createToken(token, 'hash-1');
      await a.createToken(other, 'hash-2');
      // Found twice on each (PostgreSQL remembers what it found).
      for (const s of [a, b, a, b]) assert.deepEqual(await s.findToken('hash-1'), token);
      assert.deepEqual(await b.findToken('hash-2'), other);
      assert.equal(await b.deleteToken('t1'), true);
      assert.equal(await b.findToken('hash-1'), undefined, 'the remover refuses it at once');
      await waitFor('the other store to refuse the removed token', async () => (await a.findToken('hash-1')) === undefined, 10_000);
      assert.deepEqual(await a.findToken('hash-2'), other, 'the others stay');
      assert.deepEqual(await b.findToken('hash-2'), other);
      const found = await a.findToken('hash-2');
      found!.role = 'admin';
      assert.equal((await a.findToken('hash-2'))?.role, 'viewer', 'what a caller changes is not what the next one finds');
    });

    test('token names are unique; duplicates from before the rule are renamed by the migration', async () => {
      const db = await backend.database();
      const store = await db.open();
      const at = new Date(1_700_000_000_000).toISOString();
      await store.createToken({ id: 'a1', name: 'ci', role: 'viewer', createdAt: at }, 'hash-1');
      await assert.rejects(store.createToken({ id: 'a2', name: 'ci', role: 'admin', createdAt: at }, 'hash-2'), (e) => e instanceof StoreConflict && e.reason === 'AlreadyExists');
      assert.equal(await store.findToken('hash-2'), undefined);

      // A store from before: no unique index, two tokens named "ci".
      await db.raw("DELETE FROM schema_migrations WHERE name = 'unique token names'");
      await db.raw('DROP INDEX tokens_name');
      const older = JSON.stringify({ id: 'b0', name: 'ci', role: 'editor', createdAt: new Date(1_600_000_000_000).toISOString() });
      await db.raw(`INSERT INTO tokens (id, hash, token) VALUES ('b0', 'hash-0', '${older}')`);
      await store.close();
      const migrated = await db.open();
      const names = (await migrated.listTokens()).map((t) => [t.id, t.name]);
      assert.deepEqual(names, [['b0', 'ci'], ['a1', 'ci-a1']], 'the oldest keeps the name');
      await assert.rejects(migrated.createToken({ id: 'a3', name: 'ci-a1', role: 'viewer', createdAt: at }, 'hash-3'), StoreConflict);
    });

    test('the audit log filtered to namespaces (a scoped admin\'s view)', async () => {
      const store = await (await backend.database()).open();
      const entry = (namespace: string, name: string): AuditEntry => ({ time: new Date().toISOString(), user: 'u', verb: 'create', kind: 'Repository', namespace, name });
      for (const [ns, n] of [['dev', 'a'], ['prod', 'b'], ['', 'token'], ['dev', 'c'], ['qa', 'd']] as const) await store.appendAudit(entry(ns, n));
      const names = async (namespaces: string[] | undefined, limit?: number) => {
        const page = await store.listAudit({ namespaces, ...(limit ? { limit } : {}) });
        return { names: page.items.map((e) => e.name), total: page.totalCount, cont: page.continue };
      };
      assert.deepEqual((await names(['dev', 'qa'])).names, ['d', 'c', 'a']);
      assert.equal((await names(['dev', 'qa'])).total, 3);
      assert.deepEqual((await names([])).names, []);
      assert.deepEqual((await names(undefined)).names, ['d', 'c', 'token', 'b', 'a']);
      const first = await names(['dev'], 1);
      assert.deepEqual(first.names, ['c']);
      assert.deepEqual((await store.listAudit({ namespaces: ['dev'], limit: 1, continue: first.cont })).items.map((e) => e.name), ['a']);
    });

    test('migrations are recorded once, idempotent and safe when three instances start at once', async () => {
      const db = await backend.database();
      const stores = await Promise.all([db.open(), db.open(), db.open()]);
      await Promise.all(stores.map((s) => s.migrate()));
      await stores[0]?.migrate();
      const rows = await db.raw('SELECT version, name FROM schema_migrations ORDER BY version');
      assert.deepEqual(rows.map((r) => Number(r['version'])), (backend.name === 'sqlite' ? sqliteMigrations : postgresMigrations).map((m) => m.version));
      await stores[1]?.create('Repository', repository('dev', 'after-migrate'));
      assert.ok(await stores[2]?.get('Repository', 'dev', 'after-migrate'));
    });
  });
}

for (const backend of backends) {
  describe(`${backend.name} overview figures`, () => {
    test('runFigures buckets finished runs with bytes, the slowest and the failing; countBy counts a field\'s values', async () => {
      const store = await (await backend.database()).open();
      await store.create('Repository', repository('ov', 'a'));
      await store.create('Repository', repository('ov', 'b'));
      await store.create('Repository', repository('elsewhere', 'c'));
      await store.updateStatus('Repository', 'ov', 'b', { syncStatus: 'Failed', message: 'boom' });
      const t0 = Date.UTC(2026, 11, 5, 10, 0, 0);
      const finish = async (ns: string, name: string, repo: string, phase: 'Succeeded' | 'Failed', startMs: number, ms: number, bytes: number) => {
        const r = run(ns, name, repo);
        r.status.startTime = new Date(startMs).toISOString();
        await store.createRun(r);
        await store.updateRun(ns, name, { ...r.status, phase, completionTime: new Date(startMs + ms).toISOString(), bytesMoved: bytes });
      };
      await finish('ov', 'a-1', 'a', 'Succeeded', t0, 2_000, 100);
      await finish('ov', 'a-2', 'a', 'Succeeded', t0 + 61_000, 5_000, 50);
      await finish('ov', 'b-1', 'b', 'Failed', t0 + 1_000, 9_000, 0);
      await finish('elsewhere', 'c-1', 'c', 'Failed', t0, 1_000, 0);
      await store.createRun(run('ov', 'a-3', 'a')); // still running: not counted
      const f = await store.runFigures({ namespaces: ['ov'], sinceMs: t0 - 1, bucketMs: 60_000, top: 10 });
      assert.deepEqual(f.series, [
        { at: t0, phase: 'Failed', runs: 1, bytes: 0 },
        { at: t0, phase: 'Succeeded', runs: 1, bytes: 100 },
        { at: t0 + 60_000, phase: 'Succeeded', runs: 1, bytes: 50 },
      ]);
      assert.deepEqual(f.slowest.map((x) => `${x.repository} ${x.durationMs}`), ['b 9000', 'a 5000']);
      assert.deepEqual(f.failing, [{ namespace: 'ov', repository: 'b', failures: 1, lastFailedAt: t0 + 10_000 }]);
      assert.equal((await store.runFigures({ sinceMs: t0 + 30_000, bucketMs: 60_000, top: 10 })).series.length, 1, 'the window');
      assert.deepEqual(Object.fromEntries(await store.countBy('Repository', 'status.syncStatus')), { Failed: 1, Pending: 2 });
      assert.deepEqual(Object.fromEntries(await store.countBy('Repository', 'status.syncStatus', { namespaces: ['ov'] })), { Failed: 1, Pending: 1 });
      await assert.rejects(store.countBy('Repository', 'spec.tag'), /field label not supported/);
    });
  });
}
