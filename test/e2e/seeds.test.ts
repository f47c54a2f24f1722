/**
 * Issue 12, "What must show": every skopeo command of the two guides
 * docs/contract.md quotes (seed 000, a team's OpenYurt mirroring guide, and
 * seed 002, a skopeo tutorial with registry-migration scripts), run with
 * `tug` in place of `skopeo`, and the same command run with skopeo: the
 * results must be the same (digests, directory contents, what skopeo reads
 * back), and tug's must be right on their own (the source's digests).
 *
 * The seeds' public hosts become local ones:
 *
 * | in the seed | here |
 * |---|---|
 * | docker.io (`openyurt/*`, `alpine`, `kubesphere/*`), k8s.gcr.io | SRC: an anonymous registry holding the images under the same paths |
 * | quanzhenglong.com, hub.k8s.li, harbor.k8s.li, localhost:5000 | PRIV for tug's run, SKO for skopeo's: registries with htpasswd (user edge_admin) |
 * | docker-daemon:, `docker pull` | a private dockerd (test/support/dockerd.ts); skipped without root |
 * | ~/.docker/config.json, the login state | files under a temp HOME (XDG_RUNTIME_DIR inside it) |
 *
 * Commands that only read (inspect, list-tags) run both tools against the
 * same registry and compare outputs. skopeo gets `--registries-conf` with
 * `insecure = true` for the three loopback registries (it will not talk plain
 * HTTP otherwise; tug does to loopback by itself).
 */
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { mkdirSync, readFileSync, readdirSync, statSync, writeFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { after, before, test } from 'node:test';
import { type TestDockerd, dockerdSkipReason, startDockerd } from '../support/dockerd.ts';
import { type GeneratedImage, makeImage, multiArch, pushImage, sha256 } from '../support/images.ts';
import { type TestRegistry, startRegistry } from '../support/registry.ts';
import { SKOPEO_BIN } from '../support/skopeo.ts';
import { tempDir } from '../support/tmp.ts';
import { runTug } from '../support/tug.ts';

const USER = 'edge_admin';
const PASSWORD = 'Edge-pass-1';

/** The hosts and directory one tool's run of a command uses. */
interface Hosts {
  src: string;
  priv: string;
  dir: string;
}

type Check =
  /** Both tools wrote `image` (in their own registry): same manifest digest, and `want`'s when given. */
  | { kind: 'image'; image: (h: Hosts) => string; want?: () => string }
  /** Both tools wrote the directory `path`: same files, same bytes. */
  | { kind: 'dir'; path: (h: Hosts) => string }
  /**
   * Both tools wrote `image` (`docker://...` or `oci:...`) with layers they
   * compressed themselves (Go's gzip and zlib differ byte-wise): the same
   * config (docker's image ID) and manifest type, as skopeo reads them back.
   */
  | { kind: 'config'; image: (h: Hosts) => string; sameDocument?: boolean }
  /** Read-only: both tools' stdout against the same registry, bytes or parsed JSON (fields compared). */
  | { kind: 'stdout'; json?: string[] }
  /** `image` is gone after both tools' runs. */
  | { kind: 'deleted'; image: (h: Hosts) => string };

interface Row {
  /** The seed file and line of the command. */
  seed: string;
  /** The command as the seed writes it. */
  quote: string;
  /** Its argv with the hosts of this test (without the program name). */
  args: (h: Hosts) => string[];
  check: Check;
  /** Needs the private dockerd. */
  daemon?: boolean;
}

let src: TestRegistry;
let priv: TestRegistry;
let sko: TestRegistry;
let dockerd: TestDockerd | undefined;
let work: string;
let env: NodeJS.ProcessEnv;
let skopeoConf: string;
const images: Record<string, GeneratedImage> = {};

const tugHosts = (): Hosts => ({ src: src.host, priv: priv.host, dir: join(work, 'tug') });
const skopeoHosts = (): Hosts => ({ src: src.host, priv: sko.host, dir: join(work, 'skopeo') });
const creds = `${USER}:${PASSWORD}`;
const amd64 = (name: string) => () => images[name]!.manifests.find((m) => m.platform.architecture === 'amd64')!.digest;
const top = (name: string) => () => images[name]!.top.digest;

function runSkopeo(args: string[], input = ''): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    const child = execFile(SKOPEO_BIN, ['--registries-conf', skopeoConf, ...args], { env, encoding: 'utf8', maxBuffer: 64 << 20, timeout: 120_000 }, (err, stdout, stderr) => {
      resolve({ code: err ? Number((err as { code?: unknown }).code ?? 1) : 0, stdout, stderr });
    });
    child.stdin?.end(input);
  });
}

