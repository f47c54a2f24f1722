/**
 * The API end to end over real HTTP against the real SQLite store: every
 * endpoint's happy path and its errors as Kubernetes Status objects.
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { startListener } from '../support/listener.ts';
import { type TestServer, registryDoc, repositoryDoc, startTestServer } from './harness.ts';
import { SEED_REPOSITORY_EXAMPLE } from './seed-examples.ts';

let s: TestServer;
before(async () => {
  s = await startTestServer();
  // Registries the repositories point at; unreachable on purpose (syncs fail fast, the API is what is tested).
  assert.equal((await s.api('POST', '/namespaces/default/registries', { body: registryDoc('harbor-prod', 'http://127.0.0.1:9') })).status, 201);
  assert.equal((await s.api('POST', '/namespaces/team-a/registries', { body: registryDoc('harbor-prod', 'http://127.0.0.1:9', {}, 'team-a') })).status, 201);
});
after(async () => {
  await s.close();
});

/** Creates the seed's Repository under `name` (each test its own, so any test runs alone) and returns it. */
async function createSeedRepository(name: string): Promise<any> {
  const r = await s.api('POST', '/namespaces/default/repositories', { raw: SEED_REPOSITORY_EXAMPLE.replace('name: nginx-latest', `name: ${name}`), contentType: 'application/yaml' });
  assert.equal(r.status, 201, r.text);
  return r.body;
}

function assertStatus(r: { status: number; body: any }, code: number, reason: string) {
  assert.equal(r.status, code, JSON.stringify(r.body));
  assert.equal(r.body.kind, 'Status');
  assert.equal(r.body.apiVersion, 'v1');
  assert.equal(r.body.status, 'Failure');
  assert.equal(r.body.code, code);
  assert.equal(r.body.reason, reason);
  assert.equal(typeof r.body.message, 'string');
}

describe('authentication and roles', () => {
  test('no token: 401 Status with WWW-Authenticate', async () => {
    const r = await s.api('GET', '/namespaces/default/repositories', { token: null });
    assertStatus(r, 401, 'Unauthorized');
    assert.match(r.headers.get('www-authenticate') ?? '', /^Bearer/);
  });
  test('unknown token: 401', async () => {
    assertStatus(await s.api('GET', '/repositories', { token: 'tug_not-a-real-token' }), 401, 'Unauthorized');
  });
  test('viewer reads but cannot write: 403', async () => {
    const viewer = await s.token('viewer-1', 'viewer');
    assert.equal((await s.api('GET', '/namespaces/default/repositories', { token: viewer })).status, 200);
    const r = await s.api('POST', '/namespaces/default/repositories', { token: viewer, body: repositoryDoc('x', { repository: 'a/b', tag: '1', registryRef: { name: 'harbor-prod' } }) });
    assertStatus(r, 403, 'Forbidden');
    assert.match(r.body.message, /needs role editor/);
    assertStatus(await s.api('POST', '/namespaces/default/registries/harbor-prod/test', { token: viewer }), 403, 'Forbidden');
  });
  test('editor writes but cannot manage tokens or read the audit log', async () => {
    const editor = await s.token('editor-1', 'editor');
    assertStatus(await s.api('GET', '/tokens', { token: editor }), 403, 'Forbidden');
    assertStatus(await s.api('GET', '/auditlogs', { token: editor }), 403, 'Forbidden');
    assertStatus(await s.api('POST', '/tokens', { token: editor, body: { name: 'sneaky', role: 'admin' } }), 403, 'Forbidden');
  });
  test('health, readiness and openapi need no token; metrics need one for every namespace', async () => {
    assert.equal((await s.api('GET', '/healthz', { token: null })).status, 200);
    assert.equal((await s.api('GET', '/readyz', { token: null })).status, 200);
    assertStatus(await s.api('GET', '/metrics', { token: null }), 401, 'Unauthorized');
    assertStatus(await s.api('GET', '/metrics', { token: await s.token('metrics-scoped', 'viewer', ['team-a']) }), 403, 'Forbidden');
    const m = await s.api('GET', '/metrics', { token: await s.token('prometheus', 'viewer') });
    assert.equal(m.status, 200);
    for (const name of ['tug_syncs_total', 'tug_sync_duration_seconds', 'tug_sync_bytes_moved_total', 'tug_sync_queue_depth', 'tug_registry_healthy']) assert.match(m.text, new RegExp(name));
    const o = await s.api('GET', '/openapi.json', { token: null });
    assert.equal(o.status, 200);
    assert.equal(o.body.openapi, '3.1.0');
    assert.ok(o.body.components.schemas.Repository.properties.spec.properties.syncInterval);
    assert.ok(o.body.paths['/oapis/image.theriseunion.io/v1alpha1/namespaces/{namespace}/repositories/{name}/sync']);
  });
});

