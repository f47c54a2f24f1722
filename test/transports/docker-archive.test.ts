/**
 * docker-archive: against real skopeo and a real docker-registry.
 */
import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { gunzipSync, zstdCompressSync } from 'node:zlib';
import tarStream from 'tar-stream';
import { TugError } from '../../src/errors/index.ts';
import { MediaType, parseManifest, verifyingStream } from '../../src/oci/index.ts';
import type { Digest } from '../../src/reference/index.ts';
import { DockerArchiveReference, dockerArchiveTransport } from '../../src/transports/docker-archive/docker-archive-transport.ts';
import type { ImageSource } from '../../src/transports/types.ts';
import { type GeneratedImage, type GeneratedManifest, makeImage, pushImage, sha256, writeOciLayout } from '../support/images.ts';
import { readAll } from './helpers.ts';
import { tempDir } from '../support/tmp.ts';
import { startRegistry, type TestRegistry } from '../support/registry.ts';
import { skopeo } from '../support/skopeo.ts';
import { runTug } from '../support/tug.ts';


/** Writes a single-platform image with the destination API, as the engine would. */
async function tugWrite(name: string, image: GeneratedImage | GeneratedManifest, tmpDir?: string): Promise<void> {
  const m = 'manifests' in image ? image.manifests[0]! : image;
  const dest = await dockerArchiveTransport.parse(name).newDestination(tmpDir ? { tmpDir } : {});
  try {
    await Promise.all(
      [m.config, ...m.layers].map(async (b) => {
        const desc = { mediaType: b.mediaType, digest: b.digest as Digest, size: b.size };
        if (await dest.hasBlob(desc)) return;
        await dest.putBlob(desc, Readable.from([b.bytes]).pipe(verifyingStream(desc, b.digest)));
      }),
    );
    await dest.putManifest({ bytes: m.bytes, mediaType: m.mediaType, digest: m.digest as Digest }, { instance: false });
    await dest.commit();
  } finally {
    await dest.close();
  }
}

async function configDigestOf(src: ImageSource): Promise<string> {
  const parsed = parseManifest((await src.getManifest()).bytes, undefined);
  assert.equal(parsed.kind, 'image');
  return parsed.kind === 'image' ? parsed.manifest.config.digest : '';
}

function tarMembers(path: string): string[] {
  return execFileSync('tar', ['tf', path], { encoding: 'utf8' }).split('\n').filter(Boolean).sort();
}

describe('docker-archive: reference parsing', () => {
  const cases: { input: string; path?: string; ref?: string; index?: number; error?: string }[] = [
    { input: '/tmp/a.tar', path: '/tmp/a.tar' },
    { input: '/tmp/a.tar:busybox:1', path: '/tmp/a.tar', ref: 'docker.io/library/busybox:1' },
    { input: 'rel.tar:quay.io/a/b:v2', path: 'rel.tar', ref: 'quay.io/a/b:v2' },
    { input: '/tmp/a.tar:@3', path: '/tmp/a.tar', index: 3 },
    { input: '/tmp/a.tar:busybox', error: 'has no tag' },
    { input: `/tmp/a.tar:busybox@sha256:${'a'.repeat(64)}`, error: 'has a digest' },
    { input: '/tmp/a.tar:@x', error: 'is not @N' },
    { input: ':busybox:1', error: 'missing the archive path' },
    { input: '/tmp/a.tar:Busy:1', error: 'lower-case' },
  ];
  for (const c of cases) {
    test(c.input, () => {
      if (c.error) {
        assert.throws(() => dockerArchiveTransport.parse(c.input), (e: unknown) => e instanceof TugError && e.code === 'USAGE' && e.message.includes(c.error!));
        return;
      }
      const r = dockerArchiveTransport.parse(c.input) as DockerArchiveReference;
      assert.equal(r.path, c.path);
      assert.equal(r.ref?.toString(), c.ref);
      assert.equal(r.index, c.index);
      // the formatted name parses back to the same reference
      const again = dockerArchiveTransport.parse(r.reference) as DockerArchiveReference;
      assert.equal(again.toString(), r.toString());
      assert.ok(r.toString().startsWith('docker-archive:'));
    });
  }
});