/** The digest of the manifest `image` names, as skopeo reads it (credentials from the login state). */
async function digestOf(image: string): Promise<string> {
  const r = await runSkopeo(['inspect', '--raw', `docker://${image}`]);
  assert.equal(r.code, 0, `skopeo inspect --raw docker://${image}: ${r.stderr}`);
  return sha256(r.stdout);
}

/** Every file under `dir` (relative path -> sha256), to compare two trees. */
function tree(dir: string): Record<string, string> {
  const out: Record<string, string> = {};
  const walk = (d: string) => {
    for (const name of readdirSync(d)) {
      const p = join(d, name);
      if (statSync(p).isDirectory()) walk(p);
      else out[relative(dir, p)] = sha256(readFileSync(p));
    }
  };
  walk(dir);
  return out;
}

// Seed 000 (000_ec5b77c93f87bf68.txt): PRIVATE_REGISTRY=quanzhenglong.com/edge.
const manualSync = (line: number, from: string, to: string): Row => ({
  seed: `000_ec5b77c93f87bf68.txt:${line}`,
  quote: `skopeo copy --insecure-policy --dest-creds "$REGISTRY_USERNAME:$REGISTRY_PASSWORD" --multi-arch all docker://openyurt/${from} docker://$PRIVATE_REGISTRY/${to}`,
  args: (h) => ['copy', '--insecure-policy', '--dest-creds', creds, '--multi-arch', 'all', `docker://${h.src}/openyurt/${from}`, `docker://${h.priv}/edge/${to}`],
  check: { kind: 'image', image: (h) => `${h.priv}/edge/${to}`, want: top(from.split(':')[0]!) },
});

// Seed 002 (002_d0f27f64fb35934a.txt), sync.sh: IMAGES_LIST_FILE excerpt, SOURCE_REGISTRY=docker.io, TARGET_REGISTRY=localhost:5000.
const IMAGES_LIST = ['kubesphere/kube-apiserver:v1.20.6', 'kubesphere/kube-proxy:v1.20.6'];

