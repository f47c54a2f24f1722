/**
 * The other `tug` commands end to end, compared with what skopeo says about
 * the same images: inspect, list-tags, delete, manifest-digest, login and
 * logout; every local transport through the CLI; OCI artifacts; exit codes.
 */
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { freePort, startRegistry, type TestRegistry } from '../support/registry.ts';
import { type GeneratedImage, makeImage, multiArch, pushImage, writeOciLayout } from '../support/images.ts';
import { rawManifest, skopeo } from '../support/skopeo.ts';
import { runTug } from '../support/tug.ts';
import { tempDir } from '../support/tmp.ts';

const sha = (s: string | Buffer) => `sha256:${createHash('sha256').update(s).digest('hex')}`;
let reg: TestRegistry;
let auth: TestRegistry;
let work: string;
let index: GeneratedImage;
let single: GeneratedImage;

before(async () => {
  work = tempDir(undefined, 'tug-cmd-');
  reg = await startRegistry();
  auth = await startRegistry({ users: { alice: 'Sw0rdfish-canary' } });
  index = await multiArch('cmd-index', 'oci');
  single = await makeImage({ seed: 'cmd-single', flavour: 'docker', labels: { 'io.tugboat.test': 'yes' }, env: ['A=1', 'PATH=/bin'] });
  await pushImage({ url: reg.url, repository: 'app/multi', tag: 'v1' }, index);
  for (const tag of ['v1', 'v2', 'v3']) await pushImage({ url: reg.url, repository: 'app/single', tag }, single);
});

after(async () => {
  await reg.stop();
  await auth.stop();
});

test('inspect prints what skopeo inspect prints', async () => {
  for (const name of [`docker://${reg.host}/app/single:v1`, `docker://${reg.host}/app/multi:v1`]) {
    const ours = JSON.parse((await runTug(['inspect', name])).stdout);
    const theirs = JSON.parse(await skopeo(['inspect', '--tls-verify=false', name]));
    // Every field skopeo prints, and nothing else but LayersData.
    for (const key of Object.keys(theirs)) {
      if (key === 'RepoTags') assert.deepEqual([...ours.RepoTags].sort(), [...theirs.RepoTags].sort(), `${name}: RepoTags`);
      else assert.deepEqual(ours[key], theirs[key], `${name}: ${key}`);
    }
    assert.deepEqual(Object.keys(ours).filter((k) => !(k in theirs) && k !== 'LayersData'), [], `${name}: fields skopeo does not print`);
    // Debian's skopeo (1.9) prints no LayersData; newer skopeo prints the
    // layer descriptors of the manifest it inspected. Compare with those, as
    // skopeo reads them: the manifest of the platform it picked.
    const top = JSON.parse(await skopeo(['inspect', '--raw', '--tls-verify=false', name]));
    const instance = top.manifests?.find((m: { platform: { os: string; architecture: string } }) => m.platform.os === theirs.Os && m.platform.architecture === theirs.Architecture);
    const manifest = instance ? JSON.parse(await skopeo(['inspect', '--raw', '--tls-verify=false', `${name.replace(/:[^:/]+$/, '')}@${instance.digest}`])) : top;
    const descriptors = manifest.layers.map((l: { mediaType: string; digest: string; size: number; annotations?: Record<string, string> }) => ({ MIMEType: l.mediaType, Digest: l.digest, Size: l.size, Annotations: l.annotations ?? null }));
    assert.deepEqual(ours.LayersData, theirs.LayersData ?? descriptors, `${name}: LayersData`);
    assert.deepEqual(descriptors.map((l: { Digest: string }) => l.Digest), theirs.Layers, `${name}: the manifest compared is the one skopeo inspected`);
  }
});

