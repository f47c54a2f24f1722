/**
 * oci-archive: against real skopeo 1.9.3, both directions; several refs in
 * one archive; hostile archives (path escapes, links, devices, too many
 * entries) refused without writing outside the scratch directory.
 */
import assert from 'node:assert/strict';
import { existsSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { describe, test } from 'node:test';
import { gzipSync } from 'node:zlib';
import tarStream, { type Header } from 'tar-stream';
import { verifyingStream } from '../../src/oci/verify.ts';
import type { Digest } from '../../src/reference/digest.ts';
import { extractAll } from '../../src/transports/archive/safe-tar-reader.ts';
import { ociArchiveTransport } from '../../src/transports/oci-archive/oci-archive-transport.ts';
import { makeImage, multiArch, randomBytesFrom, sha256, writeOciLayout } from '../support/images.ts';
import { rawManifest, skopeo } from '../support/skopeo.ts';
import { assertSourceHolds, layoutTopDigest, listFiles, rejectsWithCode, writeImage } from './helpers.ts';
import { tempDir } from '../support/tmp.ts';

type TarEntry = { name: string; data?: Buffer } & Partial<Omit<Header, 'name' | 'size'>>;

/** Builds a tar in memory, hostile entries included. */
async function makeTar(entries: TarEntry[]): Promise<Buffer> {
  const pack = tarStream.pack();
  const chunks: Buffer[] = [];
  pack.on('data', (c) => chunks.push(c as Buffer));
  const done = new Promise<void>((r) => pack.on('end', () => r()));
  for (const { data, ...header } of entries) {
    await new Promise<void>((res, rej) => pack.entry({ mode: 0o644, ...header, ...(data ? { size: data.length } : {}) }, data ?? Buffer.alloc(0), (e) => (e ? rej(e) : res())));
  }
  pack.finalize();
  await done;
  return Buffer.concat(chunks);
}

/** The tar of a valid one-image layout, as entries, so hostile ones can be added. */
async function layoutEntries(seed: string): Promise<TarEntry[]> {
  const image = await makeImage({ seed });
  const entries: TarEntry[] = [
    { name: 'oci-layout', data: Buffer.from(JSON.stringify({ imageLayoutVersion: '1.0.0' })) },
    {
      name: 'index.json',
      data: Buffer.from(JSON.stringify({ schemaVersion: 2, manifests: [{ mediaType: image.top.mediaType, digest: image.top.digest, size: image.top.bytes.length, annotations: { 'org.opencontainers.image.ref.name': 'tag' } }] })),
    },
    { name: 'blobs/', type: 'directory', mode: 0o755 },
    { name: 'blobs/sha256/', type: 'directory', mode: 0o755 },
  ];
  for (const b of image.blobs.values()) entries.push({ name: `blobs/sha256/${b.digest.slice(7)}`, data: b.bytes });
  entries.push({ name: `blobs/sha256/${image.top.digest.slice(7)}`, data: image.top.bytes });
  return entries;
}

describe('oci-archive: written by tug, read by skopeo', () => {
  for (const multi of [false, true]) {
    test(multi ? 'multi-arch OCI' : 'single OCI', async (t) => {
      const work = tempDir(t, 'tug-oci-archive-');
      const scratch = join(work, 'scratch');
      mkdirSync(scratch);
      const image = multi ? await multiArch('arch-w-multi') : await makeImage({ seed: 'arch-w-single' });
      const archive = join(work, 'image.tar');
      await writeImage(await ociArchiveTransport.parse(`${archive}:v1`).newDestination({ tmpDir: scratch }), image);
      assert.deepEqual(readdirSync(scratch), [], 'the temp layout is removed in close()');
      assert.deepEqual(readdirSync(work).sort(), ['image.tar', 'scratch'], 'no temp file is left next to the archive');

      assert.equal(await rawManifest(`oci-archive:${archive}:v1`), image.top.bytes.toString('utf8'));
      await skopeo(['copy', '--all', `oci-archive:${archive}:v1`, `oci:${join(work, 'copy')}:copied`]);
      assert.equal(layoutTopDigest(join(work, 'copy'), 'copied'), image.top.digest);
    });
  }
});

describe('oci-archive: written by skopeo, read by tug', () => {
  for (const multi of [false, true]) {
    test(multi ? 'multi-arch OCI' : 'single OCI', async (t) => {
      const work = tempDir(t, 'tug-oci-archive-');
      const scratch = join(work, 'scratch');
      mkdirSync(scratch);
      const image = multi ? await multiArch('arch-r-multi') : await makeImage({ seed: 'arch-r-single' });
      writeOciLayout(join(work, 'gen'), image, 'tag');
      const archive = join(work, 'image.tar');
      await skopeo(['copy', '--all', `oci:${join(work, 'gen')}:tag`, `oci-archive:${archive}:ref`]);
      await assertSourceHolds(await ociArchiveTransport.parse(`${archive}:ref`).newSource({ tmpDir: scratch }), image);
      await assertSourceHolds(await ociArchiveTransport.parse(archive).newSource({ tmpDir: scratch }), image);
      assert.deepEqual(readdirSync(scratch), [], 'the extraction is removed in close()');
    });
  }

  test('a gzip-compressed archive is read too', async (t) => {
    const work = tempDir(t, 'tug-oci-archive-');
    const image = await makeImage({ seed: 'arch-gzip' });
    writeOciLayout(join(work, 'gen'), image, 'tag');
    const archive = join(work, 'image.tar');
    await skopeo(['copy', `oci:${join(work, 'gen')}:tag`, `oci-archive:${archive}:ref`]);
    writeFileSync(`${archive}.gz`, gzipSync(readFileSync(archive)));
    await assertSourceHolds(await ociArchiveTransport.parse(`${archive}.gz:ref`).newSource({}), image);
  });
});

describe('oci-archive: several images in one archive', () => {
  test('two refs: listTags lists both, deleteImage removes one; skopeo reads what is left', async (t) => {
    const work = tempDir(t, 'tug-oci-archive-');
    const archive = join(work, 'images.tar');
    const a = await multiArch('arch-two-a');
    const b = await makeImage({ seed: 'arch-two-b' });
    // skopeo writes the first image, tug adds the second to the same archive.
    writeOciLayout(join(work, 'gen'), a, 'tag');
    await skopeo(['copy', '--all', `oci:${join(work, 'gen')}:tag`, `oci-archive:${archive}:a`]);
    await writeImage(await ociArchiveTransport.parse(`${archive}:b`).newDestination({}), b);

    const ref = ociArchiveTransport.parse(`${archive}:a`);
    assert.deepEqual(await ref.listTags({}), ['a', 'b']);
    assert.equal(await rawManifest(`oci-archive:${archive}:a`), a.top.bytes.toString('utf8'));
    assert.equal(await rawManifest(`oci-archive:${archive}:b`), b.top.bytes.toString('utf8'));
    const ambiguous = await rejectsWithCode(ociArchiveTransport.parse(archive).newSource({}), 'USAGE', /2 images/);
    assert.match((ambiguous as { hint?: string }).hint ?? '', /available: a, b/);

    await ref.deleteImage({});
    assert.deepEqual(await ref.listTags({}), ['b']);
    await assert.rejects(rawManifest(`oci-archive:${archive}:a`));
    assert.equal(await rawManifest(`oci-archive:${archive}:b`), b.top.bytes.toString('utf8'));
    await assertSourceHolds(await ociArchiveTransport.parse(archive).newSource({}), b);
  });
});

describe('oci-archive: refuses hostile and broken input', () => {
  const hostile: { name: string; entry: TarEntry; problem: RegExp }[] = [
    { name: '../evil', entry: { name: '../evil', data: Buffer.from('pwned') }, problem: /"\.\."/ },
    { name: 'blobs/../../evil', entry: { name: 'blobs/../../evil', data: Buffer.from('pwned') }, problem: /"\.\."/ },
    { name: 'an absolute name', entry: { name: '/tmp/tug-evil-absolute', data: Buffer.from('pwned') }, problem: /absolute/ },
    { name: 'a symlink', entry: { name: 'evil-link', type: 'symlink', linkname: '/etc' }, problem: /symlink/ },
    { name: 'a hard link', entry: { name: 'evil-hard', type: 'link', linkname: '/etc/passwd' }, problem: /link/ },
    { name: 'a character device', entry: { name: 'evil-dev', type: 'character-device', devmajor: 1, devminor: 3 }, problem: /character-device/ },
    { name: 'a fifo', entry: { name: 'evil-fifo', type: 'fifo' }, problem: /fifo/ },
  ];
  for (const h of hostile) {
    test(`an archive with ${h.name} is refused and nothing lands outside the scratch directory`, async (t) => {
      const work = tempDir(t, 'tug-oci-archive-');
      const scratch = join(work, 'scratch');
      mkdirSync(scratch);
      const archive = join(work, 'sub', 'evil.tar');
      mkdirSync(join(work, 'sub'));
      writeFileSync(archive, await makeTar([...(await layoutEntries('arch-evil')), h.entry]));
      const before = listFiles(work);
      await rejectsWithCode(ociArchiveTransport.parse(`${archive}:tag`).newSource({ tmpDir: scratch }), 'UNSAFE_INPUT', h.problem);
      await rejectsWithCode(ociArchiveTransport.parse(`${archive}:new`).newDestination({ tmpDir: scratch }), 'UNSAFE_INPUT', h.problem);
      assert.deepEqual(listFiles(work), before, 'nothing written, the archive untouched');
      assert.deepEqual(readdirSync(scratch), [], 'the scratch extraction was removed');
      assert.equal(existsSync(join(work, 'evil')), false);
      assert.equal(existsSync('/tmp/tug-evil-absolute'), false);
    });
  }

  test('an index.json naming sha256:../../etc/passwd inside the archive is refused', async (t) => {
    const work = tempDir(t, 'tug-oci-archive-');
    const entries = await layoutEntries('arch-evil-index');
    entries[1] = { name: 'index.json', data: Buffer.from(JSON.stringify({ schemaVersion: 2, manifests: [{ mediaType: 'application/vnd.oci.image.manifest.v1+json', digest: 'sha256:../../etc/passwd', size: 10 }] })) };
    const archive = join(work, 'evil.tar');
    writeFileSync(archive, await makeTar(entries));
    await rejectsWithCode(ociArchiveTransport.parse(archive).newSource({}), 'UNSAFE_INPUT', /passwd/);
    await rejectsWithCode(ociArchiveTransport.parse(archive).listTags({}), 'UNSAFE_INPUT', /passwd/);
  });

  test('more entries than the cap are refused', async (t) => {
    const work = tempDir(t, 'tug-oci-archive-');
    const archive = join(work, 'many.tar');
    writeFileSync(archive, await makeTar(Array.from({ length: 6 }, (_, i) => ({ name: `f${i}`, data: Buffer.from('x') }))));
    mkdirSync(join(work, 'out'));
    await rejectsWithCode(extractAll(archive, join(work, 'out'), { maxEntries: 5 }), 'UNSAFE_INPUT', /more than 5 entries/);
    await extractAll(archive, join(work, 'out'), { maxEntries: 6 });
    assert.equal(readdirSync(join(work, 'out')).length, 6);
  });

  test('a putBlob whose stream fails verification leaves nothing; without commit no archive appears', async (t) => {
    const work = tempDir(t, 'tug-oci-archive-');
    const scratch = join(work, 'scratch');
    mkdirSync(scratch);
    const archive = join(work, 'image.tar');
    const dest = await ociArchiveTransport.parse(`${archive}:x`).newDestination({ tmpDir: scratch });
    const bytes = randomBytesFrom('arch-bad', 150_000);
    const desc = { mediaType: 'application/octet-stream', digest: sha256(Buffer.from('other')) as Digest, size: bytes.length };
    await rejectsWithCode(dest.putBlob(desc, Readable.from([bytes.subarray(0, 70_000), bytes.subarray(70_000)]).pipe(verifyingStream(desc, 'blob'))), 'INTEGRITY');
    assert.equal(await dest.hasBlob(desc), false);
    await dest.close();
    assert.equal(existsSync(archive), false);
    assert.deepEqual(readdirSync(scratch), []);
  });

  test('missing archive is NOT_FOUND; a file that is not an OCI archive is USAGE and is left alone', async (t) => {
    const work = tempDir(t, 'tug-oci-archive-');
    await rejectsWithCode(ociArchiveTransport.parse(join(work, 'nope.tar')).newSource({}), 'NOT_FOUND', /nope\.tar/);
    const notes = join(work, 'notes.tar');
    writeFileSync(notes, await makeTar([{ name: 'notes.txt', data: Buffer.from('mine') }]));
    const before = readFileSync(notes);
    await rejectsWithCode(ociArchiveTransport.parse(`${notes}:x`).newDestination({}), 'USAGE', /not an OCI archive/);
    await rejectsWithCode(ociArchiveTransport.parse(notes).newSource({}), 'USAGE', /oci-layout/);
    assert.deepEqual(readFileSync(notes), before);
    await rejectsWithCode(ociArchiveTransport.parse(work).newSource({}), 'USAGE');
  });
});
