/**
 * The attack suite, generated from the route table: every route fastify
 * registered (app.routeTable(), collected by an onRoute hook, so a new route
 * is covered without anyone listing it) against every kind of caller. The
 * expected answer is computed from the route's declared role and the caller,
 * never written per route:
 *
 * - public routes answer without a token;
 * - no token or an unknown one: 401;
 * - a role below the route's: 403; a namespace-scoped token on a route for
 *   every namespace (/metrics): 403;
 * - a scoped token in another namespace: 404 for its objects, 403 to create
 *   there, an empty answer for lists and batch deletes;
 * - otherwise 2xx, and a scoped token's answers never mention another namespace;
 * - never a 500, and every answer carries the security headers.
 *
 * Then the same routes spelled the ways a raw-URL check gets wrong.
 */
import assert from 'node:assert/strict';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import type { Role, SyncRun } from '../../src/api/types.ts';
import type { RouteEntry } from '../../src/server/access.ts';
import { createToken } from '../../src/server/auth.ts';
import { buildApp } from '../../src/server/app.ts';
import { createSecrets } from '../../src/server/secrets.ts';
import { createLogger } from '../../src/server/logger.ts';
import { type TestServer, registryDoc, repositoryDoc, startTestServer } from './harness.ts';
import { tempDir } from '../support/tmp.ts';

const OWN = 'team-a';
const OTHER = 'team-b';
const RANK: Record<Role, number> = { viewer: 0, editor: 1, admin: 2 };

interface Caller {
  name: string;
  /** undefined: no Authorization header; 'bad': a token the server never issued. */
  kind: 'none' | 'bad' | 'token';
  role?: Role;
  namespaces?: string[];
  token?: string;
}

const callers: Caller[] = [
  { name: 'no token', kind: 'none' },
  { name: 'unknown token', kind: 'bad' },
  { name: 'viewer', kind: 'token', role: 'viewer' },
  { name: 'editor', kind: 'token', role: 'editor' },
  { name: `editor scoped to ${OWN}`, kind: 'token', role: 'editor', namespaces: [OWN] },
  { name: `admin scoped to ${OWN}`, kind: 'token', role: 'admin', namespaces: [OWN] },
  { name: 'admin', kind: 'token', role: 'admin' },
];

type Expect = 'ok' | 'empty' | 401 | 403 | 404;

/** What `caller` must get from `route` when the request names `namespace`. */
function expected(route: RouteEntry, caller: Caller, namespace: string): Expect {
  if (route.role === 'public') return 'ok';
  if (caller.kind !== 'token') return 401;
  if (RANK[caller.role!] < RANK[route.role!]) return 403;
  if (route.allNamespaces && caller.namespaces) return 403;
  if (caller.namespaces && route.url.includes(':namespace') && !caller.namespaces.includes(namespace)) {
    // Another namespace does not exist for a scoped token (src/server/auth.ts).
    if (/:name(\/|$)/.test(route.url) || route.url.endsWith('/settings')) return 404;
    if (route.method === 'POST') return 403;
    return 'empty';
  }
  return 'ok';
}

let s: TestServer;
let webDir: string;
let serial = 0;
const VICTIM = 'victim';

