/**
 * The `manifest.json` and legacy `repositories` files of a `docker save`
 * archive (moby `image/tarexport`): parsing untrusted copies, choosing an
 * image, and merging a new image into an existing list. Also how the tar
 * itself is read ({@link DOCKER_SAVE_TAR}).
 */
import { TugError } from '../../errors/index.ts';
import { type Digest, parseDigest } from '../../reference/digest.ts';
import { type Reference, parseReference } from '../../reference/reference.ts';
import type { ArchiveReadOptions } from '../archive/safe-tar-reader.ts';

/** One element of `manifest.json`, as docker writes it. */
export interface ArchiveImage {
  /** Member name of the config, e.g. `HEX.json`. */
  Config: string;
  /** Tags as `repo:tag` (docker writes the familiar form; skopeo and Tugboat the qualified one). Empty for an untagged image. */
  RepoTags: string[];
  /** Member names of the uncompressed layer tars, base first. */
  Layers: string[];
}

/** The legacy `repositories` file: repository -> tag -> top layer ID. Read only by docker load when manifest.json is absent. */
export type ArchiveRepositories = Record<string, Record<string, string>>;

/**
 * How docker-archive reads its tar: links are allowed while they stay inside
 * the archive, because docker save before 1.10 and skopeo write each layer
 * as `ID/layer.tar`, a symlink to `../HEX.tar` (followed with `resolveMember`).
 */
export const DOCKER_SAVE_TAR: ArchiveReadOptions = { kind: 'docker archive', links: 'within-archive' };

/** Which image of an archive a reference names: by tag, by position, or (neither) the only one. */
export interface ImageSelector {
  ref?: Reference | undefined;
  index?: number | undefined;
}

function unsafe(path: string, problem: string): TugError {
  return new TugError('UNSAFE_INPUT', `docker archive ${path}: manifest.json ${problem}`, { hint: 'the archive is malformed; re-create it with docker save or tug' });
}

/** Parses and shape-checks `manifest.json`. Member names are checked later, when they are resolved. */
export function parseArchiveManifest(bytes: Uint8Array, path: string): ArchiveImage[] {
  let doc: unknown;
  try {
    doc = JSON.parse(Buffer.from(bytes).toString('utf8'));
  } catch (err) {
    throw new TugError('UNSAFE_INPUT', `docker archive ${path}: manifest.json is not valid JSON`, { cause: err });
  }
  if (!Array.isArray(doc)) throw unsafe(path, 'is not a JSON array');
  return doc.map((item: unknown, i): ArchiveImage => {
    if (typeof item !== 'object' || item === null) throw unsafe(path, `entry ${i} is not an object`);
    const e = item as Record<string, unknown>;
    if (typeof e.Config !== 'string' || e.Config === '') throw unsafe(path, `entry ${i} has no Config`);
    if (!Array.isArray(e.Layers) || !e.Layers.every((l) => typeof l === 'string' && l !== '')) throw unsafe(path, `entry ${i} has no valid Layers list`);
    // docker writes null for an image saved by ID
    const tags = e.RepoTags ?? [];
    if (!Array.isArray(tags) || !tags.every((t) => typeof t === 'string')) throw unsafe(path, `entry ${i} has an invalid RepoTags list`);
    return { Config: e.Config, RepoTags: tags as string[], Layers: e.Layers as string[] };
  });
}

/** Parses `repositories`; a missing or malformed file yields an empty map (nothing modern reads it). */
export function parseRepositories(bytes: Uint8Array | undefined): ArchiveRepositories {
  if (!bytes) return {};
  try {
    const doc = JSON.parse(Buffer.from(bytes).toString('utf8')) as unknown;
    if (typeof doc !== 'object' || doc === null || Array.isArray(doc)) return {};
    const out: ArchiveRepositories = {};
    for (const [repo, tags] of Object.entries(doc)) {
      if (typeof tags !== 'object' || tags === null) continue;
      const kept = Object.entries(tags as Record<string, unknown>).filter((kv): kv is [string, string] => typeof kv[1] === 'string');
      if (kept.length > 0) out[repo] = Object.fromEntries(kept);
    }
    return out;
  } catch {
    return {};
  }
}

/**
 * The RepoTags spelling Tugboat writes: fully qualified, as skopeo 1.9 writes
 * it (`docker.io/library/nginx:1.27`, `quay.io/a/b:1`; containers/image
 * `tarfile.Writer`). `docker load` reads both spellings, but Podman reads a
 * name without a registry (`docker save`'s `nginx:1.27`) as `localhost/nginx:1.27`.
 */
