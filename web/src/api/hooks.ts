/** Shared queries and mutations. */
import { useQuery } from '@tanstack/react-query';
import type { List, Registry, Repository } from './client.ts';
import { nsPath, query, request } from './client.ts';

export const keys = {
  registries: ['registries'] as const,
  namespaces: ['namespaces'] as const,
  repoList: (ns: string | undefined, q: string) => ['repositories', 'list', ns ?? '', q] as const,
  repo: (ns: string, name: string) => ['repositories', 'one', ns, name] as const,
  runs: (ns: string, name: string) => ['syncruns', ns, name] as const,
  runLog: (ns: string, repo: string, run: string) => ['runlog', ns, repo, run] as const,
  allRepos: ['repositories', 'all'] as const,
};

/** The signed-in token, as `GET /whoami` describes it. */
export interface Me {
  username: string;
  role: 'viewer' | 'editor' | 'admin';
  namespaces?: string[];
}

export function useMe() {
  return useQuery({
    queryKey: ['whoami'],
    queryFn: async ({ signal }) => (await request<{ status: { userInfo: Me } }>('whoami', { signal })).status.userInfo,
    staleTime: 5 * 60_000,
  });
}

/**
 * Whether the token may change things (editor or admin). False until the
 * role is known, so a viewer never sees a write button it would get a 403 from.
 */
export function useCanWrite(): boolean {
  const me = useMe();
  return me.data !== undefined && me.data.role !== 'viewer';
}

/** Every registry the token sees (up to 1000). */
export function useRegistries() {
  return useQuery({
    queryKey: keys.registries,
    queryFn: ({ signal }) => request<List<Registry>>(`registries${query({ limit: 1000 })}`, { signal }),
    refetchInterval: 30_000,
  });
}

/**
 * Namespaces for the selector. The API has no namespaces endpoint, so they
 * are the namespaces that hold a registry or a repository (first 1000 of each).
 */
export function useNamespaces() {
  return useQuery({
    queryKey: keys.namespaces,
    queryFn: async ({ signal }) => {
      const [regs, repos] = await Promise.all([
        request<List<Registry>>(`registries${query({ limit: 1000 })}`, { signal }),
        request<List<Repository>>(`repositories${query({ limit: 1000 })}`, { signal }),
      ]);
      const set = new Set<string>();
      for (const o of [...regs.items, ...repos.items]) set.add(o.metadata.namespace);
      return [...set].sort();
    },
    staleTime: 30_000,
  });
}

/** All repositories (first 1000) for computing dependencies. */
export function useAllRepositories(enabled: boolean) {
  return useQuery({
    queryKey: keys.allRepos,
    queryFn: ({ signal }) => request<List<Repository>>(`repositories${query({ limit: 1000 })}`, { signal }),
    enabled,
    staleTime: 15_000,
  });
}

export async function deleteRepository(ns: string, name: string): Promise<void> {
  await request(nsPath(ns, 'repositories', name), { method: 'DELETE' });
}

/** Batch delete, one request per namespace: `DELETE /namespaces/{ns}/repositories?names=a,b`. */
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
