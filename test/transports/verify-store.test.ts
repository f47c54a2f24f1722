/**
 * Issue 10, items 12 and 13, through the real CLI: `tug verify` of local
 * stores by their bytes, `--verify-existing` on copy and sync, and stale
 * temp files of killed runs removed on the next write (a live writer's kept).
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, readdirSync, utimesSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { type GeneratedImage, makeImage, writeOciLayout } from '../support/images.ts';
import { runTug } from '../support/tug.ts';
import { tempDir } from '../support/tmp.ts';

const sha = (b: Buffer) => `sha256:${createHash('sha256').update(b).digest('hex')}`;

/** The three local stores: how to name the image and the store, and where a blob's file is. */
const STORES = [
  { kind: 'oci', image: (d: string) => `oci:${d}:v1`, store: (d: string) => `oci:${d}`, blob: (d: string, digest: string) => join(d, 'blobs', 'sha256', digest.slice(7)), tempDir: (d: string) => join(d, 'blobs', 'sha256') },
  { kind: 'dir', image: (d: string) => `dir:${d}`, store: (d: string) => `dir:${d}`, blob: (d: string, digest: string) => join(d, digest.slice(7)), tempDir: (d: string) => d },
  {
    kind: 'registry-dir',
    image: (d: string) => `registry-dir:${d}:team/app:v1`,
    store: (d: string) => `registry-dir:${d}`,
    blob: (d: string, digest: string) => join(d, 'docker', 'registry', 'v2', 'blobs', 'sha256', digest.slice(7, 9), digest.slice(7), 'data'),
    tempDir: (d: string, digest: string) => join(d, 'docker', 'registry', 'v2', 'blobs', 'sha256', digest.slice(7, 9), digest.slice(7)),
  },
];

async function sourceLayout(t: Parameters<typeof tempDir>[0]): Promise<{ src: string; image: GeneratedImage; layer: string }> {
  const image = await makeImage({ seed: 'verify-store', layerSizes: [4096, 300_000] });
  const src = tempDir(t, 'tug-verify-src-');
  writeOciLayout(src, image, 'v1');
  const layer = image.manifests[0]!.layers.at(-1)!.digest;
  return { src, image, layer };
}

/** Same size, other bytes: what a bad disk or a half-finished foreign write leaves. */
function corrupt(path: string): void {
  const bytes = readFileSync(path);
  for (let i = 0; i < 64; i++) bytes[i] = bytes[i]! ^ 0xff;
  writeFileSync(path, bytes);
}

for (const s of STORES) {
  test(`${s.kind}: tug verify names a blob with the right size and wrong bytes (exit 3); copy --verify-existing rewrites it`, async (t) => {
    const { src, layer } = await sourceLayout(t);
    const dest = join(tempDir(t, 'tug-verify-dest-'), 'store');
    const first = await runTug(['copy', `oci:${src}:v1`, s.image(dest)]);
    assert.equal(first.code, 0, first.stderr);

    const clean = await runTug(['verify', s.store(dest)]);
    assert.equal(clean.code, 0, clean.stdout + clean.stderr);
    assert.match(clean.stdout, /all good/);

    const path = s.blob(dest, layer);
    corrupt(path);
    const bad = await runTug(['verify', s.store(dest)]);
    assert.equal(bad.code, 3, bad.stdout + bad.stderr);
    assert.ok(bad.stdout.includes(path), bad.stdout);
    assert.ok(bad.stdout.includes(`expected ${layer}, got ${sha(readFileSync(path))}`), bad.stdout);

    // The default trusts a stored blob of the right name and size, as skopeo does.
    const trusting = await runTug(['copy', `oci:${src}:v1`, s.image(dest)]);
    assert.equal(trusting.code, 0, trusting.stderr);
    assert.notEqual(sha(readFileSync(path)), layer);

    const repair = await runTug(['copy', '--verify-existing', `oci:${src}:v1`, s.image(dest)]);
    assert.equal(repair.code, 0, repair.stderr);
    assert.match(repair.stdout, /, 1 rewritten/);
    assert.equal(sha(readFileSync(path)), layer);
    assert.equal((await runTug(['verify', s.store(dest)])).code, 0);
  });

  test(`${s.kind}: a copy removes stale temp files of killed runs, not a live writer's`, async (t) => {
    const { src, layer } = await sourceLayout(t);
    const dest = join(tempDir(t, 'tug-verify-dest-'), 'store');
    assert.equal((await runTug(['copy', `oci:${src}:v1`, s.image(dest)])).code, 0);
    const dir = s.tempDir(dest, layer);
    mkdirSync(dir, { recursive: true });
    const dead = spawnSync('true').pid!; // a pid that has exited
    const start = Date.now().toString(36);
    const plant = (name: string, ageMs: number) => {
      const path = join(dir, name);
      writeFileSync(path, Buffer.alloc(1024 * 1024));
      const when = new Date(Date.now() - ageMs);
      utimesSync(path, when, when);
      return path;
    };
    const killed = plant(`.tug-tmp-${dead}-${start}-0a0b0c0d-data`, 5_000);
    const ancient = plant('.tug-tmp-0123456789ab-data', 2 * 24 * 3600_000); // the old name, without a pid
    const live = plant(`.tug-tmp-${process.pid}-${start}-01020304-data`, 0);
    const again = await runTug(['copy', `oci:${src}:v1`, s.image(dest)]);
    assert.equal(again.code, 0, again.stderr);
    assert.ok(!existsSync(killed), 'a dead writer\'s temp file is removed');
    assert.ok(!existsSync(ancient), 'a temp file untouched for days is removed');
    assert.ok(existsSync(live), 'a live writer\'s fresh temp file is kept');
    assert.deepEqual(readdirSync(dir).filter((n) => n.startsWith('.tug-tmp-')), [live.slice(dir.length + 1)]);
  });
}

test('sync --verify-existing re-checks up-to-date images in a local destination and reports the rewrites', async (t) => {
  const { src, layer } = await sourceLayout(t);
  const work = tempDir(t, 'tug-verify-sync-');
  const tree = join(work, 'tree');
  assert.equal((await runTug(['copy', `oci:${src}:v1`, `dir:${join(tree, 'app')}`])).code, 0);
  const out = join(work, 'out');
  const first = await runTug(['sync', '--src', 'dir', '--dest', 'oci', tree, out]);
  assert.equal(first.code, 0, first.stderr);
  const path = join(out, 'blobs', 'sha256', layer.slice(7));
  corrupt(path);
  const plain = await runTug(['sync', '--src', 'dir', '--dest', 'oci', tree, out]);
  assert.equal(plain.code, 0, plain.stderr);
  assert.match(plain.stdout, /1 up to date/);
  assert.notEqual(sha(readFileSync(path)), layer, 'an up-to-date image is not looked at by default');
  const checked = await runTug(['sync', '--verify-existing', '--src', 'dir', '--dest', 'oci', tree, out]);
  assert.equal(checked.code, 0, checked.stderr);
  assert.match(checked.stdout, /Rewrote 1 blob the destination stored with wrong bytes/);
  assert.equal(sha(readFileSync(path)), layer);
});

test('tug verify: a registry name or no argument is a usage error (exit 2)', async () => {
  const remote = await runTug(['verify', 'docker://127.0.0.1:1/x:y']);
  assert.equal(remote.code, 2, remote.stderr);
  assert.match(remote.stderr, /local store/);
  const none = await runTug(['verify']);
  assert.equal(none.code, 2, none.stderr);
});
