/**
 * Issue 10: where the server may send a Registry's stored credentials, and
 * where it may connect at all. A recording listener on 127.0.0.1 plays the
 * host an editor controls; it must never receive a credential.
 *
 * - An edit of spec.url / plainHTTP / insecure / caBundle drops the stored
 *   password and token unless the same request sends them again.
 * - Sealed credentials are bound to the endpoint (v2 AAD) and do not open for
 *   another; v1 values (identity only) still open and are re-sealed on edit.
 * - The egress policy (`--egress-allow/--egress-deny`) holds for the test
 *   endpoint and for scheduled syncs, before any connection.
 * - The test endpoint reports a non-registry by status, never by its text.
 * - Re-pointing a Repository's mirror is checked like creating it and audited.
 */
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import type { Registry } from '../../src/api/types.ts';
import { createSecrets, loadSecretKey, registrySecretAad, secretAad } from '../../src/server/secrets.ts';
import { type RecordingListener, startListener } from '../support/listener.ts';
import { type TestRegistry, makeTlsFiles, startRegistry } from '../support/registry.ts';
import { type TestServer, registryDoc, repositoryDoc, startTestServer, waitFor } from './harness.ts';
import { tempDir } from '../support/tmp.ts';

const MERGE = 'application/merge-patch+json';
const CREDS = { username: 'alice', password: 'wonderland' };

let s: TestServer;
let reg: TestRegistry;
let listener: RecordingListener;
let caPem: string;
let tlsDir: string;

before(async () => {
  [s, reg, listener] = await Promise.all([startTestServer(), startRegistry({ users: { alice: 'wonderland' } }), startListener()]);
  tlsDir = tempDir(undefined, 'tug-binding-');
  caPem = makeTlsFiles(tlsDir).caPem;
});

after(async () => {
  await Promise.all([s?.close(), reg?.stop(), listener?.stop()]);
});

/** Authorization headers the listener received since `from`. */
const authorizations = (from = 0) => listener.requests.slice(from).map((r) => r.authorization).filter((a) => a !== undefined);

async function create(name: string, url: string, extra: Record<string, unknown> = {}): Promise<void> {
  const r = await s.api('POST', '/namespaces/default/registries', { body: registryDoc(name, url, { credentials: CREDS, ...extra }) });
  assert.equal(r.status, 201, r.text);
}

async function check(name: string) {
  const r = await s.api('POST', `/namespaces/default/registries/${name}/test`);
  assert.equal(r.status, 200, r.text);
  return r.body as { reachable: boolean; authenticated: boolean; message: string };
}

