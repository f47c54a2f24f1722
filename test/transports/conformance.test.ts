/**
 * The conformance suite every transport runs (issue 11, item 8). One row per
 * transport says how to name an image in a fresh store of that transport and
 * what the transport promises; the table is checked against `transports`
 * (src/transports/index.ts), so a transport registered without a row fails
 * here. For every row:
 *
 * - round trip: a multi-arch image (an index over two platforms) and a
 *   single image go from a real registry into the store and back out to a
 *   second real registry, with manifests byte for byte (digests preserved),
 *   cross-checked with a reader that is not Tugboat (skopeo, or the real
 *   registry serving a registry-dir: tree);
 * - interruption (local stores): the real CLI is SIGKILLed mid-blob while a
 *   fault proxy stalls the source; the store still holds its earlier image,
 *   no file is named by a digest its bytes do not have, and a re-run completes;
 * - hostile names: `../`, absolute paths, very long names, newline and NUL
 *   where the transport takes a name give one clear error line and write
 *   nothing outside the store.
 */
import assert from 'node:assert/strict';
import { type ChildProcess, spawn } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync } from 'node:fs';
import { basename, dirname, join, relative } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { after, before, describe, type TestContext, test } from 'node:test';
import { copyImage } from '../../src/copy/copy.ts';
import { errorCode, errorText } from '../../src/errors/index.ts';
import type { Digest } from '../../src/reference/digest.ts';
import { parseImageName, parseStoreName, transports } from '../../src/transports/index.ts';
import { type FaultProxy, startFaultProxy } from '../support/fault-proxy.ts';
import { type GeneratedImage, type GeneratedManifest, makeImage, multiArch, pushImage, sha256 } from '../support/images.ts';
import { type TestRegistry, startRegistry } from '../support/registry.ts';
import { type TestDockerd, dockerdSkipReason, startDockerd } from '../support/dockerd.ts';
import { rawManifest } from '../support/skopeo.ts';
import { tempDir } from '../support/tmp.ts';
import { runTug, TUG_ARGV } from '../support/tug.ts';
import { listFiles } from './helpers.ts';

/** Where one test keeps its store: `dir/store` on disk, or a fresh repository of `registry`. */
interface Place {
  /** The test's temp dir; local stores live in `store/` below it, archive scratch space in `scratch/`. */
  dir: string;
  store: string;
  scratch: string;
  /** A registry for stores that are registries (docker://), with a repository prefix no other test uses. */
  registry: TestRegistry;
  repo: string;
}

/** What a transport promises, and how to name an image in a fresh store of it. */
interface ConformanceRow {
  /** The full name of image `tag` in the store of `place` (`tag` is a plain word: multi, single, base, big). */
  name(place: Place, tag: string): string;
  /** The store is on the local file system (interrupted, and hostile names must not write outside `place.store`). */
  local: boolean;
  /** The store keeps an index whole (`--all`); false: one platform per image, picked with --platform. */
  holdsIndex: boolean;
  /**
   * The store keeps manifest bytes, so digests survive. False (docker-archive:
   * layers are stored uncompressed): what survives is the config, i.e. the
   * image ID, and the layers' diff_ids.
   */
  keepsManifests: boolean;
  /** The top-level manifest as a reader other than Tugboat sees it. */
  readIndependently(place: Place, name: string, tag: string): Promise<Buffer>;
  /** The name `tug verify` checks the whole store by, where it can. */
  verifyName?(place: Place): string;
  /**
   * The image name with `payload` where a user names the image in the store
   * (a ref, a repository), and whether the transport may accept it (then it
   * must land inside the store). Undefined when the transport names images
   * by path alone and the payload is a legitimate path: dir:PATH/../x is the
   * user's own choice, as it is for skopeo.
   */
  hostile(place: Place, payload: Payload): { name: string; mayWork: boolean } | undefined;
  /** Why this machine cannot run the row (its counterpart needs root), if so. */
  skip?(): string | undefined;
}