async function ensureFixtures(): Promise<void> {
  const create = async (plural: string, ns: string, doc: unknown) => {
    const res = await s.app.inject({ method: 'POST', url: `/oapis/image.theriseunion.io/v1alpha1/namespaces/${ns}/${plural}`, headers: { authorization: `Bearer ${s.adminToken}` }, payload: doc as object });
    assert.equal(res.statusCode, 201, res.body);
  };
  for (const ns of [OWN, OTHER]) {
    if (!(await s.store.get('Registry', ns, 'reg'))) await create('registries', ns, registryDoc('reg', 'http://127.0.0.1:9', {}, ns));
    if (!(await s.store.get('Repository', ns, 'repo'))) await create('repositories', ns, repositoryDoc('repo', { repository: 'a/b', tag: '1', registryRef: { name: 'reg' }, retryCount: 0, syncInterval: '24h' }, ns));
    if (!(await s.store.getWebhook(ns, 'hook'))) await create('webhooks', ns, { metadata: { name: 'hook' }, spec: { url: 'http://127.0.0.1:9/hook' } });
    if (!(await s.store.getRun(ns, 'repo-fixture'))) {
      const now = new Date().toISOString();
      const run: SyncRun = {
        apiVersion: 'image.theriseunion.io/v1alpha1',
        kind: 'SyncRun',
        metadata: { name: 'repo-fixture', namespace: ns },
        spec: { repositoryName: 'repo', trigger: 'manual', attempt: 1 },
        status: { phase: 'Succeeded', startTime: now, completionTime: now },
      };
      await s.store.createRun(run);
    }
  }
  // Within team-a, so the scoped admin may delete it too.
  if (!(await s.store.listTokens()).some((t) => t.name === VICTIM)) await createToken(s.store, { name: VICTIM, role: 'viewer', namespaces: [OWN] });
}

function fill(route: RouteEntry, namespace: string): string {
  return route.url
    .replace(':namespace', namespace)
    .replace(/\/repositories\/:name/, '/repositories/repo')
    .replace(/\/registries\/:name/, '/registries/reg')
    .replace('/tokens/:name', `/tokens/${VICTIM}`)
    .replace('/webhooks/:name', '/webhooks/hook')
    .replace(':run', 'repo-fixture');
}

/** A body the route accepts from a caller allowed to use it. */
async function body(route: RouteEntry, namespace: string): Promise<{ payload?: string; contentType?: string; query?: string }> {
  const n = `obj-${++serial}`;
  const json = (v: unknown, contentType = 'application/json') => ({ payload: JSON.stringify(v), contentType });
  const u = route.url;
  if (route.method === 'POST' && u.endsWith('/repositories')) return json(repositoryDoc(n, { repository: 'a/b', tag: '1', registryRef: { name: 'reg' }, retryCount: 0 }, namespace));
  if (route.method === 'POST' && u.endsWith('/registries')) return json(registryDoc(n, 'http://127.0.0.1:9', {}, namespace));
  if (route.method === 'POST' && u.endsWith('/tokens')) return json({ name: n, role: 'viewer', namespaces: [OWN] });
  if (route.method === 'POST' && u.endsWith('/imports')) return json({ content: '127.0.0.1:9/a/b:1', dryRun: true });
  if (route.method === 'POST' && u.endsWith('/webhooks')) return json({ metadata: { name: n }, spec: { url: 'http://127.0.0.1:9/hook' } });
  if (route.method === 'PUT' && u.endsWith('/settings')) return json({ spec: { storageWarning: '1GiB' } });
  if (route.method === 'PUT') {
    const kind = u.includes('/repositories/') ? 'Repository' : 'Registry';
    const current = (await s.store.get(kind, namespace, kind === 'Repository' ? 'repo' : 'reg'))!;
    const { resourceVersion: _rv, ...metadata } = current.metadata;
    return json({ ...current, metadata: { ...metadata, labels: { put: String(serial) } } });
  }
  if (route.method === 'PATCH') return json({ metadata: { labels: { patched: String(serial) } } }, 'application/merge-patch+json');
  if (route.method === 'DELETE' && (u.endsWith('/repositories') || u.endsWith('/registries'))) return { query: `?names=${u.endsWith('/repositories') ? 'repo' : 'reg'}` };
  return {};
}

/** Each unknown-token request comes from its own address: the failed-login throttle is tested elsewhere. */
let address = 0;
function remoteAddress(caller: Caller): string {
  return caller.kind === 'bad' ? `10.1.${(++address >> 8) & 255}.${address & 255}` : '127.0.0.1';
}

function headers(caller: Caller): Record<string, string> {
  if (caller.kind === 'none') return {};
  return { authorization: `Bearer ${caller.kind === 'bad' ? 'tug_never-issued-0123456789abcdefghijklmnop' : caller.token}` };
}

