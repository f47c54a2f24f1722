/**
 * When the engine converts: a pure decision from the source's format, what
 * the destination declares (`manifestFormats`, `desiredLayerCompression`)
 * and the caller's options (`--format`, `--preserve-digests`,
 * `--dest-compress*`). The conversion itself is src/oci/convert.ts.
 */
import { TugError } from '../errors/index.ts';
import { type CompressionAlgorithm, type InstanceReplacement, type LayerReplacement, type ManifestFormat, formatOf, rewriteImageManifest, rewriteIndex } from '../oci/convert.ts';
import { type ImageIndex, type ImageManifest, encodeManifest } from '../oci/manifest.ts';
import { digestBytes } from '../oci/verify.ts';
import type { Digest } from '../reference/digest.ts';
import type { LayerCompression } from '../transports/types.ts';
import type { LayerPolicy } from './compress.ts';

/** The caller's say in conversion (CopyOptions fields, skopeo's flags). */
export interface ConversionOptions {
  /** `--format`: the manifest format to write; converts when the source's differs. */
  format?: ManifestFormat | undefined;
  /** `--preserve-digests`: never convert nor recompress; a `format` that would convert is refused. */
  preserveDigests?: boolean | undefined;
  /** Overrides the destination's wish: `--dest-compress` (compress), `--dest-decompress`, `--dest-oci-accept-uncompressed-layers` (preserve). */
  layerCompression?: LayerCompression | undefined;
  /** `--dest-compress-format` (default gzip); given, layers compressed otherwise are recompressed. */
  compressionFormat?: CompressionAlgorithm | undefined;
  /** `--dest-compress-level`. */
  compressionLevel?: number | undefined;
}

/** What the destination declares (see ImageDestination). */
export interface DestinationWants {
  manifestFormats?: readonly ManifestFormat[] | undefined;
  /** Already defaulted by the engine (registry: compress, else preserve). */
  desiredLayerCompression: LayerCompression;
}

export interface ConversionPlan {
  /** Write every manifest in this format; undefined keeps each document's own. */
  format: ManifestFormat | undefined;
  layers: LayerPolicy;
  /** Something the user should hear once (the CLI prints it). */
  notice?: string | undefined;
}

const NAMES: Record<ManifestFormat, string> = { oci: 'OCI', v2s2: 'Docker schema 2' };
/** The levels node:zlib takes (zstd's negative "fast" levels are left out, as skopeo does). */
const LEVELS: Record<CompressionAlgorithm, [number, number]> = { gzip: [0, 9], zstd: [1, 22] };

/**
 * Decides the format and the layer policy of one copy. `sourceFormat` is the
 * top-level document's (undefined for types Tugboat does not convert).
 * Throws USAGE for contradictory options.
 */
export function planConversion(sourceFormat: ManifestFormat | undefined, wants: DestinationWants, options: ConversionOptions, destination: string): ConversionPlan {
  const algorithm = options.compressionFormat ?? 'gzip';
  const range = LEVELS[algorithm];
  if (options.compressionLevel !== undefined && (options.compressionLevel < range[0] || options.compressionLevel > range[1])) {
    throw new TugError('USAGE', `--dest-compress-level ${options.compressionLevel} is out of range for ${algorithm}`, { hint: `use ${range[0]}-${range[1]}` });
  }
  if (options.preserveDigests) {
    if (options.format !== undefined && sourceFormat !== undefined && options.format !== sourceFormat) {
      throw new TugError('USAGE', `--preserve-digests conflicts with --format ${options.format}: the source is ${NAMES[sourceFormat]}, and converting it changes its digest`, {
        hint: 'drop one of them',
      });
    }
    if ((options.layerCompression !== undefined && options.layerCompression !== 'preserve') || options.compressionFormat !== undefined) {
      throw new TugError('USAGE', '--preserve-digests conflicts with --dest-compress / --dest-decompress / --dest-compress-format: changing a layer changes the digest', { hint: 'drop one of them' });
    }
    const unreadable = sourceFormat !== undefined && wants.manifestFormats !== undefined && !wants.manifestFormats.includes(sourceFormat);
    return {
      format: undefined,
      layers: { mode: 'preserve', algorithm, explicitAlgorithm: false },
      notice: unreadable
        ? `${destination} keeps the ${NAMES[sourceFormat]} media types (--preserve-digests): skopeo and podman cannot find it by its ref; tug can read it`
        : undefined,
    };
  }
  const layers: LayerPolicy = {
    mode: options.layerCompression ?? wants.desiredLayerCompression,
    algorithm,
    level: options.compressionLevel,
    explicitAlgorithm: options.compressionFormat !== undefined,
  };
  let format = options.format;
  if (format === undefined && sourceFormat !== undefined && wants.manifestFormats !== undefined && !wants.manifestFormats.includes(sourceFormat)) format = wants.manifestFormats[0];
  // Docker schema 2 has no zstd layers: containers/image writes OCI then, unless told otherwise.
  if (layers.mode === 'compress' && algorithm === 'zstd') {
    if (options.format === 'v2s2') {
      throw new TugError('USAGE', '--dest-compress-format zstd conflicts with --format v2s2: Docker schema 2 has no zstd layers', { hint: 'use --format oci, or --dest-compress-format gzip' });
    }
    if ((format ?? sourceFormat) === 'v2s2') format = 'oci';
  }
  return { format, layers };
}

/** A manifest or index as the engine writes it. */
export interface ManifestDoc {
  bytes: Uint8Array;
  digest: Digest;
  mediaType: string;
}

function encoded(doc: ImageManifest | ImageIndex): ManifestDoc {
  const bytes = encodeManifest(doc);
  return { bytes, digest: digestBytes(bytes), mediaType: doc.mediaType! };
}

/**
 * `doc` (whose parsed form is `manifest`) in `format` with `layers`
 * replaced; `doc` itself, bytes untouched, when neither applies to it.
 */
export function convertImageDoc(doc: ManifestDoc, manifest: ImageManifest, format: ManifestFormat | undefined, layers: ReadonlyMap<string, LayerReplacement>): ManifestDoc {
  const own = formatOf(doc.mediaType);
  const target = format ?? own;
  if (target === undefined || (target === own && !manifest.layers.some((l) => layers.has(l.digest)))) return doc;
  return encoded(rewriteImageManifest(manifest, { format: target, layers, what: `manifest ${doc.digest}` }));
}

/**
 * `doc` (parsed: `index`) in `format`, its entries pointing at the written
 * instances (`instances`, by source digest); `doc` itself when nothing changes.
 */
export function convertIndexDoc(doc: ManifestDoc, index: ImageIndex, format: ManifestFormat | undefined, instances: ReadonlyMap<string, ManifestDoc>): ManifestDoc {
  const own = formatOf(doc.mediaType);
  const target = format ?? own;
  const moved = index.manifests.some((d) => {
    const to = instances.get(d.digest);
    return to !== undefined && to.digest !== d.digest;
  });
  if (target === undefined || (target === own && !moved)) return doc;
  const map = new Map<string, InstanceReplacement>();
  for (const d of index.manifests) {
    const to = instances.get(d.digest);
    if (!to) {
      throw new TugError('USAGE', `index ${doc.digest}: converting it needs its instance ${d.digest}, which this copy does not read`, {
        hint: 'copy every instance (--all), or keep the format (--preserve-digests)',
      });
    }
    map.set(d.digest, { digest: to.digest, size: to.bytes.byteLength, mediaType: to.mediaType });
  }
  return encoded(rewriteIndex(index, target, map, `index ${doc.digest}`));
}
