/**
 * Applies watch events to an infinite (paged) list in place, so rows update
 * without a reload and the scroll position stays. The server sorts by
 * namespace, then name; an object is inserted only when it sorts within the
 * range already loaded (otherwise a later page brings it). Totals are
 * re-counted by the caller (see `needsRecount`).
 */
import type { InfiniteData } from '@tanstack/react-query';
import type { List, Repository, WatchEvent } from '../../../src/api/types.ts';
import { compareKey, matchesSearch, newerVersion, objKey } from '../format.ts';
import { matchesFieldSelector } from './fieldSelector.ts';

export type Pages = InfiniteData<List<Repository>, string | undefined>;

export interface ApplyResult {
  data: Pages;
  /** The event may have changed the total (an add or delete we could not place). */
  needsRecount: boolean;
}

export function applyEvent(data: Pages, e: WatchEvent<Repository>, filter: { namespace: string | undefined; q: string; fieldSelector?: string | undefined }): ApplyResult {
  const obj = e.object;
  // The search and the toolbar's filters, as the server applies them to the list and its watch.
  const matches = (r: Repository) => matchesSearch(r, filter.q) && matchesFieldSelector(r, filter.fieldSelector);
  const key = objKey(obj);
  let found = false;
  let changed = false;
  const pages = data.pages.map((p) => {
    const idx = p.items.findIndex((i) => objKey(i) === key);
    if (idx < 0) return p;
    found = true;
    const cur = p.items[idx]!;
    if (e.type === 'DELETED') {
      changed = true;
      return { ...p, items: p.items.filter((_, j) => j !== idx) };
    }
    const stillMatches = matches(obj);
    if (!stillMatches) {
      changed = true;
      return { ...p, items: p.items.filter((_, j) => j !== idx) };
    }
    if (newerVersion(cur, obj) === cur) return p; // the same version, or an older event
    changed = true;
    const items = p.items.slice();
    items[idx] = obj;
    return { ...p, items };
  });
  if (found) {
    if (!changed) return { data, needsRecount: false };
    // Keep every page's total in step (the footer reads the last page's).
    const deleted = e.type === 'DELETED' || !matches(obj);
    const next = { ...data, pages };
    return { data: deleted ? syncTotals(next, Math.max(0, (data.pages.at(-1)?.metadata.totalCount ?? 1) - 1)) : next, needsRecount: deleted };
  }
  if (e.type === 'DELETED') return { data, needsRecount: true };
  if ((filter.namespace && obj.metadata.namespace !== filter.namespace) || !matches(obj)) return { data, needsRecount: false };
  const last = data.pages[data.pages.length - 1];
  const hasMore = Boolean(last?.metadata.continue);
  const lastItem = [...data.pages].reverse().find((p) => p.items.length > 0)?.items.at(-1);
  const inRange = !hasMore || (lastItem !== undefined && compareKey(obj, lastItem) < 0);
  if (!inRange) return { data, needsRecount: true };
  // Insert into the first page whose last item sorts after it (or the last page).
  let placed = false;
  const out = data.pages.map((p, i) => {
    if (placed) return p;
    const tail = p.items.at(-1);
    if (i === data.pages.length - 1 || (tail && compareKey(obj, tail) < 0)) {
      placed = true;
      const items = p.items.slice();
      let at = items.findIndex((it) => compareKey(obj, it) < 0);
      if (at < 0) at = items.length;
      items.splice(at, 0, obj);
      return { ...p, items };
    }
    return p;
  });
  return { data: syncTotals({ ...data, pages: out }, (last?.metadata.totalCount ?? 0) + 1), needsRecount: true };
}

/** Sets every page's totalCount to the given one (after a recount), or to the last page's. */
export function syncTotals(data: Pages, total?: number): Pages {
  const t = total ?? data.pages.at(-1)?.metadata.totalCount ?? 0;
  return { ...data, pages: data.pages.map((p) => (p.metadata.totalCount === t ? p : { ...p, metadata: { ...p.metadata, totalCount: t } })) };
}
