import assert from 'node:assert/strict';
import { join } from 'node:path';
import { test } from 'node:test';
import { authFileCandidates, lookupCredentials } from '../../src/credentials/index.ts';
import { b64, tempHome } from './fixture.ts';

const HOST = 'registry.example.com';
const entry = (user: string) => ({ auths: { [HOST]: { auth: b64(`${user}:pw-${user}`) } } });

test('authFileCandidates: defaults, XDG and DOCKER_CONFIG', () => {
  const cases: Array<{ name: string; env: NodeJS.ProcessEnv; authFile?: string; want: string[] }> = [
    {
      name: 'plain HOME: /run/containers/UID first, as skopeo login writes it without XDG_RUNTIME_DIR',
      env: { HOME: '/h' },
      want: ['/run/containers/7/auth.json', '/h/.config/containers/auth.json', '/h/.docker/config.json', '/h/.dockercfg'],
    },
    {
      name: 'XDG_RUNTIME_DIR and XDG_CONFIG_HOME',
      env: { HOME: '/h', XDG_RUNTIME_DIR: '/', XDG_CONFIG_HOME: '/cfg' },
      want: ['/containers/auth.json', '/cfg/containers/auth.json', '/h/.docker/config.json', '/h/.dockercfg'],
    },
    {
      name: 'DOCKER_CONFIG',
      env: { HOME: '/h', DOCKER_CONFIG: '/dc' },
      want: ['/run/containers/7/auth.json', '/h/.config/containers/auth.json', '/dc/config.json', '/h/.dockercfg'],
    },
    { name: 'REGISTRY_AUTH_FILE is exclusive', env: { HOME: '/h', REGISTRY_AUTH_FILE: '/r.json', XDG_RUNTIME_DIR: '/run' }, want: ['/r.json'] },
    { name: 'explicit authFile beats REGISTRY_AUTH_FILE', env: { HOME: '/h', REGISTRY_AUTH_FILE: '/r.json' }, authFile: '/a.json', want: ['/a.json'] },
  ];
  for (const c of cases) {
    assert.deepEqual(
      authFileCandidates(c.env, c.authFile, { platform: 'linux', uid: 7 }).map((x) => x.path),
      c.want,
      c.name,
    );
  }
  assert.deepEqual(
    authFileCandidates({ HOME: '/h' }, undefined, { platform: 'linux', uid: 7 }).map((x) => x.legacy),
    [false, false, false, true],
  );
  assert.deepEqual(
    authFileCandidates({ HOME: '/h', XDG_RUNTIME_DIR: '/nonexistent/run' }, undefined, { platform: 'linux', uid: 7 }).map((x) => x.path),
    ['/h/.config/containers/auth.json', '/h/.docker/config.json', '/h/.dockercfg'],
    'a missing XDG_RUNTIME_DIR is skipped when reading, as containers/image does',
  );
  assert.deepEqual(
    authFileCandidates({ HOME: '/h' }, undefined, { platform: 'darwin', uid: 7 }).map((x) => x.path),
    ['/h/.config/containers/auth.json', '/h/.docker/config.json', '/h/.dockercfg'],
    'elsewhere than Linux the default is ~/.config/containers/auth.json, read once',
  );
});

// Each case writes the files named, each with a different user for HOST, and
// says whose credentials lookup must return.
const orderCases: Array<{
  name: string;
  files: Record<string, unknown>;
  env?: (root: string) => NodeJS.ProcessEnv;
  authFile?: string;
  want: string | undefined;
}> = [
  { name: 'nothing anywhere', files: {}, want: undefined },
  { name: 'legacy ~/.dockercfg', files: { 'home/.dockercfg': { [`https://${HOST}`]: { auth: b64('legacy:pw-legacy'), email: 'x@y' } } }, want: 'legacy' },
  {
    name: '~/.docker/config.json beats ~/.dockercfg',
    files: { 'home/.docker/config.json': entry('docker'), 'home/.dockercfg': { [HOST]: { auth: b64('legacy:pw-legacy') } } },
    want: 'docker',
  },
  {
    name: 'DOCKER_CONFIG replaces ~/.docker',
    files: { 'home/.docker/config.json': entry('docker'), 'dc/config.json': entry('dockerconfig') },
    env: (r) => ({ DOCKER_CONFIG: join(r, 'dc') }),
    want: 'dockerconfig',
  },
  {
    name: '~/.config/containers/auth.json beats docker',
    files: { 'home/.docker/config.json': entry('docker'), 'home/.config/containers/auth.json': entry('xdgconfig') },
    want: 'xdgconfig',
  },
  {
    name: 'XDG_CONFIG_HOME moves the containers file',
    files: { 'home/.config/containers/auth.json': entry('xdgdefault'), 'cfg/containers/auth.json': entry('xdgconfig') },
    env: (r) => ({ XDG_CONFIG_HOME: join(r, 'cfg') }),
    want: 'xdgconfig',
  },
  {
    name: 'XDG_RUNTIME_DIR beats XDG_CONFIG_HOME',
    files: { 'home/.config/containers/auth.json': entry('xdgconfig'), 'run/containers/auth.json': entry('runtime') },
    env: (r) => ({ XDG_RUNTIME_DIR: join(r, 'run') }),
    want: 'runtime',
  },
  {
    name: 'a file without this registry falls through to the next',
    files: {
      'run/containers/auth.json': { auths: { 'other.example.com': { auth: b64('other:x') } } },
      'home/.docker/config.json': entry('docker'),
    },
    env: (r) => ({ XDG_RUNTIME_DIR: join(r, 'run') }),
    want: 'docker',
  },
  {
    name: 'REGISTRY_AUTH_FILE beats the runtime file',
    files: { 'run/containers/auth.json': entry('runtime'), 'r.json': entry('envfile') },
    env: (r) => ({ XDG_RUNTIME_DIR: join(r, 'run'), REGISTRY_AUTH_FILE: join(r, 'r.json') }),
    want: 'envfile',
  },
  {
    name: 'REGISTRY_AUTH_FILE without the registry does not fall back to docker',
    files: { 'home/.docker/config.json': entry('docker'), 'r.json': { auths: {} } },
    env: (r) => ({ REGISTRY_AUTH_FILE: join(r, 'r.json') }),
    want: undefined,
  },
  {
    name: 'explicit authFile beats REGISTRY_AUTH_FILE',
    files: { 'r.json': entry('envfile'), 'explicit.json': entry('explicit') },
    env: (r) => ({ REGISTRY_AUTH_FILE: join(r, 'r.json') }),
    authFile: 'explicit.json',
    want: 'explicit',
  },
  {
    name: 'a docker marker entry without auth does not count',
    files: { 'home/.config/containers/auth.json': { auths: { [HOST]: {} } }, 'home/.docker/config.json': entry('docker') },
    want: 'docker',
  },
];

