/**
 * The check before a blob upload. Once a registry has honoured a
 * cross-repository mount, tug asks for a blob with one POST ?mount=D&from=<the
 * same repository>: 201 says the repository has it, 202 opens the upload the
 * PUT then uses. Until then, and against registries that ignore mounts, it
 * HEADs first. Real registries; a fault proxy in front of the destination
 * records every request and plays a registry that ignores mount parameters or
 * forgets an upload session.
 */
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { existsSync, readdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, beforeEach, test } from 'node:test';
import { type FaultProxy, type RequestLog, startFaultProxy } from '../support/fault-proxy.ts';
import { type GeneratedImage, makeImage, pushBlobs, pushImage } from '../support/images.ts';
import { type TestRegistry, startRegistry } from '../support/registry.ts';
import { rawManifest } from '../support/skopeo.ts';
import { runTug } from '../support/tug.ts';
import { tempDir } from '../support/tmp.ts';

let src: TestRegistry;
let dst: TestRegistry;
let dstProxy: FaultProxy;
let work: string;
const images: GeneratedImage[] = [];

before(async () => {
  work = tempDir(undefined, 'tug-probe-');
  src = await startRegistry();
  dst = await startRegistry();
  dstProxy = await startFaultProxy(dst.url);
  // One shared base layer; own layers sized so that `--jobs 1` copies img0, img1, img2, img3 in that order (largest first).
  for (let i = 0; i < 4; i++) {
    const img = await makeImage({ seed: `probe-${i}`, baseLayers: [{ seed: 'probe-base', size: 16_384 }], layerSizes: [60_000 - i * 10_000, 3_000] });
    images.push(img);
    await pushImage({ url: src.url, repository: `probe/img${i}`, tag: 'v1' }, img);
  }
});

after(async () => {
  await dstProxy.stop();
  await dst.stop();
  await src.stop();
});

beforeEach(() => {
  dstProxy.setFaults([]);
  dstProxy.requests.length = 0;
});

function list(count: number): string {
  const file = join(work, `images-${count}.txt`);
  writeFileSync(file, `${images.slice(0, count).map((_, i) => `${src.host}/probe/img${i}:v1`).join('\n')}\n`);
  return file;
}

/** The image's own blobs (config and layers), without the shared base layer. */
function ownBlobs(i: number): string[] {
  const base = new Set(images.slice(0, i).concat(images.slice(i + 1)).flatMap((img) => [...img.blobs.keys()]));
  return [...images[i]!.blobs.keys()].filter((d) => !base.has(d));
}

/** The destination's blob requests for one repository, by what they are. */
function traffic(repository: string) {
  const mine = dstProxy.requests.filter((r) => r.path.startsWith(`/v2/${repository}/blobs/`));
  const query = (r: RequestLog) => new URLSearchParams(r.path.split('?')[1] ?? '');
  const isStart = (r: RequestLog) => r.method === 'POST' && /\/blobs\/uploads\/(\?|$)/.test(r.path);
  return {
    heads: mine.filter((r) => r.method === 'HEAD'),
    probes: mine.filter((r) => isStart(r) && query(r).get('from') === repository),
    mounts: mine.filter((r) => isStart(r) && query(r).has('from') && query(r).get('from') !== repository),
    plainStarts: mine.filter((r) => isStart(r) && !query(r).has('mount')),
    puts: mine.filter((r) => r.method === 'PUT'),
    digestOf: (r: RequestLog) => query(r).get('mount') ?? query(r).get('digest') ?? r.path.split('/blobs/')[1],
  };
}

/**
 * Upload sessions the destination registry still holds under `prefix`. A PUT
 * or DELETE removes the session's files; a DELETE then leaves a
 * `hashstates/` stub behind (the registry saves the hash state after it
 * removed the rest), so a session is live while its `startedat` file exists.
 */
function openSessions(prefix: string): string[] {
  const repos = join(dst.root, 'docker/registry/v2/repositories', prefix);
  if (!existsSync(repos)) return [];
  return readdirSync(repos).flatMap((repo) => {
    const uploads = join(repos, repo, '_uploads');
    if (!existsSync(uploads)) return [];
    return readdirSync(uploads).filter((id) => existsSync(join(uploads, id, 'startedat'))).map((id) => `${prefix}/${repo}/${id}`);
  });
}

async function assertSynced(prefix: string, count: number): Promise<void> {
  for (let i = 0; i < count; i++) {
    const bytes = await rawManifest(`docker://${dst.host}/${prefix}/img${i}:v1`, ['--tls-verify=false']);
    assert.equal(`sha256:${createHash('sha256').update(bytes).digest('hex')}`, images[i]!.top.digest, `${prefix}/img${i} has the source digest`);
  }
  assert.deepEqual(openSessions(prefix), [], 'no upload session is left open');
}