test('inspect --raw and --config --raw print the exact bytes', async () => {
  const raw = await runTug(['inspect', '--raw', `docker://${reg.host}/app/multi:v1`]);
  assert.equal(sha(raw.stdout), index.top.digest);
  const config = await runTug(['inspect', '--config', '--raw', `docker://${reg.host}/app/single:v1`]);
  assert.equal(sha(config.stdout), single.manifests[0]!.config.digest);
  const arm = await runTug(['--override-arch', 'arm64', 'inspect', '--config', `docker://${reg.host}/app/multi:v1`]);
  assert.equal(JSON.parse(arm.stdout).architecture, 'arm64');
});

test('list-tags follows the registry and reads local layouts', async () => {
  const tags = JSON.parse((await runTug(['list-tags', `docker://${reg.host}/app/single`])).stdout);
  assert.deepEqual(tags, { Repository: `${reg.host}/app/single`, Tags: ['v1', 'v2', 'v3'] });
  const layout = join(work, 'tags-layout');
  for (const ref of ['one', 'two']) assert.equal((await runTug(['copy', `docker://${reg.host}/app/single:v1`, `oci:${layout}:${ref}`])).code, 0);
  assert.deepEqual(JSON.parse((await runTug(['list-tags', `oci:${layout}`])).stdout).Tags.sort(), ['one', 'two']);
});

test('delete removes the manifest; a second delete says not found', async () => {
  await pushImage({ url: reg.url, repository: 'app/doomed', tag: 'v1' }, single);
  assert.equal((await runTug(['delete', `docker://${reg.host}/app/doomed:v1`])).code, 0);
  await assert.rejects(rawManifest(`docker://${reg.host}/app/doomed:v1`, ['--tls-verify=false']));
  const again = await runTug(['delete', `docker://${reg.host}/app/doomed:v1`]);
  assert.equal(again.code, 1);
  assert.match(again.stderr, /not found|unknown/i);
});

test('manifest-digest equals the registry digest and refuses non-manifests', async () => {
  const file = join(work, 'manifest.json');
  writeFileSync(file, index.top.bytes);
  const run = await runTug(['manifest-digest', file]);
  assert.equal(run.stdout.trim(), index.top.digest);
  assert.equal((await skopeo(['manifest-digest', file])).trim(), index.top.digest);
  writeFileSync(file, '{"hello": "world"}');
  assert.equal((await runTug(['manifest-digest', file])).code, 2);
});

test('login checks and stores credentials where skopeo finds them; logout removes them', async () => {
  const authfile = join(work, 'auth.json');
  const env = { REGISTRY_AUTH_FILE: authfile };
  const bad = await runTug(['login', '-u', 'alice', '--password-stdin', auth.host], { env, input: 'wrong\n' });
  assert.equal(bad.code, 5, bad.stderr);
  assert.ok(!existsSync(authfile), 'nothing stored for bad credentials');
  const good = await runTug(['login', '-u', 'alice', '--password-stdin', auth.host], { env, input: 'Sw0rdfish-canary\n' });
  assert.equal(good.code, 0, good.stderr);
  assert.match(good.stdout, /Login Succeeded/);
  assert.equal(statSync(authfile).mode & 0o777, 0o600);
  assert.ok(!good.stdout.includes('Sw0rdfish') && !good.stderr.includes('Sw0rdfish'));
  // skopeo reads what tug wrote, and tug uses it for copies.
  assert.match(await skopeo(['inspect', '--raw', '--tls-verify=false', '--authfile', authfile, `docker://${auth.host}/nothing/here:v1`]).catch((e: Error) => e.message), /manifest unknown|not found/i);
  const copy = await runTug(['copy', `docker://${reg.host}/app/single:v1`, `docker://${auth.host}/private/app:v1`], { env });
  assert.equal(copy.code, 0, copy.stderr);
  assert.equal((await runTug(['login', '--get-login', auth.host], { env })).stdout.trim(), 'alice');
  assert.equal((await runTug(['logout', auth.host], { env })).code, 0);
  const denied = await runTug(['copy', `docker://${reg.host}/app/single:v1`, `docker://${auth.host}/private/app:v2`], { env });
  assert.equal(denied.code, 5);
  assert.match(denied.stderr, /tug login/);
});

