/**
 * Which bundles a destination has applied: one OCI artifact manifest per
 * bundle (artifactType {@link BUNDLE_MEDIA_TYPE}, the empty config, one
 * layer = the bundle's bundle.json), tagged with the bundle id in the
 * repository `tugboat/bundles` under apply's DEST. Written last, after every
 * image is in place, so its presence means the bundle is complete there; a
 * stock registry and a registry-dir tree both store it as they are.
 */
import { Readable } from 'node:stream';
import type { SystemContext } from '../context/system-context.ts';
import { TugError } from '../errors/index.ts';
import { MediaType } from '../oci/media-types.ts';
import { digestBytes, verifyingStream } from '../oci/verify.ts';
import type { Digest } from '../reference/digest.ts';
import { type ImageReference, isDigestResolver } from '../transports/types.ts';
import { BUNDLE_MEDIA_TYPE } from './format.ts';

/** Default repository of the markers, below apply's DEST. */
export const MARKER_REPOSITORY = 'tugboat/bundles';
const EMPTY_TYPE = 'application/vnd.oci.empty.v1+json';

/** Whether the image `ref` names exists (by digest lookup where the transport has one, else by reading its manifest). */
export async function imageDigest(ref: ImageReference, ctx: SystemContext, signal?: AbortSignal): Promise<Digest | undefined> {
  try {
    if (isDigestResolver(ref)) return (await ref.resolveDigest(ctx, { signal }))?.digest;
    const source = await ref.newSource(ctx);
    try {
      const raw = await source.getManifest(undefined, { signal });
      return raw.claimedDigest ?? digestBytes(raw.bytes);
    } finally {
      await source.close();
    }
  } catch (err) {
    if (err instanceof TugError && err.code === 'NOT_FOUND') return undefined;
    throw err;
  }
}

/** Pushes the marker of a bundle: blobs, then the manifest, then commit (the tag). */
export async function writeMarker(ref: ImageReference, ctx: SystemContext, bundle: { id: string; created: string; json: Uint8Array }, signal?: AbortSignal): Promise<Digest> {
  const empty = Buffer.from('{}');
  const config = { mediaType: EMPTY_TYPE, digest: digestBytes(empty), size: empty.length };
  const layer = { mediaType: BUNDLE_MEDIA_TYPE, digest: digestBytes(bundle.json), size: bundle.json.length, annotations: { 'org.opencontainers.image.title': 'bundle.json' } };
  const manifest = {
    schemaVersion: 2,
    mediaType: MediaType.OciManifest,
    artifactType: BUNDLE_MEDIA_TYPE,
    config,
    layers: [layer],
    annotations: { 'org.opencontainers.image.created': bundle.created, 'dev.tugboat.bundle.id': bundle.id },
  };
  const bytes = Buffer.from(JSON.stringify(manifest));
  const digest = digestBytes(bytes);
  const dest = await ref.newDestination(ctx);
  try {
    for (const [desc, body] of [
      [config, empty],
      [layer, Buffer.from(bundle.json)],
    ] as const) {
      if (await dest.hasBlob(desc, { signal, beforeWrite: true })) continue;
      const stream = Readable.from([body]).pipe(verifyingStream(desc, `bundle marker ${desc.digest}`));
      await dest.putBlob(desc, stream, { signal });
    }
    await dest.putManifest({ bytes, mediaType: MediaType.OciManifest, digest }, { instance: false, signal });
    await dest.commit();
  } finally {
    await dest.close();
  }
  return digest;
}
