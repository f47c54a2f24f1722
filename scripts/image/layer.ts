/**
 * Deterministic image layers: the same files give the same bytes, so two
 * builds give the same digests. Entries are sorted by path, parent
 * directories are added, and every header has uid/gid 0 and mtime 0 (the
 * archive transports' tar writer, src/transports/archive/tar-writer.ts,
 * which writes exactly that). gzip comes from the pinned Node's zlib, whose
 * header carries no file name and a zero mtime.
 */
import { createHash } from 'node:crypto';
import { createReadStream, createWriteStream } from 'node:fs';
import { stat } from 'node:fs/promises';
import { join } from 'node:path';
import { Transform } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { createGzip } from 'node:zlib';
import { MediaType } from '../../src/oci/media-types.ts';
import type { Descriptor } from '../../src/oci/manifest.ts';
import type { Digest } from '../../src/reference/digest.ts';
import { tarReadable } from '../../src/transports/archive/tar-writer.ts';

/** One member of a layer: a path inside the image (no leading '/') and where its bytes come from. */
export type LayerEntry =
  | { path: string; type: 'file'; mode: number; from: string }
  | { path: string; type: 'file'; mode: number; bytes: Uint8Array }
  | { path: string; type: 'directory'; mode: number }
  | { path: string; type: 'symlink'; target: string };

/** A layer written to a file: its descriptor (compressed) and its diff ID (uncompressed digest, for the config's rootfs). */
export interface BuiltLayer {
  file: string;
  descriptor: Descriptor;
  diffId: Digest;
}

function checkPath(path: string): void {
  if (path.startsWith('/') || path.split('/').some((p) => p === '' || p === '.' || p === '..')) throw new Error(`layer entry "${path}": not a clean relative path`);
}

/** `entries` plus every missing parent directory (0755), sorted by path bytes; a path given twice is refused. */
export function normalizeEntries(entries: readonly LayerEntry[]): LayerEntry[] {
  const byPath = new Map<string, LayerEntry>();
  for (const e of entries) {
    checkPath(e.path);
    if (byPath.has(e.path)) throw new Error(`layer entry "${e.path}" given twice`);
    byPath.set(e.path, e);
  }
  for (const e of entries) {
    const parts = e.path.split('/');
    for (let i = 1; i < parts.length; i++) {
      const dir = parts.slice(0, i).join('/');
      const have = byPath.get(dir);
      if (have && have.type !== 'directory') throw new Error(`layer entry "${e.path}": its parent "${dir}" is not a directory`);
      if (!have) byPath.set(dir, { path: dir, type: 'directory', mode: 0o755 });
    }
  }
  return [...byPath.values()].sort((a, b) => Buffer.compare(Buffer.from(a.path), Buffer.from(b.path)));
}

/** Passes bytes through and hashes them (sha256) and counts them. */
function tap(): Transform & { result(): { digest: Digest; size: number } } {
  const hash = createHash('sha256');
  let size = 0;
  const t = new Transform({
    transform(chunk: Buffer, _enc, done) {
      hash.update(chunk);
      size += chunk.length;
      done(null, chunk);
    },
  });
  return Object.assign(t, { result: () => ({ digest: `sha256:${hash.digest('hex')}` as Digest, size }) });
}

/**
 * Writes the gzip-compressed tar of `entries` to `dir/NAME.tar.gz` and
 * returns its descriptor and diff ID. `level` is gzip's (default 9: the
 * layer is built once and pulled many times).
 */
export async function buildLayer(entries: readonly LayerEntry[], options: { dir: string; name: string; level?: number; annotations?: Record<string, string> }): Promise<BuiltLayer> {
  const sorted = normalizeEntries(entries);
  const { stream, filled } = tarReadable(async (add) => {
    for (const e of sorted) {
      if (e.type === 'directory') await add({ name: `${e.path}/`, type: 'directory', mode: e.mode });
      else if (e.type === 'symlink') await add({ name: e.path, type: 'symlink', linkname: e.target, mode: 0o777 });
      else if ('bytes' in e) await add({ name: e.path, type: 'file', mode: e.mode, size: e.bytes.byteLength }, e.bytes);
      // The size is taken now and the stream must match it: a file changing under the build fails it.
      else await add({ name: e.path, type: 'file', mode: e.mode, size: (await stat(e.from)).size }, createReadStream(e.from));
    }
  });
  const file = join(options.dir, `${options.name}.tar.gz`);
  const raw = tap();
  const compressed = tap();
  await Promise.all([pipeline(stream, raw, createGzip({ level: options.level ?? 9 }), compressed, createWriteStream(file, { flags: 'wx' })), filled]);
  const { digest, size } = compressed.result();
  return {
    file,
    descriptor: { mediaType: MediaType.OciLayerGzip, digest, size, ...(options.annotations ? { annotations: options.annotations } : {}) },
    diffId: raw.result().digest,
  };
}