describe('docker-archive: tug writes, skopeo reads', () => {
  test('skopeo inspect --config gives the same config; skopeo copy to oci: works', async (t) => {
    const dir = tempDir(t, 'tug-docker-archive-tug-writes-');
    const staging = tempDir(t, 'tug-docker-archive-tug-writes-staging-');
    const image = await makeImage({ seed: 'da-write', flavour: 'oci', layerSizes: [3000, 70_000] });
    const tar = join(dir, 'one.tar');
    await tugWrite(`${tar}:example.com/tug/one:1`, image, staging);
    assert.deepEqual(readdirSync(staging), [], 'close removes the staging directory');

    const m = image.manifests[0]!;
    const config = JSON.parse(await skopeo(['inspect', '--config', `docker-archive:${tar}`])) as unknown;
    assert.deepEqual(config, JSON.parse(m.config.bytes.toString()));
    const diffIds = (config as { rootfs: { diff_ids: string[] } }).rootfs.diff_ids;
    assert.deepEqual(
      tarMembers(tar),
      [`${m.config.digest.slice(7)}.json`, ...diffIds.map((d) => `${d.slice(7)}.tar`), 'manifest.json', 'repositories'].sort(),
    );
    const manifestJson = JSON.parse(execFileSync('tar', ['xOf', tar, 'manifest.json'], { encoding: 'utf8' })) as unknown;
    assert.deepEqual(manifestJson, [{ Config: `${m.config.digest.slice(7)}.json`, RepoTags: ['example.com/tug/one:1'], Layers: diffIds.map((d) => `${d.slice(7)}.tar`) }]);

    const oci = join(dir, 'oci');
    await skopeo(['copy', `docker-archive:${tar}:example.com/tug/one:1`, `oci:${oci}:x`]);
    const index = JSON.parse(readFileSync(join(oci, 'index.json'), 'utf8')) as { manifests: { digest: string }[] };
    const copied = JSON.parse(readFileSync(join(oci, 'blobs', 'sha256', index.manifests[0]!.digest.slice(7)), 'utf8')) as { config: { digest: string }; layers: unknown[] };
    assert.equal(copied.layers.length, 2);
    // skopeo re-serialises the config when it converts schema2 to OCI: same content, other bytes
    assert.deepEqual(JSON.parse(readFileSync(join(oci, 'blobs', 'sha256', copied.config.digest.slice(7)), 'utf8')), config);

    // without conversion the config bytes, hence the image ID, survive the round trip
    const plain = join(dir, 'plain');
    await skopeo(['copy', `docker-archive:${tar}:@0`, `dir:${plain}`]);
    const dirManifest = JSON.parse(readFileSync(join(plain, 'manifest.json'), 'utf8')) as { config: { digest: string } };
    assert.equal(dirManifest.config.digest, m.config.digest);
    assert.deepEqual(readFileSync(join(plain, m.config.digest.slice(7))), m.config.bytes);
  });

  test('a layer that does not match the config diff_ids is refused with INTEGRITY', async (t) => {
    const dir = tempDir(t, 'tug-docker-archive-tug-integrity-');
    const image = await makeImage({ seed: 'da-bad', flavour: 'docker' });
    const other = await makeImage({ seed: 'da-bad-other', flavour: 'docker' });
    const m = image.manifests[0]!;
    // Same config, but the second layer is swapped for another image's: digests all valid, diff_ids wrong.
    const layers = [m.layers[0]!, other.manifests[0]!.layers[1]!];
    const doc = JSON.parse(m.bytes.toString()) as { layers: unknown[] };
    doc.layers = layers.map(({ mediaType, digest, size }) => ({ mediaType, digest, size }));
    const bytes = Buffer.from(JSON.stringify(doc));
    const tar = join(dir, 'bad.tar');
    await assert.rejects(
      tugWrite(`${tar}:bad:1`, { ...m, layers, bytes, digest: sha256(bytes) }),
      (e: unknown) => e instanceof TugError && e.code === 'INTEGRITY' && e.message.includes('diff_id'),
    );
    assert.equal(existsSync(tar), false, 'nothing is written without commit');
  });

  test('zstd layers are decompressed on the way in', async (t) => {
    const dir = tempDir(t, 'tug-docker-archive-zstd-');
    const gz = (await makeImage({ seed: 'da-zstd' })).manifests[0]!;
    const layers = gz.layers.map((l) => {
      const bytes = zstdCompressSync(gunzipSync(l.bytes));
      return { mediaType: MediaType.OciLayerZstd, digest: sha256(bytes), size: bytes.length, bytes };
    });
    const doc = JSON.parse(gz.bytes.toString()) as { layers: unknown[] };
    doc.layers = layers.map(({ mediaType, digest, size }) => ({ mediaType, digest, size }));
    const bytes = Buffer.from(JSON.stringify(doc));
    const tar = join(dir, 'z.tar');
    await tugWrite(`${tar}:z:1`, { ...gz, layers, bytes, digest: sha256(bytes) });
    const diffIds = (JSON.parse(gz.config.bytes.toString()) as { rootfs: { diff_ids: string[] } }).rootfs.diff_ids;
    for (const d of diffIds) assert.equal(sha256(execFileSync('tar', ['xOf', tar, `${d.slice(7)}.tar`], { maxBuffer: 1 << 24 })), d);
    assert.deepEqual(JSON.parse(await skopeo(['inspect', '--config', `docker-archive:${tar}`])), JSON.parse(gz.config.bytes.toString()));
  });

  test('a layer whose stream fails verification is not staged', async (t) => {
    const staging = tempDir(t, 'tug-docker-archive-corrupt-staging-');
    const layer = (await makeImage({ seed: 'da-corrupt' })).manifests[0]!.layers[1]!;
    const desc = { mediaType: layer.mediaType, digest: layer.digest as Digest, size: layer.size };
    const corrupt = Buffer.from(layer.bytes);
    corrupt[corrupt.length - 1] = corrupt[corrupt.length - 1]! ^ 0xff; // the gzip trailer: still inflates
    const dest = await dockerArchiveTransport.parse(join(tempDir(t, 'tug-docker-archive-corrupt-'), 'c.tar')).newDestination({ tmpDir: staging });
    try {
      await assert.rejects(dest.putBlob(desc, Readable.from([corrupt]).pipe(verifyingStream(desc, 'layer'))), (e: unknown) => e instanceof TugError && e.code === 'INTEGRITY');
      assert.equal(await dest.hasBlob(desc), false);
      const [stagingDir] = readdirSync(staging);
      assert.deepEqual(readdirSync(join(staging, stagingDir!)), [], 'no staged file, no temp file');
    } finally {
      await dest.close();
    }
    assert.deepEqual(readdirSync(staging), []);
  });

  test('an index is refused: the engine must pick a platform', async (t) => {
    const image = await makeImage({ seed: 'da-index', forceIndex: true });
    const dest = await dockerArchiveTransport.parse(join(tempDir(t, 'tug-docker-archive-tug-index-'), 'i.tar')).newDestination({});
    try {
      assert.equal(dest.supportsIndex, false);
      await assert.rejects(
        dest.putManifest({ bytes: image.top.bytes, mediaType: image.top.mediaType, digest: image.top.digest as Digest }, { instance: false }),
        (e: unknown) => e instanceof TugError && e.code === 'UNSUPPORTED',
      );
    } finally {
      await dest.close();
    }
  });
});

