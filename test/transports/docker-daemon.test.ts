/**
 * docker-daemon: against a real dockerd (test/support/dockerd.ts), a real
 * docker-registry and skopeo. Images reach the daemon only from test
 * generators (docker load of a tug-written archive, or pulls from the test
 * registry): never from the network.
 */
import { spawn } from 'node:child_process';
import { readFileSync, readdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { Readable } from 'node:stream';
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { TugError } from '../../src/errors/index.ts';
import { verifyingStream } from '../../src/oci/index.ts';
import type { Digest } from '../../src/reference/index.ts';
import { type DockerDaemonReference, dockerDaemonTransport } from '../../src/transports/docker-daemon/docker-daemon-transport.ts';
import { parseDaemonHost } from '../../src/transports/docker-daemon/engine-client.ts';
import { type TestDockerd, dockerdSkipReason, startDockerd } from '../support/dockerd.ts';
import { type GeneratedImage, makeImage, writeOciLayout } from '../support/images.ts';
import { freePort, startRegistry, type TestRegistry } from '../support/registry.ts';
import { skopeo } from '../support/skopeo.ts';
import { tempDir } from '../support/tmp.ts';
import { runTug, TUG_ARGV } from '../support/tug.ts';
import { waitFor } from '../support/wait.ts';

describe('docker-daemon: names', () => {
  const cases: { input: string; reference?: string; error?: RegExp }[] = [
    { input: 'alpine:3', reference: 'docker.io/library/alpine:3' },
    { input: 'docker.io/library/alpine:3', reference: 'docker.io/library/alpine:3' },
    { input: '127.0.0.1:5000/a/b:v1', reference: '127.0.0.1:5000/a/b:v1' },
    { input: `a/b@sha256:${'1'.repeat(64)}`, reference: `docker.io/a/b@sha256:${'1'.repeat(64)}` },
    { input: `sha256:${'a'.repeat(64)}`, reference: `sha256:${'a'.repeat(64)}` },
    { input: 'alpine', error: /neither a tag nor a digest/ },
    { input: `alpine:3@sha256:${'1'.repeat(64)}`, error: /both a tag and a digest/ },
    { input: 'sha256:abc', error: /not an image ID/ },
    { input: 'Alpine:3', error: /invalid docker-daemon reference "Alpine:3"/ },
    { input: '', error: /missing the image name/ },
  ];
  for (const c of cases) {
    test(c.input || '(empty)', () => {
      if (c.error) {
        assert.throws(() => dockerDaemonTransport.parse(c.input), (e: unknown) => e instanceof TugError && e.code === 'USAGE' && c.error!.test(e.message));
        return;
      }
      const ref = dockerDaemonTransport.parse(c.input);
      assert.equal(ref.reference, c.reference);
      assert.equal(ref.toString(), `docker-daemon:${c.reference}`);
    });
  }

  test('a destination must be NAME:TAG', async () => {
    for (const name of [`sha256:${'a'.repeat(64)}`, `a/b@sha256:${'1'.repeat(64)}`]) {
      await assert.rejects(dockerDaemonTransport.parse(name).newDestination({}), /a destination must be NAME:TAG/);
    }
  });

  const hosts: { host: string; ok?: Partial<ReturnType<typeof parseDaemonHost>>; error?: RegExp }[] = [
    { host: 'unix:///var/run/docker.sock', ok: { socketPath: '/var/run/docker.sock', protocol: 'http:' } },
    // tcp:// is TLS, as in skopeo; plain HTTP is http://
    { host: 'tcp://127.0.0.1:2376', ok: { hostname: '127.0.0.1', port: 2376, protocol: 'https:' } },
    { host: 'http://127.0.0.1:2375', ok: { hostname: '127.0.0.1', port: 2375, protocol: 'http:' } },
    { host: 'https://[::1]:2376', ok: { hostname: '::1', port: 2376, protocol: 'https:' } },
    { host: 'ftp://x', error: /scheme "ftp" is not unix, tcp, http or https/ },
    { host: 'unix://relative.sock', error: /absolute path/ },
    { host: '/var/run/docker.sock', error: /not a URL/ },
  ];
  for (const h of hosts) {
    test(`daemon host ${h.host}`, () => {
      if (h.error) {
        assert.throws(() => parseDaemonHost(h.host), (e: unknown) => e instanceof TugError && e.code === 'USAGE' && h.error!.test(e.message) && e.hint !== undefined);
        return;
      }
      const ep = parseDaemonHost(h.host);
      for (const [k, v] of Object.entries(h.ok!)) assert.equal(ep[k as keyof typeof ep], v, k);
    });
  }
});

describe('docker-daemon: against a real dockerd', { skip: dockerdSkipReason() }, () => {
  let daemon: TestDockerd;
  let registry: TestRegistry;
  let image: GeneratedImage;
  const NAME = 'example.com/tug/first:1';

  before(async () => {
    // Assigned one by one: if one fails to start, after() still stops the other.
    registry = await startRegistry();
    daemon = await startDockerd({ tcp: 'tls' });
    // The first image gets in the way the brief of a real user would: docker load of an archive tug wrote.
    image = await makeImage({ seed: 'daemon-first', layerSizes: [3000, 70_000] });
    const dir = tempDir(undefined, 'tug-daemon-seed-');
    writeOciLayout(join(dir, 'oci'), image, 'x');
    const tar = join(dir, 'first.tar');
    const w = await runTug(['copy', '-q', `oci:${join(dir, 'oci')}:x`, `docker-archive:${tar}:${NAME}`]);
    assert.equal(w.code, 0, w.stderr);
    await daemon.docker(['load', '-i', tar]);
    rmSync(dir, { recursive: true, force: true });
  });
  after(async () => {
    await Promise.all([daemon?.stop(), registry?.stop()]);
  });

  const idOf = async (name: string) => (await daemon.docker(['image', 'inspect', '--format', '{{.Id}}', name])).trim();
  const tags = async () => (await daemon.docker(['images', '--format', '{{.Repository}}:{{.Tag}}'])).split('\n').filter(Boolean).sort();

  test('round trip daemon -> registry -> daemon keeps the image ID', async () => {
    assert.equal(await idOf(NAME), image.manifests[0]!.config.digest);
    const up = await runTug(['copy', '-q', '--src-daemon-host', daemon.host, '--dest-tls-verify=false', `docker-daemon:${NAME}`, `docker://${registry.host}/rt/first:1`]);
    assert.equal(up.code, 0, up.stderr);
    // What the registry got is the same image: skopeo reads back its config.
    assert.deepEqual(JSON.parse(await skopeo(['inspect', '--config', '--tls-verify=false', `docker://${registry.host}/rt/first:1`])), JSON.parse(image.manifests[0]!.config.bytes.toString()));
    const down = await runTug(['copy', '-q', '--src-tls-verify=false', '--dest-daemon-host', daemon.host, `docker://${registry.host}/rt/first:1`, 'docker-daemon:example.com/tug/back:2']);
    assert.equal(down.code, 0, down.stderr);
    assert.equal(await idOf('example.com/tug/back:2'), image.manifests[0]!.config.digest);
    assert.ok((await tags()).includes('example.com/tug/back:2'));
  });

  test('docker pulls every image a tug sync wrote: several images, one multi-arch (the daemon takes its own platform)', async () => {
    const single = await makeImage({ seed: 'daemon-pull-a', flavour: 'docker' });
    const oci = await makeImage({ seed: 'daemon-pull-b' });
    const multi = await makeImage({ seed: 'daemon-pull-m', platforms: [{ os: 'linux', architecture: 'arm64' }, { os: 'linux', architecture: 'amd64' }] });
    const dir = tempDir(undefined, 'tug-daemon-pull-');
    const cases = [
      { name: 'pull/a:1', image: single, config: single.manifests[0]!.config.digest },
      { name: 'pull/b:1', image: oci, config: oci.manifests[0]!.config.digest },
      { name: 'pull/multi:1', image: multi, config: multi.manifests.find((m) => m.platform.architecture === process.arch.replace('x64', 'amd64'))!.config.digest },
    ];
    try {
      // The images reach a source repository, then a sync of the list mirrors them (seed 000's job),
      // and the daemon pulls each one from where the sync's --digestfile says it wrote it.
      for (const c of cases) {
        const layout = join(dir, c.name.replace(/[/:]/g, '_'));
        writeOciLayout(layout, c.image, 'x');
        const r = await runTug(['copy', '-q', '--all', `oci:${layout}:x`, `docker://${registry.host}/upstream/${c.name}`]);
        assert.equal(r.code, 0, r.stderr);
      }
      const list = join(dir, 'images.txt');
      writeFileSync(list, cases.map((c) => `${registry.host}/upstream/${c.name}\n`).join(''));
      const digests = join(dir, 'digests');
      const sync = await runTug(['sync', '-q', '--all', '--digestfile', digests, list, `${registry.host}/mirror`]);
      assert.equal(sync.code, 0, sync.stderr);
      const written = readFileSync(digests, 'utf8').trim().split('\n').map((line) => line.split(' ')[1]!.replace(/^docker:\/\//, ''));
      assert.equal(written.length, cases.length, `the sync wrote every image: ${written.join(', ')}`);
      for (const c of cases) {
        // An image list lands each image under the prefix by its last path component (mirror/a:1).
        const name = written.find((w) => w === `${registry.host}/mirror/${c.name.split('/').pop()!}`);
        assert.ok(name, `${c.name} synced under the mirror prefix: ${written.join(', ')}`);
        await daemon.docker(['pull', '-q', name]);
        assert.equal(await idOf(name), c.config, c.name);
      }
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  test('tug inspect of a daemon image agrees with skopeo', async () => {
    const r = await runTug(['inspect', '--daemon-host', daemon.host, `docker-daemon:${NAME}`]);
    assert.equal(r.code, 0, r.stderr);
    const ours = JSON.parse(r.stdout) as { Architecture: string; Os: string; Layers: string[]; Labels: Record<string, string> };
    const theirs = JSON.parse(await skopeo(['inspect', '--daemon-host', daemon.host, `docker-daemon:${NAME}`])) as typeof ours;
    assert.equal(ours.Architecture, 'amd64');
    assert.deepEqual([ours.Os, ours.Layers, ours.Labels], [theirs.Os, theirs.Layers, theirs.Labels]);
    const config = await runTug(['inspect', '--config', '--raw', '--daemon-host', daemon.host, `docker-daemon:${image.manifests[0]!.config.digest}`]);
    assert.equal(config.code, 0, config.stderr);
    assert.equal(config.stdout, image.manifests[0]!.config.bytes.toString(), 'read by image ID, the config bytes are the original ones');
  });

  test('an image the daemon does not have: exit 1, one line naming the image and the fix', async () => {
    const r = await runTug(['inspect', '--daemon-host', daemon.host, 'docker-daemon:example.com/no/such:1']);
    assert.equal(r.code, 1, r.stderr);
    assert.match(r.stderr, /has no image docker\.io\/|has no image example\.com\/no\/such:1/);
    assert.match(r.stderr, /docker pull or docker load it first/);
  });

  test('a failed load leaves no tag behind', async (t) => {
    const tmp = tempDir(t, 'tug-daemon-cut-');
    const big = await makeImage({ seed: 'daemon-cut', layerSizes: [4096, 2_000_000] });
    const m = big.manifests[0]!;
    const dest = await dockerDaemonTransport.parse('example.com/tug/cut:1').newDestination({ daemonHost: daemon.host, tmpDir: tmp });
    try {
      for (const b of [m.config, ...m.layers]) {
        const desc = { mediaType: b.mediaType, digest: b.digest as Digest, size: b.size };
        await dest.putBlob(desc, Readable.from([b.bytes]).pipe(verifyingStream(desc, b.digest)));
      }
      await dest.putManifest({ bytes: m.bytes, mediaType: m.mediaType, digest: m.digest as Digest }, { instance: false });
      // The last layer vanishes from staging: the tar breaks off after the config and first layer were sent.
      const staging = join(tmp, readdirSync(tmp)[0]!);
      rmSync(join(staging, m.layers[1]!.digest.replace(':', '-')));
      await assert.rejects(dest.commit(), (e: unknown) => e instanceof TugError && e.code === 'IO' && /failed midway .*nothing was tagged/.test(e.message));
    } finally {
      await dest.close();
    }
    assert.ok(!(await tags()).includes('example.com/tug/cut:1'), 'no tag after a cut load');
    await assert.rejects(idOf('example.com/tug/cut:1'));
  });

  test('a daemon killed mid-load tags nothing: after its restart the name is not there', async (t) => {
    const dir = tempDir(t, 'tug-daemon-kill-');
    const big = await makeImage({ seed: 'daemon-kill', layerSizes: [1024, 48 << 20] });
    writeOciLayout(join(dir, 'oci'), big, 'x');
    // dockerd unpacks a load into DATA_ROOT/tmp/docker-import-*, as the tar arrives.
    const imports = join(dirname(daemon.socket), 'data', 'tmp');
    const received = () => {
      const walk = (d: string): number => readdirSync(d, { withFileTypes: true }).reduce((n, e) => n + (e.isDirectory() ? walk(join(d, e.name)) : e.isFile() ? statSync(join(d, e.name)).size : 0), 0);
      try {
        return readdirSync(imports).filter((n) => n.startsWith('docker-import-')).reduce((n, d) => n + walk(join(imports, d)), 0);
      } catch {
        return 0;
      }
    };
    const child = spawn(TUG_ARGV[0]!, [...TUG_ARGV.slice(1), 'copy', '-q', '--dest-daemon-host', daemon.host, `oci:${join(dir, 'oci')}:x`, 'docker-daemon:example.com/tug/killed:1'], { stdio: ['ignore', 'ignore', 'pipe'] });
    let stderr = '';
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
    try {
      await waitFor('the daemon to have received part of the tar', () => received() > 4 << 20 || child.exitCode !== null, 60_000, 10);
      assert.equal(child.exitCode, null, `tug finished before the kill: ${stderr}`);
      await daemon.kill();
    } finally {
      if (child.exitCode === null) await exited;
      await daemon.restart();
    }
    assert.equal(await exited, 4, stderr);
    assert.match(stderr, /lost the connection to the Docker daemon at unix:\/\/.* did the daemon stop\?/);
    assert.ok(!(await tags()).includes('example.com/tug/killed:1'), 'no tag after a killed load');
    await assert.rejects(idOf(big.manifests[0]!.config.digest), 'the image is not in the daemon');
  });

  test('no daemon at DOCKER_HOST or the flag: one line naming it and the fix', async (t) => {
    const dir = tempDir(t, 'tug-daemon-none-');
    const port = await freePort();
    const cases = [
      { env: { DOCKER_HOST: `unix://${dir}/nope.sock` }, args: [], code: 1, match: new RegExp(`Docker daemon at unix://${dir}/nope\\.sock .*is the daemon running\\?`) },
      { env: {}, args: ['--daemon-host', `tcp://127.0.0.1:${port}`], code: 4, match: /Docker daemon at tcp:\/\/127\.0\.0\.1:\d+ \(ECONNREFUSED\)/ },
      { env: {}, args: ['--daemon-host', 'ftp://x'], code: 2, match: /invalid Docker daemon host "ftp:\/\/x"/ },
    ];
    for (const c of cases) {
      const r = await runTug(['inspect', ...c.args, `docker-daemon:${NAME}`], { env: c.env });
      assert.equal(r.code, c.code, r.stderr);
      assert.match(r.stderr, c.match);
      if (c.code !== 2) assert.match(r.stderr, /DOCKER_HOST/);
    }
  });

  test('tcp:// and https:// are TLS, as in skopeo: the daemon\'s ca.pem from --cert-dir, or --tls-verify=false', async () => {
    const want = JSON.parse(image.manifests[0]!.config.bytes.toString()) as unknown;
    const cases = [
      { args: ['--daemon-host', `tcp://${daemon.tcpAddress}`, '--cert-dir', daemon.certDir!], code: 0 },
      { args: ['--daemon-host', `https://${daemon.tcpAddress}`, '--tls-verify=false'], code: 0 },
      { args: ['--daemon-host', `tcp://${daemon.tcpAddress}`], code: 5, match: /TLS with the Docker daemon at tcp:\/\/127\.0\.0\.1:\d+ failed: .*--cert-dir/ },
      { args: ['--daemon-host', `http://${daemon.tcpAddress}`], code: 1, match: /Docker daemon at http:\/\/127\.0\.0\.1:\d+ failed: Client sent an HTTP request to an HTTPS server/ },
    ];
    for (const c of cases) {
      const r = await runTug(['inspect', '--config', ...c.args, `docker-daemon:${NAME}`]);
      assert.equal(r.code, c.code, `${c.args.join(' ')}: ${r.stderr}`);
      if (c.code === 0) assert.deepEqual(JSON.parse(r.stdout), want);
      else assert.match(r.stderr, c.match!);
    }
    // skopeo reads the same daemon with the same flags
    assert.deepEqual(JSON.parse(await skopeo(['inspect', '--config', '--daemon-host', `tcp://${daemon.tcpAddress}`, '--cert-dir', daemon.certDir!, `docker-daemon:${NAME}`])), want);
  });

  test('DOCKER_HOST is used when no flag is given', async () => {
    const r = await runTug(['inspect', '--config', `docker-daemon:${NAME}`], { env: { DOCKER_HOST: daemon.host } });
    assert.equal(r.code, 0, r.stderr);
    assert.deepEqual(JSON.parse(r.stdout), JSON.parse(image.manifests[0]!.config.bytes.toString()));
  });

  test('the reference type carries the name or the ID', () => {
    const ref = dockerDaemonTransport.parse(NAME) as DockerDaemonReference;
    assert.equal(ref.ref?.tag, '1');
    assert.equal(ref.id, undefined);
  });
});