/** A payload where the transport takes an image's name (ref, repository, tag): only a long one may be fine. */
const inNameSlot = (name: string, payload: Payload) => ({ name, mayWork: payload.kind === 'long' });

const skopeoRaw = async (name: string) => Buffer.from(await rawManifest(name, name.startsWith('docker://') ? ['--tls-verify=false'] : []));

const ROWS: Record<string, ConformanceRow> = {
  docker: {
    name: (p, tag) => `docker://${p.registry.host}/${p.repo}/${tag}:v1`,
    local: false,
    holdsIndex: true,
    keepsManifests: true,
    readIndependently: (_p, name) => skopeoRaw(name),
    hostile: (p, payload) => inNameSlot(`docker://${p.registry.host}/${p.repo}/${payload.text}:v1`, payload),
  },
  dir: {
    name: (p) => `dir:${p.store}`,
    local: true,
    holdsIndex: true,
    keepsManifests: true,
    readIndependently: (_p, name) => skopeoRaw(name),
    verifyName: (p) => `dir:${p.store}`,
    // The path is the only name: a long or multi-line directory name is the user's to choose; NUL is no path at all.
    hostile: (p, payload) => (payload.kind === 'traversal' || payload.kind === 'absolute' ? undefined : { name: `dir:${p.store}/${payload.text}`, mayWork: payload.kind !== 'nul' }),
  },
  oci: {
    name: (p, tag) => `oci:${p.store}:${tag}`,
    local: true,
    holdsIndex: true,
    keepsManifests: true,
    readIndependently: (_p, name) => skopeoRaw(name),
    verifyName: (p) => `oci:${p.store}`,
    hostile: (p, payload) => inNameSlot(`oci:${p.store}:${payload.text}`, payload),
  },
  'oci-archive': {
    name: (p, tag) => `oci-archive:${p.store}/image.tar:${tag}`,
    local: true,
    holdsIndex: true,
    keepsManifests: true,
    readIndependently: (_p, name) => skopeoRaw(name),
    hostile: (p, payload) => inNameSlot(`oci-archive:${p.store}/image.tar:${payload.text}`, payload),
  },
  'docker-archive': {
    name: (p, tag) => `docker-archive:${p.store}/image.tar:conformance/${tag}:v1`,
    local: true,
    holdsIndex: false,
    keepsManifests: false,
    readIndependently: (_p, name) => skopeoRaw(name),
    hostile: (p, payload) => inNameSlot(`docker-archive:${p.store}/image.tar:${payload.text}:v1`, payload),
  },
  // The store is a real dockerd (started in before(), reached through DOCKER_HOST); skopeo reads it back.
  'docker-daemon': {
    name: (p, tag) => `docker-daemon:conformance/${p.repo}-${tag}:v1`,
    local: false,
    holdsIndex: false,
    keepsManifests: false,
    readIndependently: async (_p, name) => Buffer.from(await rawManifest(name, ['--daemon-host', daemon!.host])),
    hostile: (_p, payload) => inNameSlot(`docker-daemon:conformance/${payload.text}:v1`, payload),
    skip: dockerdSkipReason,
  },
  'registry-dir': {
    name: (p, tag) => `registry-dir:${p.store}:conformance/${tag}:v1`,
    local: true,
    holdsIndex: true,
    keepsManifests: true,
    // The real distribution registry serving the tree as its storage is the reader.
    readIndependently: async (p, _name, tag) => {
      const served = await startRegistry({ rootDirectory: p.store });
      try {
        return await skopeoRaw(`docker://${served.host}/conformance/${tag}:v1`);
      } finally {
        await served.stop();
      }
    },
    verifyName: (p) => `registry-dir:${p.store}`,
    hostile: (p, payload) => inNameSlot(`registry-dir:${p.store}:${payload.text}:v1`, payload),
  },
};

/** A hostile name part. */
interface Payload {
  kind: 'traversal' | 'absolute' | 'long' | 'newline' | 'nul';
  text: string;
}

