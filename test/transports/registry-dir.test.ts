/**
 * registry-dir: against the real docker-registry (serving what tug wrote,
 * and writing what tug reads) and real skopeo.
 */
import { existsSync, mkdirSync, readFileSync, readdirSync, rmSync, symlinkSync, unlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { TugError } from '../../src/errors/index.ts';
import { verifyingStream } from '../../src/oci/index.ts';
import type { Digest } from '../../src/reference/index.ts';
import { RegistryDirReference, registryDirTransport } from '../../src/transports/registry-dir/registry-dir-transport.ts';
import type { ImageDestination } from '../../src/transports/types.ts';
import { type GeneratedImage, makeImage, multiArch, pushImage, sha256 } from '../support/images.ts';
import { readAll } from './helpers.ts';
import { tempDir } from '../support/tmp.ts';
import { startRegistry } from '../support/registry.ts';
import { rawManifest, skopeo } from '../support/skopeo.ts';


const v2 = (root: string, ...parts: string[]) => join(root, 'docker', 'registry', 'v2', ...parts);

/** Writes blobs, instance manifests, the top manifest; commits unless told not to. Returns how many blobs were uploaded. */
async function tugWrite(name: string, image: GeneratedImage, options: { commit?: boolean } = {}): Promise<number> {
  const dest: ImageDestination = await registryDirTransport.parse(name).newDestination({});
  let uploaded = 0;
  try {
    await Promise.all(
      [...image.blobs.values()].map(async (b) => {
        const desc = { mediaType: b.mediaType, digest: b.digest as Digest, size: b.size };
        if (await dest.hasBlob(desc)) return;
        uploaded++;
        await dest.putBlob(desc, Readable.from([b.bytes]).pipe(verifyingStream(desc, b.digest)));
      }),
    );
    if (image.index) {
      for (const m of image.manifests) await dest.putManifest({ bytes: m.bytes, mediaType: m.mediaType, digest: m.digest as Digest }, { instance: true });
    }
    await dest.putManifest({ bytes: image.top.bytes, mediaType: image.top.mediaType, digest: image.top.digest as Digest }, { instance: false });
    if (options.commit !== false) await dest.commit();
  } finally {
    await dest.close();
  }
  return uploaded;
}

describe('registry-dir: reference parsing', () => {
  const digest = `sha256:${'b'.repeat(64)}`;
  const cases: { input: string; path?: string; repository?: string; tag?: string; digest?: string; error?: string }[] = [
    { input: '/srv/reg:library/nginx:1.27', path: '/srv/reg', repository: 'library/nginx', tag: '1.27' },
    { input: '/srv/reg:nginx', path: '/srv/reg', repository: 'nginx', tag: 'latest' },
    { input: `rel/dir:a/b/c@${digest}`, path: 'rel/dir', repository: 'a/b/c', digest },
    { input: `/srv/reg:a:1@${digest}`, path: '/srv/reg', repository: 'a', tag: '1', digest },
    { input: '/srv/reg', error: 'missing the repository' },
    { input: ':nginx:1', error: 'missing the storage path' },
    { input: '/srv/reg:Nginx:1', error: 'lower-case' },
    { input: '/srv/reg:127.0.0.1:5000/x:1', error: 'invalid registry-dir reference' },
    { input: '/srv/reg:a/../b:1', error: 'contains ".."' },
    { input: '/srv/reg:a@sha256:../../x', error: 'digest' },
  ];
  for (const c of cases) {
    test(c.input, () => {
      if (c.error) {
        assert.throws(() => registryDirTransport.parse(c.input), (e: unknown) => e instanceof TugError && e.code === 'USAGE' && e.message.includes(c.error!));
        return;
      }
      const r = registryDirTransport.parse(c.input) as RegistryDirReference;
      assert.deepEqual([r.path, r.repository, r.tag, r.digest], [c.path, c.repository, c.tag, c.digest]);
      assert.equal((registryDirTransport.parse(r.reference) as RegistryDirReference).toString(), r.toString());
    });
  }
});

describe('registry-dir: tug writes, the real registry serves', () => {
  test('single and multi-arch images, OCI and Docker, in two repositories sharing base blobs', async (t) => {
    const root = tempDir(t, 'tug-registry-dir-served-');
    const a = await multiArch('rd-a', 'oci');
    const b = await multiArch('rd-b', 'docker');
    const single = await makeImage({ seed: 'rd-single', flavour: 'docker', baseLayers: [{ seed: 'base-os', size: 8192 }] });
    const images: [string, string, GeneratedImage][] = [
      ['team/a', '1', a],
      ['team/b', 'v2', b],
      ['team/a', 'single', single],
    ];
    const uploads: number[] = [];
    for (const [repo, tag, image] of images) uploads.push(await tugWrite(`${root}:${repo}:${tag}`, image));
    // the base layers (same bytes in a and b) are stored once and only linked into team/b
    assert.equal(uploads[0], a.blobs.size);
    const shared = [...b.blobs.keys()].filter((d) => a.blobs.has(d));
    assert.equal(shared.length, 2, 'one base layer per platform is shared');
    assert.equal(uploads[1], b.blobs.size - shared.length);
    for (const d of shared) assert.equal(readFileSync(v2(root, 'repositories', 'team', 'b', '_layers', 'sha256', d.slice(7), 'link'), 'utf8'), d);
    assert.equal(readFileSync(v2(root, 'repositories', 'team', 'a', '_manifests', 'tags', '1', 'current', 'link'), 'utf8'), a.top.digest);
    assert.ok(existsSync(v2(root, 'repositories', 'team', 'a', '_manifests', 'tags', '1', 'index', 'sha256', a.top.digest.slice(7), 'link')));
    for (const m of a.manifests) assert.ok(existsSync(v2(root, 'repositories', 'team', 'a', '_manifests', 'revisions', 'sha256', m.digest.slice(7), 'link')));
    // writing the same image again moves no bytes
    assert.equal(await tugWrite(`${root}:team/a:1`, a), 0);

    const ref = registryDirTransport.parse(`${root}:team/a`) as RegistryDirReference;
    assert.deepEqual(await ref.listTags({}), ['1', 'single']);

    const registry = await startRegistry({ rootDirectory: root });
    try {
      for (const [repo, tag, image] of images) {
        const name = `docker://${registry.host}/${repo}:${tag}`;
        assert.equal(await rawManifest(name, ['--tls-verify=false']), image.top.bytes.toString(), `${name}: exact manifest bytes`);
        const out = join(tempDir(t, 'tug-registry-dir-served-copies-'), `${repo.replace('/', '-')}-${tag}`);
        await skopeo(['copy', '--all', '--src-tls-verify=false', name, `oci:${out}:x`]);
        const blobs = readdirSync(join(out, 'blobs', 'sha256'));
        // skopeo converts Docker types to OCI for an oci: layout (new manifests and configs), but
        // layers are copied as they are: every layer must have been served.
        for (const m of image.manifests) for (const l of m.layers) assert.ok(blobs.includes(l.digest.slice(7)), `${name}: layer ${l.digest} served`);
        if (image.flavour === 'oci') {
          const index = JSON.parse(readFileSync(join(out, 'index.json'), 'utf8')) as { manifests: { digest: string }[] };
          assert.equal(index.manifests[0]!.digest, image.top.digest, `${name}: copied without changes`);
          for (const d of image.blobs.keys()) assert.ok(blobs.includes(d.slice(7)), `${name}: blob ${d} served`);
        }
      }
      const tags = JSON.parse(await skopeo(['list-tags', '--tls-verify=false', `docker://${registry.host}/team/a`])) as { Tags: string[] };
      assert.deepEqual(tags.Tags.sort(), ['1', 'single']);
    } finally {
      await registry.stop();
    }
  });

  test('a digest-only name writes no tag, and a mismatching digest is refused', async (t) => {
    const root = tempDir(t, 'tug-registry-dir-by-digest-');
    const image = await makeImage({ seed: 'rd-digest' });
    await tugWrite(`${root}:d@${image.top.digest}`, image);
    assert.equal(existsSync(v2(root, 'repositories', 'd', '_manifests', 'tags')), false);
    const src = await registryDirTransport.parse(`${root}:d@${image.top.digest}`).newSource({});
    assert.deepEqual((await src.getManifest()).bytes, image.top.bytes);
    await src.close();
    await assert.rejects(tugWrite(`${root}:d@sha256:${'c'.repeat(64)}`, image), (e: unknown) => e instanceof TugError && e.code === 'INTEGRITY');
  });
});

describe('registry-dir: the real registry writes, tug reads', () => {
  test('manifests and blobs read back byte for byte', async () => {
    const registry = await startRegistry();
    try {
      const multi = await multiArch('rd-pushed', 'oci');
      const single = await makeImage({ seed: 'rd-pushed-single', flavour: 'docker' });
      await pushImage({ url: registry.url, repository: 'pushed/multi', tag: 'latest' }, multi);
      await pushImage({ url: registry.url, repository: 'pushed/single', tag: '3.1' }, single);

      for (const [name, image] of [[`${registry.root}:pushed/multi`, multi], [`${registry.root}:pushed/single:3.1`, single]] as const) {
        const src = await registryDirTransport.parse(name).newSource({});
        try {
          const top = await src.getManifest();
          assert.deepEqual(top.bytes, image.top.bytes);
          assert.equal(top.mediaType, image.top.mediaType);
          assert.equal(top.claimedDigest, image.top.digest);
          for (const m of image.manifests) {
            const got = await src.getManifest(m.digest as Digest);
            assert.deepEqual(got.bytes, m.bytes);
            assert.equal(got.mediaType, m.mediaType);
          }
          for (const b of image.blobs.values()) {
            const bytes = await readAll(await src.getBlob({ mediaType: b.mediaType, digest: b.digest as Digest, size: b.size }));
            assert.equal(sha256(bytes), b.digest);
          }
          const other = await makeImage({ seed: 'rd-not-there' });
          const absent = [...other.blobs.values()][0]!;
          await assert.rejects(src.getBlob({ mediaType: absent.mediaType, digest: absent.digest as Digest, size: absent.size }), (e: unknown) => e instanceof TugError && e.code === 'NOT_FOUND');
        } finally {
          await src.close();
        }
      }
      // a blob of pushed/multi is not linked into pushed/single: the registry would not serve it there either
      const foreign = multi.manifests[0]!.layers[0]!;
      const src = await registryDirTransport.parse(`${registry.root}:pushed/single:3.1`).newSource({});
      await assert.rejects(src.getBlob({ mediaType: foreign.mediaType, digest: foreign.digest as Digest, size: foreign.size }), (e: unknown) => e instanceof TugError && e.code === 'NOT_FOUND');
      await assert.rejects(registryDirTransport.parse(`${registry.root}:pushed/single:nope`).newSource({}).then((s) => s.getManifest()), (e: unknown) => e instanceof TugError && e.code === 'NOT_FOUND');
      assert.deepEqual(await (registryDirTransport.parse(`${registry.root}:pushed/single`) as RegistryDirReference).listTags({}), ['3.1']);
    } finally {
      await registry.stop();
    }
  });
});

describe('registry-dir: crash safety, deletion and hostile trees', () => {
  test('the tag is written last: closing without commit leaves no tag', async (t) => {
    const root = tempDir(t, 'tug-registry-dir-no-commit-');
    const image = await multiArch('rd-nocommit', 'oci');
    await tugWrite(`${root}:c/img:1`, image, { commit: false });
    assert.ok(existsSync(v2(root, 'repositories', 'c', 'img', '_manifests', 'revisions', 'sha256', image.top.digest.slice(7), 'link')));
    assert.equal(existsSync(v2(root, 'repositories', 'c', 'img', '_manifests', 'tags')), false);
    const src = await registryDirTransport.parse(`${root}:c/img:1`).newSource({});
    await assert.rejects(src.getManifest(), (e: unknown) => e instanceof TugError && e.code === 'NOT_FOUND');
  });

  test('a manifest whose blobs are not in the repository is refused', async (t) => {
    const root = tempDir(t, 'tug-registry-dir-missing-blobs-');
    const image = await makeImage({ seed: 'rd-missing' });
    const dest = await registryDirTransport.parse(`${root}:m:1`).newDestination({});
    try {
      await assert.rejects(
        dest.putManifest({ bytes: image.top.bytes, mediaType: image.top.mediaType, digest: image.top.digest as Digest }, { instance: false }),
        (e: unknown) => e instanceof TugError && e.message.includes('not stored'),
      );
      // present with another size: not reused
      const cfg = image.manifests[0]!.config;
      assert.equal(await dest.hasBlob({ mediaType: cfg.mediaType, digest: cfg.digest as Digest, size: cfg.size }), false);
    } finally {
      await dest.close();
    }
  });

  test('a blob whose stream fails verification is neither stored nor linked', async (t) => {
    const root = tempDir(t, 'tug-registry-dir-corrupt-');
    const layer = (await makeImage({ seed: 'rd-corrupt' })).manifests[0]!.layers[1]!;
    const desc = { mediaType: layer.mediaType, digest: layer.digest as Digest, size: layer.size };
    const corrupt = Buffer.from(layer.bytes);
    corrupt[100] = corrupt[100]! ^ 0xff;
    const dest = await registryDirTransport.parse(`${root}:c:1`).newDestination({});
    try {
      await assert.rejects(dest.putBlob(desc, Readable.from([corrupt]).pipe(verifyingStream(desc, 'layer'))), (e: unknown) => e instanceof TugError && e.code === 'INTEGRITY');
      assert.equal(await dest.hasBlob(desc), false);
      const hex = layer.digest.slice(7);
      assert.deepEqual(existsSync(v2(root, 'blobs', 'sha256', hex.slice(0, 2), hex)) ? readdirSync(v2(root, 'blobs', 'sha256', hex.slice(0, 2), hex)) : [], [], 'no data, no temp file');
      assert.equal(existsSync(v2(root, 'repositories', 'c', '_layers', 'sha256', hex)), false);
    } finally {
      await dest.close();
    }
  });

  test('deleteImage removes the tag and keeps the blobs', async (t) => {
    const root = tempDir(t, 'tug-registry-dir-delete-');
    const image = await makeImage({ seed: 'rd-delete' });
    await tugWrite(`${root}:del:1`, image);
    await tugWrite(`${root}:del:2`, image);
    const ref = registryDirTransport.parse(`${root}:del:1`) as RegistryDirReference;
    await ref.deleteImage({});
    assert.deepEqual(await ref.listTags({}), ['2']);
    await assert.rejects(ref.deleteImage({}), (e: unknown) => e instanceof TugError && e.code === 'NOT_FOUND');
    for (const d of image.blobs.keys()) assert.ok(existsSync(v2(root, 'blobs', 'sha256', d.slice(7, 9), d.slice(7), 'data')));
    // by digest: the revision and every tag pointing at it go
    await (registryDirTransport.parse(`${root}:del@${image.top.digest}`) as RegistryDirReference).deleteImage({});
    assert.deepEqual(await ref.listTags({}), []);
    assert.equal(existsSync(v2(root, 'repositories', 'del', '_manifests', 'revisions', 'sha256', image.top.digest.slice(7))), false);
  });

  test('hostile link content and symlinks out of PATH are refused with UNSAFE_INPUT', async (t) => {
    const root = tempDir(t, 'tug-registry-dir-hostile-');
    const outside = tempDir(t, 'tug-registry-dir-outside-');
    writeFileSync(join(outside, 'secret'), 'not yours');
    const image = await makeImage({ seed: 'rd-hostile' });
    await tugWrite(`${root}:h:1`, image);
    const isUnsafe = (e: unknown) => e instanceof TugError && e.code === 'UNSAFE_INPUT';
    const open = () => registryDirTransport.parse(`${root}:h:1`).newSource({});
    const layer = image.manifests[0]!.layers[0]!;
    const layerDesc = { mediaType: layer.mediaType, digest: layer.digest as Digest, size: layer.size };

    const current = v2(root, 'repositories', 'h', '_manifests', 'tags', '1', 'current', 'link');
    writeFileSync(current, 'sha256:../../x');
    await assert.rejects((await open()).getManifest(), isUnsafe);
    writeFileSync(current, image.top.digest);
    assert.deepEqual((await (await open()).getManifest()).bytes, image.top.bytes, 'control: a sound link reads');

    const layerLink = v2(root, 'repositories', 'h', '_layers', 'sha256', layer.digest.slice(7), 'link');
    writeFileSync(layerLink, `sha256:../../../../${'0'.repeat(50)}`);
    await assert.rejects((await open()).getBlob(layerDesc), isUnsafe);
    writeFileSync(layerLink, layer.digest);

    const data = v2(root, 'blobs', 'sha256', layer.digest.slice(7, 9), layer.digest.slice(7), 'data');
    unlinkSync(data);
    symlinkSync(join(outside, 'secret'), data);
    await assert.rejects((await open()).getBlob(layerDesc), isUnsafe);

    // a whole repository directory that is a symlink out of PATH
    rmSync(v2(root, 'repositories', 'h'), { recursive: true });
    mkdirSync(join(outside, 'h', '_manifests', 'tags', '1', 'current'), { recursive: true });
    writeFileSync(join(outside, 'h', '_manifests', 'tags', '1', 'current', 'link'), image.top.digest);
    symlinkSync(join(outside, 'h'), v2(root, 'repositories', 'h'));
    await assert.rejects((await open()).getManifest(), isUnsafe);
  });
});
