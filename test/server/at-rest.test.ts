/**
 * Registry credentials at rest, on both stores. A Registry is created with a
 * password, given a new one, checked against a real registry that requires
 * it and synced from; then neither password is in any row of any table nor
 * in any file the database keeps on disk (SQLite's database and WAL;
 * PostgreSQL's heap and WAL after a CHECKPOINT). Only the sealed value is,
 * which also shows the search looked where secrets live.
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { makeImage, pushImage } from '../support/images.ts';
import { type TestRegistry, startRegistry } from '../support/registry.ts';
import { waitFor } from '../support/wait.ts';
import { backends } from '../store/backends.ts';
import { type TestServer, registryDoc, repositoryDoc, startTestServer } from './harness.ts';

const FIRST = 'CANARY-first-pw-91c2e07d';
const SECOND = 'CANARY-second-pw-4b8f13aa';

for (const backend of backends) {
  describe(`credentials at rest (${backend.name})`, () => {
    let s: TestServer;
    let reg: TestRegistry;
    let db: Awaited<ReturnType<typeof backend.database>>;
    before(async () => {
      reg = await startRegistry({ users: { alice: SECOND } });
      await pushImage({ url: reg.url, repository: 'library/app', tag: 'v1', username: 'alice', password: SECOND }, await makeImage({ seed: `at-rest-${backend.name}` }));
      db = await backend.database();
      s = await startTestServer({ ...db.location, retryBaseMs: 50 });
    });
    after(async () => {
      await s?.close();
      await reg?.stop();
    });

    test('neither password is in a row or a file; the sealed value is', async () => {
      const created = await s.api('POST', '/namespaces/default/registries', { body: registryDoc('harbor', reg.url, { credentials: { username: 'alice', password: FIRST } }) });
      assert.equal(created.status, 201, created.text);
      const patched = await s.api('PATCH', '/namespaces/default/registries/harbor', { contentType: 'application/merge-patch+json', body: { spec: { credentials: { password: SECOND } } } });
      assert.equal(patched.status, 200, patched.text);
      // The stored value is used: it opens, and the registry takes it.
      const check = await s.api('POST', '/namespaces/default/registries/harbor/test');
      assert.equal(check.body.authenticated, true, check.text);
      const repo = await s.api('POST', '/namespaces/default/repositories', { body: repositoryDoc('app', { repository: 'library/app', tag: 'v1', registryRef: { name: 'harbor' }, retryCount: 0 }) });
      assert.equal(repo.status, 201, repo.text);
      await waitFor('the sync', async () => {
        const status = (await s.api('GET', '/namespaces/default/repositories/app')).body.status;
        assert.notEqual(status.syncStatus, 'Failed', status.message);
        return status.syncStatus === 'Success';
      });

      const sealed = await s.store.getSecret('Registry', 'default', 'harbor');
      assert.match(sealed ?? '', /^v2\./);
      const stored = await db.atRest();
      assert.ok(stored.rows.includes(sealed!), 'the rows searched hold the sealed value');
      assert.ok(stored.files.length > 0);
      for (const pw of [FIRST, SECOND]) {
        assert.ok(!stored.rows.includes(pw), `a row holds ${pw}`);
        for (const f of stored.files) {
          assert.equal(f.bytes.indexOf(pw), -1, `${f.path} holds ${pw}`);
          assert.equal(f.bytes.indexOf(Buffer.from(pw, 'utf16le')), -1, `${f.path} holds ${pw} (UTF-16)`);
        }
      }
    });
  });
}
