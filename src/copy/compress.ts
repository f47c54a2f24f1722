/**
 * Layer (de)compression on the way to a destination, as skopeo does when a
 * destination wants compressed layers (a registry, an OCI layout) and the
 * source has them uncompressed (a docker-archive).
 *
 * The new digest is only known once compressed, so a layer is compressed
 * into a private temp file while both ends are hashed: the input against the
 * source descriptor (a wrong byte fails the copy, nothing is written), the
 * output to name the new blob. The engine then copies that file like any
 * blob (skip when present, verified again on the way out), and points the
 * manifest at it. node:zlib writes the same bytes for the same input and
 * level (no timestamp in its gzip header), so a re-run computes the same
 * digest and the destination's `hasBlob` skips the upload; within one
 * process a small cache (source digest -> result) skips even the
 * recompression (containers/image keeps such a blob info cache on disk).
 */
import { createHash } from 'node:crypto';
import { createReadStream, createWriteStream } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type Readable, Transform, type TransformCallback } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { TugError } from '../errors/index.ts';
import type { Compression, CompressionAlgorithm, LayerReplacement } from '../oci/convert.ts';
import { layerType } from '../oci/convert.ts';
import type { Descriptor } from '../oci/manifest.ts';
import { verifyingStream } from '../oci/verify.ts';
import type { Digest } from '../reference/digest.ts';
import type { ImageDestination, ImageSource, LayerCompression } from '../transports/types.ts';
import { type BlobCopyOptions, copyBlob } from './blob-copy.ts';
import type { BlobOutcome } from './events.ts';

/** What to do to layers: the destination's wish (or the caller's override) and the algorithm. */
export interface LayerPolicy {
  mode: LayerCompression;
  algorithm: CompressionAlgorithm;
  level?: number | undefined;
  /** The algorithm was chosen explicitly: a layer compressed with another one is recompressed (skopeo does the same). */
  explicitAlgorithm: boolean;
}

/** A change of one layer's compression. */
export interface LayerTransform {
  from: Compression;
  to: Compression;
  level?: number | undefined;
}

/**
 * What `policy` does to the layer `desc`, or undefined to copy it as it is.
 * Unknown types (encrypted layers, artifact blobs) and non-distributable
 * layers are never touched.
 */
export function planLayerTransform(desc: Descriptor, policy: LayerPolicy): LayerTransform | undefined {
  const t = layerType(desc.mediaType);
  if (!t || t.nondistributable || policy.mode === 'preserve') return undefined;
  if (policy.mode === 'decompress') return t.compression === 'none' ? undefined : { from: t.compression, to: 'none' };
  if (t.compression === 'none' || (policy.explicitAlgorithm && t.compression !== policy.algorithm)) {
    return { from: t.compression, to: policy.algorithm, level: policy.level };
  }
  return undefined;
}

/**
 * node:zlib on first use, not at import: every `tug copy` imports this
 * module, and few of them convert a layer (issue 14 item 7: a short
 * command loads only what it runs).
 */
const zlib = (): typeof import('node:zlib') => process.getBuiltinModule('node:zlib');

function decompressor(from: Compression): Transform | undefined {
  if (from === 'gzip') return zlib().createGunzip();
  if (from === 'zstd') return zlib().createZstdDecompress();
  return undefined;
}

function compressor(to: Compression, level: number | undefined): Transform | undefined {
  if (to === 'gzip') return zlib().createGzip(level !== undefined ? { level } : {});
  if (to === 'zstd') return zlib().createZstdCompress(level !== undefined ? { params: { [zlib().constants.ZSTD_c_compressionLevel]: level } } : {});
  return undefined;
}

/** Counts and hashes what passes (the output's digest and size). */
class Measure extends Transform {
  readonly hash = createHash('sha256');
  size = 0;
  override _transform(chunk: Buffer, _enc: BufferEncoding, cb: TransformCallback): void {
    this.size += chunk.length;
    this.hash.update(chunk);
    cb(null, chunk);
  }
}

/** The result of transforming a layer: its new descriptor and the temp file holding it. */
export interface TransformedLayer {
  replacement: LayerReplacement;
  /** Streams the new blob from its temp file. */
  open(): Readable;
  /** Removes the temp file (always call). */
  remove(): Promise<void>;
}

const cache = new Map<string, LayerReplacement>();
const cacheKey = (desc: Descriptor, t: LayerTransform) => `${desc.digest}\u0001${t.from}>${t.to}\u0001${t.level ?? ''}`;

