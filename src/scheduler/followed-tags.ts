/**
 * Which tags a Repository follows (spec.tags, seed 001 标签管理), as a pure
 * function of its spec and the tags its source lists: `spec.tag`, then every
 * name of `spec.tags.list`, then what the sync file's filters select among
 * the listed tags (src/sync/filter.ts: regex -> semver -> exclude -> newest
 * N). The list is not narrowed by the filters, unlike a sync file's `tags:`:
 * a tag added from the tags tab is followed whatever the filters say.
 */
import { MAX_FOLLOWED_TAGS, type RepositorySpec, type RepositoryTagsSpec } from '../api/types.ts';
import { selectTags } from '../sync/filter.ts';
import type { TagFilter } from '../sync/spec.ts';

/** cosign's `sha256-<hex>.sig/.att/.sbom` and referrer-schema tags: artifacts of an image, never images to follow. */
export const ARTIFACT_TAG = /^sha256-[a-f0-9]{64}(\.\w+)?$/;

/** Newest-looking first: versions compared number by number (v1.10 before v1.9), then by text. */
export function compareTags(a: string, b: string): number {
  return b.localeCompare(a, 'en', { numeric: true });
}

/** Candidates dated at most for `newest: {by: created}` (one manifest and config read each): the newest-looking ones. */
export const MAX_DATED_TAGS = 200;

function filterOf(t: RepositoryTagsSpec | undefined): TagFilter | undefined {
  if (!t || (t.regex === undefined && t.semver === undefined && t.newest === undefined)) return undefined;
  return { regex: t.regex, semver: t.semver, exclude: t.exclude, newest: t.newest ? { count: t.newest.count, by: t.newest.by ?? 'semver' } : undefined };
}

/** True when following spec.tags needs the source's tag list (any filter; a plain list does not). */
export function needsTagList(spec: Pick<RepositorySpec, 'tags'>): boolean {
  return filterOf(spec.tags) !== undefined;
}

/** The tags whose creation time `newest: {by: created}` needs (none otherwise), newest-looking first, at most MAX_DATED_TAGS. */
export function tagsToDate(spec: Pick<RepositorySpec, 'tags'>, listed: readonly string[]): string[] {
  const filter = filterOf(spec.tags);
  if (filter?.newest?.by !== 'created') return [];
  return selectTags({ ...filter, newest: undefined }, { listed: listed.filter((t) => !ARTIFACT_TAG.test(t)) }).sort(compareTags).slice(0, MAX_DATED_TAGS);
}

export interface FollowedSet {
  /** spec.tag first, then the list, then the filters' selection (newest-looking first); no repeats. */
  tags: string[];
  /** Tags the filters selected past MAX_FOLLOWED_TAGS (not followed). */
  omitted: number;
}

/**
 * The followed set. `listed` is the source's tag list (undefined when it was
 * not read or could not be: the filters then select nothing), `created` the
 * creation times of tagsToDate's tags.
 */
export function followedTags(spec: Pick<RepositorySpec, 'tag' | 'tags'>, listed: readonly string[] | undefined, created?: ReadonlyMap<string, string>): FollowedSet {
  const out = new Set<string>([spec.tag, ...(spec.tags?.list ?? [])]);
  const filter = filterOf(spec.tags);
  let selected: string[] = [];
  if (filter && listed) {
    const candidates = listed.filter((t) => !ARTIFACT_TAG.test(t));
    selected = selectTags(filter, { listed: candidates, created: created ? new Map(created) : undefined }).filter((t) => !out.has(t));
    // newest by semver comes back in version order; anything else sorted by text: keep the newest-looking when cutting.
    if (!filter.newest) selected.sort(compareTags);
  }
  const room = Math.max(0, MAX_FOLLOWED_TAGS + 1 - out.size);
  for (const t of selected.slice(0, room)) out.add(t);
  return { tags: [...out], omitted: Math.max(0, selected.length - room) };
}
