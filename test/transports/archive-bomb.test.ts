/**
 * Issue 10, item 15: archive bombs. A gzip-compressed oci-archive whose
 * layer member inflates to 64 MiB of zeros (a 64 KiB file) while its
 * manifest declares a few KiB is refused before it is unpacked, naming the
 * archive; a docker-archive layer that inflates past the free space of the
 * scratch disk is refused while it inflates.
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdirSync, readdirSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { type TestContext, test } from 'node:test';
import { gzipSync } from 'node:zlib';
import tarStream from 'tar-stream';
import { type GeneratedImage, makeImage, sha256 } from '../support/images.ts';
import { tempDir } from '../support/tmp.ts';
import { runTug } from '../support/tug.ts';

const BOMB_BYTES = 64 * 1024 * 1024;

/** A fresh directory, removed after the test; `at(name)` is a path in it. */
function workspace(t: TestContext): { at(name: string): string } {
  const dir = tempDir(t, 'tug-bomb-');
  return { at: (name) => join(dir, name) };
}

async function tarOf(files: { name: string; data: Buffer }[]): Promise<Buffer> {
  const pack = tarStream.pack();
  const chunks: Buffer[] = [];
  pack.on('data', (c: unknown) => chunks.push(c as Buffer));
  const done = new Promise<void>((resolve) => pack.on('end', () => resolve()));
  for (const f of files) await new Promise<void>((resolve, reject) => pack.entry({ name: f.name, size: f.data.length }, f.data, (err) => (err ? reject(err) : resolve())));
  pack.finalize();
  await done;
  return Buffer.concat(chunks);
}

/** The files of an OCI layout holding `image`, with the first layer's bytes replaced by `layer`. */
function layoutFiles(image: GeneratedImage, layer: Buffer): { name: string; data: Buffer }[] {
  const m = image.manifests[0]!;
  const bomb = m.layers[0]!.digest;
  const files: { name: string; data: Buffer }[] = [{ name: 'oci-layout', data: Buffer.from('{"imageLayoutVersion":"1.0.0"}') }];
  for (const b of image.blobs.values()) files.push({ name: `blobs/sha256/${b.digest.slice(7)}`, data: b.digest === bomb ? layer : b.bytes });
  files.push({ name: `blobs/sha256/${m.digest.slice(7)}`, data: m.bytes });
  const index = { schemaVersion: 2, mediaType: 'application/vnd.oci.image.index.v1+json', manifests: [{ mediaType: m.mediaType, digest: m.digest, size: m.bytes.length, annotations: { 'org.opencontainers.image.ref.name': 'v1' } }] };
  files.push({ name: 'index.json', data: Buffer.from(JSON.stringify(index)) });
  return files;
}

test('oci-archive: a gzip member far beyond what the manifests declare is refused before unpacking (exit 2)', async (t) => {
  const ws = workspace(t);
  const image = await makeImage({ seed: 'bomb' });
  const archive = ws.at('bomb.tar.gz');
  writeFileSync(archive, gzipSync(await tarOf(layoutFiles(image, Buffer.alloc(BOMB_BYTES)))));
  assert.ok(statSync(archive).size < 1024 * 1024, 'the archive itself is small');
  const scratch = ws.at('tmp');
  mkdirSync(scratch);
  const run = await runTug(['copy', '--tmpdir', scratch, `oci-archive:${archive}:v1`, `oci:${ws.at('out')}:v1`]);
  assert.equal(run.code, 2, run.stderr);
  assert.match(run.stderr, /refusing OCI archive .*bomb\.tar\.gz: it unpacks to more than [\d.]+ MiB, but its index and manifests declare [\d.]+ MiB/);
  assert.deepEqual(readdirSync(scratch), [], 'nothing is left in the scratch directory');

  // The same image, honest, still copies (the cap is by what is declared, plus a margin).
  const honest = ws.at('honest.tar.gz');
  writeFileSync(honest, gzipSync(await tarOf(layoutFiles(image, image.manifests[0]!.layers[0]!.bytes))));
  const ok = await runTug(['copy', '--tmpdir', scratch, `oci-archive:${honest}:v1`, `oci:${ws.at('out')}:v1`]);
  assert.equal(ok.code, 0, ok.stderr);
});

test('docker-archive: a layer inflating past the scratch disk\'s free space is refused (exit 1), naming the fix', async (t) => {
  if (process.getuid?.() !== 0) return t.skip('needs root to mount a small tmpfs as the scratch disk');
  const ws = workspace(t);
  const scratch = ws.at('small-disk');
  mkdirSync(scratch);
  // 64 MiB are kept free (DISK_RESERVE_BYTES): a 72 MiB disk leaves 8 MiB to unpack into.
  const mount = spawnSync('mount', ['-t', 'tmpfs', '-o', 'size=72m', 'tmpfs', scratch]);
  if (mount.status !== 0) return t.skip(`cannot mount a tmpfs here: ${mount.stderr.toString().trim()}`);
  try {
    await dockerBomb(ws, scratch);
  } finally {
    spawnSync('umount', [scratch]);
  }
});

async function dockerBomb(ws: { at(name: string): string }, scratch: string): Promise<void> {
  const zeros = Buffer.alloc(BOMB_BYTES);
  const diffId = sha256(zeros);
  const config = Buffer.from(JSON.stringify({ architecture: 'amd64', os: 'linux', rootfs: { type: 'layers', diff_ids: [diffId] } }));
  const configName = `${sha256(config).slice(7)}.json`;
  const manifest = [{ Config: configName, RepoTags: ['bomb:v1'], Layers: ['layer.tar.gz'] }];
  const archive = ws.at('bomb-docker.tar');
  writeFileSync(
    archive,
    await tarOf([
      { name: 'manifest.json', data: Buffer.from(JSON.stringify(manifest)) },
      { name: configName, data: config },
      { name: 'layer.tar.gz', data: gzipSync(zeros) },
    ]),
  );
  const run = await runTug(['copy', '--tmpdir', scratch, `docker-archive:${archive}`, `oci:${ws.at('out')}:v1`]);
  assert.equal(run.code, 1, run.stderr);
  assert.match(run.stderr, /docker archive .*bomb-docker\.tar unpacks to more than [\d.]+ MiB; .*small-disk has [\d.]+ MiB free/);
  assert.match(run.stderr, /--tmpdir/);
  assert.deepEqual(readdirSync(scratch), [], 'the extraction directory is removed');
}
