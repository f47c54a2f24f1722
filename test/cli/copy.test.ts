/**
 * `tug copy` end to end, as a user runs it: the real CLI, real registries
 * (with htpasswd auth and TLS from a test CA), checked with real skopeo.
 */
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { existsSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { type GeneratedImage, makeImage, multiArch, pushImage } from '../support/images.ts';
import { type TestRegistry, startRegistry } from '../support/registry.ts';
import { rawManifest } from '../support/skopeo.ts';
import { runTug } from '../support/tug.ts';
import { tempDir } from '../support/tmp.ts';

const sha = (s: string) => `sha256:${createHash('sha256').update(s).digest('hex')}`;
let src: TestRegistry;
let secure: TestRegistry; // htpasswd + TLS
let work: string;
const images: Record<string, GeneratedImage> = {};
const USER = 'edge_admin';
const PASS = 'canary-Pa55-word';

before(async () => {
  work = tempDir(undefined, 'tug-copy-');
  src = await startRegistry();
  secure = await startRegistry({ users: { [USER]: PASS }, tls: true });
  images.dockerSingle = await makeImage({ seed: 'docker-single', flavour: 'docker' });
  images.ociSingle = await makeImage({ seed: 'oci-single', flavour: 'oci' });
  images.dockerList = await multiArch('docker-list', 'docker');
  images.ociIndex = await multiArch('oci-index', 'oci');
  for (const [name, img] of Object.entries(images)) await pushImage({ url: src.url, repository: `test/${name.toLowerCase()}`, tag: 'v1' }, img);
});

after(async () => {
  await src.stop();
  await secure.stop();
});

for (const name of ['dockerSingle', 'ociSingle', 'dockerList', 'ociIndex']) {
  test(`registry -> registry keeps the digest: ${name}`, async () => {
    const from = `docker://${src.host}/test/${name.toLowerCase()}:v1`;
    const to = `docker://${src.host}/mirror/${name.toLowerCase()}:v1`;
    const run = await runTug(['copy', '--all', from, to]);
    assert.equal(run.code, 0, run.stderr);
    const raw = await rawManifest(to, ['--tls-verify=false']);
    assert.equal(sha(raw), images[name]!.top.digest);
    assert.equal(raw, images[name]!.top.bytes.toString(), 'byte for byte');
  });
}

test('blobs already in another repository of the same registry are mounted, not copied', async () => {
  const run = await runTug(['copy', '--all', '--json', `docker://${src.host}/test/ocisingle:v1`, `docker://${src.host}/mounted/ocisingle:v1`]);
  assert.equal(run.code, 0, run.stderr);
  const result = JSON.parse(run.stdout.trim().split('\n').at(-1)!);
  assert.equal(result.type, 'result');
  assert.equal(result.blobs.copied, 0);
  assert.equal(result.blobs.mounted, result.blobs.total);
});

test('a second copy moves nothing', async () => {
  const to = `docker://${src.host}/again/dockerlist:v1`;
  assert.equal((await runTug(['copy', '--all', `docker://${src.host}/test/dockerlist:v1`, to])).code, 0);
  const run = await runTug(['copy', '--all', '--json', `docker://${src.host}/test/dockerlist:v1`, to]);
  const result = JSON.parse(run.stdout.trim().split('\n').at(-1)!);
  assert.equal(result.blobs.copied, 0);
  assert.equal(result.blobs.skipped, result.blobs.total);
});

test('to a registry with htpasswd auth and TLS from a private CA', async () => {
  const to = `docker://${secure.host}/edge/yurthub:v1.6.0`;
  const run = await runTug(['copy', '--all', `--dest-cert-dir=${secure.certDir}`, `--dest-creds=${USER}:${PASS}`, `docker://${src.host}/test/dockerlist:v1`, to]);
  assert.equal(run.code, 0, run.stderr);
  assert.ok(!run.stdout.includes(PASS) && !run.stderr.includes(PASS), 'the password is never printed');
  const raw = await rawManifest(to, ['--cert-dir', secure.certDir!, '--creds', `${USER}:${PASS}`]);
  assert.equal(sha(raw), images.dockerList!.top.digest);
});

test('wrong credentials: exit 5, one line naming tug login, no password', async () => {
  const run = await runTug(['copy', `--dest-cert-dir=${secure.certDir}`, `--dest-creds=${USER}:wrong-${PASS}`, `docker://${src.host}/test/ocisingle:v1`, `docker://${secure.host}/edge/x:v1`]);
  assert.equal(run.code, 5, run.stderr);
  assert.match(run.stderr, /tug login/);
  assert.ok(!run.stderr.includes(PASS));
  assert.equal(run.stderr.trim().split('\n').filter((l) => l.startsWith('tug: error')).length, 1, run.stderr);
});

test('an unknown CA: exit 5 and the hint names --cert-dir', async () => {
  const run = await runTug(['copy', `--dest-creds=${USER}:${PASS}`, `docker://${src.host}/test/ocisingle:v1`, `docker://${secure.host}/edge/x:v1`]);
  assert.equal(run.code, 5, run.stderr);
  assert.match(run.stderr, /--cert-dir/);
  assert.match(run.stderr, /--tls-verify=false/);
});

test('--tls-verify=false reaches the TLS registry without its CA', async () => {
  const run = await runTug(['copy', '--dest-tls-verify=false', `--dest-creds=${USER}:${PASS}`, `docker://${src.host}/test/ocisingle:v1`, `docker://${secure.host}/edge/noverify:v1`]);
  assert.equal(run.code, 0, run.stderr);
});

test('--platform writes a filtered index with a new digest, says so, and keeps the Docker media type', async () => {
  const to = `docker://${src.host}/filtered/dockerlist:v1`;
  const run = await runTug(['copy', '--platform', 'linux/arm64', `docker://${src.host}/test/dockerlist:v1`, to]);
  assert.equal(run.code, 0, run.stderr);
  assert.match(run.stdout + run.stderr, /new digest/);
  const raw = JSON.parse(await rawManifest(to, ['--tls-verify=false']));
  assert.equal(raw.mediaType, 'application/vnd.docker.distribution.manifest.list.v2+json');
  assert.equal(raw.manifests.length, 1);
  assert.equal(raw.manifests[0].platform.architecture, 'arm64');
  assert.equal(raw.annotations['io.tugboat.image.source.digest'], images.dockerList!.top.digest);
});

test('without --all an index yields this platform (or --override-arch)', async () => {
  const to = `docker://${src.host}/system/ociindex:v1`;
  const run = await runTug(['--override-arch', 'arm64', 'copy', `docker://${src.host}/test/ociindex:v1`, to]);
  assert.equal(run.code, 0, run.stderr);
  const arm = images.ociIndex!.manifests.find((m) => m.platform.architecture === 'arm64')!;
  assert.equal(sha(await rawManifest(to, ['--tls-verify=false'])), arm.digest);
});

test('--dry-run reports what would move and writes nothing', async () => {
  const layout = join(work, 'dry');
  const run = await runTug(['copy', '--all', '--dry-run', `docker://${src.host}/test/ociindex:v1`, `oci:${layout}:v1`]);
  assert.equal(run.code, 0, run.stderr);
  assert.match(run.stdout, /Dry run/);
  assert.match(run.stdout, /to copy/);
  assert.ok(!existsSync(join(layout, 'index.json')), 'no layout was written');
});

test('registry -> oci: -> registry round trip keeps every digest', async () => {
  const layout = join(work, 'oci-rt');
  assert.equal((await runTug(['copy', '--all', `docker://${src.host}/test/ociindex:v1`, `oci:${layout}:v1`])).code, 0);
  assert.equal(sha(await rawManifest(`oci:${layout}:v1`)), images.ociIndex!.top.digest);
  const back = `docker://${src.host}/roundtrip/ociindex:v1`;
  const run = await runTug(['copy', '--all', `oci:${layout}:v1`, back]);
  assert.equal(run.code, 0, run.stderr);
  assert.equal(sha(await rawManifest(back, ['--tls-verify=false'])), images.ociIndex!.top.digest);
});

const badNames: [string, RegExp][] = [
  ['docker://Nginx:1', /lower-case/],
  ['docker://nginx@sha256:1234', /digest/],
  ['nginx:1', /transport/],
  ['docker:nginx', /docker:\/\//],
  ['foo:/tmp/x', /unknown transport "foo"/],
];
for (const [name, message] of badNames) {
  test(`bad image name ${name}: exit 2, nothing written`, async () => {
    const out = join(work, `bad-${createHash('md5').update(name).digest('hex')}`);
    const run = await runTug(['copy', name, `oci:${out}:x`]);
    assert.equal(run.code, 2, run.stderr);
    assert.match(run.stderr, message);
    assert.ok(!existsSync(out) || readdirSync(out).length === 0);
  });
}

test('a registry that requires a client certificate: client.cert / client.key from --cert-dir', async () => {
  const mtls = await startRegistry({ tls: true, clientAuth: true });
  try {
    const to = `docker://${mtls.host}/mtls/app:v1`;
    const ok = await runTug(['copy', `--dest-cert-dir=${mtls.certDir}`, `docker://${src.host}/test/ocisingle:v1`, to]);
    assert.equal(ok.code, 0, ok.stderr);
    assert.equal(sha(await rawManifest(to, ['--cert-dir', mtls.certDir!])), images.ociSingle!.top.digest);
    const refused = await runTug(['copy', `--dest-cert-dir=${mtls.clientlessCertDir}`, `docker://${src.host}/test/ocisingle:v1`, `docker://${mtls.host}/mtls/app:v2`]);
    assert.equal(refused.code, 5, refused.stderr);
    assert.match(refused.stderr, /certificate|TLS/i);
  } finally {
    await mtls.stop();
  }
});
