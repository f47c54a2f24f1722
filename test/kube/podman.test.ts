/**
 * Real counterpart: Debian's podman pulls `docker.io/openyurt/yurthub:v1.6.0`
 * through the registries.conf `tug kube mirror-config --for registries-conf`
 * generated, from a loopback mirror `tug copy` filled under a renamed path
 * (`docker.io/openyurt/*` -> `MIRROR/edge/*`). There is no internet here, so
 * a pull that did not use the mirror fails. And podman logs in to an
 * htpasswd registry with the config.json inside a generated pull secret.
 */
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { promisify } from 'node:util';
import { parse } from 'yaml';
import { type GeneratedImage, pushImage } from '../support/images.ts';
import { type TestRegistry, startRegistry } from '../support/registry.ts';
import { tempDir } from '../support/tmp.ts';
import { runTug } from '../support/tug.ts';
import { fillMirror, yurthubSyncFile } from './node-mirror.ts';

const run = promisify(execFile);
const PODMAN = '/usr/bin/podman';
const skip = !existsSync(PODMAN) || process.getuid?.() !== 0 ? 'needs Debian\'s podman and root (scripts/setup.sh installs it)' : false;

let mirror: TestRegistry;
let secured: TestRegistry | undefined;
let image: GeneratedImage;
let work: string;

before(async () => {
  if (skip) return;
  work = tempDir(undefined, 'kube-podman-');
  mirror = await startRegistry({ accessLog: join(tempDir(undefined, 'kube-podman-log-'), 'access.log') });
  image = await fillMirror(work, mirror.host, 'edge/yurthub', 'kube-podman-yurthub');
});

after(async () => {
  await mirror?.stop();
  await secured?.stop();
});

/** podman as root with storage of its own (vfs) under a temp dir, never the machine's. */
function podmanWith(env: NodeJS.ProcessEnv) {
  const storage = tempDir(undefined, 'kube-podman-storage-');
  return (...args: string[]) =>
    run(PODMAN, ['--root', join(storage, 'root'), '--runroot', join(storage, 'run'), '--storage-driver', 'vfs', '--cgroup-manager', 'cgroupfs', '--events-backend', 'file', ...args], {
      env: { ...process.env, XDG_RUNTIME_DIR: join(storage, 'xdg'), HOME: storage, ...env },
      timeout: 30_000,
    });
}

test('podman pulls the upstream name through the generated registries.conf (a renaming mapping)', { skip }, async () => {
  const syncFile = yurthubSyncFile(work, mirror.host, 'edge');
  const gen = await runTug(['kube', 'mirror-config', '--for', 'registries-conf', '-f', syncFile, '-o', join(work, 'conf')]);
  assert.equal(gen.code, 0, gen.stderr);
  const conf = join(work, 'conf', 'registries.conf');
  assert.match(readFileSync(conf, 'utf8'), new RegExp(`prefix = "docker.io/openyurt"\\nlocation = "docker.io/openyurt"\\n\\n\\[\\[registry.mirror\\]\\]\\nlocation = "${mirror.host}/edge"\\ninsecure = true`));

  const podman = podmanWith({ CONTAINERS_REGISTRIES_CONF: conf });
  await podman('pull', '--quiet', 'docker.io/openyurt/yurthub:v1.6.0');
  const { stdout } = await podman('image', 'inspect', '--format', '{{.Digest}} {{index .RepoTags 0}}', 'docker.io/openyurt/yurthub:v1.6.0');
  assert.equal(stdout.trim(), `${image.top.digest} docker.io/openyurt/yurthub:v1.6.0`);
  const log = readFileSync(mirror.accessLog!, 'utf8');
  assert.ok(/"GET \/v2\/edge\/yurthub\/manifests\/v1\.6\.0 HTTP\/1\.1" 200 /.test(log), log.slice(-2000));
});

test('podman logs in with the config.json inside the generated pull secret (htpasswd registry)', { skip }, async () => {
  secured = await startRegistry({ users: { robot: 'pull-secret-password' } });
  await pushImage({ url: secured.url, repository: 'edge/yurthub', tag: 'v1.6.0', username: 'robot', password: 'pull-secret-password' }, image);
  const gen = await runTug(['kube', 'pull-secret', '--name', 'edge-registry', '-n', 'kube-system', '-u', 'robot', '--password-stdin', secured.host], { input: 'pull-secret-password\n' });
  assert.equal(gen.code, 0, gen.stderr);
  const secret = parse(gen.stdout) as { data: Record<string, string> };
  const authFile = join(work, 'pull-secret-config.json');
  writeFileSync(authFile, Buffer.from(secret.data['.dockerconfigjson']!, 'base64'));

  const podman = podmanWith({ REGISTRY_AUTH_FILE: '' });
  writeFileSync(join(work, 'none.json'), '{"auths": {}}\n');
  const name = `${secured.host}/edge/yurthub:v1.6.0`;
  await assert.rejects(podman('pull', '--quiet', '--tls-verify=false', '--authfile', join(work, 'none.json'), name), /unauthorized|authentication required/i);
  await podman('pull', '--quiet', '--tls-verify=false', '--authfile', authFile, name);
  const { stdout } = await podman('image', 'inspect', '--format', '{{.Digest}}', name);
  assert.equal(stdout.trim(), image.top.digest);
});