/** `../` enough times to reach `/` from anywhere, then down into the test dir: lands on `dir/outside` whatever the base. */
function payloads(dir: string): Payload[] {
  return [
    { kind: 'traversal', text: `${'../'.repeat(24)}${dir.slice(1)}/outside` },
    { kind: 'absolute', text: `${dir}/outside` },
    { kind: 'long', text: 'a'.repeat(300) },
    { kind: 'newline', text: 'evil\nname' },
    { kind: 'nul', text: 'evil\0name' },
  ];
}

let source: TestRegistry; // where images come from
let second: TestRegistry; // where they go back out to
let stores: TestRegistry; // the docker row's store
let daemon: TestDockerd | undefined; // the docker-daemon row's store, where dockerd can run
let proxy: FaultProxy; // in front of `source`, for interruptions
const images: Record<string, GeneratedImage> = {};
const ARM64 = { os: 'linux', architecture: 'arm64', variant: 'v8' };
const BIG_LAYER = 4 << 20;
let repos = 0;

before(async () => {
  [source, second, stores] = await Promise.all([startRegistry(), startRegistry(), startRegistry()]);
  if (!dockerdSkipReason()) {
    daemon = await startDockerd();
    // docker-daemon: names carry no host: the library and every tug this file runs find it here.
    process.env.DOCKER_HOST = daemon.host;
  }
  proxy = await startFaultProxy(source.url);
  images.multi = await multiArch('conformance-multi');
  images.single = await makeImage({ seed: 'conformance-single' });
  images.base = await makeImage({ seed: 'conformance-base', layerSizes: [1500] });
  // Random data does not compress: a 4 MiB layer is a 4 MiB blob, so a kill can land inside it.
  images.big = await makeImage({ seed: 'conformance-big', layerSizes: [2048, BIG_LAYER] });
  for (const [tag, image] of Object.entries(images)) await pushImage({ url: source.url, repository: `conformance/${tag}`, tag: 'v1' }, image);
});

after(async () => {
  await proxy?.stop();
  await Promise.all([source?.stop(), second?.stop(), stores?.stop(), daemon?.stop()]);
});

function newPlace(t: TestContext, transport: string): Place {
  const dir = tempDir(t, `tug-conformance-${transport}-`);
  mkdirSync(join(dir, 'scratch'));
  return { dir, store: join(dir, 'store'), scratch: join(dir, 'scratch'), registry: stores, repo: `store${++repos}` };
}

/** Transport options for both sides: plain HTTP to the loopback registries, archive scratch space in the test dir. */
const ctx = (place: Place) => ({ plainHttp: true, tmpDir: place.scratch });

const sourceName = (tag: string, host = source.host) => `docker://${host}/conformance/${tag}:v1`;

/** What a store presents as the top-level manifest, and its instances by digest, read through Tugboat's own source. */
async function readThroughTug(name: string, place: Place, instances: string[] = []): Promise<{ top: Buffer; instances: Buffer[] }> {
  const src = await parseImageName(name).newSource(ctx(place));
  try {
    const top = Buffer.from((await src.getManifest()).bytes);
    const rest: Buffer[] = [];
    for (const d of instances) rest.push(Buffer.from((await src.getManifest(d as Digest)).bytes));
    return { top, instances: rest };
  } finally {
    await src.close();
  }
}

interface ManifestJson {
  config: { digest: string };
  layers: { digest: string }[];
}

/** What survives a store that does not keep manifests: the config digest (image ID) and the layers' diff_ids. */
function imageIdentity(manifest: Buffer): { config: string; layers: string[] } {
  const m = JSON.parse(manifest.toString()) as ManifestJson;
  return { config: m.config.digest, layers: m.layers.map((l) => l.digest) };
}

function expectedIdentity(m: GeneratedManifest): { config: string; layers: string[] } {
  const config = JSON.parse(m.config.bytes.toString()) as { rootfs: { diff_ids: string[] } };
  return { config: m.config.digest, layers: config.rootfs.diff_ids };
}