describe('an endpoint change drops the stored credentials', () => {
  test('moving a Registry to another host: hasPassword false, a warning, an audit line, and the new host never sees the password', async () => {
    await create('moved', reg.url);
    assert.equal((await check('moved')).authenticated, true, 'the control: the credentials work where they were stored');
    const seen = listener.requests.length;
    const r = await s.api('PATCH', '/namespaces/default/registries/moved', { contentType: MERGE, body: { spec: { url: listener.url } } });
    assert.equal(r.status, 200, r.text);
    assert.deepEqual(r.body.spec.credentials, { username: 'alice', hasPassword: false, hasToken: false });
    assert.match(r.headers.get('warning') ?? '', /^299 - "spec\.url changed: the stored password and token were dropped/);
    const result = await check('moved');
    assert.equal(result.authenticated, false);
    assert.ok(listener.requests.length > seen, 'the new host was asked');
    assert.deepEqual(authorizations(seen), [], 'and it never received a credential');
    const audit = await s.api('GET', '/auditlogs?limit=20');
    assert.ok(audit.body.items.some((e: { name: string; detail?: string }) => e.name === 'moved' && e.detail === 'spec.url changed: stored credentials dropped'), audit.text);
  });

  const moves: { name: string; hostOnly?: boolean; patch: () => Record<string, unknown>; dropped: boolean }[] = [
    { name: 'insecure', patch: () => ({ insecure: true }), dropped: true },
    { name: 'caBundle', patch: () => ({ caBundle: caPem }), dropped: true },
    { name: 'plainHTTP on a scheme-less URL', hostOnly: true, patch: () => ({ plainHTTP: true }), dropped: true },
    { name: 'the same URL written differently', patch: () => ({ url: `${reg.url}/` }), dropped: false },
    { name: 'plainHTTP on an http:// URL (the scheme stays)', patch: () => ({ plainHTTP: true }), dropped: false },
    { name: 'a label', patch: () => ({}), dropped: false },
  ];
  for (const [i, m] of moves.entries()) {
    test(`${m.name}: ${m.dropped ? 'dropped' : 'kept'}`, async () => {
      const name = `move-${i}`;
      await create(name, m.hostOnly ? reg.host : reg.url);
      const r = await s.api('PATCH', `/namespaces/default/registries/${name}`, { contentType: MERGE, body: { metadata: { labels: { edited: 'yes' } }, spec: m.patch() } });
      assert.equal(r.status, 200, r.text);
      assert.equal(r.body.spec.credentials.hasPassword, !m.dropped);
      assert.equal(r.headers.get('warning') !== null, m.dropped);
    });
  }

  test('sending the password again in the same request keeps credentials, bound to the new endpoint', async () => {
    await create('resent', reg.url);
    const seen = listener.requests.length;
    const r = await s.api('PATCH', '/namespaces/default/registries/resent', { contentType: MERGE, body: { spec: { url: listener.url, credentials: { password: 'typed-again' } } } });
    assert.equal(r.status, 200, r.text);
    assert.equal(r.body.spec.credentials.hasPassword, true);
    assert.equal(r.headers.get('warning'), null);
    await check('resent');
    // What arrives is what the editor typed in this request, never the stored one.
    assert.deepEqual(
      authorizations(seen).map((a) => Buffer.from(a.slice('Basic '.length), 'base64').toString()),
      ['alice:typed-again'],
    );
  });
});

describe('sealed credentials are bound to their endpoint', () => {
  test('a URL changed behind the API (in the store) does not open the credentials: nothing is sent', async () => {
    await create('behind', reg.url);
    const stored = (await s.store.get('Registry', 'default', 'behind')) as Registry;
    await s.store.update('Registry', { ...stored, spec: { ...stored.spec, url: listener.url } });
    const seen = listener.requests.length;
    const result = await check('behind');
    assert.equal(result.reachable, false);
    assert.match(result.message, /stored credentials of Registry\/default\/behind cannot be decrypted/);
    assert.equal(listener.requests.length, seen, 'the listener was not even asked');
  });

  test('credentials sealed for another Registry at the same URL do not open for this one: nothing is sent', async () => {
    // Same endpoint, another identity: a name in this namespace, the same name in another one.
    await create('twin-a', listener.url);
    const sealed = (await s.store.getSecret('Registry', 'default', 'twin-a'))!;
    for (const [ns, name] of [['default', 'twin-b'], ['team-b', 'twin-a']] as const) {
      const r = await s.api('POST', `/namespaces/${ns}/registries`, { body: registryDoc(name, listener.url, { credentials: { username: 'alice' } }, ns) });
      assert.equal(r.status, 201, r.text);
      const stored = (await s.store.get('Registry', ns, name)) as Registry;
      await s.store.update('Registry', { ...stored, spec: { ...stored.spec, credentials: { username: 'alice', hasPassword: true, hasToken: false } } }, { secret: sealed });
      const connections = listener.connections;
      const result = (await s.api('POST', `/namespaces/${ns}/registries/${name}/test`)).body;
      assert.equal(result.reachable, false, `${ns}/${name}`);
      assert.match(result.message, new RegExp(`stored credentials of Registry/${ns}/${name} cannot be decrypted`));
      assert.equal(listener.connections, connections, `${ns}/${name}: the listener was not even connected to`);
    }
  });

  test('credentials sealed with another secret key (the key was changed) open for neither the test endpoint nor a sync: nothing is sent', async () => {
    const r = await s.api('POST', '/namespaces/default/registries', { body: registryDoc('other-key', listener.url, { credentials: { username: 'alice' } }) });
    assert.equal(r.status, 201, r.text);
    const stored = (await s.store.get('Registry', 'default', 'other-key')) as Registry;
    const withPassword = { ...stored, spec: { ...stored.spec, credentials: { username: 'alice', hasPassword: true, hasToken: false } } };
    // Sealed exactly as this server would, for this Registry and endpoint, but with a key it does not have.
    await s.store.update('Registry', withPassword, { secret: createSecrets(randomBytes(32)).seal({ password: 'wonderland' }, registrySecretAad(withPassword)) });
    const connections = listener.connections;
    const result = await check('other-key');
    assert.equal(result.reachable, false);
    assert.match(result.message, /stored credentials of Registry\/default\/other-key cannot be decrypted/);
    const repo = await s.api('POST', '/namespaces/default/repositories', { body: repositoryDoc('other-key', { repository: 'team/app', tag: 'v1', registryRef: { name: 'other-key' }, retryCount: 0 }) });
    assert.equal(repo.status, 201, repo.text);
    const failed = await waitFor('the sync to fail', async () => {
      const g = (await s.api('GET', '/namespaces/default/repositories/other-key')).body;
      return g.status?.syncStatus === 'Failed' && g.status.nextSyncTime ? g : undefined;
    });
    assert.match(failed.status.message, /cannot be decrypted/);
    assert.equal(listener.connections, connections, 'no connection, from the check or the sync');

    // What the message tells the user to do works: re-entering the password
    // replaces what no key opens, and a later edit without it keeps it.
    const fixed = await s.api('PATCH', '/namespaces/default/registries/other-key', { contentType: MERGE, body: { spec: { credentials: { password: 'looking-glass' } } } });
    assert.equal(fixed.status, 200, fixed.text);
    assert.equal(fixed.body.spec.credentials.hasPassword, true);
    const relabel = await s.api('PATCH', '/namespaces/default/registries/other-key', { contentType: MERGE, body: { metadata: { labels: { fixed: 'yes' } } } });
    assert.equal(relabel.status, 200, relabel.text);
    assert.equal(relabel.body.spec.credentials.hasPassword, true);
    assert.doesNotMatch((await check('other-key')).message, /cannot be decrypted/);
  });

  test('v1 credentials (identity only) open for their unchanged Registry and are sealed as v2 on the next edit', async () => {
    const { key } = await loadSecretKey({ generatedPath: join(s.dataDir, 'secret.key') });
    // The v1 format: the same AES-GCM body, bound to Registry/ns/name only.
    const v1 = `v1.${createSecrets(key).seal({ password: 'wonderland' }, secretAad('default', 'legacy')).slice(3)}`;
    const r = await s.api('POST', '/namespaces/default/registries', { body: registryDoc('legacy', reg.url, { credentials: { username: 'alice' } }) });
    assert.equal(r.status, 201, r.text);
    const stored = (await s.store.get('Registry', 'default', 'legacy')) as Registry;
    await s.store.update('Registry', { ...stored, spec: { ...stored.spec, credentials: { username: 'alice', hasPassword: true, hasToken: false } } }, { secret: v1 });
    assert.equal((await check('legacy')).authenticated, true);
    const patched = await s.api('PATCH', '/namespaces/default/registries/legacy', { contentType: MERGE, body: { metadata: { labels: { migrated: 'yes' } } } });
    assert.equal(patched.status, 200, patched.text);
    assert.equal(patched.body.spec.credentials.hasPassword, true);
    assert.match((await s.store.getSecret('Registry', 'default', 'legacy')) ?? '', /^v2\./);
    assert.equal((await check('legacy')).authenticated, true);
  });
});

describe('egress policy of the server', () => {
  test('by default the cloud metadata address is refused, in one line, before any connection', async () => {
    await create('metadata', 'http://169.254.169.254');
    const result = await check('metadata');
    assert.equal(result.reachable, false);
    // The policy's own words, not a timeout or a refused connection: it answered before connecting.
    assert.equal(result.message, 'egress policy refuses 169.254.169.254 (cloud metadata); allow it with --egress-allow 169.254.169.254');
    const status = (await s.api('GET', '/namespaces/default/registries/metadata')).body.status;
    assert.equal(status.message, result.message);
  });

  describe('--egress-deny 127.0.0.0/8 --egress-deny ::1', () => {
    let denied: TestServer;
    before(async () => {
      denied = await startTestServer({ egressDeny: ['127.0.0.0/8', '::1'] });
    });
    after(async () => {
      await denied?.close();
    });

    for (const [name, url] of [
      ['literal', () => listener.url],
      ['localhost', () => `http://localhost:${listener.port}`],
    ] as const) {
      test(`the test endpoint refuses the listener (${name}) without connecting`, async () => {
        const connections = listener.connections;
        const r = await denied.api('POST', '/namespaces/default/registries', { body: registryDoc(`deny-${name}`, url(), { credentials: CREDS }) });
        assert.equal(r.status, 201, r.text);
        const result = (await denied.api('POST', `/namespaces/default/registries/deny-${name}/test`)).body;
        assert.equal(result.reachable, false);
        assert.match(result.message, /^egress policy refuses (localhost at )?(127\.0\.0\.1|::1) \(--egress-deny (127\.0\.0\.0\/8|::1)\)$/);
        assert.equal(listener.connections, connections);
      });
    }

    test('a scheduled sync is refused the same way, and not retried', async () => {
      const connections = listener.connections;
      assert.equal((await denied.api('POST', '/namespaces/default/registries', { body: registryDoc('deny-sync', listener.url, { credentials: CREDS }) })).status, 201);
      const r = await denied.api('POST', '/namespaces/default/repositories', { body: repositoryDoc('deny-sync', { repository: 'team/app', tag: 'v1', registryRef: { name: 'deny-sync' } }) });
      assert.equal(r.status, 201, r.text);
      // The scheduler's last word on this claim: "not retried" is written once it has decided against
      // another attempt, with the next sync an interval away; no run can follow it.
      const repo = await waitFor('the sync to fail for good', async () => {
        const g = (await denied.api('GET', '/namespaces/default/repositories/deny-sync')).body;
        return g.status?.syncStatus === 'Failed' && /not retried/.test(g.status.message ?? '') && g.status.nextSyncTime ? g : undefined;
      });
      assert.match(repo.status.message, /egress policy refuses 127\.0\.0\.1 \(--egress-deny 127\.0\.0\.0\/8\)/);
      assert.ok(Date.parse(repo.status.nextSyncTime) > Date.now() + 30 * 60_000, `next sync ${repo.status.nextSyncTime}: an interval away, not a retry`);
      const runs = (await denied.api('GET', '/namespaces/default/repositories/deny-sync/syncruns')).body.items;
      assert.equal(runs.length, 1, 'a refusal is final: no retry run');
      assert.equal(listener.connections, connections);
    });
  });
});

describe('the test endpoint does not relay what a non-registry says', () => {
  for (const [name, status, body] of [
    ['a failing JSON service', 500, '{"errors":[{"code":"UNKNOWN","message":"INTERNAL-SECRET-TEXT"}]}'],
    ['a web page', 404, '<html>INTERNAL-SECRET-TEXT admin console</html>'],
    ['a forbidding service', 403, '{"errors":[{"code":"DENIED","message":"INTERNAL-SECRET-TEXT"}]}'],
  ] as const) {
    test(`${name} (HTTP ${status}) is told by its status only`, async () => {
      const service = await startListener((_req, res) => {
        res.writeHead(status, { 'content-type': 'text/plain' });
        res.end(body);
      });
      try {
        const r = await s.api('POST', '/namespaces/default/registries', { body: registryDoc(`service-${status}`, service.url) });
        assert.equal(r.status, 201, r.text);
        const result = await check(`service-${status}`);
        assert.equal(result.authenticated, false);
        assert.doesNotMatch(result.message, /INTERNAL-SECRET-TEXT|admin console/);
        assert.match(result.message, new RegExp(`HTTP ${status}`));
        if (status === 404) assert.match(result.message, /is not a registry/);
      } finally {
        await service.stop();
      }
    });
  }
});

describe("a Repository's mirror", () => {
  test('re-pointing it at a Registry in a namespace the token cannot see: 403, and nothing is sent', async () => {
    const editor = await s.token('mirror-editor', 'editor', ['team-a']);
    assert.equal((await s.api('POST', '/namespaces/team-b/registries', { body: registryDoc('elsewhere', listener.url, { credentials: CREDS }, 'team-b') })).status, 201);
    assert.equal((await s.api('POST', '/namespaces/team-a/registries', { body: registryDoc('src', reg.url, { credentials: CREDS }, 'team-a') })).status, 201);
    const created = await s.api('POST', '/namespaces/team-a/repositories', {
      token: editor,
      body: repositoryDoc('app', { repository: 'team/app', tag: 'v1', registryRef: { name: 'src' }, syncInterval: '24h' }, 'team-a'),
    });
    assert.equal(created.status, 201, created.text);
    const seen = listener.requests.length;
    const r = await s.api('PATCH', '/namespaces/team-a/repositories/app', {
      token: editor,
      contentType: MERGE,
      body: { spec: { mirror: { registryRef: { name: 'elsewhere', namespace: 'team-b' } } } },
    });
    assert.equal(r.status, 403, r.text);
    assert.equal(listener.requests.length, seen);
  });

  test('re-pointing it within the namespace is audited with the old and new target', async () => {
    assert.equal((await s.api('POST', '/namespaces/team-a/registries', { body: registryDoc('src-audited', reg.url, { credentials: CREDS }, 'team-a') })).status, 201);
    assert.equal((await s.api('POST', '/namespaces/team-a/registries', { body: registryDoc('mirror-a', reg.url, {}, 'team-a') })).status, 201);
    const created = await s.api('POST', '/namespaces/team-a/repositories', { body: repositoryDoc('app-audited', { repository: 'team/app', tag: 'v1', registryRef: { name: 'src-audited' }, syncInterval: '24h' }, 'team-a') });
    assert.equal(created.status, 201, created.text);
    const r = await s.api('PATCH', '/namespaces/team-a/repositories/app-audited', { contentType: MERGE, body: { spec: { mirror: { registryRef: { name: 'mirror-a' } } } } });
    assert.equal(r.status, 200, r.text);
    const audit = await s.api('GET', '/auditlogs?limit=20');
    assert.ok(
      audit.body.items.some((e: { name: string; detail?: string }) => e.name === 'app-audited' && e.detail === 'spec.mirror.registryRef: none -> team-a/mirror-a'),
      audit.text,
    );
  });
});