for (const c of orderCases) {
  test(`lookup order: ${c.name}`, async () => {
    const t = tempHome();
    try {
      for (const [path, content] of Object.entries(c.files)) t.write(path, content);
      const env = { ...t.env, ...(c.env ? c.env(t.root) : {}) };
      const creds = await lookupCredentials(HOST, { env, authFile: c.authFile ? join(t.root, c.authFile) : undefined });
      assert.deepEqual(creds, c.want === undefined ? undefined : { username: c.want, password: `pw-${c.want}` });
    } finally {
      t.cleanup();
    }
  });
}

test('docker.io key forms all mean Docker Hub', async () => {
  const keys = ['docker.io', 'index.docker.io', 'registry-1.docker.io', 'https://index.docker.io/v1/', 'https://registry-1.docker.io/v2/', 'https://index.docker.io'];
  const asked = ['docker.io', 'index.docker.io', 'registry-1.docker.io'];
  const t = tempHome();
  try {
    for (const key of keys) {
      const file = t.write('auth.json', { auths: { [key]: { auth: b64('hubuser:hub:pw') } } });
      for (const host of asked) {
        assert.deepEqual(await lookupCredentials(host, { env: t.env, authFile: file }), { username: 'hubuser', password: 'hub:pw' }, `key ${key}, asked ${host}`);
      }
      assert.equal(await lookupCredentials('quay.io', { env: t.env, authFile: file }), undefined, `key ${key} must not match quay.io`);
    }
  } finally {
    t.cleanup();
  }
});

test('other key forms: scheme, trailing slash, case, ports', async () => {
  const cases: Array<{ key: string; host: string; match: boolean }> = [
    { key: 'registry.example.com', host: 'registry.example.com', match: true },
    { key: 'https://registry.example.com', host: 'registry.example.com', match: true },
    { key: 'http://registry.example.com/', host: 'registry.example.com', match: true },
    { key: 'https://registry.example.com/v2/', host: 'registry.example.com', match: true },
    { key: 'Registry.Example.COM', host: 'registry.example.com', match: true },
    { key: 'http://127.0.0.1:5000', host: '127.0.0.1:5000', match: true },
    { key: '127.0.0.1:5000', host: '127.0.0.1', match: false },
    { key: 'registry.example.com', host: 'registry.example.com:5000', match: false },
    { key: 'example.com', host: 'registry.example.com', match: false },
    { key: 'registry.example.com/team', host: 'registry.example.com', match: false },
  ];
  const t = tempHome();
  try {
    for (const c of cases) {
      const file = t.write('auth.json', { auths: { [c.key]: { auth: b64('u:p') } } });
      const got = await lookupCredentials(c.host, { env: t.env, authFile: file });
      assert.deepEqual(got, c.match ? { username: 'u', password: 'p' } : undefined, `key ${c.key} vs ${c.host}`);
    }
  } finally {
    t.cleanup();
  }
});

test('repository-scoped keys: the most specific match wins', async () => {
  const t = tempHome();
  try {
    const file = t.write('auth.json', {
      auths: {
        [HOST]: { auth: b64('host:p') },
        [`${HOST}/team`]: { auth: b64('team:p') },
        [`${HOST}/team/app`]: { auth: b64('app:p') },
        // URL-form keys name a host only: this one is not a namespace "other".
        [`https://${HOST}/other`]: { auth: b64('url:p') },
      },
    });
    const cases: Array<[string | undefined, string]> = [
      ['team/app', 'app'],
      ['team/app/sub', 'app'],
      ['team/other', 'team'],
      ['team/application', 'team'],
      ['teams/app', 'host'],
      ['other/x', 'host'],
      [undefined, 'host'],
    ];
    for (const [repository, user] of cases) {
      const got = await lookupCredentials(HOST, { env: t.env, authFile: file, repository });
      assert.equal(got?.username, user, `repository ${repository}`);
    }
  } finally {
    t.cleanup();
  }
});

test('identitytoken wins over auth and is returned as a <token> user', async () => {
  const t = tempHome();
  try {
    const file = t.write('auth.json', { auths: { [HOST]: { auth: b64('u:p'), identitytoken: 'refresh-123' } } });
    assert.deepEqual(await lookupCredentials(HOST, { env: t.env, authFile: file }), { username: '<token>', password: 'refresh-123' });
  } finally {
    t.cleanup();
  }
});