function assertSecurityHeaders(h: Record<string, unknown>, what: string): void {
  assert.equal(h['x-content-type-options'], 'nosniff', what);
  assert.equal(h['x-frame-options'], 'DENY', what);
  assert.equal(h['referrer-policy'], 'no-referrer', what);
  assert.match(String(h['content-security-policy']), /frame-ancestors 'none'/, what);
}

before(async () => {
  webDir = tempDir(undefined, 'tug-attack-web-');
  mkdirSync(join(webDir, 'assets'));
  writeFileSync(join(webDir, 'index.html'), '<!doctype html><title>Tugboat</title>');
  writeFileSync(join(webDir, 'assets', 'app.js'), 'console.log(1)');
  s = await startTestServer({ webRoot: webDir });
  for (const c of callers) {
    if (c.kind === 'token') c.token = await s.token(`attack-${c.name.replace(/[^a-z]+/g, '-')}`, c.role!, c.namespaces);
  }
  // A token and audit entries in the other namespace: what a scoped admin must not see.
  await createToken(s.store, { name: 'other-namespace-viewer', role: 'viewer', namespaces: [OTHER] });
  await s.store.appendAudit({ time: new Date().toISOString(), user: 'someone', verb: 'create', kind: 'Repository', namespace: OTHER, name: 'secret-plans' });
  await ensureFixtures();
});
after(async () => {
  await s?.close();
});

describe('the route table', () => {
  test('every route declares a role, and public routes are the expected few', () => {
    const table = s.app.routeTable();
    assert.ok(table.length > 40, `only ${table.length} routes collected`);
    for (const r of table) assert.ok(r.role !== undefined && ['public', 'viewer', 'editor', 'admin'].includes(r.role), `${r.method} ${r.url} declares no role`);
    const publicUrls = [...new Set(table.filter((r) => r.role === 'public').map((r) => r.url))].sort();
    assert.deepEqual(publicUrls, ['/', '/assets/app.js', '/healthz', '/index.html', '/openapi.json', '/readyz']);
  });

  test('a route registered without a role stops the server from starting', async (t) => {
    const { openStore } = await import('../../src/store/index.ts');
    const dir = tempDir(t, 'tug-attack-');
    const store = await openStore({ data: dir });
    const { Writable } = await import('node:stream');
    const app = await buildApp({ store, secrets: createSecrets(Buffer.alloc(32, 1)), logger: createLogger({ destination: new Writable({ write: (_c, _e, cb) => cb() }) }), webRoot: null });
    app.get('/forgot-the-role', async () => 'secret');
    await assert.rejects(async () => app.ready(), /routes without config\.role.*GET \/forgot-the-role/);
    await app.close().catch(() => {});
    await store.close();
  });
});

describe('every route x every caller', () => {
  // Routes are known only once the server runs; one test per route keeps failures readable.
  test('answers as the route table says', async (t) => {
    for (const route of s.app.routeTable()) {
      await t.test(`${route.method} ${route.url}`, async () => {
        for (const caller of callers) {
          const namespaces = caller.namespaces && route.url.includes(':namespace') ? [OWN, OTHER] : [OTHER];
          for (const ns of namespaces) {
            await ensureFixtures();
            const b = await body(route, ns);
            const url = fill(route, ns) + (b.query ?? '');
            const res = await s.app.inject({
              method: route.method as 'GET',
              url,
              remoteAddress: remoteAddress(caller),
              headers: { ...headers(caller), ...(b.contentType ? { 'content-type': b.contentType } : {}) },
              ...(b.payload !== undefined ? { payload: b.payload } : {}),
            });
            const want = expected(route, caller, ns);
            const what = `${caller.name}: ${route.method} ${url} -> ${res.statusCode} ${res.body.slice(0, 300)}`;
            assert.ok(res.statusCode < 500, what);
            assertSecurityHeaders(res.headers, what);
            if (typeof want === 'number') {
              assert.equal(res.statusCode, want, what);
              if (route.method !== 'HEAD') assert.equal(res.json().kind, 'Status', what);
              continue;
            }
            assert.ok(res.statusCode >= 200 && res.statusCode < 300, `expected 2xx: ${what}`);
            if (route.method === 'HEAD') continue;
            if (want === 'empty' && String(res.headers['content-type']).startsWith('application/yaml')) assert.equal(res.body, '', what);
            else if (want === 'empty') {
              const parsed = res.json();
              assert.deepEqual(parsed.items ?? parsed.deleted, [], what);
            }
            if (caller.namespaces) assert.doesNotMatch(res.body, new RegExp(OTHER), `a scoped token learns of another namespace: ${what}`);
          }
        }
      });
    }
  });
});