describe('repositories CRUD', () => {
  test('create from YAML exactly as the seed writes it; defaults filled in', async () => {
    const r = await s.api('POST', '/namespaces/default/repositories', { raw: SEED_REPOSITORY_EXAMPLE, contentType: 'application/yaml' });
    assert.equal(r.status, 201, r.text);
    assert.equal(r.body.kind, 'Repository');
    assert.equal(r.body.metadata.annotations['theriseunion.io/display-name'], 'Nginx 最新版本');
    assert.equal(r.body.spec.syncInterval, '1h');
    assert.equal(r.body.spec.syncTimeout, '10m');
    assert.equal(r.body.spec.retryCount, 3);
    assert.equal(r.body.status.syncStatus, 'Pending');
    assert.ok(r.body.metadata.resourceVersion);
    assert.ok(r.body.metadata.uid);
  });
  test('get, 404 as Status', async () => {
    await createSeedRepository('get-me');
    const r = await s.api('GET', '/namespaces/default/repositories/get-me');
    assert.equal(r.status, 200);
    assert.equal(r.body.spec.repository, 'library/nginx');
    const missing = await s.api('GET', '/namespaces/default/repositories/nope');
    assertStatus(missing, 404, 'NotFound');
    assert.equal(missing.body.message, 'repositories.image.theriseunion.io "nope" not found');
  });
  test('create twice: 409 AlreadyExists', async () => {
    await createSeedRepository('twice');
    assertStatus(await s.api('POST', '/namespaces/default/repositories', { raw: SEED_REPOSITORY_EXAMPLE.replace('name: nginx-latest', 'name: twice'), contentType: 'application/yaml' }), 409, 'AlreadyExists');
  });
  test('validation: 422 Invalid with causes and field paths', async () => {
    const r = await s.api('POST', '/namespaces/default/repositories', {
      body: repositoryDoc('Bad_Name', { repository: 'Library/Nginx', registryRef: { name: 'harbor-prod' }, syncInterval: '1x', retryCount: -1, bogus: true }),
    });
    assertStatus(r, 422, 'Invalid');
    const fields = r.body.details.causes.map((c: any) => c.field).sort();
    assert.deepEqual(fields, ['metadata.name', 'spec', 'spec.repository', 'spec.retryCount', 'spec.syncInterval', 'spec.tag'].sort());
    const byField = Object.fromEntries(r.body.details.causes.map((c: any) => [c.field, c]));
    assert.equal(byField['spec.tag'].reason, 'FieldValueRequired');
    assert.match(byField['spec.syncInterval'].message, /Go duration/);
    assert.match(byField['spec'].message, /unknown field "bogus"/);
    assert.match(r.body.message, /^Repository\.image\.theriseunion\.io "Bad_Name" is invalid: /);
  });
  test('durations: Go syntax accepted, nonsense refused', async () => {
    for (const [i, d] of ['30m', '1h30m', '24h', '90s', '1.5h'].entries()) {
      const r = await s.api('POST', '/namespaces/default/repositories', { body: repositoryDoc(`dur-${i}`, { repository: 'a/b', tag: 't', registryRef: { name: 'harbor-prod' }, syncInterval: d }) });
      assert.equal(r.status, 201, `${d}: ${r.text}`);
    }
    for (const d of ['1d', '-1h', 'h', '10', '5s']) {
      const r = await s.api('POST', '/namespaces/default/repositories', { body: repositoryDoc('dur-bad', { repository: 'a/b', tag: 't', registryRef: { name: 'harbor-prod' }, syncInterval: d }) });
      assert.equal(r.status, 422, `${d} should be refused`);
    }
    assert.equal((await s.api('DELETE', '/namespaces/default/repositories?names=dur-0,dur-1,dur-2,dur-3,dur-4')).body.deleted.length, 5);
  });
  test('namespace in the body must match the URL: 400', async () => {
    const r = await s.api('POST', '/namespaces/default/repositories', { body: repositoryDoc('x', { repository: 'a/b', tag: '1', registryRef: { name: 'harbor-prod' } }, 'other') });
    assertStatus(r, 400, 'BadRequest');
  });
  test('malformed JSON and YAML: 400; wrong content type: 415', async () => {
    assertStatus(await s.api('POST', '/namespaces/default/repositories', { raw: '{"apiVersion":', contentType: 'application/json' }), 400, 'BadRequest');
    assertStatus(await s.api('POST', '/namespaces/default/repositories', { raw: 'a: [1', contentType: 'application/yaml' }), 400, 'BadRequest');
    assertStatus(await s.api('POST', '/namespaces/default/repositories', { raw: 'x', contentType: 'text/csv' }), 415, 'UnsupportedMediaType');
  });
  test('body over 1 MiB: 413 Status', async () => {
    const big = repositoryDoc('big', { repository: 'a/b', tag: '1', registryRef: { name: 'harbor-prod' } }, 'default', { annotations: { 'theriseunion.io/description': 'x'.repeat(1024 * 1024 + 10) } });
    assertStatus(await s.api('POST', '/namespaces/default/repositories', { body: big }), 413, 'RequestEntityTooLarge');
  });
  test('PUT with a stale resourceVersion: 409 Conflict; with the current one: 200', async () => {
    const cur = await createSeedRepository('put-me');
    // A version that was current once: the object has been written since.
    const stale = { ...cur, spec: { ...cur.spec, syncInterval: '2h' } };
    const first = await s.api('PATCH', '/namespaces/default/repositories/put-me', { contentType: 'application/merge-patch+json', body: { spec: { retryCount: 4 } } });
    assert.equal(first.status, 200, first.text);
    assertStatus(await s.api('PUT', '/namespaces/default/repositories/put-me', { body: stale }), 409, 'Conflict');
    const now = first.body;
    const ok = await s.api('PUT', '/namespaces/default/repositories/put-me', { body: { ...now, spec: { ...now.spec, syncInterval: '2h' } } });
    assert.equal(ok.status, 200, ok.text);
    assert.equal(ok.body.spec.syncInterval, '2h');
    assert.notEqual(ok.body.metadata.resourceVersion, now.metadata.resourceVersion);
  });
  test('PUT changing the tag: 422 "delete and re-create"', async () => {
    const cur = await createSeedRepository('put-tag');
    const r = await s.api('PUT', '/namespaces/default/repositories/put-tag', { body: { ...cur, spec: { ...cur.spec, tag: '1.27' } } });
    assertStatus(r, 422, 'Invalid');
    assert.match(r.body.message, /delete and re-create/);
    assert.equal(r.body.details.causes[0].field, 'spec.tag');
  });
  test('PATCH (merge patch): display name, description, labels, interval, retryCount', async () => {
    await createSeedRepository('patch-me');
    const r = await s.api('PATCH', '/namespaces/default/repositories/patch-me', {
      contentType: 'application/merge-patch+json',
      body: { metadata: { annotations: { 'theriseunion.io/display-name': 'Nginx (edited)', 'theriseunion.io/description': null }, labels: { env: 'dev' } }, spec: { syncInterval: '30m', retryCount: 5 } },
    });
    assert.equal(r.status, 200, r.text);
    assert.equal(r.body.metadata.annotations['theriseunion.io/display-name'], 'Nginx (edited)');
    assert.equal(r.body.metadata.annotations['theriseunion.io/description'], undefined);
    assert.deepEqual(r.body.metadata.labels, { env: 'dev' });
    assert.equal(r.body.spec.syncInterval, '30m');
    assert.equal(r.body.spec.retryCount, 5);
    assert.equal(r.body.spec.tag, 'latest');
  });
  test('PATCH of registry, path or tag: 422 with "delete and re-create" and the field', async () => {
    await createSeedRepository('patch-immutable');
    for (const [field, spec] of [['spec.repository', { repository: 'library/httpd' }], ['spec.tag', { tag: 'v2' }], ['spec.registryRef', { registryRef: { name: 'other' } }]] as const) {
      const r = await s.api('PATCH', '/namespaces/default/repositories/patch-immutable', { contentType: 'application/merge-patch+json', body: { spec } });
      assertStatus(r, 422, 'Invalid');
      assert.match(r.body.message, /delete and re-create/);
      assert.equal(r.body.details.causes[0].field, field);
      assert.equal(r.body.details.causes[0].reason, 'FieldValueForbidden');
    }
  });
  test('PATCH of another annotation: 422; PATCH with a stale resourceVersion: 409; wrong patch type: 415', async () => {
    const cur = await createSeedRepository('patch-errors');
    const r = await s.api('PATCH', '/namespaces/default/repositories/patch-errors', { contentType: 'application/merge-patch+json', body: { metadata: { annotations: { 'example.com/x': 'y' } } } });
    assertStatus(r, 422, 'Invalid');
    const moved = await s.api('PATCH', '/namespaces/default/repositories/patch-errors', { contentType: 'application/merge-patch+json', body: { spec: { retryCount: 2 } } });
    assert.equal(moved.status, 200, moved.text);
    assertStatus(await s.api('PATCH', '/namespaces/default/repositories/patch-errors', { contentType: 'application/merge-patch+json', body: { metadata: { resourceVersion: cur.metadata.resourceVersion }, spec: { retryCount: 1 } } }), 409, 'Conflict');
    assertStatus(await s.api('PATCH', '/namespaces/default/repositories/patch-errors', { contentType: 'application/json-patch+json', raw: '[]' }), 415, 'UnsupportedMediaType');
  });
  test('PATCH that makes the object invalid: 422 with the field', async () => {
    await createSeedRepository('patch-invalid');
    const r = await s.api('PATCH', '/namespaces/default/repositories/patch-invalid', { contentType: 'application/merge-patch+json', body: { spec: { syncTimeout: 'soon' } } });
    assertStatus(r, 422, 'Invalid');
    assert.equal(r.body.details.causes[0].field, 'spec.syncTimeout');
  });
});

