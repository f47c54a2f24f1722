import assert from 'node:assert/strict';
import { mkdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { test } from 'node:test';
import { type AuthLocationHost, authFileWriteTarget, lookupCredentials, removeCredentials, storeCredentials } from '../../src/credentials/index.ts';
import type { TugError } from '../../src/errors/index.ts';
import { b64, tempHome } from './fixture.ts';

const HOST = 'registry.example.com';
const SECRET = 'p@ss:wörd with spaces';
const readJson = (p: string) => JSON.parse(readFileSync(p, 'utf8')) as Record<string, any>;

test('write target without a named file: XDG_RUNTIME_DIR, else /run/containers/UID on Linux, else ~/.config (containers/image getPathToAuth)', () => {
  const cases: Array<{ name: string; env: NodeJS.ProcessEnv; host: AuthLocationHost; want: string }> = [
    { name: 'linux, no XDG_RUNTIME_DIR (cron, ssh, sudo)', env: { HOME: '/h', DOCKER_CONFIG: '/dc' }, host: { platform: 'linux', uid: 1234 }, want: '/run/containers/1234/auth.json' },
    { name: 'linux, root moved for tests', env: { HOME: '/h' }, host: { platform: 'linux', uid: 0, root: '/sandbox' }, want: '/sandbox/run/containers/0/auth.json' },
    { name: 'macOS', env: { HOME: '/h' }, host: { platform: 'darwin', uid: 501 }, want: '/h/.config/containers/auth.json' },
    { name: 'XDG_RUNTIME_DIR', env: { HOME: '/h', XDG_RUNTIME_DIR: '/' }, host: { platform: 'linux', uid: 1 }, want: '/containers/auth.json' },
  ];
  for (const c of cases) assert.equal(authFileWriteTarget(c.env, undefined, c.host), c.want, c.name);
  assert.throws(() => authFileWriteTarget({ XDG_RUNTIME_DIR: '/nonexistent/run/user/9' }), (err: TugError) => err.code === 'USAGE' && /XDG_RUNTIME_DIR/.test(err.message) && /unset XDG_RUNTIME_DIR/.test(err.hint ?? ''));
});

test('store: write target is authFile, REGISTRY_AUTH_FILE, then XDG_RUNTIME_DIR', async () => {
  const cases: Array<{ name: string; env: (r: string) => NodeJS.ProcessEnv; authFile?: string; want: string }> = [
    { name: 'XDG_RUNTIME_DIR', env: (r) => ({ XDG_RUNTIME_DIR: join(r, 'run') }), want: 'run/containers/auth.json' },
    { name: 'REGISTRY_AUTH_FILE', env: (r) => ({ XDG_RUNTIME_DIR: join(r, 'run'), REGISTRY_AUTH_FILE: join(r, 'r/auth.json') }), want: 'r/auth.json' },
    { name: 'explicit', env: (r) => ({ REGISTRY_AUTH_FILE: join(r, 'r/auth.json') }), authFile: 'x/y/auth.json', want: 'x/y/auth.json' },
  ];
  for (const c of cases) {
    const t = tempHome();
    try {
      const env = { ...t.env, ...c.env(t.root) };
      // XDG_RUNTIME_DIR is a directory the session made; a missing one is an error (above).
      if (env.XDG_RUNTIME_DIR) mkdirSync(env.XDG_RUNTIME_DIR);
      const authFile = c.authFile ? join(t.root, c.authFile) : undefined;
      const where = await storeCredentials(HOST, { username: 'alice', password: SECRET }, { env, authFile });
      const path = join(t.root, c.want);
      assert.deepEqual(where, { file: path }, c.name);
      assert.equal(statSync(path).mode & 0o777, 0o600, `${c.name}: file mode`);
      assert.equal(statSync(dirname(path)).mode & 0o777, 0o700, `${c.name}: new parent directory mode`);
      assert.deepEqual(readJson(path), { auths: { [HOST]: { auth: b64(`alice:${SECRET}`) } } });
      assert.deepEqual(await lookupCredentials(HOST, { env, authFile }), { username: 'alice', password: SECRET }, `${c.name}: round trip`);
    } finally {
      t.cleanup();
    }
  }
});

test('store/remove round trip keeps unknown fields and other entries', async () => {
  const t = tempHome();
  try {
    const file = t.write('auth.json', {
      auths: { 'https://registry.example.com/': { auth: b64('old:old'), email: 'a@b.c' }, 'quay.io': { auth: b64('q:q') } },
      HttpHeaders: { 'User-Agent': 'x' },
      currentContext: 'desktop',
    });
    writeFileSync(file, readFileSync(file), { mode: 0o644 });
    const opts = { env: t.env, authFile: file };
    assert.deepEqual(await storeCredentials(HOST, { username: 'alice', password: SECRET }, opts), { file });
    const doc = readJson(file);
    assert.deepEqual(doc.HttpHeaders, { 'User-Agent': 'x' });
    assert.equal(doc.currentContext, 'desktop');
    assert.deepEqual(doc.auths, { 'quay.io': { auth: b64('q:q') }, [HOST]: { email: 'a@b.c', auth: b64(`alice:${SECRET}`) } }, 'old spelling replaced, email kept');
    assert.equal(statSync(file).mode & 0o777, 0o600, 'rewritten with mode 0600');

    assert.equal(await removeCredentials(HOST, opts), true);
    assert.equal(await lookupCredentials(HOST, opts), undefined);
    assert.equal(await removeCredentials(HOST, opts), false, 'second logout: nothing to remove');
    assert.deepEqual(await lookupCredentials('quay.io', opts), { username: 'q', password: 'q' });
    assert.equal(readJson(file).currentContext, 'desktop');

    assert.equal(await removeCredentials('', { ...opts, all: true }), true);
    assert.deepEqual(readJson(file).auths, {});
    assert.deepEqual(readJson(file).HttpHeaders, { 'User-Agent': 'x' });
  } finally {
    t.cleanup();
  }
});

test('store: Docker Hub in docker config.json is spelled as docker spells it; namespaced keys', async () => {
  const t = tempHome();
  try {
    const dockerConfig = join(t.home, '.docker/config.json');
    await storeCredentials('index.docker.io', { username: 'hub', password: 'h' }, { env: t.env, authFile: dockerConfig });
    assert.deepEqual(Object.keys(readJson(dockerConfig).auths), ['https://index.docker.io/v1/']);
    const podman = join(t.root, 'auth.json');
    await storeCredentials('docker.io', { username: 'hub', password: 'h' }, { env: t.env, authFile: podman });
    await storeCredentials(`${HOST}/team`, { username: 'team', password: 't' }, { env: t.env, authFile: podman });
    await storeCredentials(HOST, { username: '<token>', password: 'refresh' }, { env: t.env, authFile: podman });
    assert.deepEqual(readJson(podman).auths, {
      'docker.io': { auth: b64('hub:h') },
      [`${HOST}/team`]: { auth: b64('team:t') },
      [HOST]: { identitytoken: 'refresh' },
    });
    const opts = { env: t.env, authFile: podman };
    assert.equal((await lookupCredentials(HOST, { ...opts, repository: 'team/app' }))?.username, 'team');
    assert.deepEqual(await lookupCredentials(HOST, { ...opts, repository: 'other/app' }), { username: '<token>', password: 'refresh' });
    assert.equal(await removeCredentials(`${HOST}/team`, opts), true);
    assert.equal((await lookupCredentials(HOST, { ...opts, repository: 'team/app' }))?.username, '<token>');
  } finally {
    t.cleanup();
  }
});

test('store through credHelpers / credsStore: the secret reaches the helper on stdin, not the file or argv', async () => {
  const t = tempHome();
  try {
    const file = t.write('home/.docker/config.json', { credHelpers: { [HOST]: 'tugtest' }, credsStore: 'tugtest', auths: {} });
    const creds = { username: 'alice', password: SECRET };
    // Logins go to containers-auth.json by default, as skopeo's; docker's file is written only when named.
    const w = { env: t.env, authFile: file };
    assert.deepEqual(await storeCredentials(HOST, creds, w), { helper: 'tugtest' });
    assert.deepEqual(await storeCredentials('docker.io', { username: 'hub', password: 'hubsecret' }, w), { helper: 'tugtest' });
    const text = readFileSync(file, 'utf8');
    assert.ok(!text.includes(SECRET) && !text.includes(b64(`alice:${SECRET}`)), 'file holds no secret');
    assert.deepEqual(readJson(file).auths, { [HOST]: {}, 'https://index.docker.io/v1/': {} }, 'docker-style marker entries');
    assert.deepEqual(readJson(t.helperStore), {
      [HOST]: { Username: 'alice', Secret: SECRET },
      'https://index.docker.io/v1/': { Username: 'hub', Secret: 'hubsecret' },
    });
    assert.ok(!readFileSync(t.argvLog, 'utf8').includes(SECRET), 'argv never carries the secret');
    assert.deepEqual(await lookupCredentials(HOST, { env: t.env }), creds);
    assert.deepEqual(await lookupCredentials('registry-1.docker.io', { env: t.env }), { username: 'hub', password: 'hubsecret' });

    assert.equal(await removeCredentials(HOST, w), true);
    assert.equal(await lookupCredentials(HOST, { env: t.env }), undefined);
    assert.equal(await removeCredentials('', { ...w, all: true }), true);
    assert.deepEqual(readJson(t.helperStore), {}, 'logout --all erased the credsStore entry the file marked');
    assert.deepEqual(readJson(file).auths, {});
  } finally {
    t.cleanup();
  }
});

test('logout --all leaves credsStore secrets of hosts this file never stored', async () => {
  const t = tempHome();
  try {
    writeFileSync(t.helperStore, JSON.stringify({ 'unrelated.example.com': { Username: 'x', Secret: 'y' } }));
    const file = t.write('home/.docker/config.json', { credsStore: 'tugtest', auths: { [HOST]: { auth: b64('u:p') } } });
    assert.equal(await removeCredentials('', { env: t.env, authFile: file, all: true }), true);
    assert.deepEqual(Object.keys(readJson(t.helperStore)), ['unrelated.example.com']);
  } finally {
    t.cleanup();
  }
});
