/**
 * `tug sync`, `tug save` and `tug verify` end to end: the real CLI against
 * real registries (a fault proxy in front of each, used here only to count
 * requests), every input format, checked with skopeo.
 */
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { after, before, test } from 'node:test';
import { type FaultProxy, startFaultProxy } from '../support/fault-proxy.ts';
import { type GeneratedImage, makeImage, multiArch, pushImage } from '../support/images.ts';
import { type TestRegistry, startRegistry } from '../support/registry.ts';
import { rawManifest, skopeo } from '../support/skopeo.ts';
import { tempDir } from '../support/tmp.ts';
import { TUG_ARGV, runTug } from '../support/tug.ts';

const sha = (s: string) => `sha256:${createHash('sha256').update(s).digest('hex')}`;
let src: TestRegistry;
let srcProxy: FaultProxy;
let dst: TestRegistry;
let dstProxy: FaultProxy;
let work: string;
const images = new Map<string, GeneratedImage>();
const OPENYURT: [string, string][] = [
  ['yurt-manager', 'v1.6.0'],
  ['yurthub', 'v1.6.0'],
  ['raven-agent', 'v0.4.1'],
];

before(async () => {
  work = tempDir(undefined, 'tug-sync-');
  src = await startRegistry();
  dst = await startRegistry();
  srcProxy = await startFaultProxy(src.url);
  dstProxy = await startFaultProxy(dst.url);
  for (const [name, tag] of OPENYURT) {
    const img = await multiArch(`${name}-${tag}`, name === 'yurthub' ? 'docker' : 'oci');
    images.set(`openyurt/${name}:${tag}`, img);
    await pushImage({ url: src.url, repository: `openyurt/${name}`, tag }, img);
  }
  // A repository with several versions, for filters.
  for (const tag of ['v1.5.0', 'v1.6.0', 'v1.6.1', 'v1.7.0-rc.1', 'nightly']) {
    const img = await makeImage({ seed: `tools-${tag}`, baseLayers: [{ seed: 'base-os', size: 8192 }] });
    images.set(`tools/kubectl:${tag}`, img);
    await pushImage({ url: src.url, repository: 'tools/kubectl', tag }, img);
  }
});

after(async () => {
  await srcProxy.stop();
  await dstProxy.stop();
  await src.stop();
  await dst.stop();
});

function tugboatFile(name: string, prefix: string): string {
  const file = join(work, `${name}.sync.yaml`);
  writeFileSync(
    file,
    `apiVersion: tugboat.dev/v1alpha1
kind: SyncConfig
platforms: all
mappings:
  - from: ${srcProxy.host}/openyurt/*
    to: ${dstProxy.host}/${prefix}/*
images:
${OPENYURT.map(([n, t]) => `  - source: ${srcProxy.host}/openyurt/${n}\n    tags: [${t}]\n    aliases: { latest: ${t} }`).join('\n')}
`,
  );
  return file;
}

async function digestAt(image: string): Promise<string> {
  return sha(await rawManifest(`docker://${image}`, ['--tls-verify=false']));
}

/** Runs `args` with --report and checks it did what the dry run planned: the same items, `bytes` moved. Returns the report. */
async function runAsPlanned(args: string[], reportName: string, planned: { action: string; destination: string }[], bytes: number): Promise<any> {
  const reportFile = join(work, reportName);
  const run = await runTug([args[0]!, '--report', reportFile, ...args.slice(1)]);
  assert.equal(run.code, 0, run.stderr);
  const report = JSON.parse(readFileSync(reportFile, 'utf8'));
  assert.deepEqual(
    report.items.map((i: { destination: string; action: string }) => `${i.action} ${i.destination}`).sort(),
    planned.map((p) => `${p.action} ${p.destination}`).sort(),
    'the run did what the dry run planned',
  );
  assert.equal(report.items.reduce((n: number, i: { bytes: number }) => n + i.bytes, 0), bytes, 'bytes moved = bytes the dry run predicted');
  return report;
}

