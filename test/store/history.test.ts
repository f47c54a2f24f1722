import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import type { AuditEntry, RunLogLine } from '../../src/api/types.ts';
import { StoreConflict } from '../../src/store/index.ts';
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

    test('migrations are recorded once, idempotent and safe when three instances start at once', async () => {
      const db = await backend.database();
      const stores = await Promise.all([db.open(), db.open(), db.open()]);
      await Promise.all(stores.map((s) => s.migrate()));
      await stores[0]?.migrate();
      const rows = await db.raw('SELECT version, name FROM schema_migrations ORDER BY version');
      assert.deepEqual(rows.map((r) => Number(r['version'])), [1]);
      await stores[1]?.create('Repository', repository('dev', 'after-migrate'));
      assert.ok(await stores[2]?.get('Repository', 'dev', 'after-migrate'));
    });
  });
}