describe('docker-archive: skopeo writes, tug reads', () => {
  let registry: TestRegistry;
  before(async () => {
    registry = await startRegistry();
  });
  after(async () => {
    await registry.stop();
  });

  test('the source presents a valid schema2 manifest over the archive files', async (t) => {
    const dir = tempDir(t, 'tug-docker-archive-skopeo-writes-');
    const tmp = tempDir(t, 'tug-docker-archive-skopeo-writes-tmp-');
    const image = await makeImage({ seed: 'da-read', flavour: 'docker', layerSizes: [1024, 50_000, 10] });
    await pushImage({ url: registry.url, repository: 'x/y', tag: '1' }, image);
    const tar = join(dir, 'a.tar');
    await skopeo(['copy', '--src-tls-verify=false', `docker://${registry.host}/x/y:1`, `docker-archive:${tar}:x/y:1`]);

    const extracted = tempDir(t, 'tug-docker-archive-skopeo-writes-x-');
    execFileSync('tar', ['xf', tar, '-C', extracted]);
    const archiveManifest = JSON.parse(readFileSync(join(extracted, 'manifest.json'), 'utf8')) as { Layers: string[] }[];
    const fileDigests = archiveManifest[0]!.Layers.map((l) => `sha256:${createHash('sha256').update(readFileSync(join(extracted, l))).digest('hex')}`);

    for (const name of [tar, `${tar}:x/y:1`, `${tar}:docker.io/x/y:1`, `${tar}:@0`]) {
      const src = await dockerArchiveTransport.parse(name).newSource({ tmpDir: tmp });
      try {
        const raw = await src.getManifest();
        assert.equal(raw.mediaType, MediaType.DockerManifest);
        const parsed = parseManifest(raw.bytes, raw.mediaType);
        assert.equal(parsed.kind, 'image');
        if (parsed.kind !== 'image') return;
        assert.equal(parsed.manifest.config.digest, image.manifests[0]!.config.digest, 'config digest (image ID) preserved');
        assert.equal(parsed.manifest.config.mediaType, MediaType.DockerConfig);
        assert.deepEqual(parsed.manifest.layers.map((l) => l.digest), fileDigests);
        assert.ok(parsed.manifest.layers.every((l) => l.mediaType === MediaType.DockerLayer));
        for (const d of [parsed.manifest.config, ...parsed.manifest.layers]) {
          const bytes = await readAll(await src.getBlob(d));
          assert.equal(bytes.length, d.size);
          assert.equal(sha256(bytes), d.digest);
        }
        await assert.rejects(src.getManifest(`sha256:${'0'.repeat(64)}`), (e: unknown) => e instanceof TugError && e.code === 'NOT_FOUND');
      } finally {
        await src.close();
      }
    }
    assert.deepEqual(readdirSync(tmp), [], 'close removes the extracted files');
  });

  test('a gzip-compressed archive with compressed layers is read and layers are presented uncompressed', async (t) => {
    const dir = tempDir(t, 'tug-docker-archive-gz-');
    const image = await makeImage({ seed: 'da-gz', flavour: 'docker' });
    const m = image.manifests[0]!;
    const configName = `${m.config.digest.slice(7)}.json`;
    const layerNames = m.layers.map((l, i) => `layer${i}/layer.tar`);
    const members = [
      { name: configName, data: m.config.bytes },
      ...m.layers.map((l, i) => ({ name: layerNames[i]!, data: l.bytes })),
      { name: 'manifest.json', data: Buffer.from(JSON.stringify([{ Config: configName, RepoTags: ['gz:1'], Layers: layerNames }])) },
    ];
    const tar = join(dir, 'gz.tar.gz');
    writeFileSync(tar, execFileSync('gzip', ['-c'], { input: await tarOf(members) }));
    const src = await dockerArchiveTransport.parse(`${tar}:gz:1`).newSource({});
    try {
      const parsed = parseManifest((await src.getManifest()).bytes, undefined);
      assert.ok(parsed.kind === 'image');
      const diffIds = (JSON.parse(m.config.bytes.toString()) as { rootfs: { diff_ids: string[] } }).rootfs.diff_ids;
      assert.deepEqual(parsed.manifest.layers.map((l) => l.digest), diffIds);
    } finally {
      await src.close();
    }
  });
});

