/**
 * One repository, kept current by the watch stream (filtered to its name):
 * a newer version replaces the cached one and refreshes its runs; a delete
 * marks it gone.
 */
import { useEffect, useState } from 'react';
import { useQuery, useQueryClient } from '@tanstack/react-query';
import type { Repository } from '../api/client.ts';
import { getRepository, watchRepositories } from '../api/repositories.ts';
import { newerVersion } from '../format.ts';
import { keys } from './queryKeys.ts';

export function useLiveRepository(namespace: string, name: string) {
  const queryClient = useQueryClient();
  const repo = useQuery({ queryKey: keys.repo(namespace, name), queryFn: ({ signal }) => getRepository(namespace, name, signal) });
  // Which repository was deleted under us; another one (a new route) is not gone.
  const [deleted, setDeleted] = useState<string | null>(null);
  useEffect(() => {
    const repoKey = keys.repo(namespace, name);
    return watchRepositories({ namespace, q: name }, {
      onEvent: (e) => {
        if (e.object.metadata.name !== name || e.object.metadata.namespace !== namespace) return;
        if (e.type === 'DELETED') {
          setDeleted(`${namespace}/${name}`);
          return;
        }
        const cur = queryClient.getQueryData<Repository>(repoKey);
        if (cur && newerVersion(cur, e.object) === cur) return;
        queryClient.setQueryData(repoKey, e.object);
        void queryClient.invalidateQueries({ queryKey: keys.runs(namespace, name) });
      },
    });
  }, [namespace, name, queryClient]);
  return { repo, gone: deleted === `${namespace}/${name}` };
}