test('Tugboat sync file: every image and alias lands with the source digest; the plan equals what is done', async () => {
  const file = tugboatFile('openyurt', 'edge');
  const dry = await runTug(['sync', '--dry-run', '--json', file]);
  assert.equal(dry.code, 0, dry.stderr);
  const planned = dry.stdout.trim().split('\n').map((l) => JSON.parse(l)).filter((e) => e.type === 'plan-item');
  assert.deepEqual(planned.map((p) => p.action).sort(), ['copy', 'copy', 'copy', 'retag', 'retag', 'retag']);
  const summary = JSON.parse(dry.stdout.trim().split('\n').at(-1)!);
  assert.ok(summary.bytes > 0, 'the dry run says how many bytes will move');
  await assert.rejects(digestAt(`${dst.host}/edge/yurthub:v1.6.0`), 'nothing was written by the dry run');

  const report = await runAsPlanned(['sync', file], 'report.json', planned, summary.bytes);
  for (const [name, tag] of OPENYURT) {
    const want = images.get(`openyurt/${name}:${tag}`)!.top.digest;
    assert.equal(await digestAt(`${dst.host}/edge/${name}:${tag}`), want);
    assert.equal(await digestAt(`${dst.host}/edge/${name}:latest`), want);
  }
  const item = report.items.find((i: { destination: string }) => i.destination.endsWith('/edge/yurthub:v1.6.0'));
  assert.deepEqual(item.platforms, ['linux/amd64', 'linux/arm64/v8']);
  assert.equal(item.status, 'copied');
  assert.equal(item.sourceDigest, images.get('openyurt/yurthub:v1.6.0')!.top.digest);
});

test('a dry run against a partly filled destination plans only what is missing, and the real run does exactly that', async () => {
  // Three tags of one repository sharing a base layer; one of them is at the destination already.
  const tags = ['v1.5.0', 'v1.6.0', 'nightly'];
  const list = join(work, 'partial.txt');
  writeFileSync(list, `${tags.map((t) => `${src.host}/tools/kubectl:${t}`).join('\n')}\n`);
  const pre = await runTug(['copy', `docker://${src.host}/tools/kubectl:v1.6.0`, `docker://${dst.host}/partial-dry/kubectl:v1.6.0`]);
  assert.equal(pre.code, 0, pre.stderr);

  const dry = await runTug(['sync', '--dry-run', '--json', '--all', list, `${dst.host}/partial-dry`]);
  assert.equal(dry.code, 0, dry.stderr);
  const lines = dry.stdout.trim().split('\n').map((l) => JSON.parse(l));
  const planned = lines.filter((e) => e.type === 'plan-item');
  const byTag = Object.fromEntries(planned.map((p) => [p.destination.split(':').at(-1), p]));
  assert.deepEqual(Object.fromEntries(tags.map((t) => [t, byTag[t]?.action])), { 'v1.5.0': 'copy', 'v1.6.0': 'skip', nightly: 'copy' });
  // Bytes: the blobs of the two missing images the repository does not hold (the shared base layer is there).
  const present = new Set(images.get('tools/kubectl:v1.6.0')!.blobs.keys());
  const missing = new Map<string, number>();
  for (const t of ['v1.5.0', 'nightly']) for (const [d, b] of images.get(`tools/kubectl:${t}`)!.blobs) if (!present.has(d)) missing.set(d, b.size);
  const summary = lines.at(-1);
  assert.equal(summary.type, 'plan');
  assert.equal(summary.blobs, missing.size, 'blobs the plan would move');
  assert.equal(summary.bytes, [...missing.values()].reduce((n, b) => n + b, 0), 'bytes the plan would move');
  assert.equal(byTag['v1.6.0'].bytes, 0);
  await assert.rejects(digestAt(`${dst.host}/partial-dry/kubectl:v1.5.0`), 'nothing was written by the dry run');

  await runAsPlanned(['sync', '--all', list, `${dst.host}/partial-dry`], 'partial-report.json', planned, summary.bytes);
  for (const t of tags) assert.equal(await digestAt(`${dst.host}/partial-dry/kubectl:${t}`), images.get(`tools/kubectl:${t}`)!.top.digest, t);
});