describe('docker-archive: several images in one archive', () => {
  test('images are added, selected by REF and @N, and a re-used tag replaces its image', async (t) => {
    const dir = tempDir(t, 'tug-docker-archive-multi-');
    const tar = join(dir, 'multi.tar');
    const a = await makeImage({ seed: 'da-a', baseLayers: [{ seed: 'da-base', size: 4096 }] });
    const b = await makeImage({ seed: 'da-b', flavour: 'docker', baseLayers: [{ seed: 'da-base', size: 4096 }] });
    const c = await makeImage({ seed: 'da-c' });
    await tugWrite(`${tar}:a:1`, a);
    await tugWrite(`${tar}:quay.io/b/b:2`, b);

    const ref = dockerArchiveTransport.parse(tar) as DockerArchiveReference;
    assert.deepEqual(await ref.listTags({}), ['docker.io/library/a:1', 'quay.io/b/b:2']);
    const cfg = (img: GeneratedImage) => img.manifests[0]!.config.digest;
    for (const [name, want] of [[`${tar}:a:1`, cfg(a)], [`${tar}:docker.io/library/a:1`, cfg(a)], [`${tar}:quay.io/b/b:2`, cfg(b)], [`${tar}:@0`, cfg(a)], [`${tar}:@1`, cfg(b)]] as const) {
      const src = await dockerArchiveTransport.parse(name).newSource({});
      try {
        assert.equal(await configDigestOf(src), want, name);
      } finally {
        await src.close();
      }
    }
    await assert.rejects(dockerArchiveTransport.parse(tar).newSource({}), (e: unknown) => e instanceof TugError && e.code === 'USAGE' && e.message.includes('2 images') && e.hint!.includes('quay.io/b/b:2'));
    await assert.rejects(dockerArchiveTransport.parse(`${tar}:nope:1`).newSource({}), (e: unknown) => e instanceof TugError && e.code === 'NOT_FOUND' && e.hint!.includes('docker.io/library/a:1'));
    await assert.rejects(dockerArchiveTransport.parse(`${tar}:@2`).newSource({}), (e: unknown) => e instanceof TugError && e.code === 'NOT_FOUND');
    await assert.rejects(dockerArchiveTransport.parse(`${tar}.missing`).newSource({}), (e: unknown) => e instanceof TugError && e.code === 'NOT_FOUND');
    // skopeo reads the second image by its tag
    const skopeoConfig = JSON.parse(await skopeo(['inspect', '--config', `docker-archive:${tar}:quay.io/b/b:2`])) as unknown;
    assert.deepEqual(skopeoConfig, JSON.parse(b.manifests[0]!.config.bytes.toString()));

    // a:1 now names c: a's files go, b's (and the shared base layer) stay
    await tugWrite(`${tar}:a:1`, c);
    assert.deepEqual(await ref.listTags({}), ['quay.io/b/b:2', 'docker.io/library/a:1']);
    const members = tarMembers(tar);
    assert.ok(!members.includes(`${cfg(a).slice(7)}.json`), 'the replaced image config is gone');
    assert.ok(members.includes(`${cfg(b).slice(7)}.json`));
    assert.ok(members.includes(`${cfg(c).slice(7)}.json`));
    const src = await dockerArchiveTransport.parse(`${tar}:a:1`).newSource({});
    try {
      assert.equal(await configDigestOf(src), cfg(c));
    } finally {
      await src.close();
    }
    const bSrc = await dockerArchiveTransport.parse(`${tar}:@0`).newSource({});
    try {
      assert.equal(await configDigestOf(bSrc), cfg(b), 'b still reads (its shared base layer was kept)');
    } finally {
      await bSrc.close();
    }
    const repositories = JSON.parse(execFileSync('tar', ['xOf', tar, 'repositories'], { encoding: 'utf8' })) as Record<string, Record<string, string>>;
    assert.deepEqual(Object.keys(repositories).sort(), ['docker.io/library/a', 'quay.io/b/b']);
    assert.deepEqual(Object.keys(repositories['docker.io/library/a']!), ['1']);
  });

  test('tug adds to an archive skopeo wrote, and replaces skopeo\'s image by tag', async (ctx) => {
    const dir = tempDir(ctx, 'tug-docker-archive-mixed-');
    const tar = join(dir, 'mixed.tar');
    const s1 = await makeImage({ seed: 'da-s1' }); // OCI: skopeo 1.9's oci: reader skips Docker-typed index entries
    const s2 = await makeImage({ seed: 'da-s2' });
    const t = await makeImage({ seed: 'da-t' });
    const src1 = join(dir, 's1'), src2 = join(dir, 's2');
    writeOciLayout(src1, s1, 'x');
    writeOciLayout(src2, s2, 'x');
    await skopeo(['copy', `oci:${src1}:x`, `docker-archive:${tar}:sk/one:1`]);
    await tugWrite(`${tar}:tug/two:1`, t);
    const inspect = async (tag: string) => JSON.parse(await skopeo(['inspect', '--config', `docker-archive:${tar}:${tag}`])) as unknown;
    assert.deepEqual(await inspect('sk/one:1'), JSON.parse(s1.manifests[0]!.config.bytes.toString()));
    assert.deepEqual(await inspect('tug/two:1'), JSON.parse(t.manifests[0]!.config.bytes.toString()));
    const legacy = tarMembers(tar).filter((n) => n.endsWith('/layer.tar'));
    assert.equal(legacy.length, 2, "skopeo's legacy layer links are kept");

    // tug takes sk/one:1 over: skopeo's image and its legacy links go, tug/two stays
    await tugWrite(`${tar}:sk/one:1`, s2);
    assert.deepEqual(tarMembers(tar).filter((n) => n.endsWith('/layer.tar')), [], 'no dangling legacy links');
    assert.deepEqual(await inspect('sk/one:1'), JSON.parse(s2.manifests[0]!.config.bytes.toString()));
    assert.deepEqual(await inspect('tug/two:1'), JSON.parse(t.manifests[0]!.config.bytes.toString()));
    assert.deepEqual(await (dockerArchiveTransport.parse(tar) as DockerArchiveReference).listTags({}), ['docker.io/tug/two:1', 'docker.io/sk/one:1']);
  });

  test('a file that is not a docker archive is not overwritten', async (t) => {
    const dir = tempDir(t, 'tug-docker-archive-not-archive-');
    const path = join(dir, 'notes.tar');
    writeFileSync(path, await tarOf([{ name: 'notes.txt', data: Buffer.from('keep me') }]));
    const before = readFileSync(path);
    const image = await makeImage({ seed: 'da-keep' });
    await assert.rejects(tugWrite(`${path}:k:1`, image), (e: unknown) => e instanceof TugError && e.code === 'USAGE');
    assert.deepEqual(readFileSync(path), before);
  });
});

