/** Shared helpers of the transport tests. Temp directories come from ../support/tmp.ts. */
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { verifyingStream } from '../../src/oci/verify.ts';
import type { Digest } from '../../src/reference/digest.ts';
import type { ImageDestination, ImageSource } from '../../src/transports/types.ts';
import type { GeneratedImage } from '../support/images.ts';

/** Writes `image` through the destination API in the engine's order: blobs, instances, top, commit, close. */
export async function writeImage(dest: ImageDestination, image: GeneratedImage): Promise<void> {
  try {
    for (const b of image.blobs.values()) {
      const desc = { mediaType: b.mediaType, digest: b.digest as Digest, size: b.size };
      if (await dest.hasBlob(desc)) continue;
      await dest.putBlob(desc, Readable.from([b.bytes]).pipe(verifyingStream(desc, `blob ${b.digest}`)));
    }
    if (image.index) {
      for (const m of image.manifests) await dest.putManifest({ bytes: m.bytes, mediaType: m.mediaType, digest: m.digest as Digest }, { instance: true });
    }
    await dest.putManifest({ bytes: image.top.bytes, mediaType: image.top.mediaType, digest: image.top.digest as Digest }, { instance: false });
    await dest.commit();
  } finally {
    await dest.close();
  }
}

/** The whole of a stream, e.g. a blob from a source. */
export async function readAll(stream: Readable): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const c of stream) chunks.push(c as Buffer);
  return Buffer.concat(chunks);
}

async function streamDigest(s: Readable): Promise<string> {
  const h = createHash('sha256');
  for await (const chunk of s) h.update(chunk as Buffer);
  return `sha256:${h.digest('hex')}`;
}

/**
 * Reads `image` back through the source API: the top-level and every
 * instance manifest byte for byte, and every blob hashed to its digest.
 */
export async function assertSourceHolds(src: ImageSource, image: GeneratedImage): Promise<void> {
  try {
    const top = await src.getManifest();
    assert.deepEqual(Buffer.from(top.bytes), image.top.bytes, 'top-level manifest bytes');
    assert.equal(top.mediaType, image.top.mediaType);
    if (image.index) {
      for (const m of image.manifests) {
        const got = await src.getManifest(m.digest as Digest);
        assert.deepEqual(Buffer.from(got.bytes), m.bytes, `instance ${m.digest}`);
        assert.equal(got.mediaType, m.mediaType);
      }
    }
    for (const b of image.blobs.values()) {
      const digest = await streamDigest(await src.getBlob({ mediaType: b.mediaType, digest: b.digest as Digest, size: b.size }));
      assert.equal(digest, b.digest, `blob ${b.digest}`);
    }
  } finally {
    await src.close();
  }
}

/** The digest of the (only / named) entry of an OCI layout's index.json, as skopeo wrote it. */
export function layoutTopDigest(layout: string, ref: string): string {
  const index = JSON.parse(readFileSync(join(layout, 'index.json'), 'utf8')) as { manifests: { digest: string; annotations?: Record<string, string> }[] };
  const entry = index.manifests.find((m) => m.annotations?.['org.opencontainers.image.ref.name'] === ref);
  assert.ok(entry, `index.json of ${layout} has an entry named ${ref}`);
  return entry.digest;
}

/** Names of every file under `dir`, recursively (to prove nothing was written). */
export function listFiles(dir: string): string[] {
  return readdirSync(dir, { recursive: true, withFileTypes: true })
    .filter((e) => e.isFile() || e.isSymbolicLink())
    .map((e) => join(e.parentPath, e.name))
    .sort();
}

/** Asserts that `p` rejects with a TugError of `code`; returns it for more checks. */
export async function rejectsWithCode(p: Promise<unknown>, code: string, message?: RegExp): Promise<Error & { code: string }> {
  try {
    await p;
  } catch (err) {
    const e = err as Error & { code: string };
    assert.equal(e.code, code, `expected ${code}, got ${e.code}: ${e.message}`);
    if (message) assert.match(e.message, message);
    return e;
  }
  assert.fail(`expected a rejection with code ${code}`);
}