test('an unchanged re-sync writes nothing and costs one manifest HEAD per tag on each side, plus at most one per tag for referrers', async () => {
  const file = tugboatFile('resync', 'resync');
  const first = await runTug(['sync', file]);
  assert.equal(first.code, 0, first.stderr);
  srcProxy.requests.length = 0;
  dstProxy.requests.length = 0;
  const run = await runTug(['sync', '--json', file]);
  assert.equal(run.code, 0, run.stderr);
  const all = [...srcProxy.requests, ...dstProxy.requests];
  const writes = all.filter((r) => r.method !== 'GET' && r.method !== 'HEAD');
  assert.deepEqual(writes, [], 'no writes');
  const manifestRequests = all.filter((r) => r.path.includes('/manifests/'));
  const tags = 6; // 3 tags + 3 aliases
  // The source tag of an alias is the same image: resolved once.
  assert.ok(manifestRequests.length <= tags * 2, `${manifestRequests.length} manifest requests for ${tags} tags`);
  assert.ok(manifestRequests.every((r) => r.method === 'HEAD'), 'only HEADs');
  // The first HEAD at each registry doubles as its ping. Besides the HEADs, only
  // what finds the images' signatures and referrers (carried by default): each
  // source repository's tag list and one referrers API probe per registry, which
  // the issue holds to at most one request more per tag.
  const other = all.filter((r) => !r.path.includes('/manifests/'));
  assert.ok(
    other.every((r) => r.method === 'GET' && (r.path.endsWith('/tags/list') || r.path.includes('/referrers/'))),
    `only tag lists and the referrers probe: ${JSON.stringify(other.map((r) => `${r.method} ${r.path}`))}`,
  );
  assert.ok(other.length <= tags, `${other.length} requests besides the HEADs for ${tags} tags`);
  const off = await runTug(['sync', '--json', '--no-referrers', file]);
  assert.equal(off.code, 0, off.stderr);
  const offOther = [...srcProxy.requests, ...dstProxy.requests].slice(all.length).filter((r) => !r.path.includes('/manifests/'));
  assert.deepEqual(offOther.map((r) => `${r.method} ${r.path}`), [], '--no-referrers: nothing besides the manifest HEADs');
});