describe('lists', () => {
  // A namespace of its own: counts and pages see only what this suite made.
  before(async () => {
    assert.equal((await s.api('POST', '/namespaces/lists/registries', { body: registryDoc('harbor-prod', 'http://127.0.0.1:9', {}, 'lists') })).status, 201);
    for (let i = 0; i < 7; i++) {
      const r = await s.api('POST', '/namespaces/lists/repositories', {
        body: repositoryDoc(`app-${i}`, { repository: `team/app${i}`, tag: 'v1', registryRef: { name: 'harbor-prod' } }, 'lists', {
          labels: { tier: i % 2 ? 'web' : 'db' },
          annotations: { 'theriseunion.io/display-name': i === 3 ? 'The Special One' : `App ${i}` },
        }),
      });
      assert.equal(r.status, 201, r.text);
    }
  });
  test('limit / continue pages through everything; totalCount counts all', async () => {
    const names: string[] = [];
    let cont: string | undefined;
    let pages = 0;
    do {
      const r = await s.api('GET', `/namespaces/lists/repositories?limit=3${cont ? `&continue=${encodeURIComponent(cont)}` : ''}`);
      assert.equal(r.status, 200);
      assert.equal(r.body.kind, 'RepositoryList');
      assert.equal(r.body.metadata.totalCount, 7);
      names.push(...r.body.items.map((x: any) => x.metadata.name));
      cont = r.body.metadata.continue;
      pages++;
    } while (cont);
    assert.equal(pages, 3);
    assert.equal(new Set(names).size, 7);
  });
  test('q searches name, display name and repository:tag', async () => {
    assert.deepEqual((await s.api('GET', '/namespaces/lists/repositories?q=special')).body.items.map((x: any) => x.metadata.name), ['app-3']);
    assert.deepEqual((await s.api('GET', '/namespaces/lists/repositories?q=team/app5:v1')).body.items.map((x: any) => x.metadata.name), ['app-5']);
  });
  test('labelSelector', async () => {
    const r = await s.api('GET', '/namespaces/lists/repositories?labelSelector=tier%3Dweb');
    assert.deepEqual(r.body.items.map((x: any) => x.metadata.name), ['app-1', 'app-3', 'app-5']);
    assert.equal(r.body.metadata.totalCount, 3);
    assertStatus(await s.api('GET', '/namespaces/lists/repositories?labelSelector=%3D%3D%3D'), 400, 'BadRequest');
  });
  test('bad limit or continue: 400', async () => {
    assertStatus(await s.api('GET', '/namespaces/lists/repositories?limit=0'), 400, 'BadRequest');
    assertStatus(await s.api('GET', '/namespaces/lists/repositories?continue=garbage'), 400, 'BadRequest');
  });
  test('batch delete by names', async () => {
    const r = await s.api('DELETE', '/namespaces/lists/repositories?names=app-5,app-6,ghost');
    assert.equal(r.status, 200);
    assert.deepEqual(r.body.deleted, ['app-5', 'app-6']);
    assert.deepEqual(r.body.notFound, ['ghost']);
    assertStatus(await s.api('DELETE', '/namespaces/lists/repositories'), 400, 'BadRequest');
  });
  test('delete one; then 404', async () => {
    const r = await s.api('DELETE', '/namespaces/lists/repositories/app-4');
    assert.equal(r.status, 200);
    assert.equal(r.body.metadata.name, 'app-4');
    assertStatus(await s.api('DELETE', '/namespaces/lists/repositories/app-4'), 404, 'NotFound');
  });
});

