/**
 * `tug kube pull-secret`: only the registries asked for, repository-scoped
 * entries kept, several namespaces, the ServiceAccount patch, a sync file's
 * destinations, `-u` + `--password-stdin`; secrets never on argv or stderr.
 */
import assert from 'node:assert/strict';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { parseAllDocuments } from 'yaml';
import { collectAuthEntries } from '../../src/kube/auth-entries.ts';
import { dockerConfigJson, formatManifests, pullSecrets, serviceAccountPatch } from '../../src/kube/pull-secret.ts';
import { tempDir } from '../support/tmp.ts';
import { runTug } from '../support/tug.ts';

const b64 = (s: string) => Buffer.from(s).toString('base64');
const decode = (secret: { data: Record<string, string> }) => JSON.parse(Buffer.from(secret.data['.dockerconfigjson']!, 'base64').toString()) as { auths: Record<string, Record<string, string>> };

/** A HOME with Podman's auth.json and Docker's config.json, as seed 004 describes them. */
function home(t: Parameters<typeof tempDir>[0]): { env: NodeJS.ProcessEnv; dir: string } {
  const dir = tempDir(t, 'kube-home-');
  mkdirSync(join(dir, '.config', 'containers'), { recursive: true });
  mkdirSync(join(dir, '.docker'), { recursive: true });
  writeFileSync(
    join(dir, '.config', 'containers', 'auth.json'),
    JSON.stringify({ auths: { 'quay.io': { auth: b64('quser:qpass-SECRET') }, 'quay.io/repository-main': { auth: b64('mainuser:main-SECRET') }, 'cloud.openshift.com': { auth: b64('o:never-SECRET') } } }),
  );
  writeFileSync(join(dir, '.docker', 'config.json'), JSON.stringify({ auths: { 'https://index.docker.io/v1/': { auth: b64('hub:hub-SECRET') }, 'quanzhenglong.com': { auth: b64('edge_admin:edge-SECRET') } } }));
  return { dir, env: { HOME: dir, XDG_CONFIG_HOME: join(dir, '.config'), XDG_RUNTIME_DIR: '', REGISTRY_AUTH_FILE: '', DOCKER_CONFIG: '' } };
}

test('dockerconfigjson as kubectl writes it: Docker Hub as its server URL, identity tokens as identitytoken', () => {
  const hub = { key: 'docker.io', credentials: { username: 'h', password: 'q' } };
  assert.deepEqual(dockerConfigJson([{ key: 'r.io', credentials: { username: 'u', password: 'p' } }, { key: 't.io', credentials: { username: '<token>', password: 'tok' } }, hub, { ...hub, key: 'docker.io/team' }]), {
    auths: {
      'r.io': { username: 'u', password: 'p', auth: b64('u:p') },
      't.io': { identitytoken: 'tok' },
      'https://index.docker.io/v1/': { username: 'h', password: 'q', auth: b64('h:q') },
      'docker.io/team': { username: 'h', password: 'q', auth: b64('h:q') },
    },
  });
});

const nameCases: { name: string; namespaces: string[]; error?: RegExp }[] = [
  { name: 'edge-registry', namespaces: ['kube-system', 'default'] },
  { name: 'Edge', namespaces: [], error: /secret name "Edge" is not a Kubernetes name/ },
  { name: 'ok', namespaces: ['kube_system'], error: /namespace "kube_system" is not a Kubernetes namespace name/ },
];
for (const c of nameCases) {
  test(`names: ${c.name} in [${c.namespaces.join(',')}]`, () => {
    const run = () => pullSecrets([{ key: 'r.io', credentials: { username: 'u', password: 'p' } }], { name: c.name, namespaces: c.namespaces });
    if (c.error) assert.throws(run, c.error);
    else assert.deepEqual(run().map((s) => s.metadata), c.namespaces.map((namespace) => ({ name: c.name, namespace })));
  });
}