test('skopeo sync YAML with a semver filter, image-syncer config and a plain image list', async () => {
  const skopeoYaml = join(work, 'skopeo.yaml');
  writeFileSync(skopeoYaml, `${src.host}:\n  tls-verify: false\n  images-by-semver:\n    tools/kubectl: ">= 1.6.0 < 1.7.0"\n`);
  const r1 = await runTug(['sync', '--src', 'yaml', '--all', skopeoYaml, `${dst.host}/semver`]);
  assert.equal(r1.code, 0, r1.stderr);
  const listed = JSON.parse(await skopeo(['list-tags', '--tls-verify=false', `docker://${dst.host}/semver/kubectl`])).Tags.sort();
  assert.deepEqual(listed, ['v1.6.0', 'v1.6.1'], 'pre-releases excluded by the range, others filtered out');

  const syncerImages = join(work, 'images.json');
  writeFileSync(
    syncerImages,
    JSON.stringify({
      [`${src.host}/tools/kubectl:v1.5.0,nightly`]: `${dst.host}/syncer/kubectl`,
      // A rename writes only the new tag, as image-syncer does.
      [`${src.host}/tools/kubectl:v1.6.0`]: `${dst.host}/renamed/kubectl:stable`,
    }),
  );
  const syncerAuth = join(work, 'auth.json');
  writeFileSync(syncerAuth, JSON.stringify({ [src.host]: { insecure: true }, [dst.host]: { insecure: true } }));
  const r2 = await runTug(['sync', '--src', 'image-syncer', '--image-syncer-auth', syncerAuth, '--all', syncerImages]);
  assert.equal(r2.code, 0, r2.stderr);
  assert.equal(await digestAt(`${dst.host}/syncer/kubectl:nightly`), images.get('tools/kubectl:nightly')!.top.digest);
  assert.equal(await digestAt(`${dst.host}/renamed/kubectl:stable`), images.get('tools/kubectl:v1.6.0')!.top.digest);
  const renamed = JSON.parse(await skopeo(['list-tags', '--tls-verify=false', `docker://${dst.host}/renamed/kubectl`])).Tags;
  assert.deepEqual(renamed, ['stable'], 'the source tag is not written under its own name');

  const list = join(work, 'images-list.txt');
  writeFileSync(list, `##tools\n# kubectl for the edge\n${src.host}/tools/kubectl:v1.6.1\n\n##openyurt\n${src.host}/openyurt/raven-agent:v0.4.1\n`);
  const r3 = await runTug(['sync', '--all', list, `${dst.host}/from-list`]);
  assert.equal(r3.code, 0, r3.stderr);
  assert.equal(await digestAt(`${dst.host}/from-list/raven-agent:v0.4.1`), images.get('openyurt/raven-agent:v0.4.1')!.top.digest);
});

test('more images than run at once: the biggest starts first, and no manifest is read twice at the source', async () => {
  const sizes: Record<string, number> = { small: 20_000, huge: 1_200_000, medium: 300_000, tiny: 5_000 };
  for (const [name, size] of Object.entries(sizes)) {
    const img = await makeImage({
      seed: `order-${name}`,
      platforms: [
        { os: 'linux', architecture: 'amd64' },
        { os: 'linux', architecture: 'arm64', variant: 'v8' },
      ],
      layerSizes: [size],
    });
    await pushImage({ url: src.url, repository: `order/${name}`, tag: 'v1' }, img);
  }
  const list = join(work, 'order.txt');
  writeFileSync(list, `${Object.keys(sizes).map((n) => `${srcProxy.host}/order/${n}:v1`).join('\n')}\n`);
  srcProxy.requests.length = 0;
  const run = await runTug(['sync', '--all', '--jobs', '1', '--json', list, `${dst.host}/ordered`]);
  assert.equal(run.code, 0, run.stderr);
  const started = run.stdout.trim().split('\n').map((l) => JSON.parse(l)).filter((e) => e.type === 'item-start').map((e) => e.item.source.split('/order/')[1]);
  assert.deepEqual(started, ['huge:v1', 'medium:v1', 'small:v1', 'tiny:v1'], 'largest first (longest-processing-time-first)');
  const gets = srcProxy.requests.filter((r) => r.method === 'GET' && r.path.includes('/manifests/')).map((r) => r.path);
  assert.ok(gets.length >= 4 * 3, `an index and its instances per image: ${gets.length}`);
  assert.deepEqual(gets.filter((p, i) => gets.indexOf(p) !== i), [], 'weighing and copying share each manifest read');
});

test('--keep-going lists every failure with its reason and exits non-zero', async () => {
  const list = join(work, 'broken.txt');
  writeFileSync(list, `${src.host}/tools/kubectl:v1.6.0\n${src.host}/tools/kubectl:does-not-exist\n${src.host}/nope/nothing:v1\n`);
  const run = await runTug(['sync', '--keep-going', '--all', list, `${dst.host}/partial`]);
  assert.notEqual(run.code, 0);
  assert.match(run.stdout, /Failed:/);
  assert.match(run.stdout, /does-not-exist/);
  assert.match(run.stdout, /nope\/nothing/);
  assert.equal(await digestAt(`${dst.host}/partial/kubectl:v1.6.0`), images.get('tools/kubectl:v1.6.0')!.top.digest, 'the good image was still copied');
});