const rows: Row[] = [
  {
    seed: '002_d0f27f64fb35934a.txt:105',
    quote: 'skopeo login (login：登录到某个 Registry，和 docker login 类似)',
    args: (h) => ['login', '-u', USER, '--password-stdin', h.priv],
    check: { kind: 'stdout' },
  },
  manualSync(88, 'yurt-manager:v1.6.0', 'yurt-manager:v1.6.0'),
  manualSync(95, 'yurthub:v1.6.0', 'yurthub:v1.6.0'),
  manualSync(102, 'raven-agent:v0.4.1', 'raven-agent:v0.4.1'),
  manualSync(109, 'yurt-manager:v1.6.0', 'yurt-manager:latest'),
  manualSync(115, 'yurthub:v1.6.0', 'yurthub:latest'),
  manualSync(121, 'raven-agent:v0.4.1', 'raven-agent:latest'),
  ...['yurt-manager', 'yurthub', 'raven-agent'].map((name, i): Row => ({
    seed: `000_ec5b77c93f87bf68.txt:${192 + 3 * i}`,
    quote: `skopeo list-tags docker://quanzhenglong.com/edge/${name}`,
    args: (h) => ['list-tags', `docker://${h.priv}/edge/${name}`],
    check: { kind: 'stdout', json: ['Repository', 'Tags'] },
  })),
  {
    seed: '000_ec5b77c93f87bf68.txt:205',
    quote: 'skopeo inspect --raw docker://quanzhenglong.com/edge/yurt-manager:v1.6.0 | jq',
    args: (h) => ['inspect', '--raw', `docker://${h.priv}/edge/yurt-manager:v1.6.0`],
    check: { kind: 'stdout' },
  },
  {
    seed: '000_ec5b77c93f87bf68.txt:208',
    quote: 'skopeo inspect docker://quanzhenglong.com/edge/yurt-manager:v1.6.0',
    args: (h) => ['inspect', `docker://${h.priv}/edge/yurt-manager:v1.6.0`],
    check: { kind: 'stdout', json: ['Name', 'Digest', 'RepoTags', 'Architecture', 'Os', 'Layers', 'Env', 'Labels'] },
  },
  {
    seed: '000_ec5b77c93f87bf68.txt:273',
    quote: 'skopeo copy --multi-arch all docker://openyurt/yurt-manager:v1.6.0 docker://quanzhenglong.com/edge/yurt-manager:v1.6.0',
    args: (h) => ['copy', '--multi-arch', 'all', `docker://${h.src}/openyurt/yurt-manager:v1.6.0`, `docker://${h.priv}/edge/yurt-manager:v1.6.0`],
    check: { kind: 'image', image: (h) => `${h.priv}/edge/yurt-manager:v1.6.0`, want: top('yurt-manager') },
  },
  {
    seed: '000_ec5b77c93f87bf68.txt:290',
    quote: 'skopeo copy --command-timeout=10m ...',
    args: (h) => ['copy', '--command-timeout=10m', '--multi-arch', 'all', `docker://${h.src}/openyurt/yurthub:v1.6.0`, `docker://${h.priv}/edge/yurthub:timeout`],
    check: { kind: 'image', image: (h) => `${h.priv}/edge/yurthub:timeout`, want: top('yurthub') },
  },
  {
    seed: '002_d0f27f64fb35934a.txt:205',
    quote: 'skopeo copy docker://k8s.gcr.io/kube-apiserver:v1.17.5 docker://hub.k8s.li/kube-apiserver:v1.17.5 --dest-authfile /root/.docker/config.json',
    args: (h) => ['copy', `docker://${h.src}/kube-apiserver:v1.17.5`, `docker://${h.priv}/kube-apiserver:v1.17.5`, '--dest-authfile', join(work, 'docker-config.json')],
    check: { kind: 'image', image: (h) => `${h.priv}/kube-apiserver:v1.17.5`, want: top('kube-apiserver') },
  },
  {
    seed: '002_d0f27f64fb35934a.txt:219',
    quote: 'skopeo copy docker://k8s.gcr.io/pause:3.3 dir:pause:3.3',
    args: (h) => ['copy', `docker://${h.src}/pause:3.3`, `dir:${h.dir}/pause:3.3`],
    check: { kind: 'dir', path: (h) => `${h.dir}/pause:3.3` },
  },
  {
    seed: '002_d0f27f64fb35934a.txt:299',
    quote: 'skopeo copy docker://k8s.gcr.io/pause:3.3 oci:images',
    args: (h) => ['copy', `docker://${h.src}/pause:3.3`, `oci:${h.dir}/oci-images`],
    // Both convert the Docker image to OCI; tug keeps the config's bytes (so its image ID), where
    // containers/image re-encodes the config in the image-spec's field order: the same document.
    check: { kind: 'config', image: (h) => `oci:${h.dir}/oci-images`, sameDocument: true },
  },
  {
    seed: '002_d0f27f64fb35934a.txt:319',
    quote: 'skopeo copy docker-daemon:alpine:3.12 docker://hub.k8s.li/library/alpine:3.12',
    args: (h) => ['copy', '--src-daemon-host', dockerd!.host, 'docker-daemon:alpine:3.12', `docker://${h.priv}/library/alpine:3.12`],
    check: { kind: 'config', image: (h) => `docker://${h.priv}/library/alpine:3.12` },
    daemon: true,
  },
  {
    seed: '002_d0f27f64fb35934a.txt:392',
    quote: 'skopeo sync --src docker --dest docker k8s.gcr.io/pause:3.3 hub.k8s.li',
    args: (h) => ['sync', '--src', 'docker', '--dest', 'docker', `${h.src}/pause:3.3`, h.priv],
    check: { kind: 'image', image: (h) => `${h.priv}/pause:3.3`, want: top('pause') },
  },
  {
    seed: '002_d0f27f64fb35934a.txt:406',
    quote: 'skopeo sync --src docker --dest dir k8s.gcr.io/pause:3.3 images',
    args: (h) => ['sync', '--src', 'docker', '--dest', 'dir', `${h.src}/pause:3.3`, `${h.dir}/images`],
    check: { kind: 'dir', path: (h) => `${h.dir}/images` },
  },
  {
    seed: '002_d0f27f64fb35934a.txt:418',
    quote: 'skopeo sync --src dir --dest docker images hub.k8s.li',
    args: (h) => ['sync', '--src', 'dir', '--dest', 'docker', `${h.dir}/images`, `${h.priv}/from-dir`],
    check: { kind: 'image', image: (h) => `${h.priv}/from-dir/pause:3.3`, want: top('pause') },
  },
  {
    seed: '002_d0f27f64fb35934a.txt:435',
    quote: 'skopeo inspect docker-daemon:alpine:latest',
    args: () => ['inspect', '--daemon-host', dockerd!.host, 'docker-daemon:alpine:latest'],
    // Not Digest: it is that of a manifest each tool makes up for `docker save`'s files, and
    // containers/image types the uncompressed layers as gzip there (docs/skopeo.md); Layers are the same.
    check: { kind: 'stdout', json: ['Name', 'Architecture', 'Os', 'Layers', 'Env'] },
    daemon: true,
  },
  {
    seed: '002_d0f27f64fb35934a.txt:457',
    quote: "skopeo inspect docker://alpine:latest --raw | jq '.'",
    args: (h) => ['inspect', `docker://${h.src}/library/alpine:latest`, '--raw'],
    check: { kind: 'stdout' },
  },
  {
    seed: '002_d0f27f64fb35934a.txt:537',
    quote: 'skopeo delete docker://hub.k8s.li/library/pause:3.2 --debug',
    args: (h) => ['delete', `docker://${h.priv}/library/pause:3.2`, '--debug'],
    check: { kind: 'deleted', image: (h) => `${h.priv}/library/pause:3.2` },
  },
  {
    seed: '002_d0f27f64fb35934a.txt:554',
    quote: 'skopeo list-tags docker://k8s.gcr.io/pause',
    args: (h) => ['list-tags', `docker://${h.src}/pause`],
    check: { kind: 'stdout', json: ['Repository', 'Tags'] },
  },
  ...IMAGES_LIST.map((image): Row => ({
    seed: '002_d0f27f64fb35934a.txt:763',
    quote: `sync.sh: skopeo copy --insecure-policy --src-tls-verify=false --dest-tls-verify=false --override-arch amd64 --override-os linux -q docker://$1 docker://$2 ($1=docker.io/${image}, $2=localhost:5000/${image})`,
    args: (h) => ['copy', '--insecure-policy', '--src-tls-verify=false', '--dest-tls-verify=false', '--override-arch', 'amd64', '--override-os', 'linux', '-q', `docker://${h.src}/${image}`, `docker://${h.priv}/${image}`],
    check: { kind: 'image', image: (h) => `${h.priv}/${image}`, want: amd64(image.split(':')[0]!) },
  })),
  ...IMAGES_LIST.map((image): Row => ({
    seed: '002_d0f27f64fb35934a.txt:822',
    quote: `sync.sh (registry storage): skopeo sync --insecure-policy --src-tls-verify=false --dest-tls-verify=false --override-arch amd64 --override-os linux --src docker --dest dir $1 $2 ($1=docker.io/${image}, $2=images/kubesphere)`,
    args: (h) => ['sync', '--insecure-policy', '--src-tls-verify=false', '--dest-tls-verify=false', '--override-arch', 'amd64', '--override-os', 'linux', '--src', 'docker', '--dest', 'dir', `${h.src}/${image}`, `${h.dir}/registry-images/kubesphere`],
    check: { kind: 'dir', path: (h) => `${h.dir}/registry-images/kubesphere/${image.split('/')[1]!}` },
  })),
  {
    seed: '002_d0f27f64fb35934a.txt:908',
    quote: 'install.sh: skopeo sync --insecure-policy --src-tls-verify=false --dest-tls-verify=false --src dir --dest docker ${SKOPEO_DIR}/${project} ${REGISTRY_DOMAIN}/${project}',
    args: (h) => ['sync', '--insecure-policy', '--src-tls-verify=false', '--dest-tls-verify=false', '--src', 'dir', '--dest', 'docker', `${h.dir}/registry-images/kubesphere`, `${h.priv}/kubesphere`],
    check: { kind: 'image', image: (h) => `${h.priv}/kubesphere/kube-proxy:v1.20.6`, want: amd64('kubesphere/kube-proxy') },
  },
  {
    seed: '000_ec5b77c93f87bf68.txt:216',
    quote: 'docker login quanzhenglong.com -u edge_admin -p YOUR_PASSWORD; docker pull quanzhenglong.com/edge/yurt-manager:v1.6.0',
    args: () => [],
    check: { kind: 'stdout' },
    daemon: true,
  },
];

