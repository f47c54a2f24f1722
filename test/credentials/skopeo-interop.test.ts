/** Tugboat and skopeo read and write each other's auth files, against a real htpasswd registry. */
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { lookupCredentials, removeCredentials, storeCredentials } from '../../src/credentials/index.ts';
import { makeImage, pushImage } from '../support/images.ts';
import { type TestRegistry, startRegistry } from '../support/registry.ts';
import { SKOPEO_BIN } from '../support/skopeo.ts';
import { type TempHome, tempHome } from './fixture.ts';

const USER = 'alice';
const PASSWORD = 'in:wonder land';
let registry: TestRegistry;
let t: TempHome;

/** Runs skopeo with the temp home; `input` goes to stdin (passwords never in argv). */
function skopeo(args: string[], input = ''): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    const child = execFile(SKOPEO_BIN, args, { env: t.env, encoding: 'utf8' }, (err, stdout, stderr) => {
      resolve({ code: err ? Number((err as { code?: unknown }).code ?? 1) : 0, stdout, stderr });
    });
    child.stdin?.end(input);
  });
}

before(async () => {
  t = tempHome();
  registry = await startRegistry({ users: { [USER]: PASSWORD } });
  await pushImage({ url: registry.url, repository: 'team/app', tag: 'v1', username: USER, password: PASSWORD }, await makeImage({ seed: 'creds-interop', layerSizes: [300] }));
});

after(async () => {
  await registry?.stop();
  t?.cleanup();
});

test('a file written by `skopeo login` is read by lookupCredentials', async () => {
  const file = join(t.root, 'skopeo-auth.json');
  const r = await skopeo(['login', '--authfile', file, '--tls-verify=false', '--username', USER, '--password-stdin', registry.host], PASSWORD);
  assert.equal(r.code, 0, r.stderr);
  assert.deepEqual(await lookupCredentials(registry.host, { authFile: file, env: t.env, repository: 'team/app' }), { username: USER, password: PASSWORD });
});

test('a file written by storeCredentials works for skopeo; removeCredentials logs it out', async () => {
  const file = join(t.root, 'tug-auth.json');
  await storeCredentials(registry.host, { username: USER, password: PASSWORD }, { authFile: file, env: t.env });
  const login = await skopeo(['login', '--get-login', '--authfile', file, registry.host]);
  assert.equal(login.code, 0, login.stderr);
  assert.equal(login.stdout.trim(), USER);
  const inspect = ['inspect', '--raw', '--authfile', file, '--tls-verify=false', `docker://${registry.host}/team/app:v1`];
  const ok = await skopeo(inspect);
  assert.equal(ok.code, 0, ok.stderr);
  assert.equal((JSON.parse(ok.stdout) as { schemaVersion: number }).schemaVersion, 2);

  assert.equal(await removeCredentials(registry.host, { authFile: file, env: t.env }), true);
  const denied = await skopeo(inspect);
  assert.notEqual(denied.code, 0);
  assert.match(denied.stderr, /unauthorized|authentication required/i);
});
