/**
 * Real counterpart: Debian's containerd (started as root with a minimal
 * config of its own, stopped by pid) pulls `docker.io/openyurt/yurthub:v1.6.0`
 * with `ctr images pull --hosts-dir`, from a loopback mirror `tug sync`
 * filled, using only the hosts.toml `tug kube mirror-config --for containerd`
 * generated (the mirror keeps the upstream path under a prefix:
 * override_path). No internet here: a pull that did not use the mirror fails.
 */
import assert from 'node:assert/strict';
import { type ChildProcess, execFile, spawn } from 'node:child_process';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { promisify } from 'node:util';
import type { GeneratedImage } from '../support/images.ts';
import { type TestRegistry, startRegistry } from '../support/registry.ts';
import { tempDir } from '../support/tmp.ts';
import { runTug } from '../support/tug.ts';
import { fillMirror, yurthubSyncFile } from './node-mirror.ts';
import { waitFor } from '../support/wait.ts';

const run = promisify(execFile);
const CONTAINERD = '/usr/bin/containerd';
const CTR = '/usr/bin/ctr';
const skip = !existsSync(CONTAINERD) || !existsSync(CTR) || process.getuid?.() !== 0 ? 'needs Debian\'s containerd and root (scripts/setup.sh installs it)' : false;

let mirror: TestRegistry;
let image: GeneratedImage;
let work: string;
let daemon: ChildProcess | undefined;
let socket: string;
let daemonLog = '';

before(async () => {
  if (skip) return;
  work = tempDir(undefined, 'kube-containerd-');
  mirror = await startRegistry({ accessLog: join(work, 'access.log') });
  image = await fillMirror(work, mirror.host, 'mirror/openyurt/yurthub', 'kube-containerd-yurthub', 'docker');

  socket = join(work, 'containerd.sock');
  const config = join(work, 'config.toml');
  writeFileSync(
    config,
    [
      'version = 2',
      `root = "${join(work, 'root')}"`,
      `state = "${join(work, 'state')}"`,
      'disabled_plugins = ["io.containerd.grpc.v1.cri"]',
      '[grpc]',
      `  address = "${socket}"`,
      '[ttrpc]',
      `  address = "${socket}.ttrpc"`,
      '',
    ].join('\n'),
  );
  daemon = spawn(CONTAINERD, ['--config', config], { stdio: ['ignore', 'ignore', 'pipe'] });
  daemon.stderr?.on('data', (d: Buffer) => (daemonLog = (daemonLog + d.toString()).slice(-8000)));
  await waitFor('containerd to answer', async () => {
    if (daemon?.exitCode !== null) throw new Error(`containerd exited: ${daemonLog}`);
    return run(CTR, ['-a', socket, 'version']).then(
      () => true,
      () => false,
    );
  }, 20_000);
});

after(async () => {
  if (daemon?.pid !== undefined && daemon.exitCode === null) {
    const exited = new Promise((resolve) => daemon!.once('exit', resolve));
    process.kill(daemon.pid, 'SIGTERM');
    await Promise.race([exited, new Promise((resolve) => setTimeout(resolve, 5000))]);
    if (daemon.exitCode === null) process.kill(daemon.pid, 'SIGKILL');
  }
  await mirror?.stop();
});

test('ctr pulls docker.io/openyurt/yurthub:v1.6.0 from the mirror with only the generated hosts.toml', { skip }, async () => {
  const syncFile = yurthubSyncFile(work, mirror.host, 'mirror/openyurt');
  const out = join(work, 'node');
  const gen = await runTug(['kube', 'mirror-config', '--for', 'containerd', '-f', syncFile, '-o', out]);
  assert.equal(gen.code, 0, gen.stderr);
  const hosts = readFileSync(join(out, 'certs.d', 'docker.io', 'hosts.toml'), 'utf8');
  assert.match(hosts, new RegExp(`^\\[host\\."http://${mirror.host}/v2/mirror"\\]\\n  capabilities = \\["pull", "resolve"\\]\\n  override_path = true$`, 'm'));

  const pulled = await run(CTR, ['-a', socket, '-n', 'tug-test', 'images', 'pull', '--snapshotter', 'native', '--hosts-dir', join(out, 'certs.d'), 'docker.io/openyurt/yurthub:v1.6.0'], { timeout: 30_000 }).catch((err: Error & { stderr?: string }) => {
    throw new Error(`ctr pull failed: ${err.stderr ?? err.message}\ncontainerd: ${daemonLog}`);
  });
  assert.ok(pulled);
  const { stdout } = await run(CTR, ['-a', socket, '-n', 'tug-test', 'images', 'ls']);
  assert.match(stdout, new RegExp(`^docker\\.io/openyurt/yurthub:v1\\.6\\.0\\s+\\S+\\s+${image.top.digest}\\s`, 'm'));
  // containerd asked the mirror, under the prefix, for the upstream name (and says which registry it stands in for).
  const log = readFileSync(join(work, 'access.log'), 'utf8');
  assert.ok(/"(HEAD|GET) \/v2\/mirror\/openyurt\/yurthub\/manifests\/v1\.6\.0\?ns=docker\.io HTTP\/1\.1" 200 .*"containerd\//.test(log), log.slice(-2000));
});