const transports: [string, (dir: string) => string, string[]][] = [
  ['dir:', (d) => `dir:${d}/dir`, []],
  ['oci:', (d) => `oci:${d}/oci:v1`, []],
  ['oci-archive:', (d) => `oci-archive:${d}/image.tar:v1`, []],
  ['registry-dir:', (d) => `registry-dir:${d}/storage:app/multi:v1`, []],
];
for (const [label, name] of transports) {
  test(`${label} round trip through the CLI keeps the digest, and skopeo reads what tug wrote`, async () => {
    const dir = mkdtempSync(join(work, 'rt-'));
    const local = name(dir);
    assert.equal((await runTug(['copy', '--all', `docker://${reg.host}/app/multi:v1`, local])).code, 0);
    if (!label.startsWith('registry-dir')) assert.equal(sha(await rawManifest(local)), index.top.digest, 'skopeo reads it');
    const back = `docker://${reg.host}/back/${label.replace(/[:-]/g, '')}:v1`;
    const run = await runTug(['copy', '--all', local, back]);
    assert.equal(run.code, 0, run.stderr);
    assert.equal(sha(await rawManifest(back, ['--tls-verify=false'])), index.top.digest);
  });
}

test('registry-dir: docker-registry serves the tree tug wrote', async () => {
  const root = join(work, 'served');
  assert.equal((await runTug(['copy', '--all', `docker://${reg.host}/app/multi:v1`, `registry-dir:${root}:edge/multi:v1`])).code, 0);
  assert.equal((await runTug(['copy', `docker://${reg.host}/app/single:v2`, `registry-dir:${root}:edge/single:v2`])).code, 0);
  const served = await startRegistry({ rootDirectory: root });
  try {
    assert.equal(sha(await rawManifest(`docker://${served.host}/edge/multi:v1`, ['--tls-verify=false'])), index.top.digest);
    assert.equal(sha(await rawManifest(`docker://${served.host}/edge/single:v2`, ['--tls-verify=false'])), single.top.digest);
    await skopeo(['copy', '--all', '--src-tls-verify=false', `docker://${served.host}/edge/multi:v1`, `dir:${join(work, 'served-copy')}`]);
  } finally {
    await served.stop();
  }
});

test('docker-archive: skopeo loads what tug wrote (same image ID), and tug reads what skopeo wrote', async () => {
  const archive = join(work, 'save.tar');
  const run = await runTug(['copy', `docker://${reg.host}/app/single:v1`, `docker-archive:${archive}:app/single:v1`]);
  assert.equal(run.code, 0, run.stderr);
  const config = JSON.parse(await skopeo(['inspect', '--config', `docker-archive:${archive}`]));
  assert.deepEqual(config.config.Labels, { 'io.tugboat.test': 'yes' });
  const theirs = join(work, 'skopeo.tar');
  await skopeo(['copy', '--src-tls-verify=false', `docker://${reg.host}/app/single:v2`, `docker-archive:${theirs}:app/single:v2`]);
  const back = `docker://${reg.host}/from-archive/single:v2`;
  assert.equal((await runTug(['copy', `docker-archive:${theirs}`, back])).code, 0);
  const inspected = JSON.parse((await runTug(['inspect', '--config', '--raw', back])).stdout);
  assert.deepEqual(inspected.rootfs.diff_ids, JSON.parse(single.manifests[0]!.config.bytes.toString()).rootfs.diff_ids);
});