test('a sync killed with SIGKILL is finished by re-running it, moving only the remainder', { timeout: 180_000 }, async () => {
  const bulk: GeneratedImage[] = [];
  for (let i = 0; i < 8; i++) {
    const img = await makeImage({ seed: `bulk-${i}`, layerSizes: [1_500_000] });
    await pushImage({ url: src.url, repository: `bulk/img${i}`, tag: 'v1' }, img);
    bulk.push(img);
  }
  const list = join(work, 'bulk.txt');
  writeFileSync(list, `${bulk.map((_, i) => `${src.host}/bulk/img${i}:v1`).join('\n')}\n`);
  // Slow the destination's writes (each blob commit and manifest PUT), and kill
  // on the progress the run reports, not on a clock: once two images are done
  // and another has a blob in but its manifest not yet written.
  dstProxy.setFaults([{ kind: 'delay', ms: 400, method: 'PUT', times: 1000 }]);
  const child = spawn(TUG_ARGV[0]!, [...TUG_ARGV.slice(1), 'sync', '--jobs', '2', '--json', '--all', list, `${dstProxy.host}/bulk`], { stdio: ['ignore', 'pipe', 'pipe'] });
  let stderr = '';
  child.stderr!.on('data', (d: Buffer) => (stderr += d.toString()));
  const exited = new Promise((r) => child.once('exit', r));
  let copied = 0;
  const blobIn = new Set<number>();
  await new Promise<void>((resolve, reject) => {
    createInterface({ input: child.stdout! }).on('line', (line) => {
      const e = JSON.parse(line);
      if (e.type === 'item-done') {
        blobIn.delete(e.index);
        if (e.status === 'copied') copied++;
      }
      if (e.type === 'copy' && e.event.type === 'blob-done' && e.event.outcome === 'copied') blobIn.add(e.index);
      if (copied >= 2 && blobIn.size > 0) resolve();
    });
    void exited.then(() => reject(new Error(`the sync ended before it could be killed: ${stderr}`)));
  });
  child.kill('SIGKILL');
  await exited;
  // Whatever the dead process had sent is now in the registry or dropped: nothing lands after the look below.
  await dstProxy.idle();
  dstProxy.setFaults([]);

  // What the killed run left: whole tags, and blobs (a blob is there or not: uploads commit at the last PUT).
  const has = async (path: string) => (await fetch(`${dst.url}/v2/${path}`, { method: 'HEAD', headers: { accept: bulk[0]!.top.mediaType } })).status === 200;
  const left = await Promise.all(
    bulk.map(async (img, i) => ({
      tagged: await has(`bulk/img${i}/manifests/v1`),
      blobs: await Promise.all([...img.blobs.values()].map(async (b) => ({ size: b.size, there: await has(`bulk/img${i}/blobs/${b.digest}`) }))),
    })),
  );
  assert.ok(left.filter((l) => l.tagged).length >= 2, 'the images reported done are there');
  assert.ok(left.some((l) => !l.tagged && l.blobs.some((b) => b.there)), 'the kill landed mid-way: an image has blobs but no tag yet');

  const reportFile = join(work, 'resume.json');
  const run = await runTug(['sync', '--all', '--report', reportFile, list, `${dst.host}/bulk`]);
  assert.equal(run.code, 0, run.stderr);
  const report = JSON.parse(readFileSync(reportFile, 'utf8'));
  for (const [i, l] of left.entries()) {
    const item = report.items.find((x: { destination: string }) => x.destination.endsWith(`/bulk/img${i}:v1`));
    assert.ok(item, `img${i} is in the report`);
    const missing = l.blobs.filter((b) => !b.there);
    if (l.tagged) {
      assert.equal(item.status, 'skipped', `img${i} was complete: not copied again: ${JSON.stringify(item)}`);
      assert.equal(item.bytes, 0);
    } else {
      assert.equal(item.status, 'copied', `img${i}: ${JSON.stringify(item)}`);
      assert.equal(item.blobs.skipped, l.blobs.length - missing.length, `img${i}: blobs the killed run wrote are not sent again: ${JSON.stringify(item)}`);
      assert.equal(item.bytes, missing.reduce((n, b) => n + b.size, 0), `img${i}: only the missing bytes moved`);
    }
  }
  for (const [i, img] of bulk.entries()) assert.equal(await digestAt(`${dst.host}/bulk/img${i}:v1`), img.top.digest, `img${i}`);
});

