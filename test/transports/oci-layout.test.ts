/**
 * oci: against real skopeo 1.9.3, both directions, single and multi-arch;
 * several refs in one layout (listTags, deleteImage, replacement); Docker
 * media types; refusals and hostile input.
 */
import assert from 'node:assert/strict';
import { existsSync, mkdirSync, readdirSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { describe, test } from 'node:test';
import { verifyingStream } from '../../src/oci/verify.ts';
import type { Digest } from '../../src/reference/digest.ts';
import { ociLayoutTransport } from '../../src/transports/oci-layout/oci-layout-transport.ts';
import { isDeleter, isTagLister } from '../../src/transports/types.ts';
import { makeImage, multiArch, pushImage, randomBytesFrom, sha256, writeOciLayout } from '../support/images.ts';
import { startRegistry } from '../support/registry.ts';
import { rawManifest, skopeo } from '../support/skopeo.ts';
import { assertSourceHolds, layoutTopDigest, listFiles, rejectsWithCode, writeImage } from './helpers.ts';
import { tempDir } from '../support/tmp.ts';

interface IndexJson {
  manifests: { mediaType: string; digest: string; size: number; annotations?: Record<string, string> }[];
}
const readIndex = (layout: string) => JSON.parse(readFileSync(join(layout, 'index.json'), 'utf8')) as IndexJson;

describe('oci: written by tug, read by skopeo', () => {
  for (const multi of [false, true]) {
    test(multi ? 'multi-arch OCI' : 'single OCI', async (t) => {
      const work = tempDir(t, 'tug-oci-layout-');
      const image = multi ? await multiArch('oci-w-multi') : await makeImage({ seed: 'oci-w-single' });
      const layout = join(work, 'layout');
      await writeImage(await ociLayoutTransport.parse(`${layout}:v1`).newDestination({}), image);

      assert.deepEqual(JSON.parse(readFileSync(join(layout, 'oci-layout'), 'utf8')), { imageLayoutVersion: '1.0.0' });
      const index = readIndex(layout);
      assert.equal(index.manifests.length, 1);
      assert.deepEqual(index.manifests[0], {
        mediaType: image.top.mediaType,
        digest: image.top.digest,
        size: image.top.bytes.length,
        annotations: { 'org.opencontainers.image.ref.name': 'v1' },
      });
      // The index itself is a blob, next to its instances.
      assert.deepEqual(readFileSync(join(layout, 'blobs', 'sha256', image.top.digest.slice(7))), image.top.bytes);

      assert.equal(await rawManifest(`oci:${layout}:v1`), image.top.bytes.toString('utf8'));
      await skopeo(['copy', '--all', `oci:${layout}:v1`, `oci:${join(work, 'copy')}:copied`]);
      assert.equal(layoutTopDigest(join(work, 'copy'), 'copied'), image.top.digest);
    });
  }

  test('Docker media types are stored verbatim; skopeo 1.9.3 ignores such entries', async (t) => {
    const work = tempDir(t, 'tug-oci-layout-');
    const image = await multiArch('oci-w-docker', 'docker');
    const layout = join(work, 'layout');
    await writeImage(await ociLayoutTransport.parse(`${layout}:v1`).newDestination({}), image);
    assert.equal(readIndex(layout).manifests[0]?.mediaType, 'application/vnd.docker.distribution.manifest.list.v2+json');
    await assertSourceHolds(await ociLayoutTransport.parse(`${layout}:v1`).newSource({}), image);
    // containers/image 1.9.3 only considers OCI-typed index.json entries.
    await assert.rejects(rawManifest(`oci:${layout}:v1`), /no descriptor found for reference/);
  });
});

describe('oci: written by skopeo, read by tug', () => {
  for (const multi of [false, true]) {
    test(multi ? 'multi-arch OCI' : 'single OCI', async (t) => {
      const work = tempDir(t, 'tug-oci-layout-');
      const image = multi ? await multiArch('oci-r-multi') : await makeImage({ seed: 'oci-r-single' });
      writeOciLayout(join(work, 'gen'), image, 'tag');
      const layout = join(work, 'layout');
      await skopeo(['copy', '--all', `oci:${join(work, 'gen')}:tag`, `oci:${layout}:ref`]);
      await assertSourceHolds(await ociLayoutTransport.parse(`${layout}:ref`).newSource({}), image);
      // With a single image in the layout, no ref is needed.
      await assertSourceHolds(await ociLayoutTransport.parse(layout).newSource({}), image);
    });
  }

  test('Docker media types: skopeo converts them to OCI when writing oci:, tug reads the result', async (t) => {
    const work = tempDir(t, 'tug-oci-layout-');
    const registry = await startRegistry();
    t.after(() => registry.stop());
    const image = await multiArch('oci-r-docker', 'docker');
    await pushImage({ url: registry.url, repository: 'oci/docker', tag: 'v1' }, image);
    const layout = join(work, 'layout');
    await skopeo(['copy', '--all', '--src-tls-verify=false', `docker://${registry.host}/oci/docker:v1`, `oci:${layout}:ref`]);
    const src = await ociLayoutTransport.parse(`${layout}:ref`).newSource({});
    try {
      const top = await src.getManifest();
      assert.equal(top.mediaType, 'application/vnd.oci.image.index.v1+json');
      assert.notEqual(sha256(Buffer.from(top.bytes)), image.top.digest);
      assert.equal(Buffer.from(top.bytes).toString('utf8'), await rawManifest(`oci:${layout}:ref`));
      const index = JSON.parse(Buffer.from(top.bytes).toString('utf8')) as IndexJson;
      for (const m of index.manifests) {
        const inst = await src.getManifest(m.digest as Digest);
        assert.equal(sha256(Buffer.from(inst.bytes)), m.digest);
        assert.equal(inst.mediaType, 'application/vnd.oci.image.manifest.v1+json');
        const doc = JSON.parse(Buffer.from(inst.bytes).toString('utf8')) as { config: { digest: Digest; size: number; mediaType: string }; layers: { digest: Digest; size: number; mediaType: string }[] };
        for (const d of [doc.config, ...doc.layers]) {
          const chunks: Buffer[] = [];
          for await (const c of await src.getBlob(d)) chunks.push(c as Buffer);
          assert.equal(sha256(Buffer.concat(chunks)), d.digest);
        }
      }
    } finally {
      await src.close();
    }
  });
});

describe('oci: several images in one layout', () => {
  test('two destinations opened before the layout exists: the second one\'s first write does not reset index.json under the first one\'s entry', async (t) => {
    // What a sync into a new layout does: every image's destination is opened
    // and probed (layout absent) before any is written; one image then
    // creates the layout and commits while another is still to write.
    const layout = join(tempDir(t, 'tug-oci-layout-'), 'new-layout');
    const a = await makeImage({ seed: 'oci-init-race-a' });
    const b = await makeImage({ seed: 'oci-init-race-b' });
    const destA = await ociLayoutTransport.parse(`${layout}:a`).newDestination({});
    const destB = await ociLayoutTransport.parse(`${layout}:b`).newDestination({});
    for (const blob of b.blobs.values()) assert.equal(await destB.hasBlob({ mediaType: blob.mediaType, digest: blob.digest as Digest, size: blob.size }), false);
    await writeImage(destA, a);
    try {
      for (const blob of b.blobs.values()) {
        const desc = { mediaType: blob.mediaType, digest: blob.digest as Digest, size: blob.size };
        await destB.putBlob(desc, Readable.from([blob.bytes]).pipe(verifyingStream(desc, `blob ${blob.digest}`)));
      }
      await destB.putManifest({ bytes: b.top.bytes, mediaType: b.top.mediaType, digest: b.top.digest as Digest }, { instance: false });
      await destB.commit();
    } finally {
      await destB.close();
    }
    assert.equal(layoutTopDigest(layout, 'a'), a.top.digest, 'the first image is still named');
    assert.equal(layoutTopDigest(layout, 'b'), b.top.digest);
  });

  test('two refs: listTags lists both, a rewrite replaces its entry, deleteImage removes one and keeps the blobs', async (t) => {
    const work = tempDir(t, 'tug-oci-layout-');
    const layout = join(work, 'layout');
    const a = await multiArch('oci-two-a');
    const b = await makeImage({ seed: 'oci-two-b', baseLayers: [{ seed: 'base-os', size: 8192 }] });
    await writeImage(await ociLayoutTransport.parse(`${layout}:a`).newDestination({}), a);
    // skopeo adds a third image to our layout; we then add ours next to it.
    const gen = join(work, 'gen');
    const c = await makeImage({ seed: 'oci-two-c' });
    writeOciLayout(gen, c, 'tag');
    await skopeo(['copy', `oci:${gen}:tag`, `oci:${layout}:c`]);
    await writeImage(await ociLayoutTransport.parse(`${layout}:b`).newDestination({}), b);

    const ref = ociLayoutTransport.parse(`${layout}:b`);
    assert.ok(isTagLister(ref) && isDeleter(ref));
    assert.deepEqual(await ref.listTags({}), ['a', 'c', 'b']);
    for (const [name, img] of [['a', a], ['b', b], ['c', c]] as const) {
      assert.equal(await rawManifest(`oci:${layout}:${name}`), img.top.bytes.toString('utf8'));
      await assertSourceHolds(await ociLayoutTransport.parse(`${layout}:${name}`).newSource({}), img);
    }
    await rejectsWithCode(ociLayoutTransport.parse(layout).newSource({}), 'USAGE', /3 images/);
    await rejectsWithCode(ociLayoutTransport.parse(`${layout}:zzz`).newSource({}), 'NOT_FOUND', /"zzz"/);

    // Writing "a" again replaces its entry in place.
    const a2 = await makeImage({ seed: 'oci-two-a2' });
    await writeImage(await ociLayoutTransport.parse(`${layout}:a`).newDestination({}), a2);
    assert.deepEqual(readIndex(layout).manifests.map((m) => [m.annotations?.['org.opencontainers.image.ref.name'], m.digest]), [
      ['a', a2.top.digest],
      ['c', c.top.digest],
      ['b', b.top.digest],
    ]);

    await ref.deleteImage({});
    assert.deepEqual(await ref.listTags({}), ['a', 'c']);
    await assert.rejects(rawManifest(`oci:${layout}:b`));
    assert.equal(await rawManifest(`oci:${layout}:c`), c.top.bytes.toString('utf8'));
    assert.ok(existsSync(join(layout, 'blobs', 'sha256', b.top.digest.slice(7))), 'blobs stay after deleteImage');
    await rejectsWithCode(ref.deleteImage({}), 'NOT_FOUND');
  });

  test('parallel copies of several tags into one layout keep every entry', async (t) => {
    const work = tempDir(t, 'tug-oci-layout-');
    const layout = join(work, 'layout');
    const images = await Promise.all(['p1', 'p2', 'p3', 'p4'].map((seed) => makeImage({ seed: `oci-par-${seed}`, baseLayers: [{ seed: 'oci-par-base', size: 4096 }] })));
    await Promise.all(images.map(async (img, i) => writeImage(await ociLayoutTransport.parse(`${layout}:t${i}`).newDestination({}), img)));
    const ref = ociLayoutTransport.parse(layout);
    assert.deepEqual((await ref.listTags({})).sort(), ['t0', 't1', 't2', 't3']);
    for (const [i, img] of images.entries()) assert.equal(await rawManifest(`oci:${layout}:t${i}`), img.top.bytes.toString('utf8'));
  });

  test('a destination closed without commit leaves index.json unchanged', async (t) => {
    const work = tempDir(t, 'tug-oci-layout-');
    const layout = join(work, 'layout');
    const a = await makeImage({ seed: 'oci-nocommit-a' });
    await writeImage(await ociLayoutTransport.parse(`${layout}:a`).newDestination({}), a);
    const before = readFileSync(join(layout, 'index.json'));
    const b = await makeImage({ seed: 'oci-nocommit-b' });
    const dest = await ociLayoutTransport.parse(`${layout}:a`).newDestination({});
    for (const blob of b.blobs.values()) await dest.putBlob({ mediaType: blob.mediaType, digest: blob.digest as Digest, size: blob.size }, Readable.from([blob.bytes]));
    await dest.putManifest({ bytes: b.top.bytes, mediaType: b.top.mediaType, digest: b.top.digest as Digest }, { instance: false });
    await dest.close();
    assert.deepEqual(readFileSync(join(layout, 'index.json')), before);
    assert.equal(await rawManifest(`oci:${layout}:a`), a.top.bytes.toString('utf8'));
  });
});

describe('oci: refuses hostile and broken input', () => {
  const badDigests = ['sha256:../../etc/passwd', `sha256:${'AB'.repeat(32)}`, 'sha256:1234'];
  for (const bad of badDigests) {
    test(`index.json naming ${bad} is refused before anything is written`, async (t) => {
      const work = tempDir(t, 'tug-oci-layout-');
      const layout = join(work, 'layout');
      writeOciLayout(layout, await makeImage({ seed: 'oci-hostile' }), 'tag');
      const index = readIndex(layout);
      index.manifests.push({ mediaType: 'application/vnd.oci.image.manifest.v1+json', digest: bad, size: 10, annotations: { 'org.opencontainers.image.ref.name': 'evil' } });
      writeFileSync(join(layout, 'index.json'), JSON.stringify(index));
      const before = listFiles(work);
      await rejectsWithCode(ociLayoutTransport.parse(`${layout}:evil`).newSource({}), 'UNSAFE_INPUT');
      await rejectsWithCode(ociLayoutTransport.parse(`${layout}:tag`).newSource({}), 'UNSAFE_INPUT');
      await rejectsWithCode(ociLayoutTransport.parse(`${layout}:new`).newDestination({}), 'UNSAFE_INPUT');
      await rejectsWithCode(ociLayoutTransport.parse(`${layout}:tag`).deleteImage({}), 'UNSAFE_INPUT');
      assert.deepEqual(listFiles(work), before);
    });
  }

  test('a blob that is a symlink out of the layout is refused; so is a blobs/ directory that leads out', async (t) => {
    const work = tempDir(t, 'tug-oci-layout-');
    const layout = join(work, 'layout');
    const image = await makeImage({ seed: 'oci-symlink' });
    writeOciLayout(layout, image, 'tag');
    const config = image.manifests[0]!.config;
    const configPath = join(layout, 'blobs', 'sha256', config.digest.slice(7));
    rmSync(configPath);
    symlinkSync('/etc/hostname', configPath);
    const src = await ociLayoutTransport.parse(`${layout}:tag`).newSource({});
    await rejectsWithCode(src.getBlob(config as unknown as { mediaType: string; digest: Digest; size: number }), 'UNSAFE_INPUT', /symlink/);
    await src.close();

    const outside = join(work, 'outside');
    mkdirSync(outside);
    const other = join(work, 'other');
    mkdirSync(join(other), { recursive: true });
    writeFileSync(join(other, 'oci-layout'), JSON.stringify({ imageLayoutVersion: '1.0.0' }));
    symlinkSync(outside, join(other, 'blobs'));
    const dest = await ociLayoutTransport.parse(`${other}:x`).newDestination({});
    const blob = [...image.blobs.values()][0]!;
    await rejectsWithCode(dest.putBlob({ mediaType: blob.mediaType, digest: blob.digest as Digest, size: blob.size }, Readable.from([blob.bytes])), 'UNSAFE_INPUT', /symlink/);
    await dest.close();
    assert.deepEqual(readdirSync(outside), []);
  });

  test('an index.json over 4 MiB is refused', async (t) => {
    const work = tempDir(t, 'tug-oci-layout-');
    writeFileSync(join(work, 'oci-layout'), JSON.stringify({ imageLayoutVersion: '1.0.0' }));
    writeFileSync(join(work, 'index.json'), Buffer.alloc(4 * 1024 * 1024 + 1, 0x20));
    await rejectsWithCode(ociLayoutTransport.parse(work).newSource({}), 'UNSAFE_INPUT', /limit/);
  });

  test('a putBlob whose stream fails verification leaves no blob file', async (t) => {
    const work = tempDir(t, 'tug-oci-layout-');
    const dest = await ociLayoutTransport.parse(`${work}:x`).newDestination({});
    const bytes = randomBytesFrom('oci-bad', 200_000);
    const desc = { mediaType: 'application/octet-stream', digest: sha256(Buffer.from('not it')) as Digest, size: bytes.length };
    await rejectsWithCode(dest.putBlob(desc, Readable.from([bytes.subarray(0, 100_000), bytes.subarray(100_000)]).pipe(verifyingStream(desc, 'blob'))), 'INTEGRITY');
    await dest.close();
    assert.deepEqual(readdirSync(join(work, 'blobs', 'sha256')), []);
  });

  test('missing path is NOT_FOUND; a directory that is not a layout is USAGE and is not written to', async (t) => {
    const work = tempDir(t, 'tug-oci-layout-');
    await rejectsWithCode(ociLayoutTransport.parse(join(work, 'nope')).newSource({}), 'NOT_FOUND', /nope/);
    writeFileSync(join(work, 'notes.txt'), 'mine');
    await rejectsWithCode(ociLayoutTransport.parse(work).newSource({}), 'USAGE', /oci-layout/);
    await rejectsWithCode(ociLayoutTransport.parse(`${work}:x`).newDestination({}), 'USAGE', /not empty/);
    assert.deepEqual(readdirSync(work), ['notes.txt']);
  });
});

describe('oci: reference parsing', () => {
  const cases: { input: string; path: string; ref: string | undefined }[] = [
    { input: '/tmp/x', path: '/tmp/x', ref: undefined },
    { input: '/tmp/x:latest', path: '/tmp/x', ref: 'latest' },
    { input: '/tmp/x:repo/name:1.0', path: '/tmp/x', ref: 'repo/name:1.0' },
    { input: '/tmp/x:a@b+c--d', path: '/tmp/x', ref: 'a@b+c--d' },
  ];
  for (const c of cases) {
    test(`parses ${c.input}`, () => {
      const ref = ociLayoutTransport.parse(c.input);
      assert.equal(ref.path, c.path);
      assert.equal(ref.ref, c.ref);
      assert.equal(ref.toString(), `oci:${c.input}`);
      assert.equal(ociLayoutTransport.parse(ref.reference).toString(), ref.toString());
    });
  }
  for (const bad of ['', ':tag', '/tmp/x:', '/tmp/x:-bad', '/tmp/x:a b', '/tmp/x:a//b']) {
    test(`refuses ${JSON.stringify(bad)}`, () => {
      assert.throws(() => ociLayoutTransport.parse(bad), { code: 'USAGE' });
    });
  }
});
