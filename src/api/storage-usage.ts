/**
 * What one Repository's image takes, at its source and in its mirror: the
 * configs and layers of every platform its last sync described, each blob
 * once (manifests, a few KB, left out), as a registry stores them. The
 * mirror holds what `status.mirror.platforms` says (an index cut by
 * spec.platforms, or Legacy's one image), else every platform, and nothing
 * before a sync put it there. With spec.tags, `status.tagsStorage` (what the
 * other followed tags add, each blob once) is added. Pure: the server's
 * storage report (server/storage.ts) sums these blobs across Repositories;
 * the scheduler keeps one Repository's sums in `status.storage`, which list
 * items carry (they leave the layers out: issue 16's storage column).
 */
import type { ManifestInfo, Repository } from './types.ts';

export interface Usage {
  /** Unique blobs (configs and layers). */
  blobs: number;
  bytes: number;
}

const platformOf = (m: ManifestInfo) => [m.os, m.architecture, m.variant].filter(Boolean).join('/');

function* blobsOf(platforms: readonly ManifestInfo[]): Generator<[string, number]> {
  for (const m of platforms) {
    if (m.config) yield [m.config.digest, m.config.size];
    for (const l of m.layers) yield [l.digest, Number(l.size) || 0];
  }
}

/** What a Repository's image takes at its source, and in its mirror when it has one that synced: [digest, bytes] pairs. */
export function repositoryBlobs(r: Pick<Repository, 'status'>): { source: [string, number][]; mirror: [string, number][] } {
  const all = r.status?.platforms?.length ? r.status.platforms : r.status?.manifest ? [r.status.manifest] : [];
  const source = [...blobsOf(all)];
  const held = r.status?.mirror?.platforms;
  const inMirror = !r.status?.mirror?.digest ? [] : held ? all.filter((m) => held.includes(platformOf(m))) : all;
  return { source, mirror: [...blobsOf(inMirror)] };
}

/** `blobs` each once, plus blobs known only as a sum. */
export function usageOf(blobs: Iterable<[string, number]>, counted?: Usage): Usage {
  const sizes = new Map(blobs);
  let bytes = counted?.bytes ?? 0;
  for (const s of sizes.values()) bytes += s;
  return { blobs: sizes.size + (counted?.blobs ?? 0), bytes };
}

/** One Repository's figures, as GET /storage lists them per Repository and `status.storage` keeps them. */
export function repositoryUsage(r: Pick<Repository, 'spec' | 'status'>): { source: Usage; mirror: Usage } {
  const { source, mirror } = repositoryBlobs(r);
  const more = r.spec.tags ? r.status?.tagsStorage : undefined;
  return { source: usageOf(source, more?.source), mirror: usageOf(mirror, more?.mirror) };
}
