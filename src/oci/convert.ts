/**
 * Docker schema 2 <-> OCI manifest conversion, as pure functions of parsed
 * documents (containers/image `manifest.Schema2.ToOCI1` / `OCI1.ToSchema2`
 * in spirit). Only manifests change: config and layer bytes stay as they are,
 * so a converted image keeps its config digest (its image ID) and its
 * layers. Unlike containers/image, the config is not re-encoded as an OCI
 * config (its Docker-only fields are harmless to OCI readers), which is why a
 * Tugboat conversion keeps the image ID where skopeo's changes it.
 *
 * One table ({@link LAYER_TYPES}) says what each layer media type is
 * (format, compression, distributable or not); conversion and layer
 * (re)compression both look it up, so a new type is one row.
 */
import { TugError } from '../errors/index.ts';
import type { Digest } from '../reference/digest.ts';
import type { Descriptor, ImageIndex, ImageManifest, Platform } from './manifest.ts';
import { MediaType } from './media-types.ts';

/**
 * The digest of the source a document was made from: on a platform-filtered
 * index (its own annotation), and on the OCI layout index.json entry of a
 * converted image (beside `org.opencontainers.image.ref.name`, so the
 * image's bytes, hence its digest, do not depend on it). Sync reads it back
 * to know the destination is up to date.
 */
export const SOURCE_DIGEST_ANNOTATION = 'io.tugboat.image.source.digest';

/** skopeo's `--format` values Tugboat writes: `oci`, or Docker schema 2 (`v2s2`). */
export type ManifestFormat = 'oci' | 'v2s2';
export const MANIFEST_FORMATS: readonly ManifestFormat[] = ['oci', 'v2s2'];

/** How a layer's bytes are compressed. */
export type Compression = 'none' | 'gzip' | 'zstd';
/** The algorithms Tugboat compresses layers with (`--dest-compress-format`). */
export type CompressionAlgorithm = Exclude<Compression, 'none'>;

interface LayerType {
  mediaType: string;
  format: ManifestFormat;
  compression: Compression;
  /** Docker's "foreign" / OCI's "non-distributable" layers (Windows base layers with `urls`). */
  nondistributable: boolean;
}

/** Every layer media type Tugboat can convert or (re)compress. Docker schema 2 has no zstd. */
export const LAYER_TYPES: readonly LayerType[] = [
  { mediaType: MediaType.OciLayer, format: 'oci', compression: 'none', nondistributable: false },
  { mediaType: MediaType.OciLayerGzip, format: 'oci', compression: 'gzip', nondistributable: false },
  { mediaType: MediaType.OciLayerZstd, format: 'oci', compression: 'zstd', nondistributable: false },
  { mediaType: MediaType.OciLayerNondistributable, format: 'oci', compression: 'none', nondistributable: true },
  { mediaType: MediaType.OciLayerNondistributableGzip, format: 'oci', compression: 'gzip', nondistributable: true },
  { mediaType: MediaType.OciLayerNondistributableZstd, format: 'oci', compression: 'zstd', nondistributable: true },
  { mediaType: MediaType.DockerLayer, format: 'v2s2', compression: 'none', nondistributable: false },
  { mediaType: MediaType.DockerLayerGzip, format: 'v2s2', compression: 'gzip', nondistributable: false },
  { mediaType: MediaType.DockerForeignLayer, format: 'v2s2', compression: 'none', nondistributable: true },
  { mediaType: MediaType.DockerForeignLayerGzip, format: 'v2s2', compression: 'gzip', nondistributable: true },
];

/** The image config type of each format; a manifest with another config type is an artifact, not an image. */
const CONFIG_TYPES: Record<ManifestFormat, string> = { oci: MediaType.OciConfig, v2s2: MediaType.DockerConfig };
const MANIFEST_TYPES: Record<ManifestFormat, string> = { oci: MediaType.OciManifest, v2s2: MediaType.DockerManifest };
const INDEX_TYPES: Record<ManifestFormat, string> = { oci: MediaType.OciIndex, v2s2: MediaType.DockerManifestList };

