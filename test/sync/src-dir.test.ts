/**
 * `tug sync --src dir`: a tree of dir: images (as `skopeo sync --dest dir`
 * and `tug sync --dest dir` write it) into a registry or a local store,
 * checked against real registries and the real skopeo 1.9.3: the same
 * destination names as `skopeo sync --src dir`, the same digests, trees that
 * round-trip both ways, incremental re-runs.
 */
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { cpSync, mkdirSync, readFileSync, readdirSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { promisify } from 'node:util';
import { after, before, test } from 'node:test';
import { dirImageName, findDirImages } from '../../src/sync/from-directory.ts';
import { type FaultProxy, startFaultProxy } from '../support/fault-proxy.ts';
import { type GeneratedImage, makeImage, multiArch, pushImage, sha256 } from '../support/images.ts';
import { type TestRegistry, startRegistry } from '../support/registry.ts';
import { SKOPEO_BIN, rawManifest, skopeo } from '../support/skopeo.ts';
import { runTug } from '../support/tug.ts';
import { tempDir } from '../support/tmp.ts';

let src: TestRegistry;
let dst: TestRegistry;
let dstProxy: FaultProxy;
let work: string;
const images = new Map<string, GeneratedImage>();
const digestOf = (name: string) => images.get(name)!.top.digest;

before(async () => {
  work = tempDir(undefined, 'tug-src-dir-');
  src = await startRegistry();
  dst = await startRegistry();
  dstProxy = await startFaultProxy(dst.url);
  const add = async (repository: string, tag: string, image: GeneratedImage) => {
    images.set(`${repository}:${tag}`, image);
    await pushImage({ url: src.url, repository, tag }, image);
  };
  await add('library/busybox', 'latest', await makeImage({ seed: 'busybox-latest', baseLayers: [{ seed: 'base', size: 4096 }] }));
  await add('library/busybox', '1.36', await makeImage({ seed: 'busybox-1.36', baseLayers: [{ seed: 'base', size: 4096 }] }));
  await add('edge/yurthub', 'v1.6.0', await multiArch('yurthub', 'oci'));
  await add('edge/raven-agent', 'v0.4.1', await multiArch('raven-agent', 'docker'));
});

after(async () => {
  await dstProxy.stop();
  await src.stop();
  await dst.stop();
});

/** Digest of what skopeo reads under `name`: `dir:`/`oci:` names as they are, anything else in a registry. */
async function digestAt(name: string): Promise<string> {
  const local = name.startsWith('dir:') || name.startsWith('oci:');
  return sha256(await rawManifest(local ? name : `docker://${name}`, local ? [] : ['--tls-verify=false']));
}

/** `skopeo sync --dry-run ...`: the `to=` names it would copy to, sorted (logrus writes them on stderr). */
async function skopeoSyncTargets(args: string[]): Promise<string[]> {
  const { stderr } = await promisify(execFile)(SKOPEO_BIN, ['--insecure-policy', 'sync', '--dry-run', ...args], { encoding: 'utf8' });
  return [...stderr.matchAll(/Would have copied image ref .* to="([^"]+)"/g)].map((m) => m[1]!).sort();
}

async function tugPlan(args: string[]): Promise<{ items: { action: string; source: string; destination: string; reason: string }[]; counts: Record<string, number>; bytes: number }> {
  const run = await runTug(['sync', '--dry-run', '--json', ...args]);
  assert.equal(run.code, 0, run.stdout + run.stderr);
  const events = run.stdout.trim().split('\n').map((l) => JSON.parse(l));
  const summary = events.find((e) => e.type === 'plan');
  return { items: events.filter((e) => e.type === 'plan-item'), counts: summary.counts, bytes: summary.bytes };
}

test('dirImageName: the last path component carries the tag, digest or nothing (latest)', () => {
  const cases: [string, { repository: string; tag: string }][] = [
    ['busybox:latest', { repository: 'busybox', tag: 'latest' }],
    ['busybox', { repository: 'busybox', tag: 'latest' }],
    ['registry.example.com/library/busybox:1.36', { repository: 'registry.example.com/library/busybox', tag: '1.36' }],
    ['127.0.0.1:5000/edge/yurthub:v1.6.0', { repository: '127.0.0.1:5000/edge/yurthub', tag: 'v1.6.0' }],
    ['127.0.0.1:5000/edge/yurthub', { repository: '127.0.0.1:5000/edge/yurthub', tag: 'latest' }],
    [`tools/kubectl@sha256:${'a'.repeat(64)}`, { repository: 'tools/kubectl', tag: `sha256:${'a'.repeat(64)}` }],
  ];
  for (const [input, want] of cases) assert.deepEqual(dirImageName(input), want, input);
});

test('the walk: image dirs anywhere below SOURCE, not inside an image, links inside followed, loops and links out skipped', async () => {
  const root = join(work, 'walk');
  const image = (rel: string) => {
    mkdirSync(join(root, rel), { recursive: true });
    writeFileSync(join(root, rel, 'manifest.json'), '{}');
  };
  image('busybox:latest');
  image('busybox:latest/nested:1'); // inside an image: not an image of its own
  image('registry.example.com/library/busybox:1.36');
  mkdirSync(join(root, 'empty'));
  mkdirSync(join(root, 'junk'));
  writeFileSync(join(root, 'junk', 'README'), 'not an image');
  symlinkSync('busybox:latest', join(root, 'busybox:stable')); // an alias inside the tree
  symlinkSync('..', join(root, 'registry.example.com', 'loop')); // a loop
  symlinkSync('/', join(root, 'escape')); // leads out of SOURCE
  symlinkSync('missing', join(root, 'dangling'));
  symlinkSync('self', join(root, 'self'));
  const found = await findDirImages(root);
  assert.deepEqual(
    found.map((f) => f.relative),
    ['busybox:latest', 'busybox:stable', 'registry.example.com/library/busybox:1.36'],
  );
  assert.equal(found[2]!.path, join(root, 'registry.example.com/library/busybox:1.36'));
  // SOURCE itself an image: named by its own directory name, as skopeo does.
  assert.deepEqual((await findDirImages(join(root, 'busybox:latest'))).map((f) => f.relative), ['busybox:latest']);
});

test('a tree skopeo sync --dest dir wrote syncs into a registry under the names skopeo sync --src dir uses, digests unchanged', async () => {
  const tree = join(work, 'skopeo-flat');
  await skopeo(['sync', '--src-tls-verify=false', '--src', 'docker', '--dest', 'dir', `${src.host}/library/busybox`, tree]);
  assert.deepEqual(readdirSync(tree).sort(), ['busybox:1.36', 'busybox:latest']);

  const prefix = `${dst.host}/from-skopeo`;
  const plan = await tugPlan(['--src', 'dir', tree, prefix]);
  const expected = await skopeoSyncTargets(['--dest-tls-verify=false', '--src', 'dir', '--dest', 'docker', tree, prefix]);
  assert.deepEqual(plan.items.map((i) => i.destination).sort(), expected, 'the same destination names as skopeo');
  assert.deepEqual(
    plan.items.map((i) => i.source).sort(),
    [`dir:${tree}/busybox:1.36`, `dir:${tree}/busybox:latest`],
    'the plan shows each source as its dir: name',
  );

  const run = await runTug(['sync', '--src', 'dir', tree, prefix]);
  assert.equal(run.code, 0, run.stdout + run.stderr);
  assert.match(run.stdout, /2 copied/);
  for (const tag of ['latest', '1.36']) {
    assert.equal(await digestAt(`${prefix}/busybox:${tag}`), digestOf(`library/busybox:${tag}`));
    assert.equal(JSON.parse(await skopeo(['inspect', '--tls-verify=false', `docker://${prefix}/busybox:${tag}`])).Digest, digestOf(`library/busybox:${tag}`));
  }
});

test('multi-arch --all round trip: registry -> tug --dest dir -> tug --src dir -> second registry, identical digests; skopeo reads the tree the same', async () => {
  const tree = join(work, 'tug-flat');
  const out = await runTug(['sync', '--all', '--src', 'docker', '--dest', 'dir', `${src.host}/edge/yurthub`, tree]);
  assert.equal(out.code, 0, out.stdout + out.stderr);
  const back = await runTug(['sync', '--all', '--src', 'dir', tree, `${dst.host}/round-trip`]);
  assert.equal(back.code, 0, back.stdout + back.stderr);
  assert.match(back.stderr, /copied dir:.*yurthub:v1\.6\.0 -> docker:.*\(linux\/amd64, linux\/arm64\/v8;/);
  const want = digestOf('edge/yurthub:v1.6.0');
  assert.equal(await digestAt(`${dst.host}/round-trip/yurthub:v1.6.0`), want);
  const index = JSON.parse(await rawManifest(`docker://${dst.host}/round-trip/yurthub:v1.6.0`, ['--tls-verify=false']));
  for (const m of index.manifests) assert.equal(await digestAt(`${dst.host}/round-trip/yurthub@${m.digest}`), m.digest, 'every instance is there');

  // skopeo reads what tug wrote, and names it the same.
  await skopeo(['sync', '--all', '--dest-tls-verify=false', '--src', 'dir', '--dest', 'docker', tree, `${dst.host}/round-trip-skopeo`]);
  assert.equal(await digestAt(`${dst.host}/round-trip-skopeo/yurthub:v1.6.0`), want);

  // And the other way: a tree tug wrote from a dir source is one skopeo syncs from.
  const again = join(work, 'tug-flat-again');
  const local = await runTug(['sync', '--all', '--src', 'dir', '--dest', 'dir', tree, again]);
  assert.equal(local.code, 0, local.stdout + local.stderr);
  assert.equal(readFileSync(join(again, 'yurthub:v1.6.0', 'manifest.json'), 'utf8'), readFileSync(join(tree, 'yurthub:v1.6.0', 'manifest.json'), 'utf8'));
  await skopeo(['copy', '--all', `dir:${join(again, 'yurthub:v1.6.0')}`, `oci:${join(work, 'check-oci')}:x`]);
});

test('--scoped keeps the whole path below SOURCE; without it the last component (skopeo\'s rule); a name without :TAG is latest', async () => {
  const tree = join(work, 'scoped');
  const copy = (from: string, rel: string) => {
    mkdirSync(dirname(join(tree, rel)), { recursive: true }); // skopeo creates the image directory only
    return skopeo(['copy', '--all', '--src-tls-verify=false', `docker://${src.host}/${from}`, `dir:${join(tree, rel)}`]);
  };
  await copy('library/busybox:latest', 'registry.example.com/library/busybox:latest');
  await copy('edge/yurthub:v1.6.0', 'registry.example.com/edge/yurthub:v1.6.0');
  await copy('edge/raven-agent:v0.4.1', 'tools/raven-agent'); // no tag
  mkdirSync(join(tree, 'registry.example.com', 'empty'));
  mkdirSync(join(tree, 'notes'));
  writeFileSync(join(tree, 'notes', 'README'), 'not an image');

  for (const scoped of [true, false]) {
    const prefix = `${dst.host}/${scoped ? 'scoped' : 'flat'}`;
    const flags = ['--all', ...(scoped ? ['--scoped'] : []), '--src', 'dir'];
    const plan = await tugPlan([...flags, tree, prefix]);
    const expected = await skopeoSyncTargets(['--dest-tls-verify=false', ...flags, '--dest', 'docker', tree, prefix]);
    assert.deepEqual(plan.items.map((i) => i.destination).sort(), expected, `the same names as skopeo${scoped ? ' --scoped' : ''}`);
    const run = await runTug(['sync', ...flags, tree, prefix]);
    assert.equal(run.code, 0, run.stdout + run.stderr);
    assert.match(run.stdout, /3 copied/);
  }
  assert.equal(await digestAt(`${dst.host}/scoped/registry.example.com/library/busybox:latest`), digestOf('library/busybox:latest'));
  assert.equal(await digestAt(`${dst.host}/scoped/registry.example.com/edge/yurthub:v1.6.0`), digestOf('edge/yurthub:v1.6.0'));
  assert.equal(await digestAt(`${dst.host}/scoped/tools/raven-agent:latest`), digestOf('edge/raven-agent:v0.4.1'));
  assert.equal(await digestAt(`${dst.host}/flat/busybox:latest`), digestOf('library/busybox:latest'));
  assert.equal(await digestAt(`${dst.host}/flat/raven-agent:latest`), digestOf('edge/raven-agent:v0.4.1'));

  // Local stores: the path is the repository; without --scoped a leading registry host goes, as when syncing from that registry.
  const oci = join(work, 'scoped-oci');
  for (const scoped of [true, false]) {
    const run = await runTug(['sync', '--all', ...(scoped ? ['--scoped'] : []), '--src', 'dir', '--dest', 'oci', tree, oci]);
    assert.equal(run.code, 0, run.stdout + run.stderr);
  }
  const refs = JSON.parse(readFileSync(join(oci, 'index.json'), 'utf8')).manifests.map((m: { annotations: Record<string, string> }) => m.annotations['org.opencontainers.image.ref.name']).sort();
  assert.deepEqual(refs, [
    'edge/yurthub:v1.6.0',
    'library/busybox:latest',
    'registry.example.com/edge/yurthub:v1.6.0',
    'registry.example.com/library/busybox:latest',
    'tools/raven-agent:latest',
  ]);
  assert.equal(await digestAt(`oci:${oci}:registry.example.com/edge/yurthub:v1.6.0`), digestOf('edge/yurthub:v1.6.0'));
});

test('a tree tug sync --dest dir --scoped wrote round-trips: same layout back with --scoped, registry names as from the registry without', async () => {
  const tree = join(work, 'tug-scoped');
  const out = await runTug(['sync', '--all', '--scoped', '--src', 'docker', '--dest', 'dir', `${src.host}/library/busybox`, tree]);
  assert.equal(out.code, 0, out.stdout + out.stderr);
  assert.deepEqual(readdirSync(join(tree, src.host, 'library')).sort(), ['busybox:1.36', 'busybox:latest']);

  // dir -> dir --scoped: the same relative paths, the same manifests.
  const copy = join(work, 'tug-scoped-copy');
  const local = await runTug(['sync', '--all', '--scoped', '--src', 'dir', '--dest', 'dir', tree, copy]);
  assert.equal(local.code, 0, local.stdout + local.stderr);
  for (const tag of ['latest', '1.36']) {
    assert.equal(await digestAt(`dir:${join(copy, src.host, 'library', `busybox:${tag}`)}`), digestOf(`library/busybox:${tag}`));
  }

  // Into a registry without --scoped: the last component, as skopeo.
  const prefix = `${dst.host}/from-scoped`;
  const plan = await tugPlan(['--all', '--src', 'dir', tree, prefix]);
  assert.deepEqual(plan.items.map((i) => i.destination).sort(), await skopeoSyncTargets(['--all', '--dest-tls-verify=false', '--src', 'dir', '--dest', 'docker', tree, prefix]));
  const run = await runTug(['sync', '--all', '--src', 'dir', tree, prefix]);
  assert.equal(run.code, 0, run.stdout + run.stderr);
  assert.equal(await digestAt(`${prefix}/busybox:1.36`), digestOf('library/busybox:1.36'));

  // Into a registry with --scoped the host:port component is no repository name: each image fails saying so (skopeo stops at the first).
  const bad = await runTug(['sync', '--keep-going', '--scoped', '--src', 'dir', tree, prefix]);
  assert.equal(bad.code, 1, bad.stdout + bad.stderr);
  assert.match(bad.stdout, /2 failed/);
  assert.match(bad.stdout, new RegExp(`repository component "${src.host.replace(/\./g, '\\.')}"`));
});

test('an unchanged re-run is all skips: one manifest HEAD per image at the destination, only manifest.json read at the source', async () => {
  const tree = join(work, 'incremental');
  const out = await runTug(['sync', '--all', '--src', 'docker', '--dest', 'dir', `${src.host}/edge/raven-agent`, tree]);
  assert.equal(out.code, 0, out.stdout + out.stderr);
  await skopeo(['copy', '--all', '--src-tls-verify=false', `docker://${src.host}/library/busybox:1.36`, `dir:${join(tree, 'busybox:1.36')}`]);
  const prefix = `${dstProxy.host}/incremental`;
  const first = await runTug(['sync', '--all', '--src', 'dir', tree, prefix]);
  assert.equal(first.code, 0, first.stdout + first.stderr);
  assert.match(first.stdout, /2 copied/);

  // Only manifest.json is needed to tell the image is there: a tree without its blobs still plans skips.
  const thin = join(work, 'incremental-thin');
  cpSync(tree, thin, { recursive: true });
  for (const image of readdirSync(thin)) {
    for (const f of readdirSync(join(thin, image))) if (f !== 'manifest.json' && f !== 'version') rmSync(join(thin, image, f));
  }
  dstProxy.requests.length = 0;
  const again = await runTug(['sync', '--all', '--json', '--report', join(work, 'incremental.json'), '--src', 'dir', thin, prefix]);
  assert.equal(again.code, 0, again.stdout + again.stderr);
  const report = JSON.parse(readFileSync(join(work, 'incremental.json'), 'utf8'));
  assert.deepEqual(report.items.map((i: { status: string }) => i.status), ['skipped', 'skipped']);
  assert.deepEqual(report.items.map((i: { source: string }) => i.source).sort(), [`dir:${thin}/busybox:1.36`, `dir:${thin}/raven-agent:v0.4.1`]);
  const manifestRequests = dstProxy.requests.filter((r) => r.path.includes('/manifests/'));
  assert.deepEqual(manifestRequests.map((r) => r.method), ['HEAD', 'HEAD'], 'one HEAD per image');
  const other = dstProxy.requests.filter((r) => !r.path.includes('/manifests/'));
  assert.ok(other.length <= 1 && other.every((r) => r.method === 'GET' && r.path === '/v2/'), `at most a ping besides: ${other.map((r) => `${r.method} ${r.path}`).join(', ')}`);
});

test('--dry-run prints the plan with counts and bytes and writes nothing', async () => {
  const tree = join(work, 'dry');
  await skopeo(['sync', '--all', '--src-tls-verify=false', '--src', 'docker', '--dest', 'dir', `${src.host}/library/busybox`, tree]);
  await skopeo(['sync', '--all', '--src-tls-verify=false', '--src', 'docker', '--dest', 'dir', `${src.host}/edge/yurthub`, tree]);
  const prefix = `${dst.host}/dry`;
  const plan = await tugPlan(['--all', '--src', 'dir', tree, prefix]);
  assert.deepEqual(plan.counts, { copy: 3, skip: 0, retag: 0, fail: 0 });
  const unique = new Map<string, number>();
  for (const name of ['library/busybox:latest', 'library/busybox:1.36', 'edge/yurthub:v1.6.0']) {
    for (const b of images.get(name)!.blobs.values()) unique.set(b.digest, b.size);
  }
  const bytes = [...unique.values()].reduce((n, size) => n + size, 0);
  assert.equal(plan.bytes, bytes, 'every unique blob counted once');
  await assert.rejects(digestAt(`${prefix}/busybox:latest`), 'nothing written');

  const text = await runTug(['sync', '--dry-run', '--all', '--src', 'dir', tree, prefix]);
  assert.equal(text.code, 0, text.stderr);
  assert.match(text.stdout, new RegExp(`copy  dir:${tree}/yurthub:v1\\.6\\.0 -> docker://${prefix}/yurthub:v1\\.6\\.0: missing at destination`));
  assert.match(text.stdout, /Plan: 3 to copy, 0 to retag, 0 up to date, 0 failed; .* Nothing was written \(dry run\)\./);

  assert.equal((await runTug(['sync', '--all', '--src', 'dir', tree, prefix])).code, 0);
  const after = await tugPlan(['--all', '--src', 'dir', tree, prefix]);
  assert.deepEqual(after.counts, { copy: 0, skip: 3, retag: 0, fail: 0 });
  assert.equal(after.bytes, 0);
});

test('a SOURCE that is no directory of images is a usage error naming the path and the fix', async () => {
  const file = join(work, 'a-file');
  writeFileSync(file, 'x');
  const empty = join(work, 'no-images');
  mkdirSync(join(empty, 'sub'), { recursive: true });
  writeFileSync(join(empty, 'sub', 'index.json'), '{}');
  const cases: [string, RegExp][] = [
    [join(work, 'missing'), /--src dir: ".*missing" does not exist/],
    [file, /--src dir: ".*a-file" is not a directory/],
    [empty, /--src dir: no images in ".*no-images": no directory below it holds a manifest\.json/],
  ];
  for (const [source, message] of cases) {
    const run = await runTug(['sync', '--src', 'dir', source, `${dst.host}/never`]);
    assert.equal(run.code, 2, run.stderr);
    const lines = run.stderr.trim().split('\n');
    assert.equal(lines.length, 1, run.stderr);
    assert.match(lines[0]!, message);
    assert.match(lines[0]!, /tug sync --dest dir. or .skopeo sync --dest dir. wrote/);
  }
  const noSrc = await runTug(['sync', empty, `${dst.host}/never`]);
  assert.equal(noSrc.code, 2);
  assert.match(noSrc.stderr, /it is a directory \(to sync the dir: images in a directory, add --src dir\)/);
});