test('tug save writes a storage tree docker-registry serves; a re-run adds only what is new', async () => {
  const root = join(work, 'saved');
  const list = join(work, 'save.txt');
  writeFileSync(list, `${src.host}/openyurt/yurthub:v1.6.0\n${src.host}/tools/kubectl:v1.6.0\n`);
  const r1 = await runTug(['save', '-f', list, '--arch', 'arm64', root]);
  assert.equal(r1.code, 0, r1.stderr);
  writeFileSync(list, `${src.host}/openyurt/yurthub:v1.6.0\n${src.host}/tools/kubectl:v1.6.0\n${src.host}/openyurt/raven-agent:v0.4.1\n`);
  const r2 = await runTug(['save', '-f', list, '--arch', 'arm64', root]);
  assert.equal(r2.code, 0, r2.stderr);
  assert.match(r2.stdout, /1 copied/);
  assert.match(r2.stdout, /2 up to date/);
  const served = await startRegistry({ rootDirectory: root });
  try {
    const index = JSON.parse(await rawManifest(`docker://${served.host}/openyurt/yurthub:v1.6.0`, ['--tls-verify=false']));
    assert.deepEqual(index.manifests.map((m: { platform: { architecture: string } }) => m.platform.architecture), ['arm64']);
    const copied = await skopeo(['copy', '--all', '--src-tls-verify=false', `docker://${served.host}/openyurt/raven-agent:v0.4.1`, `oci:${join(work, 'from-saved')}:x`]);
    assert.match(copied, /Writing manifest/);
  } finally {
    await served.stop();
  }
});

test('tug verify reports a deleted tag and a missing platform', async () => {
  const file = tugboatFile('verify', 'verify');
  assert.equal((await runTug(['sync', file])).code, 0);
  const ok = await runTug(['verify', '-f', file, '--platform', 'linux/amd64,linux/arm64', '--blobs']);
  assert.equal(ok.code, 0, ok.stdout + ok.stderr);
  assert.match(ok.stdout, /6 of 6 images complete/);
  await skopeo(['delete', '--tls-verify=false', `docker://${dst.host}/verify/raven-agent:v0.4.1`]);
  const bad = await runTug(['verify', '-f', file, '--platform', 'linux/amd64,linux/s390x']);
  assert.equal(bad.code, 1);
  assert.match(bad.stdout, /MISSING .*verify\/raven-agent:v0\.4\.1: image/);
  assert.match(bad.stdout, /MISSING .*verify\/yurthub:v1\.6\.0: platform linux\/s390x/);
});