export function formatRepoTag(ref: Reference): string {
  return ref.tagged().toString();
}

/** True when the RepoTags entry `repoTag` names the same repository and tag as `ref`, whichever spelling either uses. */
export function repoTagMatches(repoTag: string, ref: Reference): boolean {
  try {
    const t = parseReference(repoTag);
    return t.registry === ref.registry && t.repository === ref.repository && t.tag === (ref.tag ?? 'latest');
  } catch {
    return false;
  }
}

/**
 * Picks the image `selector` names: the one whose RepoTags match the
 * reference, the one at position `@N`, or the only image when neither is
 * given. NOT_FOUND / USAGE errors list what the archive holds.
 */
export function selectImage(images: readonly ArchiveImage[], selector: ImageSelector, path: string): { image: ArchiveImage; index: number } {
  const listing = () =>
    images.map((img, i) => `@${i}${img.RepoTags.length ? ` (${img.RepoTags.join(', ')})` : ''}`).join('; ') || 'no images';
  if (selector.index !== undefined) {
    const image = images[selector.index];
    if (!image) throw new TugError('NOT_FOUND', `docker archive ${path} has no image @${selector.index}`, { hint: `it holds ${images.length} image(s): ${listing()}` });
    return { image, index: selector.index };
  }
  if (selector.ref) {
    const ref = selector.ref;
    const index = images.findIndex((img) => img.RepoTags.some((t) => repoTagMatches(t, ref)));
    const image = images[index];
    if (!image) throw new TugError('NOT_FOUND', `docker archive ${path} has no image tagged ${formatRepoTag(ref)}`, { hint: `it holds: ${listing()}` });
    return { image, index };
  }
  const only = images[0];
  if (images.length === 1 && only) return { image: only, index: 0 };
  if (images.length === 0) throw new TugError('NOT_FOUND', `docker archive ${path} holds no images`);
  throw new TugError('USAGE', `docker archive ${path} holds ${images.length} images; say which one`, { hint: `append :REPO:TAG or :@N to the path; it holds: ${listing()}` });
}

/**
 * Removes `ref`'s tag from every image in `images` (the new image takes it
 * over) and drops images that thereby lose their last tag, as `docker save`
 * of a re-tagged image would no longer include them. Returns the images kept
 * and the ones dropped.
 */
export function untagImages(images: readonly ArchiveImage[], ref: Reference | undefined): { kept: ArchiveImage[]; dropped: ArchiveImage[] } {
  if (!ref) return { kept: [...images], dropped: [] };
  const kept: ArchiveImage[] = [];
  const dropped: ArchiveImage[] = [];
  for (const img of images) {
    const tags = img.RepoTags.filter((t) => !repoTagMatches(t, ref));
    if (tags.length === img.RepoTags.length) kept.push(img);
    else if (tags.length > 0) kept.push({ ...img, RepoTags: tags });
    else dropped.push(img);
  }
  return { kept, dropped };
}

/** Removes `ref`'s tag from `repositories` (whichever spelling) and returns a copy. */
export function untagRepositories(repos: ArchiveRepositories, ref: Reference | undefined): ArchiveRepositories {
  const out: ArchiveRepositories = {};
  for (const [repo, tags] of Object.entries(repos)) {
    const left = Object.fromEntries(Object.entries(tags).filter(([tag]) => !(ref && repoTagMatches(`${repo}:${tag}`, ref))));
    if (Object.keys(left).length > 0) out[repo] = left;
  }
  return out;
}

/** Reads the config's rootfs.diff_ids, refusing anything that is not a list of valid digests. */
export function diffIdsOf(config: Uint8Array, what: string): Digest[] {
  let doc: unknown;
  try {
    doc = JSON.parse(Buffer.from(config).toString('utf8'));
  } catch (err) {
    throw new TugError('UNSAFE_INPUT', `${what}: the image config is not valid JSON`, { cause: err });
  }
  const ids = (doc as { rootfs?: { diff_ids?: unknown } } | null)?.rootfs?.diff_ids;
  if (!Array.isArray(ids)) throw new TugError('UNSAFE_INPUT', `${what}: the image config has no rootfs.diff_ids list`);
  return ids.map((d, i) => parseDigest(d, `rootfs.diff_ids[${i}] of ${what}`));
}
