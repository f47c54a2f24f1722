/**
 * The tags of a Repository's image at its source (seed 001 标签管理 and the
 * details page's 标签 tab): every tag the registry lists, a page at a time,
 * each described (digest, platforms, size, created) and marked with the
 * Repository of this namespace that follows it, if any. Describing reads a
 * tag's manifests and one config, so only the page asked for is described.
 */
import pLimit from 'p-limit';
import type { Registry, Repository } from '../api/types.ts';
import type { EgressPolicy } from '../context/system-context.ts';
import { TugError, errorText } from '../errors/index.ts';
import { readConfig, readInstance, readTopLevel } from '../inspect/inspect.ts';
import { formatPlatform } from '../oci/platform.ts';
import { type RegistryCredentials, registryAccess } from '../registry-access/registry-access.ts';
import { parseImageName } from '../transports/index.ts';
import { isTagLister } from '../transports/types.ts';

export interface SourceTag {
  tag: string;
  digest?: string;
  mediaType?: string;
  platforms?: string[];
  /** Configs and layers of every platform, each blob once. */
  sizeBytes?: number;
  created?: string;
  /** The Repository of this namespace that follows this tag. */
  followedBy?: { name: string; syncStatus: string };
  /** Why it could not be described (the tag still lists). */
  error?: string;
}

/** Newest-looking first: versions compared number by number (v1.10 after v1.9), then by text. */
export function compareTags(a: string, b: string): number {
  return b.localeCompare(a, 'en', { numeric: true });
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
  const ref = parseImageName(`${base}:${repo.spec.tag}`);
  if (!isTagLister(ref)) throw new TugError('INTERNAL', `${base} cannot list tags`);
  const all = (await ref.listTags(ctx, { signal: options.signal })).filter((t) => !/^sha256-[a-f0-9]{64}(\.\w+)?$/.test(t)).sort(compareTags);
  const start = options.after === undefined ? 0 : all.findIndex((t) => compareTags(t, options.after!) > 0);
  const page = start < 0 ? [] : all.slice(start, start + options.limit);
  const byTag = new Map(following.filter((r) => r.spec.repository === repo.spec.repository && r.spec.registryRef.name === repo.spec.registryRef.name).map((r) => [r.spec.tag, r]));
  const limit = pLimit(4);
  const items = await Promise.all(page.map((tag) => limit(async (): Promise<SourceTag> => {
    const follower = byTag.get(tag);
    const out: SourceTag = { tag, ...(follower ? { followedBy: { name: follower.metadata.name, syncStatus: follower.status?.syncStatus ?? 'Pending' } } : {}) };
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
    return out;
  })));
  const last = page.at(-1);
  const more = start >= 0 && start + options.limit < all.length;
  return { items, total: all.length, ...(more && last ? { continue: last } : {}) };
}
