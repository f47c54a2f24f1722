/**
 * Tag selection, as a pure function of the tags a repository has and a
 * {@link TagFilter}. Order of operations: candidates (explicit tags or all)
 * -> regex -> semver range -> exclude -> newest N.
 */
import { type SemVer, semver } from './semver.ts';
import type { TagFilter } from './spec.ts';

/** Parses a tag as semver, tolerating a leading `v` (`v1.6.0`), as image tags usually carry one. */
export function tagVersion(tag: string): SemVer | null {
  return semver().parse(tag.startsWith('v') || tag.startsWith('V') ? tag.slice(1) : tag, { loose: false });
}

export interface FilterInput {
  /** Tags listed at the source; undefined when the filter names explicit tags and no listing was made. */
  listed: string[] | undefined;
  /** Creation times by tag, needed only for `newest.by = created`. */
  created?: Map<string, string> | undefined;
}

/** True when the filter needs the repository's tag list (anything but plain explicit tags). */
export function needsListing(filter: TagFilter): boolean {
  return !filter.tags || filter.regex !== undefined || filter.semver !== undefined || filter.newest !== undefined;
}

/** Selects tags; returns them in a stable order (input order for explicit tags, else sorted). */
export function selectTags(filter: TagFilter, input: FilterInput): string[] {
  let tags = filter.tags ? [...filter.tags] : [...(input.listed ?? [])];
  if (filter.tags && input.listed && needsListing(filter)) {
    const have = new Set(input.listed);
    tags = tags.filter((t) => have.has(t) || t.includes(':'));
  }
  if (filter.regex !== undefined) {
    const re = new RegExp(filter.regex);
    tags = tags.filter((t) => re.test(t));
  }
  if (filter.semver !== undefined) {
    const range = filter.semver;
    tags = tags.filter((t) => {
      const v = tagVersion(t);
      // As skopeo (and npm): a pre-release matches only a range that names a pre-release of the same version.
      return v !== null && semver().satisfies(v, range);
    });
  }
  for (const ex of filter.exclude ?? []) {
    const re = new RegExp(ex);
    tags = tags.filter((t) => !re.test(t));
  }
  if (!filter.tags) tags.sort();
  if (filter.newest) {
    const { count, by } = filter.newest;
    if (by === 'semver') {
      tags = tags
        .map((t) => [t, tagVersion(t)] as const)
        .filter((p): p is readonly [string, SemVer] => p[1] !== null)
        .sort((a, b) => semver().rcompare(a[1], b[1]) || a[0].localeCompare(b[0]))
        .slice(0, count)
        .map(([t]) => t);
    } else {
      const created = input.created ?? new Map<string, string>();
      tags = tags
        .filter((t) => created.has(t))
        .sort((a, b) => Date.parse(created.get(b)!) - Date.parse(created.get(a)!) || a.localeCompare(b))
        .slice(0, count);
    }
  }
  return [...new Set(tags)];
}
