/**
 * Real counterpart: Debian's dockerd (test/support/dockerd.ts: own data
 * root and socket, vfs, no iptables, no bridge) pulls
 * `openyurt/yurthub:v1.6.0` through the `registry-mirrors` of the
 * daemon.json `tug kube mirror-config --for docker` generated (loaded with
 * SIGHUP, which reloads both keys it writes), and the docker client logs in
 * to an htpasswd registry with the config.json inside a generated pull
 * secret. No internet here: a pull that did not use the mirror fails.
 */
import assert from 'node:assert/strict';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { after, before, test } from 'node:test';
import { parse } from 'yaml';
import { DOCKERD_BIN, dockerdSkipReason, startDockerd, type TestDockerd } from '../support/dockerd.ts';
import { type GeneratedImage, pushImage } from '../support/images.ts';
import { type TestRegistry, startRegistry } from '../support/registry.ts';
import { tempDir } from '../support/tmp.ts';
import { runTug } from '../support/tug.ts';
import { waitFor } from '../support/wait.ts';
import { fillMirror, yurthubSyncFile } from './node-mirror.ts';

const skip = !existsSync(DOCKERD_BIN) ? 'needs Debian\'s docker.io (scripts/setup.sh installs it)' : (dockerdSkipReason() ?? false);

let mirror: TestRegistry;
let secured: TestRegistry;
let daemon: TestDockerd | undefined;
let image: GeneratedImage;
let work: string;

before(async () => {
  if (skip) return;
  work = tempDir(undefined, 'kube-dockerd-');
  mirror = await startRegistry({ accessLog: join(work, 'access.log') });
  secured = await startRegistry({ users: { robot: 'pull-secret-password' } });
  image = await fillMirror(work, mirror.host, 'openyurt/yurthub', 'kube-dockerd-yurthub', 'docker');
  await pushImage({ url: secured.url, repository: 'edge/yurthub', tag: 'v1.6.0', username: 'robot', password: 'pull-secret-password' }, image);
  daemon = await startDockerd();
});

after(async () => {
  await daemon?.stop();
  await mirror?.stop();
  await secured?.stop();
});

test('dockerd pulls the Docker Hub name from the mirror of the generated daemon.json', { skip }, async () => {
  const syncFile = yurthubSyncFile(work, mirror.host, 'openyurt');
  const gen = await runTug(['kube', 'mirror-config', '--for', 'docker', '-f', syncFile, '-o', join(work, 'node')]);
  assert.equal(gen.code, 0, gen.stderr);
  const generated = JSON.parse(readFileSync(join(work, 'node', 'daemon.json'), 'utf8'));
  assert.deepEqual(generated, { 'registry-mirrors': [`http://${mirror.host}`], 'insecure-registries': [mirror.host] });
  // test/support/dockerd.ts starts dockerd with --config-file SOCKET_DIR/daemon.json; both keys reload on SIGHUP.
  writeFileSync(join(dirname(daemon!.socket), 'daemon.json'), JSON.stringify(generated));
  process.kill(daemon!.pid, 'SIGHUP');
  await waitFor('dockerd to reload its mirrors', async () => (await daemon!.docker(['info', '--format', '{{json .RegistryConfig.Mirrors}}'])).includes(mirror.host), 15_000, 200);

  await daemon!.docker(['pull', '--quiet', 'openyurt/yurthub:v1.6.0'], { timeoutMs: 30_000 });
  const digests = await daemon!.docker(['image', 'inspect', '--format', '{{json .RepoDigests}}', 'openyurt/yurthub:v1.6.0']);
  assert.match(digests, new RegExp(`openyurt/yurthub@${image.top.digest}`));
  const log = readFileSync(join(work, 'access.log'), 'utf8');
  assert.ok(/"(GET|HEAD) \/v2\/openyurt\/yurthub\/manifests\/v1\.6\.0 HTTP\/1\.1" 200 /.test(log), log.slice(-2000));
});

test('the docker client logs in with the config.json inside the generated pull secret', { skip }, async () => {
  const gen = await runTug(['kube', 'pull-secret', '--name', 'edge-registry', '-u', 'robot', '--password-stdin', secured.host], { input: 'pull-secret-password\n' });
  assert.equal(gen.code, 0, gen.stderr);
  const secret = parse(gen.stdout) as { data: Record<string, string> };
  const config = join(work, 'docker-config');
  mkdirSync(config);
  writeFileSync(join(config, 'config.json'), Buffer.from(secret.data['.dockerconfigjson']!, 'base64'));
  const name = `${secured.host}/edge/yurthub:v1.6.0`;
  await assert.rejects(daemon!.docker(['pull', '--quiet', name], { timeoutMs: 30_000 }), /no basic auth credentials|unauthorized|authentication required/i);
  await daemon!.docker(['--config', config, 'pull', '--quiet', name], { timeoutMs: 30_000 });
  const digests = await daemon!.docker(['image', 'inspect', '--format', '{{json .RepoDigests}}', name]);
  assert.match(digests, new RegExp(`edge/yurthub@${image.top.digest}`));
});
