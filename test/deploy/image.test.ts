/**
 * The `tug` image of `npm run image` (scripts/image/): built twice it has
 * the same digest; its config starts tug as the nonroot user; its layers,
 * unpacked with plain tar, form a root filesystem in which the binary runs
 * with nothing but the image's own loader and libraries; skopeo reads the
 * layout and `tug copy` pushes it to a real registry unchanged.
 *
 * The builder takes any dynamically linked executable. The single-file
 * `tug` (dist/sea/tug-linux-amd64 of `npm run dist`) is used when it exists;
 * otherwise the pinned Node binary it is made from stands in (same loader,
 * same libraries), and the test that needs tug's own --version says why it
 * skipped.
 */
import assert from 'node:assert/strict';
import { execFileSync, spawn, spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { chownSync, copyFileSync, existsSync, mkdirSync, readFileSync, readdirSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { buildImage, type BuiltImage, ENTRYPOINT } from '../../scripts/image/build.ts';
import { imageName, projectVersion } from '../../scripts/image/image-name.ts';
import { type LayerEntry, normalizeEntries } from '../../scripts/image/layer.ts';
import { ARCHES, DATA_DIR, canBuild, lddLibs, neededLibs } from '../../scripts/image/rootfs.ts';
import { blobPath } from '../../src/transports/oci-layout/layout-files.ts';
import { startRegistry } from '../support/registry.ts';
import { rawManifest, skopeo } from '../support/skopeo.ts';
import { tempDir } from '../support/tmp.ts';
import { runTug } from '../support/tug.ts';
import { containersOf, resolveKustomization } from './kustomize.ts';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));
const SEA = join(ROOT, 'dist/sea/tug-linux-amd64');

/** The single-file tug: built with `npm run dist` when missing and the script exists (the SEA build of issue 14 item 4). */
function seaBinary(): { binary: string; why?: string } {
  if (existsSync(SEA)) return { binary: SEA };
  const scripts = (JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as { scripts?: Record<string, string> }).scripts ?? {};
  if (!scripts.dist) return { binary: process.execPath, why: `${SEA} does not exist and package.json has no "dist" script` };
  const r = spawnSync('npm', ['run', '-s', 'dist'], { cwd: ROOT, encoding: 'utf8', timeout: 300_000 });
  if (r.status === 0 && existsSync(SEA)) return { binary: SEA };
  return { binary: process.execPath, why: `npm run dist did not produce ${SEA} (exit ${r.status}): ${(r.stderr || r.error?.message || '').trim().split('\n').pop()}` };
}
const sea = seaBinary();
const haveSea = sea.why === undefined;
/** What the image is built from here: the real single-file tug, or the Node binary it is made of (same loader, same libraries). */
const BINARY = sea.binary;
const REF = imageName();
/** The arm64 single-file tug, when this machine can also build (cross libraries) and run (qemu-user) its image. */
const SEA_ARM64 = join(ROOT, 'dist/sea/tug-linux-arm64');
const QEMU_ARM64 = '/usr/bin/qemu-aarch64-static';
const arm64Why = !haveSea ? 'no single-file tug' : !existsSync(SEA_ARM64) ? `${SEA_ARM64} does not exist` : !canBuild(ARCHES.arm64) ? `no arm64 libraries in ${ARCHES.arm64.crossLibDir} (libc6-arm64-cross)` : undefined;

interface Config {
  architecture: string;
  os: string;
  config: { User: string; Entrypoint: string[]; Cmd: string[]; ExposedPorts: Record<string, object>; WorkingDir: string; Labels: Record<string, string> };
  rootfs: { diff_ids: string[] };
}

