/**
 * OCI layouts others can read and format conversion, checked with the real
 * counterparts: Debian's skopeo reads tug's oci: output by ref, podman (its
 * own root, vfs) pulls tug's oci-archive: and loads its docker-archive:.
 * Layer compression: test/copy/compression.test.ts.
 */
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { after, before, test } from 'node:test';
import { copyImage } from '../../src/copy/copy.ts';
import type { CopyEvent } from '../../src/copy/events.ts';
import { SOURCE_DIGEST_ANNOTATION } from '../../src/oci/convert.ts';
import { MediaType } from '../../src/oci/index.ts';
import { parseImageName } from '../../src/transports/index.ts';
import { type GeneratedImage, makeImage, multiArch, pushImage } from '../support/images.ts';
import { type TestRegistry, startRegistry } from '../support/registry.ts';
import { skopeo } from '../support/skopeo.ts';
import { tempDir } from '../support/tmp.ts';
import { runTug } from '../support/tug.ts';

const run = promisify(execFile);
let registry: TestRegistry;
let work: string;
let dockerList: GeneratedImage;
let dockerSingle: GeneratedImage;
let ociSingle: GeneratedImage;

before(async () => {
  work = tempDir(undefined, 'tug-format-');
  registry = await startRegistry();
  [dockerList, dockerSingle, ociSingle] = await Promise.all([multiArch('fmt-list', 'docker'), makeImage({ seed: 'fmt-single', flavour: 'docker' }), makeImage({ seed: 'fmt-oci' })]);
  const push = (repository: string, image: GeneratedImage) => pushImage({ url: registry.url, repository, tag: 'v1' }, image);
  await Promise.all([push('fmt/list', dockerList), push('fmt/single', dockerSingle), push('fmt/oci', ociSingle)]);
});

after(async () => {
  await registry?.stop();
});

const docker = (repo: string) => parseImageName(`docker://${registry.host}/${repo}:v1`);
const indexJson = (dir: string) => JSON.parse(readFileSync(join(dir, 'index.json'), 'utf8')) as { manifests: { digest: string; mediaType: string; annotations?: Record<string, string> }[] };
const json = <T>(s: string) => JSON.parse(s) as T;

/** podman with its own store under `dir`, never the machine's. */
function podman(dir: string, args: string[]): Promise<string> {
  const base = ['--root', join(dir, 'root'), '--runroot', join(dir, 'run'), '--storage-driver', 'vfs', '--cgroup-manager', 'cgroupfs', '--events-backend', 'none'];
  return run('podman', [...base, ...args], { encoding: 'utf8', maxBuffer: 16 * 1024 * 1024 }).then((r) => r.stdout);
}

test('a Docker manifest list into oci: becomes an OCI index skopeo reads by ref; config and layer bytes stay', async () => {
  const dir = join(work, 'list-layout');
  const events: CopyEvent[] = [];
  const planned = await copyImage(docker('fmt/list'), parseImageName(`oci:${dir}:v1`), { multiArch: 'all', dryRun: true });
  const result = await copyImage(docker('fmt/list'), parseImageName(`oci:${dir}:v1`), { multiArch: 'all', onEvent: (e) => events.push(e) });
  assert.equal(planned.digest, result.digest, 'a dry run names the converted digest');
  assert.equal(result.convertedFrom, dockerList.top.digest);
  assert.notEqual(result.digest, dockerList.top.digest);
  assert.equal(result.mediaType, MediaType.OciIndex);
  const converted = events.find((e) => e.type === 'converted');
  assert.deepEqual(converted && { from: converted.from, to: converted.to }, { from: dockerList.top.digest, to: result.digest });

  // index.json names the new digest and records the source's beside the ref.
  const entry = indexJson(dir).manifests[0]!;
  assert.deepEqual(entry.annotations, { 'org.opencontainers.image.ref.name': 'v1', [SOURCE_DIGEST_ANNOTATION]: dockerList.top.digest });
  assert.equal(entry.digest, result.digest);

  // skopeo finds it by ref, reads OCI types, and copies it (verifying every digest).
  const raw = json<{ mediaType: string; manifests: { mediaType: string; digest: string; platform: { architecture: string } }[] }>(await skopeo(['inspect', '--raw', `oci:${dir}:v1`]));
  assert.equal(raw.mediaType, MediaType.OciIndex);
  assert.deepEqual(raw.manifests.map((m) => m.platform.architecture), ['amd64', 'arm64']);
  const instance = json<{ mediaType: string; config: { mediaType: string; digest: string }; layers: { mediaType: string; digest: string }[] }>(readFileSync(join(dir, 'blobs', 'sha256', raw.manifests[1]!.digest.slice(7)), 'utf8'));
  assert.equal(instance.mediaType, MediaType.OciManifest);
  const arm = dockerList.manifests[1]!;
  assert.equal(instance.config.mediaType, MediaType.OciConfig);
  assert.equal(instance.config.digest, arm.config.digest, 'the config (the image ID) is unchanged');
  assert.deepEqual(instance.layers.map((l) => [l.mediaType, l.digest]), arm.layers.map((l) => [MediaType.OciLayerGzip, l.digest]));
  await skopeo(['copy', '--all', `oci:${dir}:v1`, `dir:${join(work, 'list-from-oci')}`]);
  const copied = json<{ mediaType: string }>(readFileSync(join(work, 'list-from-oci', 'manifest.json'), 'utf8'));
  assert.equal(copied.mediaType, MediaType.OciIndex);
});

