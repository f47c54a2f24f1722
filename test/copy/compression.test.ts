/**
 * Layer compression on the way to a destination, against real skopeo and a
 * real docker-registry: a docker-archive's uncompressed layers reach a
 * registry gzip'd (as skopeo pushes them) with the config's diff_ids intact,
 * a re-run moves nothing, zstd and --dest-decompress round-trip.
 */
import assert from 'node:assert/strict';
import { existsSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { gunzipSync } from 'node:zlib';
import tarStream from 'tar-stream';
import { copyImage } from '../../src/copy/copy.ts';
import { MediaType } from '../../src/oci/index.ts';
import { parseImageName } from '../../src/transports/index.ts';
import { randomBytesFrom, sha256 } from '../support/images.ts';
import { type TestRegistry, startRegistry } from '../support/registry.ts';
import { skopeo } from '../support/skopeo.ts';
import { tempDir } from '../support/tmp.ts';
import { runTug } from '../support/tug.ts';

let registry: TestRegistry;
let work: string;

before(async () => {
  work = tempDir(undefined, 'tug-compress-');
  registry = await startRegistry();
});

after(async () => {
  await registry?.stop();
});

const json = <T>(s: string) => JSON.parse(s) as T;

/** A tar of `files` (fixed times, so the same input gives the same bytes). */
async function tarOf(files: [string, Buffer][]): Promise<Buffer> {
  const pack = tarStream.pack();
  const chunks: Buffer[] = [];
  pack.on('data', (c: unknown) => {
    chunks.push(c as Buffer);
  });
  const done = new Promise<void>((r) => pack.on('end', () => r()));
  for (const [name, data] of files) pack.entry({ name, size: data.length, mtime: new Date(0) }, data);
  pack.finalize();
  await done;
  return Buffer.concat(chunks);
}

/** A docker-archive with uncompressed (and compressible) layers, as `docker save` writes it. */
async function writeDockerArchive(path: string): Promise<{ diffIds: string[]; config: Buffer }> {
  // Text-like content: compresses well, as real file systems do.
  const text = (seed: string) => Buffer.from(Array.from({ length: 20_000 }, (_, i) => `line ${i} of layer ${seed}: ${randomBytesFrom(`${seed}${i % 50}`, 8).toString('hex')}\n`).join(''));
  const layers = await Promise.all(['a', 'b'].map((seed) => tarOf([[`etc/${seed}.txt`, text(seed)]])));
  const diffIds = layers.map((l) => sha256(l));
  const config = Buffer.from(JSON.stringify({ architecture: 'amd64', os: 'linux', config: {}, rootfs: { type: 'layers', diff_ids: diffIds }, history: diffIds.map(() => ({ created_by: 'test' })) }));
  const configName = `${sha256(config).slice(7)}.json`;
  const layerNames = diffIds.map((id) => `${id.slice(7)}/layer.tar`);
  const manifest = [{ Config: configName, RepoTags: ['example.com/fmt/plain:v1'], Layers: layerNames }];
  writeFileSync(path, await tarOf([[configName, config], ...layers.map((l, i) => [layerNames[i]!, l] as [string, Buffer]), ['manifest.json', Buffer.from(JSON.stringify(manifest))]]));
  return { diffIds, config };
}

test('docker-archive: -> registry compresses layers with gzip, as skopeo does; a re-run uploads nothing', async (t) => {
  const archive = join(work, 'plain.tar');
  const { diffIds, config } = await writeDockerArchive(archive);
  const to = parseImageName(`docker://${registry.host}/fmt/compressed:v1`);
  const first = await copyImage(parseImageName(`docker-archive:${archive}`), to);
  assert.ok(first.convertedFrom, 'the manifest names the compressed layers');
  const raw = json<{ mediaType: string; config: { digest: string }; layers: { mediaType: string; digest: string; size: number }[] }>(await skopeo(['inspect', '--raw', '--tls-verify=false', `docker://${registry.host}/fmt/compressed:v1`]));
  assert.equal(raw.config.digest, sha256(config), 'the config, and its diff_ids, are unchanged');
  assert.ok(raw.layers.every((l) => l.mediaType === MediaType.DockerLayerGzip));

  // skopeo pulls it; each layer is gzip whose content is the diff_id's tar.
  const pulled = join(work, 'compressed-dir');
  await skopeo(['copy', '--src-tls-verify=false', `docker://${registry.host}/fmt/compressed:v1`, `dir:${pulled}`]);
  for (const [i, l] of raw.layers.entries()) assert.equal(sha256(gunzipSync(readFileSync(join(pulled, l.digest.slice(7))))), diffIds[i]);

  // The same order of size as skopeo's own push of the archive.
  await skopeo(['copy', '--dest-tls-verify=false', `docker-archive:${archive}`, `docker://${registry.host}/fmt/by-skopeo:v1`]);
  const theirs = json<{ layers: { size: number }[] }>(await skopeo(['inspect', '--raw', '--tls-verify=false', `docker://${registry.host}/fmt/by-skopeo:v1`]));
  const ours = raw.layers.reduce((n, l) => n + l.size, 0);
  const skopeos = theirs.layers.reduce((n, l) => n + l.size, 0);
  t.diagnostic(`layers pushed: tug ${ours} B, skopeo ${skopeos} B, uncompressed ${readFileSync(archive).length} B (archive)`);
  assert.ok(ours < 1.5 * skopeos && ours > skopeos / 1.5, `tug ${ours} B, skopeo ${skopeos} B`);

  // Same input, same level: the same bytes (another process: no cache), so nothing moves again.
  const again = await runTug(['copy', '--json', `docker-archive:${archive}`, `docker://${registry.host}/fmt/compressed:v1`]);
  assert.equal(again.code, 0, again.stderr);
  const result = json<{ digest: string; blobs: { copied: number; skipped: number } }>(again.stdout.trim().split('\n').at(-1)!);
  assert.equal(result.digest, first.digest);
  assert.deepEqual([result.blobs.copied, result.blobs.skipped], [0, 3]);
});

test('--dest-compress-format zstd into oci: (skopeo reads it) and --dest-decompress into dir:', async () => {
  const archive = join(work, 'plain2.tar');
  const { diffIds } = await writeDockerArchive(archive);
  const dir = join(work, 'zstd-layout');
  const z = await runTug(['copy', '--dest-compress-format', 'zstd', '--dest-compress-level', '3', `docker-archive:${archive}`, `oci:${dir}:z`]);
  assert.equal(z.code, 0, z.stderr);
  const m = json<{ mediaType: string; layers: { mediaType: string; digest: string }[] }>(await skopeo(['inspect', '--raw', `oci:${dir}:z`]));
  assert.equal(m.mediaType, MediaType.OciManifest);
  assert.deepEqual(m.layers.map((l) => l.mediaType), [MediaType.OciLayerZstd, MediaType.OciLayerZstd]);
  await skopeo(['copy', `oci:${dir}:z`, `dir:${join(work, 'zstd-dir')}`]);

  // Docker schema 2 cannot carry them: refused in one line before anything is written.
  const refused = await runTug(['copy', '-f', 'v2s2', `oci:${dir}:z`, `docker://${registry.host}/fmt/zstd-as-docker:v1`]);
  assert.equal(refused.code, 1, refused.stderr); // UNSUPPORTED
  assert.match(refused.stderr, /Docker schema 2 cannot carry zstd layers \(write OCI/);
  assert.equal(existsSync(join(registry.root, 'docker/registry/v2/repositories/fmt/zstd-as-docker')), false, 'no blob was uploaded');

  // Back to uncompressed tars: their digests are the diff_ids again.
  const plain = join(work, 'plain-dir');
  const d = await runTug(['copy', '--dest-decompress', `oci:${dir}:z`, `dir:${plain}`]);
  assert.equal(d.code, 0, d.stderr);
  const back = json<{ layers: { mediaType: string; digest: string }[] }>(readFileSync(join(plain, 'manifest.json'), 'utf8'));
  assert.deepEqual(back.layers.map((l) => [l.mediaType, l.digest]), diffIds.map((id) => [MediaType.OciLayer, id]));
});

test('a layer whose bytes do not match its digest is refused before compressing: nothing tagged, no temp file left', async () => {
  const archive = join(work, 'plain3.tar');
  await writeDockerArchive(archive);
  const dir = join(work, 'corrupt-dir');
  const saved = await runTug(['copy', `docker-archive:${archive}`, `dir:${dir}`]);
  assert.equal(saved.code, 0, saved.stderr);
  const manifest = json<{ layers: { mediaType: string; digest: string }[] }>(readFileSync(join(dir, 'manifest.json'), 'utf8'));
  assert.deepEqual(manifest.layers.map((l) => l.mediaType), [MediaType.DockerLayer, MediaType.DockerLayer], 'dir: keeps them uncompressed: the registry copy compresses them');
  const victim = join(dir, manifest.layers[1]!.digest.slice(7));
  const bytes = readFileSync(victim);
  bytes.writeUInt8(bytes.readUInt8(bytes.length - 2000) ^ 0xff, bytes.length - 2000); // same size, one byte flipped
  writeFileSync(victim, bytes);

  const tmp = tempDir(undefined, 'tug-compress-tmp-');
  const res = await runTug(['copy', '--tmpdir', tmp, `dir:${dir}`, `docker://${registry.host}/fmt/corrupt:v1`]);
  assert.equal(res.code, 3, res.stderr); // INTEGRITY
  assert.match(res.stderr, /does not match the expected/);
  await assert.rejects(skopeo(['inspect', '--raw', '--tls-verify=false', `docker://${registry.host}/fmt/corrupt:v1`]), /manifest unknown|not found/i);
  assert.deepEqual(readdirSync(tmp), [], 'the temp file is gone');
});