test('after the first mount a new blob costs a probe and a PUT, no HEAD', async () => {
  const run = await runTug(['sync', '--jobs', '1', list(4), `${dstProxy.host}/cold`]);
  assert.equal(run.code, 0, run.stderr);
  await assertSynced('cold', 4);

  const first = traffic('cold/img0');
  assert.equal(first.heads.length, images[0]!.blobs.size, 'before any mount: one HEAD per blob');
  assert.equal(first.probes.length, 0);
  assert.equal(traffic('cold/img1').mounts.filter((r) => r.status === 201).length, 1, 'the base layer is mounted from cold/img0');

  for (const i of [2, 3]) {
    const t = traffic(`cold/img${i}`);
    assert.equal(t.heads.length, 0, `img${i}: no HEAD`);
    assert.deepEqual(t.probes.map(t.digestOf).sort(), ownBlobs(i).sort(), `img${i}: one probe per own blob`);
    assert.ok(t.probes.every((r) => r.status === 202), 'each probe of an absent blob opened a session');
    assert.equal(t.plainStarts.length, 0, 'no second POST: the PUT used the probe session');
    assert.deepEqual(t.puts.map((r) => r.status), ownBlobs(i).map(() => 201));
  }
});

test('a re-run over blobs an interrupted push left behind re-sends none of them', async () => {
  // What a sync killed before img2's manifest leaves: its blobs, no tag.
  await pushBlobs({ url: dst.url, repository: 'resume/img2' }, images[2]!);
  const run = await runTug(['sync', '--jobs', '1', list(3), `${dstProxy.host}/resume`]);
  assert.equal(run.code, 0, run.stderr);
  await assertSynced('resume', 3);
  const t = traffic('resume/img2');
  assert.deepEqual(t.probes.map(t.digestOf).sort(), ownBlobs(2).sort());
  assert.ok(t.probes.every((r) => r.status === 201), 'the registry answered "present" to each probe');
  assert.deepEqual(t.puts, [], 'nothing was uploaded again');
});

test('a registry that ignores mount parameters is never probed; blobs it holds are found by HEAD', async () => {
  dstProxy.setFaults([{ kind: 'drop-query', method: 'POST', path: /\/blobs\/uploads\/\?.*mount=/, times: 1000 }]);
  await pushBlobs({ url: dst.url, repository: 'nomount/img2' }, images[2]!);
  const run = await runTug(['sync', '--jobs', '1', list(3), `${dstProxy.host}/nomount`]);
  assert.equal(run.code, 0, run.stderr);
  await assertSynced('nomount', 3);
  for (const i of [0, 1, 2]) assert.equal(traffic(`nomount/img${i}`).probes.length, 0, `img${i}: no probe`);
  const t = traffic('nomount/img2');
  assert.equal(t.heads.length, images[2]!.blobs.size, 'one HEAD per blob');
  assert.deepEqual(t.puts, [], 'nothing was uploaded again');
  assert.ok(traffic('nomount/img1').mounts.length > 0, 'a mount was tried (and ignored)');
});

test('an upload session the registry forgot before the PUT is replaced by a new one', async () => {
  dstProxy.setFaults([{ kind: 'status', status: 404, method: 'PUT', path: /^\/v2\/expire\/img2\/blobs\/uploads\//, times: 1 }]);
  const run = await runTug(['sync', '--jobs', '1', list(3), `${dstProxy.host}/expire`]);
  assert.equal(run.code, 0, run.stderr);
  await assertSynced('expire', 3);
  const t = traffic('expire/img2');
  const lost = t.puts.find((r) => r.status === 404)!;
  assert.ok(lost, 'the first PUT was refused');
  const digest = t.digestOf(lost);
  assert.ok(t.probes.some((r) => t.digestOf(r) === digest && r.status === 202), 'its session came from a probe');
  assert.equal(t.plainStarts.length, 1, 'one new session for the retry');
  assert.ok(t.puts.some((r) => r.status === 201 && t.digestOf(r) === digest && r.at > lost.at), 'the retry uploaded it');
});

test('a session opened for a blob the source then fails to serve is cancelled', async () => {
  const srcProxy = await startFaultProxy(src.url);
  try {
    const broken = ownBlobs(2)[0]!;
    srcProxy.setFaults([{ kind: 'status', status: 404, method: 'GET', path: new RegExp(`/blobs/${broken}$`), times: 1000 }]);
    const file = join(work, 'broken.txt');
    writeFileSync(file, `${images.slice(0, 3).map((_, i) => `${srcProxy.host}/probe/img${i}:v1`).join('\n')}\n`);
    const run = await runTug(['sync', '--jobs', '1', '--keep-going', file, `${dstProxy.host}/broken`]);
    assert.equal(run.code, 1, run.stdout + run.stderr);
    assert.match(run.stdout + run.stderr, /img2/);
    const t = traffic('broken/img2');
    assert.ok(t.probes.some((r) => t.digestOf(r) === broken && r.status === 202), 'the probe opened a session for the blob');
    assert.ok(dstProxy.requests.some((r) => r.method === 'DELETE' && r.path.startsWith('/v2/broken/img2/blobs/uploads/')), 'and it was cancelled');
    assert.deepEqual(openSessions('broken'), [], 'no upload session is left open');
  } finally {
    await srcProxy.stop();
  }
});