/** What a layer media type is, or undefined for one Tugboat does not know (encrypted, artifact blobs...). */
export function layerType(mediaType: string): LayerType | undefined {
  return LAYER_TYPES.find((t) => t.mediaType === mediaType);
}

/** The format a manifest or index media type belongs to; undefined for schema 1 or unknown types. */
export function formatOf(mediaType: string): ManifestFormat | undefined {
  for (const f of MANIFEST_FORMATS) if (mediaType === MANIFEST_TYPES[f] || mediaType === INDEX_TYPES[f]) return f;
  return undefined;
}

/** The manifest (or, with `index`, index) media type of a format. */
export function manifestTypeOf(format: ManifestFormat, kind: 'image' | 'index'): string {
  return kind === 'index' ? INDEX_TYPES[format] : MANIFEST_TYPES[format];
}

function cannot(what: string, problem: string, hint: string): TugError {
  return new TugError('UNSUPPORTED', `${what}: ${problem}`, { hint });
}

const FORMAT_NAMES: Record<ManifestFormat, string> = { oci: 'OCI', v2s2: 'Docker schema 2' };

/**
 * The media type of a layer of `mediaType` once written in `format` with
 * `compression` (default: as it is). Throws UNSUPPORTED when the target
 * cannot carry it (zstd in Docker schema 2) or the type is unknown.
 */
export function convertLayerType(mediaType: string, format: ManifestFormat, compression?: Compression, what = 'layer'): string {
  const from = layerType(mediaType);
  if (!from) throw cannot(what, `layer type ${mediaType} has no ${FORMAT_NAMES[format]} equivalent`, 'keep the format as it is (--preserve-digests, or no --format)');
  const want = compression ?? from.compression;
  const to = LAYER_TYPES.find((t) => t.format === format && t.compression === want && t.nondistributable === from.nondistributable);
  if (!to) {
    throw cannot(what, `${FORMAT_NAMES[format]} cannot carry ${want} layers`, format === 'v2s2' ? 'write OCI (--format oci), or compress with gzip (--dest-compress-format gzip)' : 'choose another compression');
  }
  return to.mediaType;
}

/** A new layer descriptor (digest, size, compression) to put in place of a source layer, e.g. after compressing it. */
export interface LayerReplacement {
  digest: Digest;
  size: number;
  compression: Compression;
}

export interface RewriteImageOptions {
  /** The format to write (the source's own format keeps the media types). */
  format: ManifestFormat;
  /** Layers to replace, by the source layer's digest. */
  layers?: ReadonlyMap<string, LayerReplacement> | undefined;
  /** Names the document in errors (`manifest sha256:...`). */
  what?: string | undefined;
}

/**
 * `manifest` written in `options.format`, with the layers of
 * `options.layers` replaced. Media types of the manifest, config and layers
 * follow the format; `urls` are kept; `annotations` (manifest and layers) are
 * kept in OCI and dropped in Docker schema 2, which has no such field, as
 * containers/image does. Refuses (UNSUPPORTED, one line) what Docker schema 2
 * cannot carry: artifacts (a config type that is not an image config, an
 * `artifactType`, a `subject`) and zstd layers.
 */