describe('namespace-scoped tokens', () => {
  let scoped: string;
  before(async () => {
    const r = await s.api('POST', '/namespaces/team-a/repositories', { body: repositoryDoc('a-only', { repository: 'a/one', tag: '1', registryRef: { name: 'harbor-prod' } }, 'team-a') });
    assert.equal(r.status, 201, r.text);
    scoped = await s.token('team-a-editor', 'editor', ['team-a']);
    // Something that exists elsewhere, so a 404 means hidden, not absent.
    await createSeedRepository('default-only');
  });
  test('sees its namespace', async () => {
    assert.equal((await s.api('GET', '/namespaces/team-a/repositories/a-only', { token: scoped })).status, 200);
  });
  test('other namespaces are invisible: 404 on get, filtered from lists', async () => {
    assert.equal((await s.api('GET', '/namespaces/default/repositories/default-only')).status, 200);
    assertStatus(await s.api('GET', '/namespaces/default/repositories/default-only', { token: scoped }), 404, 'NotFound');
    assertStatus(await s.api('DELETE', '/namespaces/default/repositories/default-only', { token: scoped }), 404, 'NotFound');
    assertStatus(await s.api('POST', '/namespaces/default/repositories/default-only/sync', { token: scoped }), 404, 'NotFound');
    assert.equal((await s.api('GET', '/namespaces/default/repositories/default-only')).status, 200, 'the DELETE did nothing');
    const all = await s.api('GET', '/repositories', { token: scoped });
    assert.deepEqual(all.body.items.map((x: any) => x.metadata.namespace), ['team-a']);
    assert.equal(all.body.metadata.totalCount, 1);
    const other = await s.api('GET', '/namespaces/default/repositories', { token: scoped });
    assert.equal(other.status, 200);
    assert.equal(other.body.items.length, 0);
  });
  test('cannot create elsewhere or point at a registry elsewhere: 403', async () => {
    assertStatus(await s.api('POST', '/namespaces/default/repositories', { token: scoped, body: repositoryDoc('x', { repository: 'a/b', tag: '1', registryRef: { name: 'harbor-prod' } }) }), 403, 'Forbidden');
    assertStatus(
      await s.api('POST', '/namespaces/team-a/repositories', { token: scoped, body: repositoryDoc('x', { repository: 'a/b', tag: '1', registryRef: { name: 'harbor-prod', namespace: 'default' } }, 'team-a') }),
      403,
      'Forbidden',
    );
  });
});