/** Asserts the store holds `image` (or, for stores that keep one platform per image, its linux/arm64 instance) as the row promises. */
async function assertStoreHolds(row: ConformanceRow, place: Place, tag: string, image: GeneratedImage): Promise<Buffer> {
  const name = row.name(place, tag);
  const expectIndex = row.holdsIndex && image.index !== undefined;
  const { top, instances } = await readThroughTug(name, place, expectIndex ? image.manifests.map((m) => m.digest) : []);
  const independent = await row.readIndependently(place, name, tag);
  if (row.keepsManifests) {
    const want = expectIndex || !image.index ? image.top : image.manifests.find((m) => m.platform.architecture === ARM64.architecture)!;
    assert.equal(sha256(top), want.digest, `${name}: Tugboat reads back the digest it was given`);
    assert.ok(top.equals(want.bytes), `${name}: manifest bytes kept`);
    assert.equal(sha256(independent), want.digest, `${name}: an independent reader sees the same digest`);
    for (const [i, m] of (expectIndex ? image.manifests : []).entries()) assert.ok(instances[i]!.equals(m.bytes), `${name}: instance ${m.digest} kept`);
  } else {
    const want = expectedIdentity(image.index ? image.manifests.find((m) => m.platform.architecture === ARM64.architecture)! : image.manifests[0]!);
    assert.deepEqual(imageIdentity(top), want, `${name}: config (image ID) and layer diff_ids kept`);
    assert.deepEqual(imageIdentity(independent), want, `${name}: an independent reader sees the same image ID and diff_ids`);
  }
  return top;
}

/** Every file of `root` named by a digest (`HEX`, or registry storage's `HEX/data`) has exactly those bytes. */
function assertDigestNamedFilesHold(root: string): void {
  for (const file of existsSync(root) ? listFiles(root) : []) {
    const hex = /^[0-9a-f]{64}$/.test(basename(file)) ? basename(file) : basename(file) === 'data' && /^[0-9a-f]{64}$/.test(basename(dirname(file))) ? basename(dirname(file)) : undefined;
    if (hex) assert.equal(sha256(readFileSync(file)), `sha256:${hex}`, `${relative(root, file)} holds the bytes its name promises`);
  }
}

/** Files under `dir` outside `store` and `scratch` (where nothing of a copy into `store` may land). */
function strayFiles(place: Place): string[] {
  return listFiles(place.dir).filter((f) => !f.startsWith(`${place.store}/`) && !f.startsWith(`${place.scratch}/`));
}

const tempLeftovers = (root: string) => (existsSync(root) ? listFiles(root).filter((f) => basename(f).startsWith('.tug-tmp-')) : []);

async function verifyStore(name: string): Promise<void> {
  const report = await parseStoreName(name).verifyStore();
  assert.deepEqual(report.problems, [], `tug verify ${name}`);
}

/** Starts the real CLI; the caller kills it. */
function startTug(args: string[]): { child: ChildProcess; exited: Promise<void>; stderr: () => string } {
  const child = spawn(TUG_ARGV[0]!, [...TUG_ARGV.slice(1), ...args], { stdio: ['ignore', 'ignore', 'pipe'] });
  let stderr = '';
  child.stderr!.on('data', (d: Buffer) => (stderr += d.toString()));
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  return { child, exited, stderr: () => stderr };
}

/** What `run` throws; fails the test when it does not throw. */
async function rejection(run: () => Promise<unknown>): Promise<unknown> {
  try {
    await run();
  } catch (err) {
    return err;
  }
  assert.fail('expected a refusal');
}