before(async () => {
  work = tempDir(undefined, 'tug-seeds-');
  for (const d of ['tug', 'skopeo', 'home', 'run']) mkdirSync(join(work, d));
  env = { ...process.env, HOME: join(work, 'home'), XDG_RUNTIME_DIR: join(work, 'run'), REGISTRY_AUTH_FILE: '', DOCKER_CONFIG: '' };
  delete env.REGISTRY_AUTH_FILE;
  delete env.DOCKER_CONFIG;
  [src, priv, sko] = await Promise.all([startRegistry(), startRegistry({ users: { [USER]: PASSWORD } }), startRegistry({ users: { [USER]: PASSWORD } })]);
  skopeoConf = join(work, 'registries.conf');
  writeFileSync(skopeoConf, [src, priv, sko].map((r) => `[[registry]]\nlocation = "${r.host}"\ninsecure = true\n`).join('\n'));
  const docker = (seed: string) => makeImage({ seed, flavour: 'docker', layerSizes: [1024] });
  const made = await Promise.all([multiArch('yurt-manager', 'docker'), multiArch('yurthub', 'docker'), multiArch('raven-agent', 'docker'), docker('kube-apiserver'), docker('pause'), docker('alpine'), multiArch('kube-apiserver-1.20', 'docker'), multiArch('kube-proxy', 'docker')]);
  const names = ['yurt-manager', 'yurthub', 'raven-agent', 'kube-apiserver', 'pause', 'alpine', 'kubesphere/kube-apiserver', 'kubesphere/kube-proxy'];
  const at: Array<[number, string, string]> = [
    [0, 'openyurt/yurt-manager', 'v1.6.0'],
    [1, 'openyurt/yurthub', 'v1.6.0'],
    [2, 'openyurt/raven-agent', 'v0.4.1'],
    [3, 'kube-apiserver', 'v1.17.5'],
    [4, 'pause', '3.3'],
    [4, 'pause', '3.2'],
    [5, 'library/alpine', 'latest'],
    [5, 'library/alpine', '3.12'],
    [6, 'kubesphere/kube-apiserver', 'v1.20.6'],
    [7, 'kubesphere/kube-proxy', 'v1.20.6'],
  ];
  for (const [i, repository, tag] of at) await pushImage({ url: src.url, repository, tag }, made[i]!);
  names.forEach((n, i) => (images[n] = made[i]!));
  // The image seed 002's delete removes; one per tool's registry.
  for (const r of [priv, sko]) await pushImage({ url: r.url, repository: 'library/pause', tag: '3.2', username: USER, password: PASSWORD }, made[4]!);
  // The login state the seeds' commands run in, made by skopeo (tug must read it; the login row
  // then logs in again with tug), and seed 002's --dest-authfile /root/.docker/config.json.
  const dockerConfig = join(work, 'docker-config.json');
  for (const r of [priv, sko]) {
    for (const file of [[], ['--authfile', dockerConfig]]) {
      const login = await runSkopeo(['login', ...file, '-u', USER, '--password-stdin', r.host], `${PASSWORD}\n`);
      assert.equal(login.code, 0, login.stderr);
    }
  }
  if (!dockerdSkipReason()) {
    dockerd = await startDockerd();
    // alpine:3.12 and alpine:latest in the daemon, as `docker pull alpine` leaves them.
    await dockerd.docker(['pull', `${src.host}/library/alpine:3.12`]);
    await dockerd.docker(['tag', `${src.host}/library/alpine:3.12`, 'alpine:3.12']);
    await dockerd.docker(['tag', `${src.host}/library/alpine:3.12`, 'alpine:latest']);
  }
});