describe('registries', () => {
  test('credentials are write-only: hasPassword, never the password', async () => {
    const r = await s.api('POST', '/namespaces/default/registries', { body: registryDoc('with-creds', 'https://harbor.example.com', { credentials: { username: 'bob', password: 'pw-CANARY-1' } }) });
    assert.equal(r.status, 201, r.text);
    assert.deepEqual(r.body.spec.credentials, { username: 'bob', hasPassword: true, hasToken: false });
    const g = await s.api('GET', '/namespaces/default/registries/with-creds');
    assert.doesNotMatch(g.text, /pw-CANARY-1/);
    // Update without a password keeps it (when the endpoint stays: see credential-binding.test.ts); an empty one removes it.
    const cur = g.body;
    const kept = await s.api('PUT', '/namespaces/default/registries/with-creds', { body: { ...cur, metadata: { ...cur.metadata, labels: { tier: 'prod' } } } });
    assert.equal(kept.status, 200, kept.text);
    assert.equal(kept.body.spec.credentials.hasPassword, true);
    const removed = await s.api('PATCH', '/namespaces/default/registries/with-creds', { contentType: 'application/merge-patch+json', body: { spec: { credentials: { password: null } } } });
    assert.equal(removed.status, 200, removed.text);
    assert.equal(removed.body.spec.credentials.hasPassword, false);
  });
  test('url validation: 422 for paths, credentials, odd schemes', async () => {
    for (const url of ['https://harbor.example.com/v2/', 'https://u:p@harbor.example.com', 'ftp://x', 'not a url', 'https://h?x=1']) {
      const r = await s.api('POST', '/namespaces/default/registries', { body: registryDoc('bad-url', url) });
      assertStatus(r, 422, 'Invalid');
      assert.equal(r.body.details.causes[0].field, 'spec.url', url);
    }
    for (const [i, url] of ['docker.io', 'registry.example.com:5000', 'http://10.0.0.5:5000', 'https://harbor.example.com/'].entries()) {
      assert.equal((await s.api('POST', '/namespaces/default/registries', { body: registryDoc(`ok-url-${i}`, url) })).status, 201, url);
    }
  });
  test('test endpoint checks the stored URL, never one from the body', async () => {
    // Both reachable: the stored one answers as an open registry, the one in the
    // body as a registry asking for credentials, and must not even be connected to.
    const stored = await startListener((_req, res) => {
      res.writeHead(200, { 'docker-distribution-api-version': 'registry/2.0', 'content-type': 'application/json' }).end('{}');
    });
    const bait = await startListener();
    try {
      assert.equal((await s.api('POST', '/namespaces/default/registries', { body: registryDoc('probe-me', stored.url) })).status, 201);
      const r = await s.api('POST', '/namespaces/default/registries/probe-me/test', { body: { url: bait.url, spec: { url: bait.url } } });
      assert.equal(r.status, 200, r.text);
      assert.equal(bait.connections, 0, 'the URL in the body was connected to');
      assert.deepEqual(stored.requests.map((q) => `${q.method} ${q.url}`), ['GET /v2/']);
      assert.equal(r.body.reachable, true, r.text);
      assert.equal(r.body.authenticated, true, r.text);
      assert.match(r.body.message, new RegExp(`${stored.host} answers`));
      const reg = await s.api('GET', '/namespaces/default/registries/probe-me');
      assert.equal(reg.body.status.reachable, true);
      assert.equal(reg.body.spec.url, stored.url, 'the stored URL is unchanged');
    } finally {
      await stored.stop();
      await bait.stop();
    }
  });
  test('test endpoint on an unreachable registry reports it', async () => {
    const r = await s.api('POST', '/namespaces/default/registries/harbor-prod/test');
    assert.equal(r.status, 200, r.text);
    assert.equal(r.body.reachable, false);
    const reg = await s.api('GET', '/namespaces/default/registries/harbor-prod');
    assert.equal(reg.body.status.reachable, false);
    assert.ok(reg.body.status.lastChecked);
  });
});