export function rewriteImageManifest(manifest: ImageManifest, options: RewriteImageOptions): ImageManifest {
  const { format } = options;
  const what = options.what ?? 'manifest';
  const configType = manifest.config.mediaType;
  if (configType !== MediaType.OciConfig && configType !== MediaType.DockerConfig) {
    throw cannot(what, `is an artifact (config type ${configType}), not a container image; only images convert to ${FORMAT_NAMES[format]}`, 'copy it with --preserve-digests');
  }
  if (format === 'v2s2' && (manifest.artifactType !== undefined || manifest.subject !== undefined)) {
    throw cannot(what, `has ${manifest.subject !== undefined ? 'a subject (it refers to another image)' : `artifactType ${manifest.artifactType}`}, which Docker schema 2 cannot carry`, 'write OCI (--format oci) or keep the format (--preserve-digests)');
  }
  const layers = manifest.layers.map((l, i) => {
    const replacement = options.layers?.get(l.digest);
    const mediaType = convertLayerType(l.mediaType, format, replacement?.compression, `${what} layers[${i}]`);
    return descriptorIn(format, { ...l, mediaType, ...(replacement ? { digest: replacement.digest, size: replacement.size } : {}) });
  });
  const config = descriptorIn(format, { ...manifest.config, mediaType: CONFIG_TYPES[format] });
  const out: ImageManifest = { schemaVersion: 2, mediaType: MANIFEST_TYPES[format], config, layers };
  if (format === 'oci') {
    if (manifest.artifactType !== undefined) out.artifactType = manifest.artifactType;
    if (manifest.subject !== undefined) out.subject = manifest.subject;
    if (manifest.annotations !== undefined) out.annotations = manifest.annotations;
  }
  return out;
}

/** A manifest descriptor to put in place of an index entry (the converted instance). */
export type InstanceReplacement = Pick<Descriptor, 'digest' | 'size' | 'mediaType'>;

/**
 * `index` written as an index of `format` whose entries point at the
 * converted instances (`instances`, by the source entry's digest; every entry
 * must have one). Platforms are kept (Docker's `features`, which OCI
 * deprecated, only in Docker lists); index annotations are kept in OCI and
 * dropped in Docker schema 2. Refuses an index with `artifactType` or
 * `subject` for Docker schema 2.
 */
export function rewriteIndex(index: ImageIndex, format: ManifestFormat, instances: ReadonlyMap<string, InstanceReplacement>, what = 'index'): ImageIndex {
  if (format === 'v2s2' && (index.artifactType !== undefined || index.subject !== undefined)) {
    throw cannot(what, 'has an artifactType or a subject, which a Docker manifest list cannot carry', 'write OCI (--format oci) or keep the format (--preserve-digests)');
  }
  const manifests = index.manifests.map((d, i) => {
    const to = instances.get(d.digest);
    if (!to) throw new TugError('INTERNAL', `${what} manifests[${i}] (${d.digest}) was not converted`);
    const entry: Descriptor = descriptorIn(format, { ...d, ...to });
    if (d.platform) entry.platform = platformIn(format, d.platform);
    return entry;
  });
  const out: ImageIndex = { schemaVersion: 2, mediaType: INDEX_TYPES[format], manifests };
  if (format === 'oci') {
    if (index.artifactType !== undefined) out.artifactType = index.artifactType;
    if (index.subject !== undefined) out.subject = index.subject;
    if (index.annotations !== undefined) out.annotations = index.annotations;
  }
  return out;
}

/** The descriptor fields `format` has, in the order its writers use. */
function descriptorIn(format: ManifestFormat, d: Descriptor): Descriptor {
  const out: Descriptor = { mediaType: d.mediaType, digest: d.digest, size: d.size };
  if (d.urls !== undefined) out.urls = d.urls;
  if (format === 'oci') {
    if (d.annotations !== undefined) out.annotations = d.annotations;
    if (d.artifactType !== undefined) out.artifactType = d.artifactType;
  }
  return out;
}

function platformIn(format: ManifestFormat, p: Platform): Platform {
  const out: Platform = { architecture: p.architecture, os: p.os };
  if (p['os.version'] !== undefined) out['os.version'] = p['os.version'];
  if (p['os.features'] !== undefined) out['os.features'] = p['os.features'];
  if (p.variant !== undefined) out.variant = p.variant;
  if (format === 'v2s2' && p.features !== undefined) out.features = p.features;
  return out;
}