/** The result of an earlier identical transform in this process, if any (its blob may be missing at this destination). */
export function cachedTransform(desc: Descriptor, t: LayerTransform): LayerReplacement | undefined {
  return cache.get(cacheKey(desc, t));
}

/**
 * Reads `desc` from `source`, verifying it, applies `t` and writes the result
 * to a temp file under `tmpDir` (default the system's). Fails with INTEGRITY
 * when the source bytes do not match `desc`, and with UNSAFE_INPUT when a
 * "compressed" layer does not decompress; the temp file is removed then.
 */
export async function transformLayer(source: ImageSource, desc: Descriptor, t: LayerTransform, options: { tmpDir?: string | undefined; signal?: AbortSignal | undefined }): Promise<TransformedLayer> {
  // Named as src/fs/scratch.ts names scratch directories (kind, pid, process
  // start), so the next archive run's sweep removes what a killed copy left.
  const base = options.tmpDir ?? tmpdir();
  const dir = await mkdtemp(join(base, `tug-scratch-layer-${process.pid}-${Math.floor(performance.timeOrigin).toString(36)}-`)).catch((err: unknown) => {
    throw new TugError('IO', `creating a temporary directory in ${base} to compress a layer: ${(err as Error).message}`, { cause: err, hint: 'point --tmpdir at a writable directory with room for one layer' });
  });
  const remove = () => rm(dir, { recursive: true, force: true });
  const file = join(dir, 'blob');
  const measure = new Measure();
  try {
    const input = await source.getBlob(desc, { signal: options.signal });
    const stages = [verifyingStream(desc, `blob ${desc.digest}`), decompressor(t.from), compressor(t.to, t.level)].filter((s): s is Transform => s !== undefined);
    try {
      await pipeline([input, ...stages, measure, createWriteStream(file, { flags: 'wx', mode: 0o600 })], { signal: options.signal });
    } catch (err) {
      if (err instanceof TugError || (err as { name?: string }).name === 'AbortError') throw err;
      // zlib's errors: the layer's bytes (verified against their digest) are not what its media type says.
      throw new TugError('UNSAFE_INPUT', `blob ${desc.digest}: cannot ${t.from === 'none' ? 'compress' : `read it as ${t.from}`}: ${(err as Error).message}`, {
        cause: err,
        hint: 'the layer is not what its media type says; copy it as it is with --preserve-digests',
      });
    }
  } catch (err) {
    await remove();
    throw err;
  }
  const replacement: LayerReplacement = { digest: `sha256:${measure.hash.digest('hex')}` as Digest, size: measure.size, compression: t.to };
  cache.set(cacheKey(desc, t), replacement);
  return {
    replacement,
    open: () => createReadStream(file),
    remove,
  };
}

/**
 * Copies layer `desc` with `t` applied: from this process's cache when an
 * identical transform ran and the destination has its result, else
 * transformed into a temp file that is then copied like any blob
 * ({@link copyBlob}: skipped when present, verified on the way). Returns the
 * new layer for the manifest.
 */
export async function copyTransformedLayer(
  source: ImageSource,
  destination: ImageDestination,
  desc: Descriptor,
  t: LayerTransform,
  options: BlobCopyOptions & { tmpDir?: string | undefined },
): Promise<{ replacement: LayerReplacement; outcome: BlobOutcome }> {
  const cached = cachedTransform(desc, t);
  if (cached) {
    const started = Date.now();
    const known = { mediaType: desc.mediaType, digest: cached.digest, size: cached.size };
    if (await destination.hasBlob(known, { signal: options.signal })) {
      options.onEvent({ type: 'blob-done', digest: known.digest, size: known.size, outcome: 'skipped', ms: Date.now() - started });
      return { replacement: cached, outcome: 'skipped' };
    }
  }
  const layer = await transformLayer(source, desc, t, options);
  try {
    const { replacement } = layer;
    const fromFile: ImageSource = {
      reference: source.reference,
      getManifest: () => Promise.reject(new TugError('INTERNAL', 'a transformed layer has no manifest')),
      getBlob: () => Promise.resolve(layer.open()),
      close: () => Promise.resolve(),
    };
    const outcome = await copyBlob(fromFile, destination, { mediaType: desc.mediaType, digest: replacement.digest, size: replacement.size }, options);
    return { replacement, outcome };
  } finally {
    await layer.remove();
  }
}
