/**
 * Which manifests of a source image to copy, as a pure function of the
 * top-level document and the caller's options. Keeping this free of I/O makes
 * the multi-arch rules table-testable and `--dry-run` honest.
 */
import { TugError } from '../errors/index.ts';
import { SOURCE_DIGEST_ANNOTATION } from '../oci/convert.ts';
import type { Descriptor, ImageIndex, Platform } from '../oci/manifest.ts';
import { encodeManifest } from '../oci/manifest.ts';
import { formatPlatform, platformMatches } from '../oci/platform.ts';
import { digestBytes } from '../oci/verify.ts';
import type { Digest } from '../reference/digest.ts';

/**
 * skopeo's `--multi-arch`: `system` copies only the instance for this
 * platform (or the `--override-*` one), `all` copies the index and every
 * instance, `index-only` copies the index alone.
 */
export type MultiArchMode = 'system' | 'all' | 'index-only';

/** Annotation recording, on a filtered index, the digest of the index it was cut from (defined with the conversions that record it too). */
export { SOURCE_DIGEST_ANNOTATION };

export interface SelectOptions {
  mode: MultiArchMode;
  /** `--platform`: keep only these instances (implies copying an index). */
  platforms?: Platform[] | undefined;
  /** The platform `system` mode picks (host platform with overrides applied). */
  system: Platform;
  /** False when the destination cannot hold an index (docker-archive). */
  destinationSupportsIndex: boolean;
}

export type Selection =
  /** Copy one image manifest as the top-level document. */
  | { kind: 'single'; instance: Descriptor | undefined }
  /** Copy an index: `instances` are copied first, then `index` bytes as the top-level document. */
  | {
      kind: 'index';
      instances: Descriptor[];
      index: { bytes: Uint8Array; digest: Digest; mediaType: string };
      /** Set when the index was filtered: its digest differs from the source's. */
      rewrittenFrom?: Digest | undefined;
    };

/**
 * Decides what to copy from an index. `sourceBytes`/`sourceDigest` are the
 * verified bytes of the index. A filtered index keeps the source's media
 * type (a Docker manifest list is never turned into an OCI index) and records
 * the source digest in {@link SOURCE_DIGEST_ANNOTATION}.
 */
export function selectFromIndex(
  index: ImageIndex,
  mediaType: string,
  sourceBytes: Uint8Array,
  sourceDigest: Digest,
  options: SelectOptions,
): Selection {
  const { mode, platforms } = options;
  const wantsIndex = mode === 'all' || mode === 'index-only' || (platforms !== undefined && platforms.length > 0);

  if (!wantsIndex || !options.destinationSupportsIndex) {
    if (wantsIndex && !options.destinationSupportsIndex && !(platforms && platforms.length === 1)) {
      throw new TugError('USAGE', 'the destination holds one platform per image and cannot store an index', {
        hint: 'drop --all / --multi-arch, or pick one platform with --platform os/arch',
      });
    }
    const wanted = platforms?.length === 1 ? platforms[0]! : options.system;
    const match = index.manifests.find((d) => platformMatches(wanted, d.platform));
    if (!match) {
      const available = index.manifests.map((d) => formatPlatform(d.platform)).join(', ');
      throw new TugError('NOT_FOUND', `no image for platform ${formatPlatform(wanted)} in the index (available: ${available})`, {
        hint: 'choose one with --override-arch/--override-os or --platform, or copy everything with --all',
      });
    }
    return { kind: 'single', instance: match };
  }

  let kept = index.manifests;
  if (platforms && platforms.length > 0) {
    kept = index.manifests.filter((d) => platforms.some((p) => platformMatches(p, d.platform)));
    const missing = platforms.filter((p) => !index.manifests.some((d) => platformMatches(p, d.platform)));
    if (missing.length > 0) {
      const available = index.manifests.map((d) => formatPlatform(d.platform)).join(', ');
      throw new TugError('NOT_FOUND', `platform ${missing.map(formatPlatform).join(', ')} not in the index (available: ${available})`);
    }
  }
  const instances = mode === 'index-only' ? [] : kept;
  if (kept.length === index.manifests.length) {
    return { kind: 'index', instances, index: { bytes: sourceBytes, digest: sourceDigest, mediaType } };
  }
  const filtered: ImageIndex = {
    ...index,
    manifests: kept,
    annotations: { ...(index.annotations ?? {}), [SOURCE_DIGEST_ANNOTATION]: sourceDigest },
  };
  const bytes = encodeManifest(filtered);
  return { kind: 'index', instances, index: { bytes, digest: digestBytes(bytes), mediaType }, rewrittenFrom: sourceDigest };
}
