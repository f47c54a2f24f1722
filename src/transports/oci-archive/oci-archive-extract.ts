/**
 * Unpacking an oci-archive into a scratch layout, capped (see
 * ../archive/extract-budget.ts): by the scratch disk's free space always,
 * and for a gzip-compressed archive (the only kind that can unpack to more
 * than its own size) by what its index.json and manifests declare, learnt
 * in a first pass that writes nothing and is itself stopped at the disk cap.
 */
import { MediaType } from '../../oci/media-types.ts';
import { parseManifest } from '../../oci/manifest.ts';
import type { Descriptor } from '../../oci/manifest.ts';
import { digestAlgorithm, digestHex } from '../../reference/digest.ts';
import { declaredBudget, diskBudget, isGzipFile, tighter } from '../archive/extract-budget.ts';
import { type ArchiveMember, extractAll, scanArchive } from '../archive/safe-tar-reader.ts';
import { INDEX_FILE } from '../oci-layout/layout-files.ts';
import { OCI_ARCHIVE_TAR } from './scratch-dir.ts';

/** Members kept in memory by the first pass to read the declared sizes: documents are small. */
const MAX_DOCUMENT_BYTES = 256 * 1024;
const MAX_DOCUMENTS_BYTES = 32 * 1024 * 1024;

/** Extracts the archive at `path` into the empty directory `into` (see the module comment for the caps). */
export async function extractOciArchive(path: string, into: string, options: { signal?: AbortSignal | undefined } = {}): Promise<void> {
  const kind = OCI_ARCHIVE_TAR.kind ?? 'OCI archive';
  let budget = await diskBudget(kind, path, into);
  if (await isGzipFile(path)) {
    let keptBytes = 0;
    const keep = (m: ArchiveMember) => {
      const small = m.name === INDEX_FILE || (m.name.startsWith('blobs/') && m.size <= MAX_DOCUMENT_BYTES && keptBytes + m.size <= MAX_DOCUMENTS_BYTES);
      if (small) keptBytes += m.size;
      return small;
    };
    const scan = await scanArchive(path, { ...OCI_ARCHIVE_TAR, signal: options.signal, budget, keep });
    const declared = declaredBytes(scan.kept);
    if (declared !== undefined) budget = tighter(budget, declaredBudget(kind, path, declared));
  }
  await extractAll(path, into, { ...OCI_ARCHIVE_TAR, signal: options.signal, budget });
}

/**
 * The bytes index.json declares, following every index and manifest to its
 * config and layers (each digest counted once); undefined when a document
 * it needs was not kept or cannot be read (then only the disk cap applies).
 */
function declaredBytes(kept: Map<string, Buffer>): number | undefined {
  const index = kept.get(INDEX_FILE);
  if (!index) return undefined;
  const counted = new Set<string>();
  let total = index.byteLength;
  const count = (d: Descriptor) => {
    if (counted.has(d.digest)) return false;
    counted.add(d.digest);
    total += d.size;
    return true;
  };
  try {
    const queue: Descriptor[] = [];
    const follow = (bytes: Buffer, mediaType: string | undefined) => {
      const parsed = parseManifest(bytes, mediaType, 'document');
      if (parsed.kind === 'index') for (const d of parsed.manifest.manifests) if (count(d)) queue.push(d);
      if (parsed.kind === 'image') for (const d of [parsed.manifest.config, ...parsed.manifest.layers]) count(d);
    };
    follow(index, MediaType.OciIndex);
    for (let d = queue.shift(); d; d = queue.shift()) {
      const bytes = kept.get(`blobs/${digestAlgorithm(d.digest)}/${digestHex(d.digest)}`);
      if (!bytes) return undefined;
      follow(bytes, d.mediaType);
    }
  } catch {
    return undefined;
  }
  return total;
}