describe('tokens and audit', () => {
  test('admin creates a token; it works once created; the list never shows it', async () => {
    const r = await s.api('POST', '/tokens', { body: { name: 'ci', role: 'viewer', namespaces: ['team-a'] } });
    assert.equal(r.status, 201, r.text);
    const token = r.body.status.token as string;
    assert.match(token, /^tug_/);
    assert.deepEqual(r.body.spec, { role: 'viewer', namespaces: ['team-a'] });
    assert.equal((await s.api('GET', '/namespaces/team-a/repositories', { token })).status, 200);
    assertStatus(await s.api('POST', '/tokens', { body: { name: 'BAD NAME', role: 'boss' } }), 422, 'Invalid');
    const list = await s.api('GET', '/tokens');
    assert.equal(list.status, 200, list.text);
    assert.ok(list.body.items.some((t: any) => t.metadata.name === 'ci'));
    assert.doesNotMatch(list.text, new RegExp(token));
    assert.equal((await s.api('DELETE', '/tokens/ci')).status, 200);
    assertStatus(await s.api('GET', '/namespaces/team-a/repositories', { token }), 401, 'Unauthorized');
  });
  test('whoami: any token learns its own name, role and namespaces; no token: 401', async () => {
    const admin = await s.api('GET', '/whoami');
    assert.equal(admin.status, 200, admin.text);
    assert.equal(admin.body.kind, 'SelfSubjectReview');
    assert.equal(admin.body.status.userInfo.role, 'admin');
    const viewer = await s.token('whoami-viewer', 'viewer', ['team-a', 'team-b']);
    const r = await s.api('GET', '/whoami', { token: viewer });
    assert.deepEqual(r.body.status.userInfo, { username: 'whoami-viewer', role: 'viewer', namespaces: ['team-a', 'team-b'] });
    assert.doesNotMatch(r.text, new RegExp(viewer), 'the token itself is never echoed');
    assertStatus(await s.api('GET', '/whoami', { token: null }), 401, 'Unauthorized');
  });
  test('every change is in the audit log with the token name', async () => {
    // The changes this test looks for are its own: it runs alone as well as after the others.
    await createSeedRepository('audited');
    const patched = await s.api('PATCH', '/namespaces/default/repositories/audited', { contentType: 'application/merge-patch+json', body: { spec: { retryCount: 1 } } });
    assert.equal(patched.status, 200, patched.text);
    assert.equal((await s.api('PUT', '/namespaces/default/repositories/audited', { body: { ...patched.body, spec: { ...patched.body.spec, retryCount: 2 } } })).status, 200);
    assert.equal((await s.api('DELETE', '/namespaces/default/repositories/audited')).status, 200);
    const editor = await s.token('audit-editor', 'editor');
    assert.equal((await s.api('POST', '/namespaces/default/registries', { token: editor, body: registryDoc('audited-registry', 'http://127.0.0.1:9', { credentials: { username: 'u', password: 'pw-CANARY-audit' } }) })).status, 201);
    assert.equal((await s.api('POST', '/namespaces/default/registries/audited-registry/test', { token: editor })).status, 200);
    assert.equal((await s.api('POST', '/tokens', { body: { name: 'audited-token', role: 'viewer' } })).status, 201);
    const r = await s.api('GET', '/auditlogs?limit=1000');
    assert.equal(r.status, 200);
    const entries = r.body.items as any[];
    const has = (verb: string, kind: string, name: string, user = 'admin') => entries.some((e) => e.verb === verb && e.kind === kind && e.name === name && e.user === user);
    assert.ok(has('create', 'Repository', 'audited'));
    assert.ok(has('patch', 'Repository', 'audited'));
    assert.ok(has('update', 'Repository', 'audited'));
    assert.ok(has('delete', 'Repository', 'audited'));
    assert.ok(has('create', 'Registry', 'audited-registry', 'audit-editor'));
    assert.ok(has('test', 'Registry', 'audited-registry', 'audit-editor'));
    assert.ok(has('create', 'Token', 'audited-token'));
    assert.doesNotMatch(JSON.stringify(entries), /pw-CANARY/);
  });
});

describe('unknown paths', () => {
  test('unknown API path: 404 Status', async () => {
    assertStatus(await s.api('GET', '/oapis/image.theriseunion.io/v1alpha1/widgets'), 404, 'NotFound');
  });
});