describe('scripts/image: layers', () => {
  test('entries are sorted with their parent directories added; unsafe or repeated paths are refused', () => {
    const bytes = new Uint8Array(1);
    const got = normalizeEntries([
      { path: 'usr/local/bin/tug', type: 'file', mode: 0o755, bytes },
      { path: 'etc/passwd', type: 'file', mode: 0o644, bytes },
      { path: 'tmp', type: 'directory', mode: 0o1777 },
    ]).map((e) => e.path);
    assert.deepEqual(got, ['etc', 'etc/passwd', 'tmp', 'usr', 'usr/local', 'usr/local/bin', 'usr/local/bin/tug']);
    const cases: [string, LayerEntry[]][] = [
      ['absolute', [{ path: '/etc/passwd', type: 'file', mode: 0o644, bytes }]],
      ['dot-dot', [{ path: 'etc/../../x', type: 'file', mode: 0o644, bytes }]],
      ['twice', [{ path: 'a', type: 'file', mode: 0o644, bytes }, { path: 'a', type: 'file', mode: 0o644, bytes }]],
      ['file as parent', [{ path: 'a', type: 'file', mode: 0o644, bytes }, { path: 'a/b', type: 'file', mode: 0o644, bytes }]],
    ];
    for (const [name, entries] of cases) assert.throws(() => normalizeEntries(entries), Error, name);
  });

  test('walking DT_NEEDED with readelf (the arm64 path) finds the libraries ldd finds', (t) => {
    if (spawnSync('readelf', ['--version']).error) return t.skip('readelf (binutils) is not installed');
    const byLdd = lddLibs(BINARY).map((l) => l.path.split('/').pop()).sort();
    const byElf = neededLibs(BINARY, '/lib/x86_64-linux-gnu', 'x86_64-linux-gnu').map((l) => l.path.split('/').pop()).sort();
    assert.deepEqual(byElf, byLdd);
    assert.ok(byLdd.includes('libc.so.6') && byLdd.some((n) => n!.startsWith('ld-linux')), byLdd.join(' '));
  });
});

