/**
 * Issue 10's holes, one describe each: what a namespace-scoped admin may do,
 * failed-login throttling, the public endpoints saying little, the
 * --admin-token-file token's life, and who may read the SQLite file.
 */
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { chmodSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import { type TestContext, after, before, describe, test } from 'node:test';
import { TugError } from '../../src/errors/index.ts';
import { buildApp } from '../../src/server/app.ts';
import { FILE_TOKEN_NAME, createToken, ensureAdminToken, hashToken } from '../../src/server/auth.ts';
import { createLogger } from '../../src/server/logger.ts';
import { createLoginLimiter } from '../../src/server/login-limiter.ts';
import { createSecrets } from '../../src/server/secrets.ts';
import { openStore } from '../../src/store/index.ts';
import type { Store } from '../../src/store/types.ts';
import { type TestServer, registryDoc, startTestServer } from './harness.ts';
import { tempDir } from '../support/tmp.ts';

describe('a namespace-scoped admin administers its namespaces only', () => {
  let s: TestServer;
  let scoped: string;
  before(async () => {
    s = await startTestServer();
    scoped = await s.token('team-a-admin', 'admin', ['team-a', 'team-c']);
    await s.token('global-viewer', 'viewer');
    await s.token('team-b-editor', 'editor', ['team-b']);
    await s.token('team-ab-viewer', 'viewer', ['team-a', 'team-b']);
    await s.api('POST', '/namespaces/team-a/registries', { body: registryDoc('visible', 'http://127.0.0.1:9', {}, 'team-a') });
    await s.api('POST', '/namespaces/team-b/registries', { body: registryDoc('hidden', 'http://127.0.0.1:9', {}, 'team-b') });
  });
  after(async () => {
    await s.close();
  });

  const denied: [string, unknown][] = [
    ['an unscoped admin', { name: 'root-again', role: 'admin' }],
    ['an unscoped viewer', { name: 'sees-all', role: 'viewer' }],
    ['a token for another namespace', { name: 'team-b-admin', role: 'admin', namespaces: ['team-b'] }],
    ['a token reaching beyond its scope', { name: 'a-and-b', role: 'viewer', namespaces: ['team-a', 'team-b'] }],
  ];
  for (const [what, body] of denied) {
    test(`may not mint ${what}: 403`, async () => {
      const r = await s.api('POST', '/tokens', { token: scoped, body });
      assert.equal(r.status, 403, r.text);
      assert.equal(r.body.reason, 'Forbidden');
    });
  }

  test('mints tokens within its scope, up to its own role', async () => {
    const r = await s.api('POST', '/tokens', { token: scoped, body: { name: 'team-a-ci', role: 'editor', namespaces: ['team-a'] } });
    assert.equal(r.status, 201, r.text);
    const t = r.body.status.token as string;
    assert.equal((await s.api('GET', '/namespaces/team-a/registries/visible', { token: t })).status, 200);
    assert.equal((await s.api('GET', '/namespaces/team-b/registries/hidden', { token: t })).status, 404);
    assert.equal((await s.api('DELETE', '/tokens/team-a-ci', { token: scoped })).status, 200);
  });

  test('lists and deletes only the tokens within its scope', async () => {
    assert.equal((await s.api('POST', '/tokens', { token: scoped, body: { name: 'team-a-listed', role: 'viewer', namespaces: ['team-a'] } })).status, 201);
    const names = (await s.api('GET', '/tokens', { token: scoped })).body.items.map((i: { metadata: { name: string } }) => i.metadata.name);
    assert.deepEqual(names.sort(), ['team-a-admin', 'team-a-listed']);
    for (const other of ['admin', 'global-viewer', 'team-b-editor', 'team-ab-viewer']) {
      assert.equal((await s.api('DELETE', `/tokens/${other}`, { token: scoped })).status, 404, other);
    }
    assert.equal((await s.api('GET', '/tokens')).body.items.length, 6, 'the unscoped admin sees all of them, none deleted');
    assert.equal((await s.api('DELETE', '/tokens/team-a-listed', { token: scoped })).status, 200);
  });

  test('reads the audit entries of its namespaces only', async () => {
    // A token change of its own: the unscoped view must show it.
    assert.equal((await s.api('POST', '/tokens', { body: { name: 'audit-probe', role: 'viewer' } })).status, 201);
    assert.equal((await s.api('DELETE', '/tokens/audit-probe')).status, 200);
    const entries = (await s.api('GET', '/auditlogs', { token: scoped })).body.items as { namespace: string; name: string }[];
    assert.ok(entries.some((e) => e.namespace === 'team-a' && e.name === 'visible'));
    assert.deepEqual([...new Set(entries.map((e) => e.namespace))], ['team-a']);
    const all = (await s.api('GET', '/auditlogs')).body.items as { namespace: string }[];
    assert.ok(all.some((e) => e.namespace === 'team-b'));
    assert.ok(all.some((e) => e.namespace === ''), 'token changes are in the unscoped view');
  });

  test('token names are unique, and the file token\'s name is reserved', async () => {
    assert.equal((await s.api('POST', '/tokens', { body: { name: 'global-viewer', role: 'viewer' } })).status, 409);
    assert.equal((await s.api('POST', '/tokens', { body: { name: FILE_TOKEN_NAME, role: 'admin' } })).status, 422);
    // Below the API too: the store refuses a second "global-viewer".
    await assert.rejects(createToken(s.store, { name: 'global-viewer', role: 'admin' }), /already exists/);
  });
});

describe('failed logins are throttled per client address', () => {
  test('a token bucket: a burst, then one more per refill interval', () => {
    let now = 0;
    const limiter = createLoginLimiter({ burst: 3, refillMs: 1000, now: () => now });
    for (let i = 0; i < 3; i++) {
      assert.equal(limiter.retryAfter('a'), undefined);
      limiter.failed('a');
    }
    assert.equal(limiter.retryAfter('a'), 1);
    assert.equal(limiter.retryAfter('b'), undefined, 'per address');
    now += 999;
    assert.equal(limiter.retryAfter('a'), 1);
    now += 1;
    assert.equal(limiter.retryAfter('a'), undefined);
    limiter.failed('a');
    assert.equal(limiter.retryAfter('a'), 1);
    now += 10_000;
    assert.equal(limiter.retryAfter('a'), undefined, 'full again');
  });

  test('the limiter forgets the least recently failed address first when full', () => {
    const limiter = createLoginLimiter({ burst: 1, maxAddresses: 2, now: () => 0 });
    for (const a of ['x', 'y', 'z']) limiter.failed(a);
    assert.equal(limiter.retryAfter('x'), undefined);
    assert.ok(limiter.retryAfter('y') !== undefined && limiter.retryAfter('z') !== undefined);
  });

  test('over HTTP: 10 unknown tokens, then 429 with Retry-After; valid tokens elsewhere and before are unaffected', async () => {
    const s = await startTestServer();
    try {
      const call = (token: string | undefined, remoteAddress: string) =>
        s.app.inject({ method: 'GET', url: '/oapis/image.theriseunion.io/v1alpha1/whoami', remoteAddress, headers: token ? { authorization: `Bearer ${token}` } : {} });
      // Successes and missing tokens do not count.
      for (let i = 0; i < 20; i++) assert.equal((await call(s.adminToken, '192.0.2.1')).statusCode, 200);
      for (let i = 0; i < 20; i++) assert.equal((await call(undefined, '192.0.2.1')).statusCode, 401);
      for (let i = 0; i < 10; i++) assert.equal((await call(`tug_guess-${i}`, '192.0.2.1')).statusCode, 401, `guess ${i}`);
      const limited = await call('tug_guess-10', '192.0.2.1');
      assert.equal(limited.statusCode, 429);
      assert.equal(limited.json().reason, 'TooManyRequests');
      assert.match(String(limited.headers['retry-after']), /^[1-9]\d*$/);
      // The guess is not even tried: the right token from that address waits too.
      assert.equal((await call(s.adminToken, '192.0.2.1')).statusCode, 429);
      assert.equal((await call(s.adminToken, '192.0.2.2')).statusCode, 200);
      assert.equal((await call('tug_guess-0', '192.0.2.2')).statusCode, 401);
    } finally {
      await s.close();
    }
  });
});

describe('behind a reverse proxy (--trust-proxy)', () => {
  const guessFrom = (s: Awaited<ReturnType<typeof startTestServer>>, remoteAddress: string, forwardedFor: string) =>
    s.app.inject({ method: 'GET', url: '/oapis/image.theriseunion.io/v1alpha1/whoami', remoteAddress, headers: { authorization: 'Bearer tug_guess', 'x-forwarded-for': forwardedFor } });

  test('from a trusted proxy each forwarded client has its own budget: one guesser does not lock out the rest', async () => {
    const s = await startTestServer({ trustProxy: ['10.0.0.0/8'] });
    try {
      for (let i = 0; i < 10; i++) assert.equal((await guessFrom(s, '10.1.2.3', '198.51.100.7')).statusCode, 401);
      assert.equal((await guessFrom(s, '10.1.2.3', '198.51.100.7')).statusCode, 429, 'the guesser is limited');
      assert.equal((await guessFrom(s, '10.1.2.3', '198.51.100.8')).statusCode, 401, 'another client through the same proxy is not');
    } finally {
      await s.close();
    }
  });

  test('without it the header is ignored: a client cannot buy new budgets by inventing X-Forwarded-For', async () => {
    const s = await startTestServer();
    try {
      for (let i = 0; i < 10; i++) assert.equal((await guessFrom(s, '192.0.2.9', `198.51.100.${i}`)).statusCode, 401);
      assert.equal((await guessFrom(s, '192.0.2.9', '198.51.100.200')).statusCode, 429);
    } finally {
      await s.close();
    }
  });
});

describe('public endpoints say little', () => {
  test('/readyz: 503 {status: unavailable}; the store\'s error only in the log', async () => {
    const dir = tempDir(undefined, 'tug-readyz-');
    const store = await openStore({ data: dir });
    const broken: Store = Object.create(store, {
      countTokens: { value: async () => { throw new Error('connect ECONNREFUSED db.internal:5432 (user tugboat-secret-user)'); } },
    });
    const logs: string[] = [];
    const app = await buildApp({ store: broken, secrets: createSecrets(randomBytes(32)), logger: createLogger({ destination: new Writable({ write: (c, _e, cb) => { logs.push(String(c)); cb(); } }) }), webRoot: null });
    try {
      const r = await app.inject({ method: 'GET', url: '/readyz' });
      assert.equal(r.statusCode, 503);
      assert.deepEqual(r.json(), { status: 'unavailable' });
      assert.ok(logs.some((l) => l.includes('tugboat-secret-user')), 'the detail is in the server log');
    } finally {
      await app.close();
      await store.close();
    }
  });
});

describe('--admin-token-file', () => {
  /** A store of the test's own (each test here runs alone as well as in order). */
  async function freshStore(t: TestContext): Promise<{ store: Store; dir: string }> {
    const dir = tempDir(t, 'tug-admin-file-');
    const store = await openStore({ data: dir });
    t.after(() => store.close());
    return { store, dir };
  }
  const first = `tug_${randomBytes(32).toString('base64url')}`;
  const second = `tug_${randomBytes(32).toString('base64url')}`;

  for (const [what, weak] of [['shorter than 32 characters', 'tug_0123456789abcdefghijklmnop'], ['predictable', 'a'.repeat(40)], ['two words', `${first} ${second}`]] as const) {
    test(`rejects a token that is ${what}`, async (t) => {
      const { store } = await freshStore(t);
      await assert.rejects(ensureAdminToken(store, weak), (e) => e instanceof TugError && e.code === 'USAGE');
      assert.equal(await store.countTokens(), 0);
    });
  }

  test('registers the file token as "admin-file"; the same file again changes nothing', async (t) => {
    const { store } = await freshStore(t);
    assert.deepEqual(await ensureAdminToken(store, `${first}\n`), { token: first, generated: false });
    assert.equal((await store.findToken(hashToken(first)))?.name, FILE_TOKEN_NAME);
    assert.equal(await ensureAdminToken(store, first), undefined);
    assert.equal(await store.countTokens(), 1);
  });

  test('a new file revokes the old file\'s token; other tokens stay', async (t) => {
    const { store } = await freshStore(t);
    await ensureAdminToken(store, first);
    await createToken(store, { name: 'ci', role: 'editor' });
    assert.deepEqual(await ensureAdminToken(store, second), { token: second, generated: false });
    assert.equal(await store.findToken(hashToken(first)), undefined, 'the old file token no longer works');
    assert.equal((await store.findToken(hashToken(second)))?.name, FILE_TOKEN_NAME);
    assert.deepEqual((await store.listTokens()).map((t) => t.name).sort(), [FILE_TOKEN_NAME, 'ci']);
  });

  test('a token an older version registered from the file under another name becomes the file\'s', async (t) => {
    const { store } = await freshStore(t);
    await ensureAdminToken(store, second);
    await createToken(store, { name: 'ci', role: 'editor' });
    const legacy = `tug_${randomBytes(32).toString('base64url')}`;
    await createToken(store, { name: 'admin-legacy', role: 'admin' }, legacy);
    await ensureAdminToken(store, legacy);
    assert.equal((await store.findToken(hashToken(legacy)))?.name, FILE_TOKEN_NAME);
    assert.equal(await store.findToken(hashToken(second)), undefined);
    assert.deepEqual((await store.listTokens()).map((t) => t.name).sort(), [FILE_TOKEN_NAME, 'ci']);
  });

  test('two replicas starting with the same new file at once both succeed', async (t) => {
    const { store, dir } = await freshStore(t);
    await ensureAdminToken(store, first);
    const next = `tug_${randomBytes(32).toString('base64url')}`;
    const other = await openStore({ data: dir });
    try {
      await Promise.all([ensureAdminToken(store, next), ensureAdminToken(other, next)]);
    } finally {
      await other.close();
    }
    assert.equal((await store.findToken(hashToken(next)))?.name, FILE_TOKEN_NAME);
    assert.equal((await store.listTokens()).filter((t) => t.name === FILE_TOKEN_NAME).length, 1);
  });
});

describe('the SQLite file is its owner\'s', () => {
  test('tugboat.db and its -wal and -shm are created 0600, the data directory 0700', async () => {
    const data = join(tempDir(undefined, 'tug-perms-'), 'data');
    const store = await openStore({ data });
    try {
      await createToken(store, { name: 'x', role: 'viewer' });
      assert.equal(statSync(data).mode & 0o777, 0o700);
      for (const f of ['tugboat.db', 'tugboat.db-wal', 'tugboat.db-shm']) assert.equal(statSync(join(data, f)).mode & 0o777, 0o600, f);
    } finally {
      await store.close();
    }
  });

  test('a file an older version left readable is tightened', async () => {
    const data = tempDir(undefined, 'tug-perms-old-');
    const file = join(data, 'tugboat.db');
    writeFileSync(file, '');
    chmodSync(file, 0o644);
    const store = await openStore({ data });
    await store.close();
    assert.equal(statSync(file).mode & 0o777, 0o600);
  });
});
