/** Repositories and their sync runs: `/namespaces/{ns}/repositories[/{name}[/sync|/syncruns]]`. */
import { API_VERSION, DESCRIPTION_ANNOTATION, DISPLAY_NAME_ANNOTATION, type ObjectMeta, type RepositorySpec } from '../../../src/api/types.ts';
import { arrived, MERGE_PATCH, nsPath, query, request, type List, type Repository, type RunLogLine, type SyncRun } from './client.ts';
import { watch, type WatchHandlers } from './watch.ts';

/** What a list asks for; `namespace` undefined = every namespace the token sees. */
export interface RepositoryFilter {
  namespace: string | undefined;
  /** The server-side search over name, display name and `path:tag`. */
  q: string;
  /** The server-side `fieldSelector` (`status.syncStatus=Failed,status.health.state=Healthy`); empty = none. */
  fieldSelector?: string | undefined;
}

/** Rows per page of the list. */
export const LIST_PAGE_SIZE = 50;

/** The list's filter as the page's URL gives it (`?ns=&q=`): the list page and the early requests (early.ts) read it the same way. */
export function repositoryFilterOf(params: URLSearchParams): RepositoryFilter {
  return { namespace: params.get('ns') || undefined, q: (params.get('q') ?? '').trim() };
}

/** The API path of one page of the list. */
export function repositoryListPath(filter: RepositoryFilter, page: { limit: number; continue?: string | undefined }): string {
  return `${nsPath(filter.namespace, 'repositories')}${query({ q: filter.q, fieldSelector: filter.fieldSelector, limit: page.limit, continue: page.continue })}`;
}

/** One page of the list, in the server's order (namespace, then name). */
export function listRepositories(filter: RepositoryFilter, page: { limit: number; continue?: string | undefined }, signal?: AbortSignal): Promise<List<Repository>> {
  return request<List<Repository>>(repositoryListPath(filter, page), { signal });
}

/** The list's first page (`LIST_PAGE_SIZE`), when the first screen's early GET has already brought it (api/early.ts). */
export function arrivedFirstPage(filter: RepositoryFilter) {
  return arrived(repositoryListPath(filter, { limit: LIST_PAGE_SIZE }), (page: List<Repository>) => page);
}

/** Live changes to the list `filter` selects; returns a stop function. */
export function watchRepositories(filter: RepositoryFilter, handlers: WatchHandlers<Repository>): () => void {
  return watch<Repository>(nsPath(filter.namespace, 'repositories'), { q: filter.q || undefined, fieldSelector: filter.fieldSelector || undefined }, handlers);
}

export function getRepository(namespace: string, name: string, signal?: AbortSignal): Promise<Repository> {
  return request<Repository>(nsPath(namespace, 'repositories', name), { signal });
}

export function createRepository(metadata: Pick<ObjectMeta, 'name' | 'namespace' | 'annotations'>, spec: RepositorySpec): Promise<Repository> {
  return request<Repository>(nsPath(metadata.namespace, 'repositories'), { method: 'POST', body: { apiVersion: API_VERSION, kind: 'Repository', metadata, spec } });
}

/** 编辑信息: a merge patch of the display-name and description annotations (null removes one). */
export function updateRepositoryInfo(r: Repository, info: { displayName: string | null; description: string | null }): Promise<Repository> {
  const body = { metadata: { annotations: { [DISPLAY_NAME_ANNOTATION]: info.displayName, [DESCRIPTION_ANNOTATION]: info.description } } };
  return request<Repository>(nsPath(r.metadata.namespace, 'repositories', r.metadata.name), { method: 'PATCH', body, contentType: MERGE_PATCH });
}

export async function deleteRepository(namespace: string, name: string): Promise<void> {
  await request(nsPath(namespace, 'repositories', name), { method: 'DELETE' });
}

/** Batch delete, one request per namespace (200 names each): `DELETE /namespaces/{ns}/repositories?names=a,b`. */
export async function batchDeleteRepositories(items: { namespace: string; name: string }[]): Promise<{ deleted: number; failed: { key: string; message: string }[] }> {
  const byNs = new Map<string, string[]>();
  for (const i of items) byNs.set(i.namespace, [...(byNs.get(i.namespace) ?? []), i.name]);
  let deleted = 0;
  const failed: { key: string; message: string }[] = [];
  for (const [ns, names] of byNs) {
    for (let i = 0; i < names.length; i += 200) {
      const chunk = names.slice(i, i + 200);
      try {
        const res = await request<{ deleted: string[]; notFound: string[] }>(`${nsPath(ns, 'repositories')}${query({ names: chunk.join(',') })}`, { method: 'DELETE' });
        deleted += res.deleted.length + res.notFound.length;
      } catch (err) {
        for (const n of chunk) failed.push({ key: `${ns}/${n}`, message: (err as Error).message });
      }
    }
  }
  return { deleted, failed };
}

/** 立即同步: queues a manual run. */
export function syncRepository(r: Repository): Promise<SyncRun> {
  return request<SyncRun>(nsPath(r.metadata.namespace, 'repositories', r.metadata.name, 'sync'), { method: 'POST', body: {} });
}

/** The newest 50 runs of a repository. */
export function listSyncRuns(namespace: string, name: string, signal?: AbortSignal): Promise<List<SyncRun>> {
  return request<List<SyncRun>>(`${nsPath(namespace, 'repositories', name, 'syncruns')}${query({ limit: 50 })}`, { signal });
}

export function getSyncRunLog(r: Repository, run: string, signal?: AbortSignal): Promise<{ lines: RunLogLine[] }> {
  return request<{ lines: RunLogLine[] }>(nsPath(r.metadata.namespace, 'repositories', r.metadata.name, `syncruns/${encodeURIComponent(run)}/log`), { signal });
}