// About 40 s on an idle 2-core machine (two builds, qemu's arm64 start-up); the limit leaves room for a busy one.
describe('scripts/image: the image', { timeout: 120_000 }, () => {
  let work: string;
  let layout: string;
  let built: BuiltImage;
  let config: Config;

  let amd64: string;
  let arm64: string;

  before(async () => {
    work = tempDir(undefined, 'tug-image-test-');
    layout = join(work, 'layout');
    // Copies: a rebuild of dist/sea/ between two builds must not look like a nondeterministic builder.
    amd64 = join(work, 'tug-linux-amd64');
    arm64 = join(work, 'tug-linux-arm64');
    copyFileSync(BINARY, amd64);
    if (!arm64Why) copyFileSync(SEA_ARM64, arm64);
    // gzip level 1: the test is about the image's shape, not its size.
    built = await buildImage({ layout, ref: REF, binaries: { amd64, ...(arm64Why ? {} : { arm64 }) }, version: projectVersion(), revision: 'test-revision', level: 1 });
    config = JSON.parse(readFileSync(blobPath(layout, built.images[0]!.config.digest), 'utf8')) as Config;
  });

  test('two builds give the same digests', async () => {
    const again = await buildImage({ layout: join(work, 'again'), ref: REF, binaries: { amd64 }, version: projectVersion(), revision: 'test-revision', level: 1 });
    assert.equal(again.images[0]!.manifest.digest, built.images[0]!.manifest.digest);
    assert.deepEqual(again.images[0]!.layers.map((l) => l.digest), built.images[0]!.layers.map((l) => l.digest));
  });

  test('the config starts tug serve as 65532, on port 8080, with its labels', () => {
    assert.equal(config.os, 'linux');
    assert.equal(config.architecture, 'amd64');
    assert.equal(config.config.User, '65532:65532');
    assert.deepEqual(config.config.Entrypoint, [ENTRYPOINT]);
    assert.equal(config.config.Cmd[0], 'serve');
    assert.ok(config.config.Cmd.includes('--listen=0.0.0.0:8080'));
    assert.deepEqual(Object.keys(config.config.ExposedPorts), ['8080/tcp']);
    assert.equal(config.config.WorkingDir, DATA_DIR);
    assert.equal(config.config.Labels['org.opencontainers.image.version'], projectVersion());
    assert.equal(config.config.Labels['org.opencontainers.image.revision'], 'test-revision');
    assert.equal(config.rootfs.diff_ids.length, 2);
  });

  test('skopeo reads the layout: the index names linux/amd64 (and linux/arm64 when built), whose config is the one written', async () => {
    const image = `oci:${layout}:${REF}`;
    const index = JSON.parse(await rawManifest(image)) as { manifests: { digest: string; platform: { os: string; architecture: string } }[] };
    assert.deepEqual(
      index.manifests.map((m) => `${m.platform.os}/${m.platform.architecture} ${m.digest}`),
      built.images.map((i) => `linux/${i.arch} ${i.manifest.digest}`),
    );
    assert.equal(index.manifests.length, arm64Why ? 1 : 2);
    const inspected = JSON.parse(await skopeo(['inspect', '--override-os', 'linux', '--override-arch', 'amd64', image])) as { Layers: string[]; Labels: Record<string, string> };
    assert.deepEqual(inspected.Layers, built.images[0]!.layers.map((l) => l.digest));
    assert.equal(inspected.Labels['org.opencontainers.image.version'], projectVersion());
  });

  describe('the unpacked root filesystem', () => {
    let rootfs: string;
    before(() => {
      rootfs = join(work, 'rootfs');
      mkdirSync(rootfs);
      // Plain tar, in layer order, as a runtime applies them (no whiteouts: the builder writes none).
      for (const layer of built.images[0]!.layers) execFileSync('tar', ['-xzf', blobPath(layout, layer.digest), '-C', rootfs, '--no-same-owner']);
    });

    test('holds the binary, its loader and libraries, the nonroot user, the CA bundle, /tmp, and nothing else', () => {
      const tree = (dir: string, rel = ''): string[] => readdirSync(join(dir, rel), { withFileTypes: true }).flatMap((e) => (e.isDirectory() ? tree(dir, join(rel, e.name)) : [join(rel, e.name)]));
      const libs = lddLibs(BINARY).map((l) => l.path.slice(1));
      assert.deepEqual(tree(rootfs).sort(), [...libs, 'etc/group', 'etc/nsswitch.conf', 'etc/passwd', 'etc/ssl/certs/ca-certificates.crt', ENTRYPOINT.slice(1)].sort());
      assert.match(readFileSync(join(rootfs, 'etc/passwd'), 'utf8'), /^nonroot:x:65532:65532:/m);
      assert.equal(statSync(join(rootfs, 'tmp')).mode & 0o7777, 0o1777);
      assert.ok(statSync(join(rootfs, DATA_DIR)).isDirectory());
    });

    test('the binary runs with only the image\'s loader and libraries', () => {
      const loader = lddLibs(BINARY).find((l) => /ld-linux/.test(l.path))!.path;
      const r = spawnSync(join(rootfs, loader), ['--inhibit-cache', '--library-path', join(rootfs, 'lib', ARCHES.amd64.triplet), join(rootfs, ENTRYPOINT), '--version'], { encoding: 'utf8', env: {} });
      assert.equal(r.status, 0, r.stderr);
      assert.equal(r.stdout.trim(), haveSea ? projectVersion() : process.version);
    });

    test('as the nonroot user in a chroot of it (as a container runtime would start it)', (t) => {
      if (process.getuid?.() !== 0) return t.skip('chroot needs root');
      const r = spawnSync('/usr/sbin/chroot', ['--userspec=65532:65532', rootfs, ENTRYPOINT, '--version'], { encoding: 'utf8', env: {} });
      assert.equal(r.status, 0, r.stderr);
      if (!haveSea) t.diagnostic(`${sea.why}: the pinned Node binary stands in for tug`);
      assert.equal(r.stdout.trim(), haveSea ? projectVersion() : process.version);
    });

    test('the sqlite Deployment\'s command starts tug serve in it as 65532, with the Secret and the volume where the pod has them; the probes answer', async (t) => {
      if (!haveSea) return t.skip(`${sea.why}`);
      if (process.getuid?.() !== 0) return t.skip('chroot needs root');
      const deployment = resolveKustomization(join(ROOT, 'deploy/overlays/sqlite'), ROOT).find((r) => r.obj.kind === 'Deployment')!.obj;
      const container = containersOf(deployment)[0]!;
      // What the kubelet provides: the Secret's files, and the PVC writable by the pod's fsGroup.
      mkdirSync(join(rootfs, 'etc/tugboat'));
      writeFileSync(join(rootfs, 'etc/tugboat/secret.key'), randomBytes(32).toString('base64'), { mode: 0o444 });
      writeFileSync(join(rootfs, 'etc/tugboat/admin-token'), randomBytes(32).toString('base64url'), { mode: 0o444 });
      chownSync(join(rootfs, DATA_DIR), 65532, 65532);
      const args = container.args!.map((a) => (a.startsWith('--listen') ? '--listen=127.0.0.1:0' : a));
      const child = spawn('/usr/sbin/chroot', ['--userspec=65532:65532', rootfs, ENTRYPOINT, ...args], { stdio: ['ignore', 'ignore', 'pipe'], env: {} });
      const exited = new Promise<number | null>((resolve) => child.once('exit', resolve));
      t.after(async () => {
        child.kill('SIGKILL');
        await exited;
      });
      let stderr = '';
      const url = await new Promise<string>((resolve, reject) => {
        child.stderr.on('data', (d: Buffer) => {
          stderr += d.toString();
          const m = /listening on (http:\/\/\S+)/.exec(stderr);
          if (m) resolve(m[1]!);
        });
        void exited.then((code) => reject(new Error(`tug serve exited (${code}) before listening:\n${stderr}`)));
      });
      for (const path of ['/healthz', '/readyz']) assert.equal((await fetch(`${url}${path}`)).status, 200, path);
      assert.ok(readdirSync(join(rootfs, DATA_DIR)).includes('tugboat.db'), 'the SQLite store is on the volume');
      child.kill('SIGTERM');
      assert.equal(await exited, 0, stderr);
    });
  });

  test('the arm64 image runs its tug under qemu-user with only the image\'s own loader and libraries', async (t) => {
    if (arm64Why) return t.skip(arm64Why);
    if (!existsSync(QEMU_ARM64)) return t.skip(`${QEMU_ARM64} is not installed (qemu-user-static)`);
    const rootfs = join(work, 'rootfs-arm64');
    mkdirSync(rootfs);
    for (const layer of built.images.find((i) => i.arch === 'arm64')!.layers) execFileSync('tar', ['-xzf', blobPath(layout, layer.digest), '-C', rootfs, '--no-same-owner']);
    // -L: the foreign loader and every library it opens come from the rootfs (the host has no arm64 /lib).
    const r = spawnSync(QEMU_ARM64, ['-L', rootfs, join(rootfs, ENTRYPOINT), '--version'], { encoding: 'utf8', env: {}, timeout: 30_000 });
    assert.equal(r.status, 0, r.stderr);
    assert.equal(r.stdout.trim(), projectVersion());
  });

  test('tug bundle carries it across the gap: oci: -> dir: tree -> bundle create --src dir -> bundle apply into a registry, same digest', async () => {
    // The sync readers name registries and dir: trees, not OCI layouts: the dir: tree is the bridge.
    // The host's platform only (what `tug copy` picks without --all): --all moves twice the bytes for the same proof.
    const tree = join(work, 'carry');
    const bundle = join(work, 'bundle');
    const registry = await startRegistry();
    after(() => registry.stop());
    const steps = [
      ['copy', '--preserve-digests', `oci:${layout}:${REF}`, `dir:${join(tree, REF)}`],
      ['bundle', 'create', '--src', 'dir', '--quiet', tree, bundle],
      ['bundle', 'apply', '--dest-tls-verify=false', '--quiet', bundle, registry.host],
    ];
    for (const args of steps) {
      const r = await runTug(args, { timeoutMs: 50_000 });
      assert.equal(r.code, 0, `tug ${args.join(' ')}: ${r.stderr}`);
    }
    const applied = await rawManifest(`docker://${registry.host}/${REF}`, ['--tls-verify=false']);
    assert.equal(applied, readFileSync(blobPath(layout, built.images[0]!.manifest.digest), 'utf8'));
  });

  test('tug copy pushes it to a registry byte for byte', async () => {
    const registry = await startRegistry();
    after(() => registry.stop());
    const dest = `docker://${registry.host}/${REF}`;
    const r = await runTug(['copy', '--all', '--dest-tls-verify=false', `oci:${layout}:${REF}`, dest], { timeoutMs: 50_000 });
    assert.equal(r.code, 0, r.stderr);
    const pushed = await rawManifest(dest, ['--tls-verify=false']);
    assert.equal(pushed, readFileSync(blobPath(layout, built.index.digest), 'utf8'));
  });
});
