/**
 * The tags of a Repository's image at its source (docs/api.md "Tags at the
 * source"), a page at a time, and following one: `spec.tags.list` replaced
 * whole by a merge PATCH conditional on `resourceVersion` (RFC 7386 replaces
 * arrays, so two editors adding tags at once would otherwise drop each
 * other's; a stale version answers 409).
 */
import type { SourceTag } from '../../../src/api/types.ts';
import { MERGE_PATCH, nsPath, query, request, type Repository } from './client.ts';

export type { SourceTag };

export interface SourceTagPage {
  kind: 'RepositoryTagList';
  /** `error`: the registry did not answer (the page is then empty; the request itself was fine). */
  metadata: { totalCount: number; continue?: string; error?: string };
  items: SourceTag[];
}

/** Tags described per page: each costs a manifest and a config read at the source. */
export const TAG_PAGE = 20;

export function listSourceTags(namespace: string, name: string, page: { continue?: string | undefined }, signal?: AbortSignal): Promise<SourceTagPage> {
  return request<SourceTagPage>(`${nsPath(namespace, 'repositories', name, 'tags')}${query({ limit: TAG_PAGE, continue: page.continue })}`, { signal });
}

/**
 * Sets `spec.tags.list` to `list` on the version of `r` the user saw; the
 * filters beside it stay. An empty list with no filter removes `spec.tags`
 * (null), as the API's "stop following every extra tag".
 */
export function setFollowedTags(r: Repository, list: string[]): Promise<Repository> {
  const hasFilters = Object.keys(r.spec.tags ?? {}).some((k) => k !== 'list');
  const tags = list.length > 0 ? { list } : hasFilters ? { list: null } : null;
  const body = { metadata: { resourceVersion: r.metadata.resourceVersion }, spec: { tags } };
  return request<Repository>(nsPath(r.metadata.namespace, 'repositories', r.metadata.name), { method: 'PATCH', body, contentType: MERGE_PATCH });
}
