/**
 * Storage figures (seed 001 监控存储使用 / 设置存储使用告警): the bytes the
 * Repositories' images take at their source registries and in their
 * mirrors, per namespace, per Registry and per Repository, each blob counted
 * once in whatever is summed (a base layer shared by 40 images is stored
 * once by a registry, so it is counted once), from what the last syncs
 * described (`status.platforms`: configs and layers; manifests, a few KB,
 * are left out). A mirror holds what `status.mirror.platforms` says (an
 * index cut by spec.platforms, or Legacy's one image), else every platform.
 * A Repository with spec.tags adds `status.tagsStorage`: the blobs of its
 * other followed tags that spec.tag's image lacks, each once within the
 * Repository (status keeps sums, not digests, to stay small), so a layer
 * that only those tags share with another Repository is counted in both.
 * Pure: objects in, figures out.
 */
import { type Usage, repositoryBlobs, repositoryUsage } from '../api/storage-usage.ts';
import type { Repository } from '../api/types.ts';

export type { Usage };

export interface StorageReport {
  namespaces: { name: string; source: Usage; mirror: Usage; warningBytes?: number; warning: boolean }[];
  registries: { namespace: string; name: string; source: Usage; mirror: Usage }[];
  repositories: { namespace: string; name: string; source: Usage; mirror: Usage }[];
}

class BlobSet {
  readonly sizes = new Map<string, number>();
  /** Blobs known only as a count (status.tagsStorage). */
  private readonly extra: Usage = { blobs: 0, bytes: 0 };
  add(blobs: Iterable<[string, number]>): void {
    for (const [d, s] of blobs) this.sizes.set(d, s);
  }
  addCounted(u: Usage | undefined): void {
    if (!u) return;
    this.extra.blobs += u.blobs;
    this.extra.bytes += u.bytes;
  }
  usage(): Usage {
    let bytes = this.extra.bytes;
    for (const s of this.sizes.values()) bytes += s;
    return { blobs: this.sizes.size + this.extra.blobs, bytes };
  }
}

export function storageReport(repositories: readonly Repository[], warnings: ReadonlyMap<string, number>): StorageReport {
  const ns = new Map<string, { source: BlobSet; mirror: BlobSet }>();
  const regs = new Map<string, { namespace: string; name: string; source: BlobSet; mirror: BlobSet }>();
  const repos: StorageReport['repositories'] = [];
  const reg = (namespace: string, name: string) => {
    const key = `${namespace}/${name}`;
    let r = regs.get(key);
    if (!r) regs.set(key, (r = { namespace, name, source: new BlobSet(), mirror: new BlobSet() }));
    return r;
  };
  for (const r of repositories) {
    const { namespace, name } = r.metadata;
    const { source, mirror } = repositoryBlobs(r);
    let n = ns.get(namespace);
    if (!n) ns.set(namespace, (n = { source: new BlobSet(), mirror: new BlobSet() }));
    const more = r.spec.tags ? r.status?.tagsStorage : undefined;
    n.source.add(source);
    n.source.addCounted(more?.source);
    n.mirror.add(mirror);
    n.mirror.addCounted(more?.mirror);
    const at = reg(r.spec.registryRef.namespace ?? namespace, r.spec.registryRef.name).source;
    at.add(source);
    at.addCounted(more?.source);
    if (r.spec.mirror && (mirror.length > 0 || more?.mirror.blobs)) {
      const into = reg(r.spec.mirror.registryRef.namespace ?? namespace, r.spec.mirror.registryRef.name).mirror;
      into.add(mirror);
      into.addCounted(more?.mirror);
    }
    repos.push({ namespace, name, ...repositoryUsage(r) });
  }
  for (const name of warnings.keys()) if (!ns.has(name)) ns.set(name, { source: new BlobSet(), mirror: new BlobSet() });
  return {
    namespaces: [...ns].sort(([a], [b]) => a.localeCompare(b)).map(([name, n]) => {
      const mirror = n.mirror.usage();
      const limit = warnings.get(name);
      return { name, source: n.source.usage(), mirror, ...(limit !== undefined ? { warningBytes: limit } : {}), warning: limit !== undefined && mirror.bytes > limit };
    }),
    registries: [...regs.values()].sort((a, b) => `${a.namespace}/${a.name}`.localeCompare(`${b.namespace}/${b.name}`)).map((r) => ({ namespace: r.namespace, name: r.name, source: r.source.usage(), mirror: r.mirror.usage() })),
    repositories: repos.sort((a, b) => b.mirror.bytes + b.source.bytes - (a.mirror.bytes + a.source.bytes)),
  };
}