describe('the same routes spelled otherwise', () => {
  // The old gate read the raw URL; the router decodes it (#10: GET /%6Fapis/.../whoami answered 500 without a token).
  const spellings: [string, (path: string) => string][] = [
    ['an encoded letter', (p) => p.replace('/oapis', '/%6Fapis')],
    ['encoded slashes', (p) => p.replaceAll('/', '%2F').replace(/^%2F/, '/')],
    ['a doubled slash', (p) => p.replace('/oapis/', '/oapis//')],
    ['a leading doubled slash', (p) => `/${p}`],
    ['a trailing slash', (p) => `${p}/`],
    ['upper case', (p) => p.toUpperCase()],
    ['a dot segment', (p) => p.replace('/oapis/', '/oapis/./')],
    ['a dot-dot segment', (p) => p.replace('/oapis/', '/oapis/x/../')],
    ['a query string', (p) => `${p}?watch=false`],
  ];
  for (const [name, spell] of spellings) {
    test(`${name}: no token never gets data`, async () => {
      for (const route of s.app.routeTable()) {
        if (route.role === 'public' || route.method !== 'GET') continue;
        const url = spell(fill(route, OTHER));
        const res = await s.app.inject({ method: 'GET', url });
        const what = `GET ${url} -> ${res.statusCode} ${res.body.slice(0, 200)}`;
        // Outside /oapis/ (`//metrics`, `/METRICS`) an unknown path is the console's page, not the route's data.
        assert.ok([400, 401].includes(res.statusCode) || (res.statusCode === 200 && /^<!doctype html><title>Tugboat/.test(res.body)), what);
        assertSecurityHeaders(res.headers, what);
        const admin = await s.app.inject({ method: 'GET', url, headers: { authorization: `Bearer ${s.adminToken}` } });
        assert.ok(admin.statusCode < 500, `admin: GET ${url} -> ${admin.statusCode} ${admin.body.slice(0, 200)}`);
      }
    });
  }

  test('GET /%6Fapis/.../whoami without a token: 401 (it skipped authentication and answered 500)', async () => {
    const res = await s.app.inject({ method: 'GET', url: '/%6Fapis/image.theriseunion.io/v1alpha1/whoami' });
    assert.equal(res.statusCode, 401, res.body);
    const ok = await s.app.inject({ method: 'GET', url: '/%6Fapis/image.theriseunion.io/v1alpha1/whoami', headers: { authorization: `Bearer ${s.adminToken}` } });
    assert.equal(ok.json().status.userInfo.username, 'admin');
  });

  test('unknown URLs under /oapis/ need a token before they answer 404; elsewhere the console answers', async () => {
    for (const url of ['/oapis/image.theriseunion.io/v1alpha1/nothing', '/oapis/other.group/v1/secrets', '/OAPIS/x', '/%6fapis/x', '//oapis/x']) {
      assert.equal((await s.app.inject({ method: 'GET', url })).statusCode, 401, url);
      assert.equal((await s.app.inject({ method: 'GET', url, headers: { authorization: `Bearer ${s.adminToken}` } })).statusCode, 404, url);
    }
    for (const url of ['/repositories/default/nginx', '/login', '/%6Flogin']) {
      const res = await s.app.inject({ method: 'GET', url });
      assert.equal(res.statusCode, 200, url);
      assert.match(res.body, /<title>Tugboat/);
    }
    const bad = await s.app.inject({ method: 'GET', url: '/oapis/%zz' });
    assert.equal(bad.statusCode, 400);
    assert.equal(bad.json().kind, 'Status');
    assertSecurityHeaders(bad.headers, 'a URL the router cannot decode');
  });
});
