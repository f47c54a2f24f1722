/**
 * The tags of a Repository's image at its source (seed 001 标签管理 and the
 * details page's 标签 tab): every tag the registry lists, a page at a time,
 * each described (digest, platforms, size, created) and marked with the
 * Repository of this namespace that follows it, if any: by spec.tag,
 * spec.tags.list, or a filter of spec.tags that selected it at the last sync
 * (status.tags). Describing reads a tag's manifests and one config, so only
 * the page asked for is described.
 */
import pLimit from 'p-limit';
import type { Registry, Repository, RepositoryTagStatus, SourceTag } from '../api/types.ts';
import type { EgressPolicy } from '../context/system-context.ts';
import { TugError, errorText } from '../errors/index.ts';
import { readConfig, readInstance, readTopLevel } from '../inspect/inspect.ts';
import { formatPlatform } from '../oci/platform.ts';
import { type RegistryAccess, type RegistryCredentials, registryAccess } from '../registry-access/registry-access.ts';
import { ARTIFACT_TAG, compareTags } from '../scheduler/followed-tags.ts';
import { parseImageName } from '../transports/index.ts';
import { isTagLister } from '../transports/types.ts';

export type { SourceTag };
export { compareTags };

/** The tags `r` follows, with what it last synced of each (spec.tag's from the status fields of old). */
function followedOf(r: Repository): Map<string, Pick<RepositoryTagStatus, 'digest' | 'syncStatus' | 'lastSynced'>> {
  const out = new Map<string, Pick<RepositoryTagStatus, 'digest' | 'syncStatus' | 'lastSynced'>>();
  for (const t of r.status?.tags ?? []) out.set(t.tag, t);
  for (const t of r.spec.tags?.list ?? []) if (!out.has(t)) out.set(t, { syncStatus: 'Pending' });
  if (!out.has(r.spec.tag)) {
    const s = r.status;
    out.set(r.spec.tag, { syncStatus: s?.syncStatus ?? 'Pending', ...(s?.observedDigest ? { digest: s.observedDigest } : {}), ...(s?.lastSynced ? { lastSynced: s.lastSynced } : {}) });
  }
  return out;
}

/**
 * The tags `path` has at the registry `access` reaches, artifact tags (cosign's
 * `sha256-….sig`) left out, in the registry's order: the tags tab and a
 * filter entry's import (routes/imports.ts) both read them this way. Two
 * attempts: someone is waiting for the answer.
 */
export async function tagsAt(access: RegistryAccess, path: string, signal?: AbortSignal): Promise<string[]> {
  const ref = parseImageName(`docker://${access.host}/${path}:latest`);
  if (!isTagLister(ref)) throw new TugError('INTERNAL', `${access.host}/${path} cannot list tags`);
  return (await ref.listTags({ ...access.ctx, retryMaxAttempts: 2 }, { signal })).filter((t) => !ARTIFACT_TAG.test(t));
}

export async function listSourceTags(
  repo: Repository,
  source: { registry: Registry; credentials: RegistryCredentials | undefined },
  following: readonly Repository[],
  options: { limit: number; after?: string | undefined; egress?: EgressPolicy | undefined; signal?: AbortSignal | undefined },
): Promise<{ items: SourceTag[]; total: number; continue?: string }> {
  const access = registryAccess(source.registry, source.credentials, { egress: options.egress });
  const ctx = { ...access.ctx, retryMaxAttempts: 2 };
  const base = `docker://${access.host}/${repo.spec.repository}`;
  const all = (await tagsAt(access, repo.spec.repository, options.signal)).sort(compareTags);
  const start = options.after === undefined ? 0 : all.findIndex((t) => compareTags(t, options.after!) > 0);
  const page = start < 0 ? [] : all.slice(start, start + options.limit);
  const mine = followedOf(repo);
  const byTag = new Map<string, NonNullable<SourceTag['followedBy']>>();
  for (const r of following) {
    if (r.spec.repository !== repo.spec.repository || r.spec.registryRef.name !== repo.spec.registryRef.name || r.metadata.name === repo.metadata.name) continue;
    for (const [tag, t] of followedOf(r)) if (!byTag.has(tag)) byTag.set(tag, { name: r.metadata.name, syncStatus: t.syncStatus });
  }
  for (const [tag, t] of mine) byTag.set(tag, { name: repo.metadata.name, syncStatus: t.syncStatus });
  const limit = pLimit(4);
  const items = await Promise.all(page.map((tag) => limit(async (): Promise<SourceTag> => {
    const follower = byTag.get(tag);
    const own = mine.get(tag);
    const out: SourceTag = { tag, ...(follower ? { followedBy: follower } : {}), followed: own !== undefined };
    const src = await parseImageName(`${base}:${tag}`).newSource(ctx);
    try {
      const top = await readTopLevel(src, options.signal);
      out.digest = top.digest;
      out.mediaType = top.parsed.mediaType;
      const images = top.parsed.kind === 'index'
        ? await Promise.all(top.parsed.manifest.manifests.filter((d) => d.platform && d.platform.os !== 'unknown').map((d) => readInstance(src, d, options.signal)))
        : top.parsed.kind === 'image' ? [{ digest: top.digest, mediaType: top.parsed.mediaType, manifest: top.parsed.manifest, platform: undefined }] : [];
      const blobs = new Map<string, number>();
      const platforms: string[] = [];
      for (const image of images) {
        blobs.set(image.manifest.config.digest, image.manifest.config.size);
        for (const l of image.manifest.layers) blobs.set(l.digest, l.size);
        if (image.platform) platforms.push(formatPlatform(image.platform));
      }
      const first = images.find((i) => i.platform?.os === 'linux' && i.platform.architecture === 'amd64') ?? images[0];
      if (first) {
        const { config } = await readConfig(src, first.manifest, options.signal);
        if (config.created) out.created = config.created;
        if (platforms.length === 0 && config.os && config.architecture) platforms.push(formatPlatform({ os: config.os, architecture: config.architecture, ...(config.variant ? { variant: config.variant } : {}) }));
      }
      out.platforms = platforms;
      out.sizeBytes = [...blobs.values()].reduce((n, s) => n + s, 0);
    } catch (err) {
      out.error = errorText(err);
    } finally {
      await src.close();
    }
    if (own?.digest) out.synced = { digest: own.digest, syncStatus: own.syncStatus, ...(own.lastSynced ? { lastSynced: own.lastSynced } : {}), current: own.digest === out.digest };
    return out;
  })));
  const last = page.at(-1);
  const more = start >= 0 && start + options.limit < all.length;
  return { items, total: all.length, ...(more && last ? { continue: last } : {}) };
}