describe('docker-archive: names as skopeo writes them', () => {
  test('RepoTags and repositories match skopeo\'s for the same names', async (t) => {
    const dir = tempDir(t, 'tug-docker-archive-names-');
    const image = await makeImage({ seed: 'da-names' });
    const oci = join(dir, 'oci');
    writeOciLayout(oci, image, 'x');
    for (const name of ['alpine:3', 'tug/app:1', 'quay.io/a/b:2', '127.0.0.1:5000/c:3']) {
      const ours = join(dir, 'ours.tar'), theirs = join(dir, 'theirs.tar');
      rmSync(ours, { force: true });
      rmSync(theirs, { force: true });
      await tugWrite(`${ours}:${name}`, image);
      await skopeo(['copy', `oci:${oci}:x`, `docker-archive:${theirs}:${name}`]);
      const read = (tar: string, member: string) => JSON.parse(execFileSync('tar', ['xOf', tar, member], { encoding: 'utf8' })) as unknown;
      const tagsOf = (tar: string) => (read(tar, 'manifest.json') as { RepoTags: string[] }[]).map((e) => e.RepoTags);
      assert.deepEqual(tagsOf(ours), tagsOf(theirs), name);
      assert.deepEqual(Object.keys(read(ours, 'repositories') as object), Object.keys(read(theirs, 'repositories') as object), name);
    }
  });

  test('--additional-tag: the same RepoTags as skopeo\'s; a second image takes a name away from the first; other destinations refuse it', async (t) => {
    const dir = tempDir(t, 'tug-docker-archive-additional-');
    const first = await makeImage({ seed: 'da-extra-1' });
    const second = await makeImage({ seed: 'da-extra-2' });
    writeOciLayout(join(dir, 'oci1'), first, 'x');
    writeOciLayout(join(dir, 'oci2'), second, 'x');
    const ours = join(dir, 'ours.tar'), theirs = join(dir, 'theirs.tar');
    const extra = ['--additional-tag', 'quay.io/a/extra:2', '--additional-tag=tug/more:3'];
    const run = await runTug(['copy', '-q', ...extra, `oci:${join(dir, 'oci1')}:x`, `docker-archive:${ours}:tug/app:1`]);
    assert.equal(run.code, 0, run.stderr);
    await skopeo(['copy', ...extra, `oci:${join(dir, 'oci1')}:x`, `docker-archive:${theirs}:tug/app:1`]);
    const read = (tar: string, member: string) => JSON.parse(execFileSync('tar', ['xOf', tar, member], { encoding: 'utf8' })) as unknown;
    const tagsOf = (tar: string) => (read(tar, 'manifest.json') as { RepoTags: string[] }[]).map((e) => e.RepoTags);
    assert.deepEqual(tagsOf(ours), tagsOf(theirs));
    assert.deepEqual(tagsOf(ours), [['docker.io/tug/app:1', 'quay.io/a/extra:2', 'docker.io/tug/more:3']]);
    // Each name reads the image back.
    for (const name of ['tug/app:1', 'quay.io/a/extra:2', 'tug/more:3']) {
      const config = JSON.parse(await skopeo(['inspect', '--raw', `docker-archive:${ours}:${name}`])) as { config: { digest: string } };
      assert.equal(config.config.digest, first.manifests[0]!.config.digest, name);
    }
    // A second image named quay.io/a/extra:2 takes that name; the first keeps its others.
    const again = await runTug(['copy', '-q', `oci:${join(dir, 'oci2')}:x`, `docker-archive:${ours}:quay.io/a/extra:2`]);
    assert.equal(again.code, 0, again.stderr);
    assert.deepEqual(tagsOf(ours), [['docker.io/tug/app:1', 'docker.io/tug/more:3'], ['quay.io/a/extra:2']]);
    const refused = await runTug(['copy', '--additional-tag', 'x:1', `oci:${join(dir, 'oci1')}:x`, `oci:${join(dir, 'out')}:y`]);
    assert.equal(refused.code, 2);
    assert.match(refused.stderr, /--additional-tag applies to docker-archive: and docker-daemon: destinations, not oci:/);
    assert.equal(existsSync(join(dir, 'out')), false, 'nothing written');
    const bad = await runTug(['copy', '--additional-tag', 'tug/app@sha256:' + 'a'.repeat(64), `oci:${join(dir, 'oci1')}:x`, `docker-archive:${ours}:tug/app:1`]);
    assert.equal(bad.code, 2);
    assert.match(bad.stderr, /invalid --additional-tag .*needs a tag and no digest/);
  });

  test('podman load gives the image its docker.io name, not localhost/', { skip: process.getuid?.() === 0 ? undefined : 'podman with its own --root needs root' }, async (t) => {
    const dir = tempDir(t, 'tug-docker-archive-podman-');
    const image = await makeImage({ seed: 'da-podman' });
    const tar = join(dir, 'p.tar');
    await tugWrite(`${tar}:tug/podman:1`, image);
    await tugWrite(`${tar}:quay.io/tug/other:2`, await makeImage({ seed: 'da-podman-2' }));
    // Its own store under the test's temp dir: the machine's images are never touched.
    const podman = (args: string[]) =>
      execFileSync('podman', ['--root', join(dir, 'root'), '--runroot', join(dir, 'runroot'), '--storage-driver', 'vfs', ...args], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
    podman(['load', '-i', tar]);
    const names = podman(['images', '--format', '{{.Repository}}:{{.Tag}}']).split('\n').filter(Boolean).sort();
    assert.deepEqual(names, ['docker.io/tug/podman:1', 'quay.io/tug/other:2']);
    const id = podman(['image', 'inspect', '--format', '{{.Id}}', 'docker.io/tug/podman:1']).trim();
    assert.equal(`sha256:${id.replace(/^sha256:/, '')}`, image.manifests[0]!.config.digest, 'the image ID is the config digest');
  });
});

describe('docker-archive: hostile archives', () => {
  const image = makeImage({ seed: 'da-hostile', flavour: 'docker' });
  async function validMembers(): Promise<{ name: string; data: Buffer }[]> {
    const m = (await image).manifests[0]!;
    const diffIds = (JSON.parse(m.config.bytes.toString()) as { rootfs: { diff_ids: string[] } }).rootfs.diff_ids;
    const configName = `${m.config.digest.slice(7)}.json`;
    const layers = m.layers.map((l, i) => ({ name: `${diffIds[i]!.slice(7)}.tar`, data: gunzipSync(l.bytes) }));
    return [
      { name: configName, data: m.config.bytes },
      ...layers,
      { name: 'manifest.json', data: Buffer.from(JSON.stringify([{ Config: configName, RepoTags: ['h:1'], Layers: layers.map((l) => l.name) }])) },
    ];
  }

  test('a well-formed hand-made archive reads (control for the cases below)', async (t) => {
    const tar = join(tempDir(t, 'tug-docker-archive-hostile-control-'), 'ok.tar');
    writeFileSync(tar, await tarOf(await validMembers()));
    const src = await dockerArchiveTransport.parse(tar).newSource({});
    try {
      assert.equal(await configDigestOf(src), (await image).manifests[0]!.config.digest);
    } finally {
      await src.close();
    }
  });

  const hostile: { name: string; extra: TarMember }[] = [
    { name: 'a ../ name', extra: { name: '../x', data: Buffer.from('escaped') } },
    { name: 'a nested ../ name', extra: { name: 'a/../../x', data: Buffer.from('escaped') } },
    { name: 'an absolute name', extra: { name: '/tmp/tug-hostile-abs-x', data: Buffer.from('escaped') } },
    { name: 'a symlink out', extra: { name: 'evil', type: 'symlink', linkname: '../../../../x' } },
    { name: 'an absolute symlink', extra: { name: 'evil', type: 'symlink', linkname: '/etc/passwd' } },
    { name: 'a hard link out', extra: { name: 'evil', type: 'link', linkname: '../x' } },
    { name: 'a device file', extra: { name: 'dev', type: 'character-device' } },
  ];
  for (const c of hostile) {
    test(`${c.name} is refused with UNSAFE_INPUT`, async (t) => {
      const dir = tempDir(t, `tug-docker-archive-hostile-${c.name.replace(/\W+/g, '-')}-`);
      const tmp = join(dir, 'tmp');
      mkdirSync(tmp);
      const tar = join(dir, 'a', 'b', 'h.tar');
      mkdirSync(join(dir, 'a', 'b'), { recursive: true });
      const members = await validMembers();
      writeFileSync(tar, await tarOf([c.extra, ...members]));
      await assert.rejects(dockerArchiveTransport.parse(tar).newSource({ tmpDir: tmp }), (e: unknown) => e instanceof TugError && e.code === 'UNSAFE_INPUT');
      await assert.rejects(dockerArchiveTransport.parse(tar).newSource({ tmpDir: tmp }), (e: unknown) => e instanceof TugError && e.code === 'UNSAFE_INPUT');
      assert.deepEqual(readdirSync(tmp), [], 'nothing left in the temp dir');
      assert.deepEqual(readdirSync(dir).sort(), ['a', 'tmp']);
      assert.deepEqual(readdirSync(join(dir, 'a')), ['b']);
      assert.deepEqual(readdirSync(join(dir, 'a', 'b')), ['h.tar']);
      assert.equal(existsSync('/tmp/tug-hostile-abs-x'), false);
      // and a destination will not merge into it either
      await assert.rejects(tugWrite(`${tar}:n:1`, await image), (e: unknown) => e instanceof TugError && e.code === 'UNSAFE_INPUT');
    });
  }

  test('a config link that loops is refused', async (t) => {
    const tar = join(tempDir(t, 'tug-docker-archive-hostile-loop-'), 'loop.tar');
    const members = await validMembers();
    const manifest = JSON.parse(members.at(-1)!.data.toString()) as { Config: string }[];
    manifest[0]!.Config = 'l1';
    writeFileSync(tar, await tarOf([...members.slice(0, -1), { name: 'l1', type: 'symlink', linkname: 'l2' }, { name: 'l2', type: 'symlink', linkname: 'l1' }, { name: 'manifest.json', data: Buffer.from(JSON.stringify(manifest)) }]));
    await assert.rejects(dockerArchiveTransport.parse(tar).newSource({}), (e: unknown) => e instanceof TugError && e.code === 'UNSAFE_INPUT' && e.message.includes('links'));
  });
});

interface TarMember {
  name: string;
  data?: Buffer;
  type?: 'file' | 'symlink' | 'link' | 'character-device';
  linkname?: string;
}

async function tarOf(members: TarMember[]): Promise<Buffer> {
  const pack = tarStream.pack();
  const chunks: Buffer[] = [];
  pack.on('data', (c: unknown) => {
    chunks.push(c as Buffer);
  });
  const done = new Promise<void>((r) => pack.on('end', () => r()));
  for (const m of members) {
    const type = m.type ?? 'file';
    await new Promise<void>((res, rej) =>
      pack.entry(
        { name: m.name, type, size: type === 'file' ? (m.data?.length ?? 0) : 0, mode: 0o644, mtime: new Date(0), ...(m.linkname ? { linkname: m.linkname } : {}), ...(type === 'character-device' ? { devmajor: 1, devminor: 3 } : {}) },
        type === 'file' ? (m.data ?? Buffer.alloc(0)) : Buffer.alloc(0),
        (e) => (e ? rej(e) : res()),
      ),
    );
  }
  pack.finalize();
  await done;
  return Buffer.concat(chunks);
}