after(async () => {
  await dockerd?.stop();
  await Promise.all([src?.stop(), priv?.stop(), sko?.stop()]);
});

for (const row of rows) {
  const skip = row.daemon ? dockerdSkipReason() : undefined;
  test(`${row.seed}: ${row.quote}`, { skip }, async () => {
    if (row.quote.startsWith('docker login')) {
      // Seed 000's pull check: the daemon logs in to the private registry and pulls what tug copied there.
      await dockerd!.docker(['login', '-u', USER, '--password-stdin', priv.host], { input: `${PASSWORD}\n` });
      await dockerd!.docker(['pull', `${priv.host}/edge/yurt-manager:v1.6.0`]);
      const id = (await dockerd!.docker(['image', 'inspect', '--format', '{{.Id}}', `${priv.host}/edge/yurt-manager:v1.6.0`])).trim();
      const m = images['yurt-manager']!.manifests.find((x) => x.platform.architecture === 'amd64')!;
      assert.equal(id, m.config.digest, 'docker pulled the amd64 image tug copied');
      return;
    }
    const input = row.args(tugHosts())[0] === 'login' ? `${PASSWORD}\n` : '';
    const c = row.check;
    // Commands that only read run both tools against tug's registry; the others write apart, so both run at once.
    const read = c.kind === 'stdout';
    const [t, s] = await Promise.all([runTug(row.args(tugHosts()), { env, input }), runSkopeo(row.args(read ? tugHosts() : skopeoHosts()), input)]);
    assert.equal(t.code, 0, `tug ${row.args(tugHosts()).join(' ')}\n${t.stderr}`);
    const basic = Buffer.from(creds).toString('base64');
    assert.ok(![PASSWORD, basic].some((x) => t.stdout.includes(x) || t.stderr.includes(x)), 'tug never prints the password (--debug included)');
    assert.equal(s.code, 0, `skopeo: ${s.stderr}`);
    switch (c.kind) {
      case 'stdout':
        if (!c.json) {
          if (row.args(tugHosts())[0] !== 'login') assert.equal(sha256(t.stdout), sha256(s.stdout), 'same bytes on stdout');
          break;
        }
        {
          const pick = (text: string) => Object.fromEntries(c.json!.map((k) => [k, (JSON.parse(text) as Record<string, unknown>)[k]]));
          assert.deepEqual(pick(t.stdout), pick(s.stdout));
        }
        break;
      case 'image': {
        const [mine, theirs] = await Promise.all([digestOf(c.image(tugHosts())), digestOf(c.image(skopeoHosts()))]);
        assert.equal(mine, theirs, 'tug wrote the manifest skopeo wrote');
        if (c.want) assert.equal(mine, c.want(), 'the source\'s digest');
        break;
      }
      case 'dir':
        assert.deepEqual(tree(c.path(tugHosts())), tree(c.path(skopeoHosts())), 'the same files with the same bytes');
        break;
      case 'config': {
        const [mine, theirs] = await Promise.all([tugHosts(), skopeoHosts()].map(async (h) => {
          const [config, raw] = await Promise.all([runSkopeo(['inspect', '--config', '--raw', c.image(h)]), runSkopeo(['inspect', '--raw', c.image(h)])]);
          assert.equal(config.code, 0, `skopeo reads ${c.image(h)}: ${config.stderr}`);
          const m = JSON.parse(raw.stdout) as { mediaType?: string; layers: { mediaType: string }[] };
          return { config: c.sameDocument ? (JSON.parse(config.stdout) as unknown) : sha256(config.stdout), mediaType: m.mediaType, layers: m.layers.map((l) => l.mediaType) };
        }));
        assert.deepEqual(mine, theirs, 'the same config and media types, as skopeo reads them back');
        break;
      }
      case 'deleted':
        for (const h of [tugHosts(), skopeoHosts()]) {
          const gone = await runSkopeo(['inspect', '--raw', `docker://${c.image(h)}`]);
          assert.notEqual(gone.code, 0, `${c.image(h)} is gone`);
          assert.match(gone.stderr, /manifest unknown|not found/i);
        }
        break;
    }
  });
}