test('YAML is one document per namespace; JSON a List; the patch merges by name', () => {
  const secrets = pullSecrets([{ key: 'r.io', credentials: { username: 'u', password: 'p' } }], { name: 's', namespaces: ['a', 'b'] });
  const docs = parseAllDocuments(formatManifests(secrets, 'yaml'));
  assert.deepEqual(Array.isArray(docs) && docs.map((d) => d.toJS().metadata.namespace), ['a', 'b']);
  assert.equal(JSON.parse(formatManifests(secrets, 'json')).kind, 'List');
  assert.equal(JSON.parse(formatManifests(secrets.slice(0, 1), 'json')).kind, 'Secret');
  assert.equal(serviceAccountPatch('default', 's', 'a').command, `kubectl patch serviceaccount default -n a -p '{"imagePullSecrets":[{"name":"s"}]}'`);
});

test('collectAuthEntries: only the registries asked for, scoped entries below them kept under their keys', async (t) => {
  const { env } = home(t);
  const { entries, missing } = await collectAuthEntries(['quay.io', 'docker.io', 'nowhere.example'], { env });
  assert.deepEqual(entries.map((e) => [e.key, e.credentials.username]), [['quay.io', 'quser'], ['quay.io/repository-main', 'mainuser'], ['docker.io', 'hub']]);
  assert.deepEqual(missing, ['nowhere.example']);
});

test('CLI: Secret from the auth files, two namespaces, ServiceAccount patch; no secret on stderr', async (t) => {
  const { env } = home(t);
  const r = await runTug(['kube', 'pull-secret', '--name', 'edge-registry', '-n', 'kube-system,default', '--service-account', 'default', 'quay.io'], { env });
  assert.equal(r.code, 0, r.stderr);
  const docs = parseAllDocuments(r.stdout);
  const secrets = (Array.isArray(docs) ? docs : []).map((d) => d.toJS());
  assert.deepEqual(secrets.map((s) => [s.kind, s.type, s.metadata.namespace]), [['Secret', 'kubernetes.io/dockerconfigjson', 'kube-system'], ['Secret', 'kubernetes.io/dockerconfigjson', 'default']]);
  assert.deepEqual(Object.keys(decode(secrets[0]).auths), ['quay.io', 'quay.io/repository-main']);
  assert.equal(decode(secrets[0]).auths['quay.io']!.password, 'qpass-SECRET');
  assert.match(r.stderr, /kubectl patch serviceaccount default -n kube-system -p '\{"imagePullSecrets":\[\{"name":"edge-registry"\}\]\}'/);
  assert.doesNotMatch(r.stderr, /SECRET/);
});

test('CLI: --for-sync-file takes the destinations and the sync file\'s credentials; JSON output', async (t) => {
  const { env } = home(t);
  const r = await runTug(['kube', 'pull-secret', '--name', 'edge-registry', '-n', 'kube-system', '--for-sync-file', 'examples/openyurt-1.6.sync.yaml', '-o', 'json'], {
    env: { ...env, REGISTRY_PASSWORD: 'from-env-SECRET' },
  });
  assert.equal(r.code, 0, r.stderr);
  const secret = JSON.parse(r.stdout);
  assert.deepEqual(decode(secret).auths, { 'quanzhenglong.com': { username: 'edge_admin', password: 'from-env-SECRET', auth: b64('edge_admin:from-env-SECRET') } });
  assert.doesNotMatch(r.stderr, /SECRET/);
});

test('CLI: -u with --password-stdin; --password is refused without echoing it; missing credentials name the registry', async (t) => {
  const { env } = home(t);
  const ok = await runTug(['kube', 'pull-secret', '--name', 's', '-u', 'robot', '--password-stdin', 'registry.example.com:5000'], { env, input: 'stdin-SECRET\n' });
  assert.equal(ok.code, 0, ok.stderr);
  const secret = parseAllDocuments(ok.stdout);
  assert.deepEqual(decode((Array.isArray(secret) ? secret : [])[0]!.toJS()).auths['registry.example.com:5000'], { username: 'robot', password: 'stdin-SECRET', auth: b64('robot:stdin-SECRET') });

  const refused = await runTug(['kube', 'pull-secret', '--name', 's', '--password', 'argv-SECRET', 'r.io'], { env });
  assert.equal(refused.code, 2);
  assert.match(refused.stderr, /--password is refused/);
  assert.doesNotMatch(refused.stderr + refused.stdout, /argv-SECRET/);

  const missing = await runTug(['kube', 'pull-secret', '--name', 's', 'nowhere.example'], { env });
  assert.equal(missing.code, 5, missing.stderr);
  assert.match(missing.stderr, /no credentials for nowhere\.example/);
});