test('an OCI artifact (a Helm chart) copies like an image', async () => {
  const chart = Buffer.from('fake chart tarball bytes'.repeat(100));
  const cfg = Buffer.from('{"name":"mysql","version":"8.8.19","apiVersion":"v2"}');
  const manifest = Buffer.from(JSON.stringify({
    schemaVersion: 2,
    mediaType: 'application/vnd.oci.image.manifest.v1+json',
    config: { mediaType: 'application/vnd.cncf.helm.config.v1+json', digest: sha(cfg), size: cfg.length },
    layers: [{ mediaType: 'application/vnd.cncf.helm.chart.content.v1.tar+gzip', digest: sha(chart), size: chart.length }],
  }));
  const img: GeneratedImage = {
    flavour: 'oci',
    top: { bytes: manifest, digest: sha(manifest), mediaType: 'application/vnd.oci.image.manifest.v1+json' },
    manifests: [],
    blobs: new Map([
      [sha(cfg), { mediaType: 'application/vnd.cncf.helm.config.v1+json', digest: sha(cfg), size: cfg.length, bytes: cfg }],
      [sha(chart), { mediaType: 'application/vnd.cncf.helm.chart.content.v1.tar+gzip', digest: sha(chart), size: chart.length, bytes: chart }],
    ]),
  };
  await pushImage({ url: reg.url, repository: 'helm-charts/mysql', tag: '8.8.19' }, img);
  const to = `docker://${reg.host}/mirror/helm-charts/mysql:8.8.19`;
  assert.equal((await runTug(['copy', '--all', `docker://${reg.host}/helm-charts/mysql:8.8.19`, to])).code, 0);
  assert.equal(sha(await rawManifest(to, ['--tls-verify=false'])), img.top.digest);
  const root = join(work, 'charts');
  assert.equal((await runTug(['copy', to, `registry-dir:${root}:helm-charts/mysql:8.8.19`])).code, 0);
});

test('hostile input in a layout is refused with exit 2 and nothing is written', async () => {
  const layout = join(work, 'hostile');
  writeOciLayout(layout, single, 'v1');
  const indexPath = join(layout, 'index.json');
  const doc = JSON.parse(readFileSync(indexPath, 'utf8'));
  doc.manifests[0].digest = 'sha256:../../../../etc/passwd';
  writeFileSync(indexPath, JSON.stringify(doc));
  const out = join(work, 'hostile-out');
  const run = await runTug(['copy', `oci:${layout}:v1`, `oci:${out}:v1`]);
  assert.equal(run.code, 2, run.stderr);
  assert.match(run.stderr, /digest/);
  assert.ok(!existsSync(out) || readdirSync(out).length === 0, 'nothing written');
});

test('a manifest naming a blob with a hostile digest is refused before any path is built', async () => {
  const layout = join(work, 'hostile2');
  mkdirSync(layout, { recursive: true });
  writeOciLayout(layout, single, 'v1');
  const evil = Buffer.from(JSON.stringify({ ...JSON.parse(single.top.bytes.toString()), layers: [{ mediaType: 'application/vnd.oci.image.layer.v1.tar+gzip', digest: 'sha256:../../x', size: 1 }] }));
  writeFileSync(join(layout, 'blobs', 'sha256', sha(evil).slice(7)), evil);
  writeFileSync(join(layout, 'index.json'), JSON.stringify({ schemaVersion: 2, manifests: [{ mediaType: 'application/vnd.docker.distribution.manifest.v2+json', digest: sha(evil), size: evil.length, annotations: { 'org.opencontainers.image.ref.name': 'v1' } }] }));
  const run = await runTug(['copy', `oci:${layout}:v1`, `docker://${reg.host}/evil/app:v1`]);
  assert.equal(run.code, 2, run.stderr);
  await assert.rejects(rawManifest(`docker://${reg.host}/evil/app:v1`, ['--tls-verify=false']));
});

test('a registry that is not there: exit 4 after the retries, one line', async () => {
  const port = await freePort();
  const run = await runTug(['copy', '--retry-times', '1', `docker://127.0.0.1:${port}/a/b:v1`, `oci:${join(work, 'never')}:v1`]);
  assert.equal(run.code, 4, run.stderr);
  assert.equal(run.stderr.trim().split('\n').filter((l) => l.startsWith('tug: error')).length, 1);
});

test('--help lists every command', async () => {
  const run = await runTug(['--help']);
  assert.equal(run.code, 0);
  for (const c of ['copy', 'sync', 'save', 'verify', 'inspect', 'list-tags', 'delete', 'manifest-digest', 'login', 'logout']) assert.match(run.stdout, new RegExp(`\\b${c}\\b`));
});