test('sync to dir: and oci: downloads each unique blob once', async () => {
  const file = tugboatFile('local', 'local');
  const unique = new Set<string>();
  for (const [name, tag] of OPENYURT) for (const d of images.get(`openyurt/${name}:${tag}`)!.blobs.keys()) unique.add(d);
  for (const kind of ['dir', 'oci']) {
    srcProxy.requests.length = 0;
    const out = join(work, `local-${kind}`);
    const run = await runTug(['sync', '--dest', kind, file, out]);
    assert.equal(run.code, 0, run.stderr);
    const blobGets = srcProxy.requests.filter((r) => r.method === 'GET' && r.path.includes('/blobs/'));
    assert.equal(blobGets.length, unique.size, `${kind}: ${blobGets.length} blob downloads for ${unique.size} unique blobs`);
  }
  // skopeo reads what tug wrote, every blob of every image (a copy reads them all).
  for (const [name, tag] of OPENYURT) {
    for (const t of [tag, 'latest']) {
      const dir = `dir:${join(work, 'local-dir', `${name}:${t}`)}`;
      assert.equal(sha(await rawManifest(dir)), images.get(`openyurt/${name}:${tag}`)!.top.digest, dir);
      await skopeo(['copy', '--all', dir, `oci:${join(work, 'local-dir-check')}:${name}-${t}`]);
    }
  }
  assert.equal(sha(await rawManifest(`oci:${join(work, 'local-oci')}:local/raven-agent:v0.4.1`)), images.get('openyurt/raven-agent:v0.4.1')!.top.digest);
});

/** Ten repositories at the source, each with two tags (v1, latest) of one multi-arch image; pushed once per file run. */
let racePushed: Promise<void> | undefined;
function pushRaceImages(): Promise<void> {
  racePushed ??= (async () => {
    for (let i = 0; i < 10; i++) {
      const img = await multiArch(`race-${i}`, i % 2 ? 'docker' : 'oci');
      for (const tag of ['v1', 'latest']) await pushImage({ url: src.url, repository: `race/app${i}`, tag }, img);
    }
  })();
  return racePushed;
}

test('tags of one image synced at once into one repository never race (the registry corrupts links on concurrent writes)', async () => {
  // Ten repositories, each with two tags of the same multi-arch image (like `latest` and `v1`),
  // sharing base layers: without per-repository serialisation the stock registry
  // answers 400 MANIFEST_BLOB_UNKNOWN for some of them.
  await pushRaceImages();
  const lines = [`${src.host}:`, '  tls-verify: false', '  images:'];
  for (let i = 0; i < 10; i++) lines.push(`    race/app${i}: ["v1", "latest"]`);
  const yaml = join(work, 'race.yaml');
  writeFileSync(yaml, `${lines.join('\n')}\n`);
  const run = await runTug(['sync', '--all', '--jobs', '8', yaml, `${dst.host}/race`]);
  assert.equal(run.code, 0, run.stdout + run.stderr);
  assert.match(run.stdout, /20 copied/);
});

test('twenty tags written at once into one OCI layout: index.json names every one', async () => {
  // Eight images commit to one index.json at a time.
  await pushRaceImages();
  const lines = [`${src.host}:`, '  tls-verify: false', '  images:'];
  for (let i = 0; i < 10; i++) lines.push(`    race/app${i}: ["v1", "latest"]`);
  const yaml = join(work, 'race-oci.yaml');
  writeFileSync(yaml, `${lines.join('\n')}\n`);
  const out = join(work, 'race-oci');
  const run = await runTug(['sync', '--all', '--jobs', '8', '--dest', 'oci', yaml, out]);
  assert.equal(run.code, 0, run.stdout + run.stderr);
  const index = JSON.parse(readFileSync(join(out, 'index.json'), 'utf8')) as { manifests: { annotations?: Record<string, string> }[] };
  const names = index.manifests.map((m) => m.annotations?.['org.opencontainers.image.ref.name']).sort();
  const expected = Array.from({ length: 10 }, (_, i) => [`race/app${i}:latest`, `race/app${i}:v1`]).flat().sort();
  assert.deepEqual(names, expected);
});

test('sync into an existing empty directory as an OCI layout', async () => {
  const out = join(work, 'empty-oci');
  mkdirSync(out);
  const run = await runTug(['sync', '--dest', 'oci', tugboatFile('empty', 'empty'), out]);
  assert.equal(run.code, 0, run.stdout + run.stderr);
  assert.equal(sha(await rawManifest(`oci:${out}:empty/raven-agent:v0.4.1`)), images.get('openyurt/raven-agent:v0.4.1')!.top.digest);
});
