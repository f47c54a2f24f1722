/**
 * Layer compression for the docker-archive transport. A `docker save` tar
 * holds uncompressed layer tars whose sha256 are the config's
 * `rootfs.diff_ids`, so compressed layers are decompressed on the way in.
 */
import { open } from 'node:fs/promises';
import type { Transform } from 'node:stream';
import * as zlib from 'node:zlib';
import { TugError } from '../../errors/index.ts';

export type Compression = 'gzip' | 'zstd' | 'none';

/**
 * How a layer with this media type is compressed, or undefined when the
 * media type is not a layer (a config, an unknown artifact blob): such blobs
 * are stored exactly as received.
 */
export function layerCompression(mediaType: string): Compression | undefined {
  const mt = mediaType.toLowerCase();
  const isLayer = mt.startsWith('application/vnd.oci.image.layer.') || mt.startsWith('application/vnd.docker.image.rootfs.');
  if (!isLayer) return undefined;
  if (mt.endsWith('+gzip') || mt.endsWith('.gzip')) return 'gzip';
  if (mt.endsWith('+zstd') || mt.endsWith('.zstd')) return 'zstd';
  return 'none';
}

/** Recognises gzip and zstd by their magic numbers (RFC 1952, RFC 8878). */
export function sniffCompression(head: Uint8Array): Compression {
  if (head.length >= 2 && head[0] === 0x1f && head[1] === 0x8b) return 'gzip';
  if (head.length >= 4 && head[0] === 0x28 && head[1] === 0xb5 && head[2] === 0x2f && head[3] === 0xfd) return 'zstd';
  return 'none';
}

/** Reads the first bytes of `file` and sniffs its compression. */
export async function sniffFileCompression(file: string): Promise<Compression> {
  const fh = await open(file, 'r');
  try {
    const head = new Uint8Array(4);
    const { bytesRead } = await fh.read(head, 0, 4, 0);
    return sniffCompression(head.subarray(0, bytesRead));
  } finally {
    await fh.close();
  }
}

type ZstdFactory = () => Transform;

/**
 * A decompressing transform, or undefined for `none`. zstd needs a Node
 * whose zlib has `createZstdDecompress` (22.15+); otherwise UNSUPPORTED.
 */
export function decompressor(compression: Compression, what: string): Transform | undefined {
  if (compression === 'none') return undefined;
  if (compression === 'gzip') return zlib.createGunzip();
  const create = (zlib as unknown as { createZstdDecompress?: ZstdFactory }).createZstdDecompress;
  if (typeof create !== 'function') {
    throw new TugError('UNSUPPORTED', `${what} is zstd-compressed and this Node.js cannot decompress zstd`, { hint: 'run Tugboat on Node.js 22.15 or newer' });
  }
  return create();
}