test('an OCI image into oci: keeps its digest; --preserve-digests keeps a Docker one and says skopeo cannot read it', async () => {
  const dir = join(work, 'keep-layout');
  const oci = await copyImage(docker('fmt/oci'), parseImageName(`oci:${dir}:oci`));
  assert.equal(oci.digest, ociSingle.top.digest);
  assert.equal(oci.convertedFrom, undefined);
  assert.equal((json<{ Digest: string }>(await skopeo(['inspect', `oci:${dir}:oci`]))).Digest, ociSingle.top.digest);

  const events: CopyEvent[] = [];
  const kept = await copyImage(docker('fmt/single'), parseImageName(`oci:${dir}:docker`), { preserveDigests: true, onEvent: (e) => events.push(e) });
  assert.equal(kept.digest, dockerSingle.top.digest);
  const notices = events.filter((e) => e.type === 'notice');
  assert.equal(notices.length, 1);
  assert.match(notices[0]!.type === 'notice' ? notices[0]!.message : '', /skopeo and podman cannot find it by its ref/);
  // ...which is true (skopeo issue 1975).
  await assert.rejects(skopeo(['inspect', `oci:${dir}:docker`]), /no descriptor found for reference/);
});

test('tug copy -f v2s2 writes Docker types from an OCI source; zstd into v2s2 and -f with --preserve-digests are refused', async () => {
  const to = `docker://${registry.host}/fmt/as-docker:v1`;
  const ok = await runTug(['copy', '-f', 'v2s2', `docker://${registry.host}/fmt/oci:v1`, to]);
  assert.equal(ok.code, 0, ok.stderr);
  assert.match(ok.stderr, /Converted \S+ to Docker schema 2: sha256:/);
  const raw = json<{ mediaType: string; config: { mediaType: string; digest: string }; layers: { mediaType: string }[] }>(await skopeo(['inspect', '--raw', '--tls-verify=false', to]));
  assert.equal(raw.mediaType, MediaType.DockerManifest);
  assert.equal(raw.config.mediaType, MediaType.DockerConfig);
  assert.equal(raw.config.digest, ociSingle.manifests[0]!.config.digest);
  assert.ok(raw.layers.every((l) => l.mediaType === MediaType.DockerLayerGzip));

  const refusals = [
    [['-f', 'oci', '--preserve-digests'], /--preserve-digests conflicts with --format oci/],
    [['-f', 'v2s2', '--dest-compress-format', 'zstd'], /Docker schema 2 has no zstd/],
    [['-f', 'v2s1'], /does not write it/],
  ] as const;
  const runs = await Promise.all(refusals.map(([args]) => runTug(['copy', ...args, `docker://${registry.host}/fmt/single:v1`, `oci:${join(work, 'refused')}:x`])));
  for (const [i, refused] of runs.entries()) {
    assert.notEqual(refused.code, 0);
    assert.match(refused.stderr, refusals[i]![1]);
    assert.ok(refused.stderr.trim().split('\n').length <= 2, refused.stderr);
  }
});

