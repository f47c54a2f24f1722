/**
 * Manifest and index types, and the one function that turns untrusted bytes
 * into a checked manifest ({@link parseManifest}). Everything that reads a
 * manifest from a registry, a directory or an archive goes through it, so the
 * size limit, digest validation and media-type agreement are enforced once.
 */
import { TugError, tooLargeError } from '../errors/index.ts';
import { type Digest, parseDigest } from '../reference/digest.ts';
import { MediaType, SCHEMA1_TYPES, isImageManifestType, isIndexType, isManifestType } from './media-types.ts';

/** Manifests larger than this are refused (distribution's own limit is 4 MiB). */
export const MAX_MANIFEST_BYTES = 4 * 1024 * 1024;

/** Refuses a manifest of `size` bytes over {@link MAX_MANIFEST_BYTES} (UNSAFE_INPUT naming `what`). */
export function checkManifestSize(what: string, size: number): void {
  if (size > MAX_MANIFEST_BYTES) throw tooLargeError(what, size, MAX_MANIFEST_BYTES);
}

export interface Platform {
  architecture: string;
  os: string;
  variant?: string;
  'os.version'?: string;
  'os.features'?: string[];
  features?: string[];
}

export interface Descriptor {
  mediaType: string;
  digest: Digest;
  size: number;
  urls?: string[];
  annotations?: Record<string, string>;
  platform?: Platform;
  artifactType?: string;
}

export interface ImageManifest {
  schemaVersion: 2;
  mediaType?: string;
  artifactType?: string;
  config: Descriptor;
  layers: Descriptor[];
  subject?: Descriptor;
  annotations?: Record<string, string>;
}

export interface ImageIndex {
  schemaVersion: 2;
  mediaType?: string;
  artifactType?: string;
  manifests: Descriptor[];
  subject?: Descriptor;
  annotations?: Record<string, string>;
}

/** Docker Image Manifest Version 2, Schema 1: readable for inspect, never written. */
export interface Schema1Manifest {
  schemaVersion: 1;
  name: string;
  tag: string;
  architecture: string;
  fsLayers: { blobSum: string }[];
  history: { v1Compatibility: string }[];
}

export type ParsedManifest =
  | { kind: 'image'; mediaType: string; manifest: ImageManifest }
  | { kind: 'index'; mediaType: string; manifest: ImageIndex }
  | { kind: 'schema1'; mediaType: string; manifest: Schema1Manifest };

function unsafe(what: string, problem: string): TugError {
  return new TugError('UNSAFE_INPUT', `${what}: ${problem}`);
}

function checkDescriptor(d: unknown, where: string): Descriptor {
  if (typeof d !== 'object' || d === null) throw unsafe(where, 'descriptor is not an object');
  const desc = d as Record<string, unknown>;
  if (typeof desc.mediaType !== 'string' || desc.mediaType.length === 0 || desc.mediaType.length > 255) {
    throw unsafe(where, 'descriptor has no valid mediaType');
  }
  parseDigest(desc.digest, `digest in ${where}`);
  if (typeof desc.size !== 'number' || !Number.isSafeInteger(desc.size) || desc.size < 0) {
    throw unsafe(where, `descriptor ${String(desc.digest)} has invalid size ${String(desc.size)}`);
  }
  return desc as unknown as Descriptor;
}

/**
 * Decides what a manifest is from its bytes and the media type the transport
 * reported (Content-Type, index.json entry...), and checks they agree.
 *
 * - A document whose own `mediaType` field disagrees with the reported type is
 *   refused (a registry or file must not be able to pass an index off as an
 *   image, see the OCI "Guidance for an Empty Descriptor" / CVE-2021-41190).
 * - A manifest with both `manifests` and `layers` is ambiguous and refused.
 * - Every descriptor digest is validated before anything uses it as a path.
 */
export function parseManifest(bytes: Uint8Array, reportedType: string | undefined, what = 'manifest'): ParsedManifest {
  checkManifestSize(what, bytes.byteLength);
  let doc: Record<string, unknown>;
  try {
    doc = JSON.parse(new TextDecoder('utf-8', { fatal: true }).decode(bytes)) as Record<string, unknown>;
  } catch (err) {
    throw new TugError('UNSAFE_INPUT', `${what}: not valid JSON`, { cause: err });
  }
  if (typeof doc !== 'object' || doc === null || Array.isArray(doc)) throw unsafe(what, 'is not a JSON object');

  const declared = typeof doc.mediaType === 'string' ? doc.mediaType : undefined;
  if (doc.schemaVersion === 1) {
    if (declared && !SCHEMA1_TYPES.includes(declared)) throw unsafe(what, `schemaVersion 1 document declares mediaType ${declared}`);
    return { kind: 'schema1', mediaType: reportedType && SCHEMA1_TYPES.includes(reportedType) ? reportedType : MediaType.DockerSchema1Signed, manifest: doc as unknown as Schema1Manifest };
  }
  if (doc.schemaVersion !== 2) throw unsafe(what, `unsupported schemaVersion ${String(doc.schemaVersion)}`);

  const hasManifests = Array.isArray(doc.manifests);
  const hasLayers = Array.isArray(doc.layers) || (typeof doc.config === 'object' && doc.config !== null);
  if (hasManifests && hasLayers) throw unsafe(what, 'has both "manifests" and "layers"/"config"; refusing an ambiguous document');

  // Reported type (from the transport) must agree with the document's own field.
  if (reportedType && isManifestType(reportedType) && declared && declared !== reportedType) {
    throw unsafe(what, `was served as ${reportedType} but declares mediaType ${declared}`);
  }
  let mediaType = declared ?? (reportedType && isManifestType(reportedType) ? reportedType : undefined);
  if (!mediaType) mediaType = hasManifests ? MediaType.OciIndex : MediaType.OciManifest; // OCI allows omitting it

  if (isIndexType(mediaType)) {
    if (!hasManifests) throw unsafe(what, `declares ${mediaType} but has no "manifests" array`);
    (doc.manifests as unknown[]).forEach((d, i) => checkDescriptor(d, `${what} manifests[${i}]`));
    if (doc.subject !== undefined) checkDescriptor(doc.subject, `${what} subject`);
    return { kind: 'index', mediaType, manifest: doc as unknown as ImageIndex };
  }
  if (isImageManifestType(mediaType)) {
    if (hasManifests) throw unsafe(what, `declares ${mediaType} but has a "manifests" array`);
    checkDescriptor(doc.config, `${what} config`);
    if (!Array.isArray(doc.layers)) throw unsafe(what, 'has no "layers" array');
    (doc.layers as unknown[]).forEach((d, i) => checkDescriptor(d, `${what} layers[${i}]`));
    if (doc.subject !== undefined) checkDescriptor(doc.subject, `${what} subject`);
    return { kind: 'image', mediaType, manifest: doc as unknown as ImageManifest };
  }
  throw new TugError('UNSUPPORTED', `${what}: unknown manifest media type ${mediaType}`);
}

/** All blobs an image manifest references: config first, then layers (deduplicated). */
export function blobsOf(manifest: ImageManifest): Descriptor[] {
  const seen = new Set<string>();
  const out: Descriptor[] = [];
  for (const d of [manifest.config, ...manifest.layers]) {
    if (seen.has(d.digest)) continue;
    seen.add(d.digest);
    out.push(d);
  }
  return out;
}

/** Encodes a manifest the way we write new ones: compact JSON, UTF-8. */
export function encodeManifest(doc: object): Uint8Array {
  return new TextEncoder().encode(JSON.stringify(doc));
}