async function until(what: string, ok: () => boolean, ms = 30_000): Promise<void> {
  const deadline = Date.now() + ms;
  while (!ok()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting until ${what}`);
    await sleep(20);
  }
}

test('every registered transport has a conformance row', () => {
  assert.deepEqual(Object.keys(ROWS).sort(), transports.map((t) => t.name).sort());
});

for (const transport of transports) {
  const row = ROWS[transport.name];
  if (!row) continue; // reported by the test above

  describe(`${transport.name}: conformance`, { skip: row.skip?.() }, () => {
    for (const tag of ['multi', 'single']) {
      test(`round trip of the ${tag === 'multi' ? 'multi-arch image (index + 2 platforms)' : 'single image'}: registry -> ${transport.name} -> second registry, digests kept`, async (t) => {
        const place = newPlace(t, transport.name);
        const image = images[tag]!;
        const name = row.name(place, tag);
        assert.equal(parseImageName(name).transport, transport, `${name} names a ${transport.name} image`);
        const pick = row.holdsIndex ? { multiArch: 'all' as const } : { platforms: [ARM64] };

        const into = await copyImage(parseImageName(sourceName(tag)), parseImageName(name), { ...pick, sourceContext: ctx(place), destinationContext: ctx(place) });
        assert.equal(into.sourceDigest, image.top.digest);
        const stored = await assertStoreHolds(row, place, tag, image);

        const back = `docker://${second.host}/back/${transport.name}-${tag}-${repos}:v1`;
        // Byte for byte: the registry would otherwise get the archives' uncompressed layers gzipped (test/copy/compression.test.ts).
        const out = await copyImage(parseImageName(name), parseImageName(back), { multiArch: 'all', preserveDigests: true, sourceContext: ctx(place), destinationContext: ctx(place) });
        const arrived = await skopeoRaw(back);
        assert.ok(arrived.equals(stored), 'the second registry holds what the store presents, byte for byte');
        assert.equal(out.digest, sha256(arrived));
        if (row.keepsManifests && (row.holdsIndex || !image.index)) {
          assert.equal(sha256(arrived), image.top.digest, 'the digest survived the round trip');
          for (const m of image.index ? image.manifests : []) {
            assert.equal(await rawManifest(`docker://${second.host}/back/${transport.name}-${tag}-${repos}@${m.digest}`, ['--tls-verify=false']), m.bytes.toString(), `instance ${m.digest} arrived`);
          }
        }
        if (row.local) assert.deepEqual(strayFiles(place), [], 'nothing written outside the store');
      });
    }

    // A registry store is not written locally: what a killed upload leaves there is the registry's (test/sync/sync-e2e.test.ts kills a sync into one).
    if (row.local) test('a copy killed mid-blob leaves a valid store, and a re-run completes', async (t) => {
      const place = newPlace(t, transport.name);
      await copyImage(parseImageName(sourceName('base')), parseImageName(row.name(place, 'base')), { sourceContext: ctx(place), destinationContext: ctx(place) });
      const archive = row.name(place, 'base').includes('/image.tar:') ? join(place.store, 'image.tar') : undefined;
      const archiveBefore = archive ? sha256(readFileSync(archive)) : undefined;

      // The big layer's first GET is cut after 1 MiB; the resume (Range) stalls: the kill lands inside that blob.
      const big = images.big!.manifests[0]!.layers.find((l) => l.size > BIG_LAYER / 2)!;
      const path = new RegExp(`/blobs/${big.digest}$`);
      proxy.requests.length = 0;
      proxy.setFaults([
        { kind: 'drop-after', bytes: 1 << 20, method: 'GET', path },
        { kind: 'delay', ms: 120_000, method: 'GET', path },
      ]);
      const args = ['copy', '--tmpdir', place.scratch, sourceName('big', proxy.host), row.name(place, 'big')];
      const run = startTug(args);
      try {
        await until('the resumed GET of the big layer stalls', () => proxy.requests.some((r) => r.fault === 'delay') || run.child.exitCode !== null);
        assert.equal(run.child.exitCode, null, `tug exited before the stall: ${run.stderr()}`);
      } finally {
        run.child.kill('SIGKILL');
        await run.exited;
        proxy.setFaults([]);
      }

      // The kill landed inside the big layer: its partial temp file is there.
      const partial = listFiles(place.dir).filter((f) => basename(f).startsWith('.tug-tmp-') && f.includes(big.digest.slice(7, 31)));
      assert.equal(partial.length, 1, 'one partial temp file of the big layer');

      // The store still holds its earlier image, whole, and nothing is named by a digest it does not hold.
      assertDigestNamedFilesHold(place.store);
      assert.ok(!listFiles(place.dir).some((f) => f.includes(big.digest.slice(7)) && !basename(f).startsWith('.tug-tmp-') && !f.startsWith(place.scratch)), 'the half-copied layer is under no final name');
      if (archive) assert.equal(sha256(readFileSync(archive)), archiveBefore, 'the archive is untouched until commit');
      await assertStoreHolds(row, place, 'base', images.base!);
      if (row.verifyName) await verifyStore(row.verifyName(place));
      assert.deepEqual(strayFiles(place), [], 'nothing written outside the store');

      // The same command again completes, sweeps the killed run's temp files, and keeps the earlier image where the store holds several.
      const rerun = await runTug(args);
      assert.equal(rerun.code, 0, rerun.stderr);
      await assertStoreHolds(row, place, 'big', images.big!);
      if (row.name(place, 'base') !== row.name(place, 'big')) await assertStoreHolds(row, place, 'base', images.base!);
      assert.deepEqual(tempLeftovers(place.store), [], 'no temp files left in the store');
      assertDigestNamedFilesHold(place.store);
      if (row.verifyName) await verifyStore(row.verifyName(place));
    });

    test('hostile names (../, absolute, very long, newline, NUL): one clear error line, nothing written outside the store', async (t) => {
      const place = newPlace(t, transport.name);
      const catalog = async () => (await fetch(`${place.registry.url}/v2/_catalog?n=1000`)).text();
      const before = row.local ? undefined : await catalog();
      for (const payload of payloads(place.dir)) {
        const slot = row.hostile(place, payload);
        if (slot === undefined) continue;
        const { name, mayWork } = slot;
        const what = `${transport.name} with a ${payload.kind} name`;
        if (payload.kind === 'nul') {
          // argv cannot carry NUL: the library is asked as the CLI would ask it, and its error is what the CLI prints.
          const err = await rejection(async () => copyImage(parseImageName(sourceName('base')), parseImageName(name), { sourceContext: ctx(place), destinationContext: ctx(place) }));
          assert.ok(['USAGE', 'UNSAFE_INPUT'].includes(errorCode(err)), `${what}: refused as bad input, got ${errorCode(err)}: ${errorText(err)}`);
          assert.doesNotMatch(errorText(err), /[\0\n\r]/, `${what}: the message is one printable line`);
        } else {
          const run = await runTug(['copy', '--tmpdir', place.scratch, sourceName('base'), name]);
          if (run.code !== 0 || !mayWork) {
            // A name refused as such is a usage error (2); a harmless one the OS refuses (ENAMETOOLONG) may be an I/O error (1).
            assert.ok(run.code === 2 || (mayWork && run.code === 1), `${what}: exit ${run.code}, want 2 (${run.stderr})`);
            const lines = run.stderr.split('\n').filter((l) => l !== '');
            const errors = lines.filter((l) => l.startsWith('tug: error: '));
            assert.equal(errors.length, 1, `${what}: one error line, got ${JSON.stringify(run.stderr)}`);
            assert.equal(lines.at(-1), errors[0], `${what}: the error line ends the output, got ${JSON.stringify(run.stderr)}`);
            assert.ok(!lines.some((l) => /^\s+at /.test(l)), `${what}: no stack trace`);
            if (payload.kind === 'newline') assert.ok(errors[0]!.includes('evil\\nname'), `${what}: the name is quoted with its newline escaped: ${errors[0]}`);
          }
        }
        assert.equal(existsSync(join(place.dir, 'outside')), false, `${what}: nothing written at the traversal target`);
        if (row.local) assert.deepEqual(strayFiles(place), [], `${what}: nothing written outside the store`);
      }
      if (!row.local) assert.equal(await catalog(), before, 'no repository created');
    });
  });
}