test('podman pulls tug\'s oci-archive: and loads its docker-archive: with the config digest as image ID', async () => {
  const archive = join(work, 'single.oci.tar');
  const res = await runTug(['copy', `docker://${registry.host}/fmt/single:v1`, `oci-archive:${archive}:fmt/single:v1`]);
  assert.equal(res.code, 0, res.stderr);
  assert.match(res.stderr + res.stdout, /Converted/);
  const store = tempDir(undefined, 'tug-podman-');
  await podman(store, ['pull', '-q', `oci-archive:${archive}:fmt/single:v1`]);
  const imageId = dockerSingle.manifests[0]!.config.digest.slice(7);
  const ids = (await podman(store, ['images', '--no-trunc', '--format', '{{.ID}}'])).trim().split('\n');
  assert.ok(ids.some((id) => id.replace(/^sha256:/, '') === imageId), `podman has ${ids.join(', ')}, want ${imageId}`);

  const dockerArchive = join(work, 'single.docker.tar');
  const saved = await runTug(['copy', `docker://${registry.host}/fmt/single:v1`, `docker-archive:${dockerArchive}:example.com/fmt/single:v1`]);
  assert.equal(saved.code, 0, saved.stderr);
  const store2 = tempDir(undefined, 'tug-podman-');
  const loaded = await podman(store2, ['load', '-q', '-i', dockerArchive]);
  assert.match(loaded, /example\.com\/fmt\/single:v1/);
  const listed = json<{ Id: string; Names?: string[] }[]>(await podman(store2, ['images', '--format', 'json']));
  assert.ok(listed.some((i) => i.Id === imageId && (i.Names ?? []).some((n) => n.includes('example.com/fmt/single:v1'))), JSON.stringify(listed));
});

test('sync converts (--dest oci, and -f oci into a registry); the next run counts the converted images as up to date', async () => {
  const list = join(work, 'sync-list.txt');
  writeFileSync(list, `${registry.host}/fmt/list:v1\n${registry.host}/fmt/single:v1\n`);
  const dir = join(work, 'sync-layout');
  const first = await runTug(['sync', '--all', '--dest', 'oci', '--report', join(work, 'r1.json'), list, dir]);
  assert.equal(first.code, 0, first.stderr);
  const entries = indexJson(dir).manifests;
  assert.equal(entries.length, 2);
  assert.ok(entries.every((e) => e.mediaType === MediaType.OciIndex || e.mediaType === MediaType.OciManifest));
  assert.equal(json<{ Digest: string }>(await skopeo(['inspect', `oci:${dir}:fmt/single:v1`])).Digest, entries.find((e) => e.annotations?.['org.opencontainers.image.ref.name'] === 'fmt/single:v1')!.digest);

  const second = await runTug(['sync', '--all', '--dest', 'oci', '--report', join(work, 'r2.json'), list, dir]);
  assert.equal(second.code, 0, second.stderr);
  const report = json<{ counts: Record<string, number> }>(readFileSync(join(work, 'r2.json'), 'utf8'));
  assert.deepEqual(report.counts, { copy: 0, skip: 2, retag: 0, fail: 0 });

  // Into a registry with -f oci: no annotation to read there, so discovery converts the source's manifests to know the digest.
  const prefix = `${registry.host}/converted`;
  const toRegistry = (report: string) => runTug(['sync', '--all', '-f', 'oci', '--report', join(work, report), list, prefix]);
  const r1 = await toRegistry('r3.json');
  assert.equal(r1.code, 0, r1.stderr);
  const raw = json<{ mediaType: string }>(await skopeo(['inspect', '--raw', '--tls-verify=false', `docker://${prefix}/list:v1`]));
  assert.equal(raw.mediaType, MediaType.OciIndex);
  const r2 = await toRegistry('r4.json');
  assert.equal(r2.code, 0, r2.stderr);
  assert.deepEqual(json<{ counts: Record<string, number> }>(readFileSync(join(work, 'r4.json'), 'utf8')).counts, { copy: 0, skip: 2, retag: 0, fail: 0 });

  // --preserve-digests keeps the Docker types, and says so once for the whole job.
  const kept = await runTug(['sync', '--all', '--dest', 'oci', '--preserve-digests', list, join(work, 'sync-kept')]);
  assert.equal(kept.code, 0, kept.stderr);
  assert.equal((kept.stderr + kept.stdout).match(/skopeo and podman cannot find it by its ref/g)?.length, 1, kept.stderr);
  assert.deepEqual(indexJson(join(work, 'sync-kept')).manifests.map((e) => e.digest).sort(), [dockerList.top.digest, dockerSingle.top.digest].sort());
});
