/**
 * `tug bundle` end to end (issue 14, "What must show"): the real CLI,
 * stock registries, skopeo and tar. A generated set is bundled, changed,
 * bundled again with the history, and applied in order to an empty
 * registry; the refusals (missing parent, flipped byte, hostile bundle.json)
 * happen before anything is pushed; a split bundle reassembles with `cat`.
 */
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { cpSync, readFileSync, readdirSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { type GeneratedImage, makeImage, multiArch, pushImage } from '../support/images.ts';
import { type TestRegistry, startRegistry } from '../support/registry.ts';
import { skopeo } from '../support/skopeo.ts';
import { tempDir } from '../support/tmp.ts';
import { runTug } from '../support/tug.ts';

const sha = (b: Buffer | string) => `sha256:${createHash('sha256').update(b).digest('hex')}`;
let src: TestRegistry;
let work: string;
/** repository:tag at the source -> the image pushed there. */
const pushed = new Map<string, GeneratedImage>();

async function push(repoTag: string, image: GeneratedImage): Promise<void> {
  const [repository, tag] = repoTag.split(':') as [string, string];
  pushed.set(repoTag, image);
  await pushImage({ url: src.url, repository, tag }, image);
}

function listFile(name: string, refs: readonly string[]): string {
  const file = join(work, name);
  writeFileSync(file, `${refs.map((r) => `${src.host}/${r}`).join('\n')}\n`);
  return file;
}

const bundleJson = (dir: string) => JSON.parse(readFileSync(join(dir, 'bundle.json'), 'utf8')) as {
  id: string;
  parent: string | null;
  images: { repository: string; tag: string; digest: string }[];
  carried: { blobs: { digest: string; size: number }[]; manifests: { digest: string; size: number }[] };
  relies: unknown[];
  parts: { name: string; size: number }[];
  totals: { carriedBytes: number };
};

async function catalog(registry: TestRegistry): Promise<string[]> {
  const res = await fetch(`${registry.url}/v2/_catalog`);
  return ((await res.json()) as { repositories: string[] }).repositories;
}

async function digestAt(registry: TestRegistry, repoTag: string): Promise<string | undefined> {
  const [repository, tag] = repoTag.split(':') as [string, string];
  const res = await fetch(`${registry.url}/v2/${repository}/manifests/${tag}`, {
    method: 'HEAD',
    headers: { accept: 'application/vnd.oci.image.index.v1+json,application/vnd.oci.image.manifest.v1+json,application/vnd.docker.distribution.manifest.v2+json,application/vnd.docker.distribution.manifest.list.v2+json' },
  });
  return res.status === 200 ? (res.headers.get('docker-content-digest') ?? undefined) : undefined;
}

/** Writes to the registry in its access log: blob uploads and manifest PUTs. */
const writes = (log: string) => readFileSync(log, 'utf8').split('\n').filter((l) => /"(PUT|POST|PATCH) \/v2\//.test(l));

const LIST1 = ['edge/app:v1', 'edge/app:v2', 'edge/agent:1.0', 'tools/kubectl:1.30'];
const LIST2 = [...LIST1, 'edge/app:v3', 'edge/agent:1.1', 'edge/newsvc:1'];
let b1: string;
let b2: string;
let history: string;

before(async () => {
  work = tempDir(undefined, 'tug-bundle-');
  src = await startRegistry();
  const base = [{ seed: 'bundle-base-os', size: 64 * 1024 }];
  await push('edge/app:v1', await makeImage({ seed: 'app-v1', baseLayers: base, layerSizes: [40_000, 20_000] }));
  await push('edge/app:v2', await makeImage({ seed: 'app-v2', baseLayers: base, layerSizes: [40_000, 20_000] }));
  await push('edge/agent:1.0', await multiArch('agent-1.0'));
  await push('tools/kubectl:1.30', await makeImage({ seed: 'kubectl-1.30', baseLayers: base, layerSizes: [30_000] }));
  history = join(work, 'history.json');
  b1 = join(work, 'b1');
  const r = await runTug(['bundle', 'create', listFile('list1.txt', LIST1), b1, '--all', '--history', history, '-q']);
  assert.equal(r.code, 0, r.stderr);
});

after(async () => {
  await src.stop();
});

test('bundle 1: complete, checksummed, and a valid OCI layout once untarred', async () => {
  const b = bundleJson(b1);
  assert.equal(b.parent, null);
  assert.deepEqual(b.images.map((i) => `${i.repository}:${i.tag}`).sort(), [...LIST1].sort());
  assert.deepEqual(readdirSync(b1).sort(), ['SHA256SUMS', 'bundle.json', `${b.id}.tar`].sort());
  execFileSync('sha256sum', ['-c', 'SHA256SUMS'], { cwd: b1, stdio: 'pipe' });
  const verified = await runTug(['bundle', 'verify', b1]);
  assert.equal(verified.code, 0, verified.stderr);
  assert.match(verified.stdout, /is complete: 1 part/);

  const layout = tempDir(undefined, 'tug-bundle-layout-');
  execFileSync('tar', ['-xf', join(b1, `${b.id}.tar`), '-C', layout]);
  const raw = await skopeo(['inspect', '--raw', `oci:${layout}:edge/app:v1`]);
  assert.equal(sha(raw), pushed.get('edge/app:v1')!.top.digest);
  const inner = JSON.parse(readFileSync(join(layout, 'bundle.json'), 'utf8')) as { id: string; parts?: unknown };
  assert.equal(inner.id, b.id);
  assert.equal(inner.parts, undefined);
});

test('bundle 2 carries only the new blobs; applied in order every digest matches; without its parent it is refused', async () => {
  await push('edge/app:v3', await makeImage({ seed: 'app-v3', baseLayers: [{ seed: 'bundle-base-os', size: 64 * 1024 }], layerSizes: [50_000] }));
  await push('edge/agent:1.1', await multiArch('agent-1.1'));
  // A new repository on the base layer bundle 1 carried for edge/app and tools/kubectl: apply mounts it from there.
  await push('edge/newsvc:1', await makeImage({ seed: 'newsvc-1', baseLayers: [{ seed: 'bundle-base-os', size: 64 * 1024 }], layerSizes: [10_000] }));
  // Changed: the same tag now names new content.
  await push('edge/app:v2', await makeImage({ seed: 'app-v2-fixed', baseLayers: [{ seed: 'bundle-base-os', size: 64 * 1024 }], layerSizes: [40_000, 20_000] }));

  b2 = join(work, 'b2');
  const r = await runTug(['bundle', 'create', listFile('list2.txt', LIST2), b2, '--all', '--history', history, '-q']);
  assert.equal(r.code, 0, r.stderr);
  const first = bundleJson(b1);
  const second = bundleJson(b2);
  assert.equal(second.parent, first.id);
  assert.deepEqual(second.images.map((i) => `${i.repository}:${i.tag}`).sort(), ['edge/agent:1.1', 'edge/app:v2', 'edge/app:v3', 'edge/newsvc:1']);
  // The new unique bytes: every blob and manifest of the new and changed images that bundle 1 did not carry.
  const old = new Set([...first.carried.blobs, ...first.carried.manifests].map((c) => c.digest));
  const fresh = new Map<string, number>();
  for (const key of ['edge/app:v3', 'edge/agent:1.1', 'edge/app:v2', 'edge/newsvc:1']) {
    const img = pushed.get(key)!;
    const docs = [...img.blobs.values(), ...img.manifests, ...(img.index ? [img.index] : [])];
    for (const d of docs) if (!old.has(d.digest)) fresh.set(d.digest, d.bytes.length);
  }
  const freshBytes = [...fresh.values()].reduce((a, b) => a + b, 0);
  assert.ok(Math.abs(second.totals.carriedBytes - freshBytes) <= freshBytes * 0.03, `carried ${second.totals.carriedBytes}, new unique ${freshBytes}`);
  const tarBytes = second.parts.reduce((n, p) => n + p.size, 0);
  assert.ok(tarBytes < freshBytes * 1.1 + 32 * 1024, `tar ${tarBytes} bytes for ${freshBytes} new bytes`);

  // Bundle 2 alone at a fresh registry: refused before anything is pushed.
  const fresh2 = await startRegistry();
  try {
    const refused = await runTug(['bundle', 'apply', b2, fresh2.host, '-q']);
    assert.equal(refused.code, 1, refused.stderr);
    assert.match(refused.stderr, new RegExp(`bundle ${second.id} needs bundle ${first.id} applied at ${fresh2.host.replace(/\./g, '\\.')} first \\(tug bundle list shows the chain\\)`));
    assert.deepEqual(await catalog(fresh2), []);
  } finally {
    await fresh2.stop();
  }

  // 1 then 2 into an empty registry: every digest matches the source.
  const log = join(work, 'dst.log');
  const dst = await startRegistry({ accessLog: log });
  try {
    for (const b of [b1, b2]) {
      const applied = await runTug(['bundle', 'apply', b, dst.host, '-q']);
      assert.equal(applied.code, 0, applied.stderr);
    }
    for (const key of LIST2) assert.equal(await digestAt(dst, key), pushed.get(key)!.top.digest, key);
    const base = [...pushed.get('edge/newsvc:1')!.blobs.values()].find((b) => first.carried.blobs.some((c) => c.digest === b.digest))!;
    assert.ok(readFileSync(log, 'utf8').split('\n').some((l) => l.includes('"POST /v2/edge/newsvc/blobs/uploads/?') && l.includes(`mount=${encodeURIComponent(base.digest)}&from=edge%2F`) && l.includes('" 201 ')), 'the base layer is mounted into the new repository');
    assert.ok((await catalog(dst)).includes('tugboat/bundles'));
    // Idempotent: again, nothing is written.
    const before = writes(log).length;
    const again = await runTug(['bundle', 'apply', b2, dst.host, '-q']);
    assert.equal(again.code, 0, again.stderr);
    assert.equal(writes(log).length, before, 'a re-apply writes nothing');
  } finally {
    await dst.stop();
  }
});

test('an unchanged list gives a bundle of a few KB; a history rebuilt from old bundles gives the same next bundle', async () => {
  const list = listFile('list2-again.txt', LIST2);
  const b3 = join(work, 'b3');
  const r = await runTug(['bundle', 'create', list, b3, '--all', '--history', history, '--json']);
  assert.equal(r.code, 0, r.stderr);
  const third = bundleJson(b3);
  assert.equal(third.images.length, 0);
  assert.equal(third.carried.blobs.length + third.carried.manifests.length, 0);
  let bytes = 0;
  for (const f of readdirSync(b3)) bytes += statSync(join(b3, f)).size;
  assert.ok(bytes < 8 * 1024, `${bytes} bytes`);

  // From b1 alone: the next bundle of list 2 carries what b2 carried.
  const rebuilt = join(work, 'rebuilt.json');
  const listed = await runTug(['bundle', 'list', b1, '--write-history', rebuilt]);
  assert.equal(listed.code, 0, listed.stderr);
  const b2again = join(work, 'b2-again');
  const again = await runTug(['bundle', 'create', list, b2again, '--all', '--history', rebuilt, '-q']);
  assert.equal(again.code, 0, again.stderr);
  const digests = (b: ReturnType<typeof bundleJson>) => [...b.carried.blobs, ...b.carried.manifests].map((c) => c.digest).sort();
  assert.deepEqual(digests(bundleJson(b2again)), digests(bundleJson(b2)));
  assert.equal(bundleJson(b2again).parent, bundleJson(b1).id);

  const chain = await runTug(['bundle', 'list', b1, b2, b3]);
  assert.equal(chain.code, 0, chain.stderr);
  const ids = [b1, b2, b3].map((d) => bundleJson(d).id);
  assert.deepEqual(chain.stdout.split('\n').filter((l) => /^\d{8}T/.test(l)).map((l) => l.split(' ')[0]), ids);
  const broken = await runTug(['bundle', 'list', b1, b3]);
  assert.match(broken.stdout, new RegExp(`BROKEN: parent ${ids[1]} is not among these bundles`));
});

test('a flipped byte is caught by verify and by apply before anything is pushed', async () => {
  const bad = join(work, 'flipped');
  cpSync(b1, bad, { recursive: true });
  const part = join(bad, bundleJson(b1).parts[0]!.name);
  const bytes = readFileSync(part);
  bytes[Math.floor(bytes.length / 2)]! ^= 0x01;
  writeFileSync(part, bytes);
  const verified = await runTug(['bundle', 'verify', bad]);
  assert.equal(verified.code, 3, verified.stderr);
  assert.match(verified.stderr, new RegExp(`part ${bundleJson(b1).parts[0]!.name}: sha256 does not match bundle.json; re-copy ${bundleJson(b1).parts[0]!.name} from the source medium`));
  const dst = await startRegistry();
  try {
    const applied = await runTug(['bundle', 'apply', bad, dst.host, '-q']);
    assert.equal(applied.code, 3, applied.stderr);
    assert.deepEqual(await catalog(dst), []);
  } finally {
    await dst.stop();
  }
});

test('hostile bundle.json: a part name with a path and a huge size are refused with one line', async () => {
  for (const [name, change, pattern] of [
    ['traversal', (b: Record<string, unknown>) => ((b.parts as { name: string }[])[0]!.name = '../../etc/passwd'), /part 1 is named "\.\.\/\.\.\/etc\/passwd"/],
    ['huge', (b: Record<string, unknown>) => ((b.parts as { size: number }[])[0]!.size = 2 ** 60), /parts\.0\.size/],
    ['api', (b: Record<string, unknown>) => (b.apiVersion = 'tugboat.dev/v9'), /apiVersion "tugboat\.dev\/v9" is not tugboat\.dev\/v1/],
  ] as const) {
    const dir = join(work, `hostile-${name}`);
    cpSync(b1, dir, { recursive: true });
    const doc = JSON.parse(readFileSync(join(dir, 'bundle.json'), 'utf8')) as Record<string, unknown>;
    change(doc);
    writeFileSync(join(dir, 'bundle.json'), JSON.stringify(doc));
    const r = await runTug(['bundle', 'verify', dir]);
    assert.equal(r.code, 2, `${name}: ${r.stderr}`);
    assert.match(r.stderr, pattern);
    assert.equal(r.stderr.trim().split('\n').filter((l) => !l.startsWith('hint') && !/^\s/.test(l)).length <= 2, true, r.stderr);
  }
});

test('a bundle split into 1 MiB parts reassembles with cat, applies into a registry-dir tree, and that tree serves it', async () => {
  const big = await makeImage({ seed: 'bundle-big', layerSizes: [1_500_000, 900_000] });
  await push('edge/big:1', big);
  const dir = join(work, 'split');
  const r = await runTug(['bundle', 'create', listFile('big.txt', ['edge/big:1', 'edge/app:v1']), dir, '--full', '--max-part-size', '1MiB', '-q']);
  assert.equal(r.code, 0, r.stderr);
  const b = bundleJson(dir);
  assert.ok(b.parts.length >= 3, `${b.parts.length} parts`);
  for (const p of b.parts) assert.ok(p.size <= 2 ** 20);
  execFileSync('sha256sum', ['-c', 'SHA256SUMS'], { cwd: dir, stdio: 'pipe' });
  const whole = Buffer.concat(b.parts.map((p) => readFileSync(join(dir, p.name))));
  writeFileSync(join(work, 'whole.tar'), whole);
  const names = execFileSync('tar', ['-tf', join(work, 'whole.tar')], { encoding: 'utf8' }).trim().split('\n');
  assert.equal(names.at(-1), 'bundle.json');
  assert.ok(names.includes(`blobs/sha256/${big.top.digest.slice(7)}`));

  const tree = tempDir(undefined, 'tug-bundle-tree-');
  const applied = await runTug(['bundle', 'apply', dir, tree, '--dest', 'registry-dir', '-q']);
  assert.equal(applied.code, 0, applied.stderr);
  const served = await startRegistry({ rootDirectory: tree });
  try {
    assert.equal(await digestAt(served, 'edge/big:1'), big.top.digest);
    assert.equal(await digestAt(served, 'edge/app:v1'), pushed.get('edge/app:v1')!.top.digest);
    const pulled = tempDir(undefined, 'tug-bundle-pulled-');
    await skopeo(['copy', '--src-tls-verify=false', `docker://${served.host}/edge/big:1`, `dir:${pulled}`]);
    for (const layer of big.top === big.manifests[0] ? big.manifests[0]!.layers : []) assert.equal(sha(readFileSync(join(pulled, layer.digest.slice(7)))), layer.digest);
  } finally {
    await served.stop();
  }
});

test('--include-tug puts an executable beside the parts, in SHA256SUMS; a platform not built is one line', async () => {
  const exe = join(work, 'tug-linux-amd64');
  writeFileSync(exe, '#!/bin/sh\necho tug\n', { mode: 0o755 });
  const dir = join(work, 'with-tug');
  const r = await runTug(['bundle', 'create', listFile('one.txt', ['edge/app:v1']), dir, '--full', '--include-tug', exe, '-q']);
  assert.equal(r.code, 0, r.stderr);
  assert.match(readFileSync(join(dir, 'SHA256SUMS'), 'utf8'), /^[a-f0-9]{64} {2}tug-linux-amd64$/m);
  execFileSync('sha256sum', ['-c', 'SHA256SUMS'], { cwd: dir, stdio: 'pipe' });
  const verified = await runTug(['bundle', 'verify', dir]);
  assert.equal(verified.code, 0, verified.stderr);
  const built = statSync(join(import.meta.dirname, '../../dist/sea/tug-linux-arm64'), { throwIfNoEntry: false });
  if (!built) {
    const missing = await runTug(['bundle', 'create', listFile('one-b.txt', ['edge/app:v1']), join(work, 'no-tug'), '--include-tug', 'linux/arm64']);
    assert.equal(missing.code, 2, missing.stderr);
    assert.match(missing.stderr, /--include-tug linux\/arm64: .*dist\/sea\/tug-linux-arm64 is not built/);
  }
});
