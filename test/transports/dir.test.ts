/**
 * dir: against real skopeo 1.9.3, both directions, single and multi-arch,
 * OCI and Docker media types; plus replacement, refusals and hostile input.
 */
import assert from 'node:assert/strict';
import { existsSync, mkdirSync, readdirSync, readFileSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { after, before, describe, test } from 'node:test';
import { verifyingStream } from '../../src/oci/verify.ts';
import type { Digest } from '../../src/reference/digest.ts';
import { dirTransport } from '../../src/transports/dir/dir-transport.ts';
import { type Flavour, type GeneratedImage, makeImage, multiArch, pushImage, randomBytesFrom, sha256, writeOciLayout } from '../support/images.ts';
import { startRegistry, type TestRegistry } from '../support/registry.ts';
import { rawManifest, skopeo } from '../support/skopeo.ts';
import { assertSourceHolds, layoutTopDigest, listFiles, rejectsWithCode, writeImage } from './helpers.ts';
import { tempDir } from '../support/tmp.ts';

const shapes: { name: string; flavour: Flavour; multi: boolean }[] = [
  { name: 'single OCI', flavour: 'oci', multi: false },
  { name: 'multi-arch OCI', flavour: 'oci', multi: true },
  { name: 'single Docker', flavour: 'docker', multi: false },
  { name: 'multi-arch Docker', flavour: 'docker', multi: true },
];

function imageFor(seed: string, flavour: Flavour, multi: boolean): Promise<GeneratedImage> {
  return multi ? multiArch(seed, flavour) : makeImage({ seed, flavour });
}

describe('dir: written by tug, read by skopeo', () => {
  for (const shape of shapes) {
    test(shape.name, async (t) => {
      const work = tempDir(t, 'tug-dir-');
      const image = await imageFor(`dir-w-${shape.name}`, shape.flavour, shape.multi);
      const path = join(work, 'img');
      await writeImage(await dirTransport.parse(path).newDestination({}), image);

      assert.equal(readFileSync(join(path, 'version'), 'utf8'), 'Directory Transport Version: 1.1\n');
      assert.equal(await rawManifest(`dir:${path}`), image.top.bytes.toString('utf8'));

      // skopeo copying our layout to dir: writes exactly the same file set, byte for byte.
      const copy = join(work, 'copy');
      await skopeo(['copy', '--all', `dir:${path}`, `dir:${copy}`]);
      const names = readdirSync(path).sort();
      assert.deepEqual(readdirSync(copy).sort(), names);
      for (const n of names) assert.deepEqual(readFileSync(join(copy, n)), readFileSync(join(path, n)), n);

      if (shape.flavour === 'oci') {
        await skopeo(['copy', '--all', `dir:${path}`, `oci:${join(work, 'oci')}:copied`]);
        assert.equal(layoutTopDigest(join(work, 'oci'), 'copied'), image.top.digest);
      } else {
        // skopeo 1.9.3 converts Docker types to OCI when writing oci: (new digests), so the
        // digest-preserving round trip for Docker types is checked through dir: above.
        await skopeo(['copy', '--all', `dir:${path}`, `oci:${join(work, 'oci')}:copied`]);
        assert.notEqual(layoutTopDigest(join(work, 'oci'), 'copied'), image.top.digest);
      }
    });
  }
});

describe('dir: written by skopeo, read by tug', () => {
  let registry: TestRegistry;
  before(async () => {
    registry = await startRegistry();
  });
  after(async () => {
    await registry.stop();
  });

  for (const shape of shapes) {
    test(shape.name, async (t) => {
      const work = tempDir(t, 'tug-dir-');
      const image = await imageFor(`dir-r-${shape.name}`, shape.flavour, shape.multi);
      const path = join(work, 'img');
      if (shape.flavour === 'oci') {
        writeOciLayout(join(work, 'gen'), image, 'tag');
        await skopeo(['copy', '--all', `oci:${join(work, 'gen')}:tag`, `dir:${path}`]);
      } else {
        // skopeo ignores Docker-typed entries in an oci: layout; a registry serves them as they are.
        const repo = `dir/${shape.multi ? 'multi' : 'single'}`;
        await pushImage({ url: registry.url, repository: repo, tag: 'v1' }, image);
        await skopeo(['copy', '--all', '--src-tls-verify=false', `docker://${registry.host}/${repo}:v1`, `dir:${path}`]);
      }
      assert.equal(existsSync(join(path, 'manifest.json')), true);
      await assertSourceHolds(await dirTransport.parse(path).newSource({}), image);
    });
  }
});

describe('dir: destination', () => {
  test('replaces an existing dir: layout; shared blobs are reused, the old image files go', async (t) => {
    const work = tempDir(t, 'tug-dir-');
    const path = join(work, 'img');
    const a = await makeImage({ seed: 'dir-old', baseLayers: [{ seed: 'dir-shared', size: 3000 }] });
    const b = await makeImage({ seed: 'dir-new', baseLayers: [{ seed: 'dir-shared', size: 3000 }] });
    await writeImage(await dirTransport.parse(path).newDestination({}), a);

    // A copy that never commits leaves the old image whole.
    const aborted = await dirTransport.parse(path).newDestination({});
    for (const blob of b.blobs.values()) {
      const desc = { mediaType: blob.mediaType, digest: blob.digest as Digest, size: blob.size };
      if (!(await aborted.hasBlob(desc))) await aborted.putBlob(desc, Readable.from([blob.bytes]));
    }
    await aborted.close();
    assert.equal(await rawManifest(`dir:${path}`), a.top.bytes.toString('utf8'));
    await assertSourceHolds(await dirTransport.parse(path).newSource({}), a);

    await writeImage(await dirTransport.parse(path).newDestination({}), b);
    assert.equal(await rawManifest(`dir:${path}`), b.top.bytes.toString('utf8'));
    const expected = ['manifest.json', 'version', ...[...b.blobs.keys()].map((d) => d.slice(7))].sort();
    assert.deepEqual(readdirSync(path).sort(), expected);
    await assertSourceHolds(await dirTransport.parse(path).newSource({}), b);
  });

  test('refuses a non-empty directory that is not a dir: layout, and writes nothing', async (t) => {
    const work = tempDir(t, 'tug-dir-');
    writeFileSync(join(work, 'notes.txt'), 'mine');
    await rejectsWithCode(dirTransport.parse(work).newDestination({}), 'USAGE', /not a dir: layout/);
    assert.deepEqual(readdirSync(work), ['notes.txt']);

    writeFileSync(join(work, 'version'), 'Directory Transport Version: 9.9\n');
    await rejectsWithCode(dirTransport.parse(work).newDestination({}), 'USAGE', /9\.9/);
    // skopeo refuses the same directory as a destination.
    const src = join(tempDir(t, 'tug-dir-'), 'src');
    await writeImage(await dirTransport.parse(src).newDestination({}), await makeImage({ seed: 'dir-refuse' }));
    await assert.rejects(skopeo(['copy', `dir:${src}`, `dir:${work}`]), /overwrite/);
    assert.deepEqual(readdirSync(work).sort(), ['notes.txt', 'version']);
  });

  test('a putBlob whose stream fails verification leaves no file named by the digest', async (t) => {
    const work = tempDir(t, 'tug-dir-');
    const path = join(work, 'img');
    const dest = await dirTransport.parse(path).newDestination({});
    const bytes = randomBytesFrom('dir-bad', 100_000);
    const claimed = sha256(Buffer.from('something else')) as Digest;
    const desc = { mediaType: 'application/octet-stream', digest: claimed, size: bytes.length };
    await rejectsWithCode(dest.putBlob(desc, Readable.from([bytes.subarray(0, 50_000), bytes.subarray(50_000)]).pipe(verifyingStream(desc, 'blob'))), 'INTEGRITY');
    await dest.close();
    assert.deepEqual(readdirSync(path), ['version']);
  });
});

describe('dir: source refuses hostile and broken input', () => {
  test('digests that are not canonical never reach a path', async (t) => {
    const work = tempDir(t, 'tug-dir-');
    const image = await makeImage({ seed: 'dir-hostile' });
    const path = join(work, 'img');
    await writeImage(await dirTransport.parse(path).newDestination({}), image);
    const before = listFiles(work);
    const src = await dirTransport.parse(path).newSource({});
    try {
      for (const digest of ['sha256:../../etc/passwd', `sha256:${'A'.repeat(64)}`, 'sha256:abc', `md5:${'a'.repeat(32)}`]) {
        await rejectsWithCode(src.getBlob({ mediaType: 'x', digest: digest as Digest, size: 1 }), 'UNSAFE_INPUT');
        await rejectsWithCode(src.getManifest(digest as Digest), 'UNSAFE_INPUT');
      }
    } finally {
      await src.close();
    }
    const dest = await dirTransport.parse(path).newDestination({});
    await rejectsWithCode(dest.putBlob({ mediaType: 'x', digest: 'sha256:../../escape' as Digest, size: 1 }, Readable.from([Buffer.from('x')])), 'UNSAFE_INPUT');
    await rejectsWithCode(dest.hasBlob({ mediaType: 'x', digest: `sha256:${'F'.repeat(64)}` as Digest, size: 1 }), 'UNSAFE_INPUT');
    await dest.close();
    assert.deepEqual(listFiles(work), before);
  });

  test('a blob that is a symlink out of the directory is refused', async (t) => {
    const work = tempDir(t, 'tug-dir-');
    const image = await makeImage({ seed: 'dir-symlink' });
    const path = join(work, 'img');
    await writeImage(await dirTransport.parse(path).newDestination({}), image);
    const hex = 'e'.repeat(64);
    symlinkSync('/etc/hostname', join(path, hex));
    const desc = { mediaType: 'x', digest: `sha256:${hex}` as Digest, size: readFileSync('/etc/hostname').length };
    const src = await dirTransport.parse(path).newSource({});
    await rejectsWithCode(src.getBlob(desc), 'UNSAFE_INPUT', /symlink/);
    await src.close();
    const dest = await dirTransport.parse(path).newDestination({});
    await rejectsWithCode(dest.hasBlob(desc), 'UNSAFE_INPUT', /symlink/);
    await dest.close();
  });

  test('a manifest.json over 4 MiB is refused without being parsed', async (t) => {
    const work = tempDir(t, 'tug-dir-');
    writeFileSync(join(work, 'version'), 'Directory Transport Version: 1.1\n');
    writeFileSync(join(work, 'manifest.json'), Buffer.alloc(4 * 1024 * 1024 + 1, 0x20));
    const src = await dirTransport.parse(work).newSource({});
    await rejectsWithCode(src.getManifest(), 'UNSAFE_INPUT', /limit/);
    await src.close();
  });

  test('missing path is NOT_FOUND, a file or a directory without manifest.json is USAGE', async (t) => {
    const work = tempDir(t, 'tug-dir-');
    await rejectsWithCode(dirTransport.parse(join(work, 'nope')).newSource({}), 'NOT_FOUND', /nope/);
    writeFileSync(join(work, 'file'), 'x');
    await rejectsWithCode(dirTransport.parse(join(work, 'file')).newSource({}), 'USAGE');
    await rejectsWithCode(dirTransport.parse(join(work, 'file')).newDestination({}), 'USAGE');
    mkdirSync(join(work, 'empty'));
    await rejectsWithCode(dirTransport.parse(join(work, 'empty')).newSource({}), 'USAGE', /manifest\.json/);
    assert.throws(() => dirTransport.parse(''), { code: 'USAGE' });
  });

  test('parse() resolves the path and round-trips', () => {
    const ref = dirTransport.parse('relative/x');
    assert.equal(ref.reference, join(process.cwd(), 'relative/x'));
    assert.equal(ref.toString(), `dir:${ref.reference}`);
    assert.equal(dirTransport.parse(ref.reference).toString(), ref.toString());
  });
});
