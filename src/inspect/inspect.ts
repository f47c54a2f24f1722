/**
 * Reading what an image is without copying it: the top-level manifest, the
 * instance for a platform (or all of them), and their configs. Used by
 * `tug inspect` and by the server to record a repository's status.
 */
import { buffer } from 'node:stream/consumers';
import { TugError, tooLargeError } from '../errors/index.ts';
import type { Descriptor, ImageManifest, ParsedManifest, Platform } from '../oci/manifest.ts';
import { parseManifest } from '../oci/manifest.ts';
import { formatPlatform, hostPlatform, platformMatches } from '../oci/platform.ts';
import { digestBytes, verifyBytes, verifyingStream } from '../oci/verify.ts';
import type { Digest } from '../reference/digest.ts';
import type { ImageSource } from '../transports/types.ts';

/** Configs larger than this are not read into memory for inspection. */
export const MAX_CONFIG_BYTES = 16 * 1024 * 1024;

export interface ImageConfig {
  architecture?: string;
  os?: string;
  variant?: string;
  created?: string;
  author?: string;
  docker_version?: string;
  config?: { Env?: string[] | null; Labels?: Record<string, string> | null; Entrypoint?: string[] | null; Cmd?: string[] | null };
  rootfs?: { type: string; diff_ids: string[] };
  [key: string]: unknown;
}

export interface ResolvedImage {
  digest: Digest;
  mediaType: string;
  manifest: ImageManifest;
  /** Platform from the index entry, else from the config. */
  platform: Platform | undefined;
}

export interface TopLevel {
  bytes: Uint8Array;
  digest: Digest;
  parsed: ParsedManifest;
}

/** Reads and checks the top-level manifest or index of a source. */
export async function readTopLevel(source: ImageSource, signal?: AbortSignal): Promise<TopLevel> {
  const raw = await source.getManifest(undefined, { signal });
  const what = `manifest of ${source.reference.toString()}`;
  if (raw.claimedDigest) verifyBytes(raw.bytes, raw.claimedDigest, what);
  return { bytes: raw.bytes, digest: raw.claimedDigest ?? digestBytes(raw.bytes), parsed: parseManifest(raw.bytes, raw.mediaType, what) };
}

/** Reads one instance manifest by descriptor, verifying its digest. */
export async function readInstance(source: ImageSource, desc: Descriptor, signal?: AbortSignal): Promise<ResolvedImage> {
  const raw = await source.getManifest(desc.digest, { signal });
  verifyBytes(raw.bytes, desc.digest, `manifest ${desc.digest}`, desc.size);
  const parsed = parseManifest(raw.bytes, raw.mediaType ?? desc.mediaType, `manifest ${desc.digest}`);
  if (parsed.kind !== 'image') throw new TugError('UNSUPPORTED', `manifest ${desc.digest} is not an image manifest (${parsed.mediaType})`);
  return { digest: desc.digest, mediaType: parsed.mediaType, manifest: parsed.manifest, platform: desc.platform };
}

/**
 * The image manifest for `platform` (default: this machine's): the top-level
 * manifest itself, or the matching instance of an index.
 */
export async function resolveImage(source: ImageSource, top: TopLevel, platform: Platform = hostPlatform(), signal?: AbortSignal): Promise<ResolvedImage> {
  if (top.parsed.kind === 'image') return { digest: top.digest, mediaType: top.parsed.mediaType, manifest: top.parsed.manifest, platform: undefined };
  if (top.parsed.kind === 'schema1') {
    throw new TugError('UNSUPPORTED', `${source.reference.toString()} is a Docker schema 1 image`, { hint: 'use --raw to see it' });
  }
  const match = top.parsed.manifest.manifests.find((d) => platformMatches(platform, d.platform));
  if (!match) {
    const available = top.parsed.manifest.manifests.map((d) => formatPlatform(d.platform)).join(', ');
    throw new TugError('NOT_FOUND', `no image for ${formatPlatform(platform)} in the index (available: ${available})`, {
      hint: 'choose one with --override-os/--override-arch/--override-variant',
    });
  }
  return readInstance(source, match, signal);
}

/** Reads and verifies an image's config blob (bounded to {@link MAX_CONFIG_BYTES}). */
export async function readConfig(source: ImageSource, manifest: ImageManifest, signal?: AbortSignal): Promise<{ bytes: Buffer; config: ImageConfig }> {
  const desc = manifest.config;
  if (desc.size > MAX_CONFIG_BYTES) throw tooLargeError(`config ${desc.digest}`, desc.size, MAX_CONFIG_BYTES);
  const stream = await source.getBlob(desc, { signal });
  const verifier = verifyingStream(desc, `config ${desc.digest}`);
  stream.once('error', (err) => verifier.destroy(err));
  const bytes = await buffer(stream.pipe(verifier));
  let config: ImageConfig = {};
  try {
    config = JSON.parse(bytes.toString('utf8')) as ImageConfig;
  } catch {
    // Artifacts (Helm charts...) have configs that are not image configs; inspect shows what it can.
  }
  return { bytes, config };
}

/** skopeo inspect's JSON shape (field names and order as skopeo prints them). */
export interface InspectOutput {
  Name?: string;
  Digest: string;
  RepoTags: string[];
  Created?: string;
  DockerVersion: string;
  Labels: Record<string, string> | null;
  Architecture: string;
  Variant?: string;
  Os: string;
  Layers: string[];
  LayersData: { MIMEType: string; Digest: string; Size: number; Annotations: Record<string, string> | null }[];
  Env: string[] | null;
}

export function inspectOutput(args: { name: string | undefined; digest: Digest; tags: string[]; image: ResolvedImage; config: ImageConfig }): InspectOutput {
  const { image, config } = args;
  const out: InspectOutput = {
    ...(args.name !== undefined ? { Name: args.name } : {}),
    Digest: args.digest,
    RepoTags: args.tags,
    ...(config.created ? { Created: config.created } : {}),
    DockerVersion: config.docker_version ?? '',
    Labels: config.config?.Labels ?? null,
    Architecture: config.architecture ?? image.platform?.architecture ?? '',
    ...(config.variant ? { Variant: config.variant } : {}),
    Os: config.os ?? image.platform?.os ?? '',
    Layers: image.manifest.layers.map((l) => l.digest),
    LayersData: image.manifest.layers.map((l) => ({ MIMEType: l.mediaType, Digest: l.digest, Size: l.size, Annotations: l.annotations ?? null })),
    Env: config.config?.Env ?? null,
  };
  return out;
}
