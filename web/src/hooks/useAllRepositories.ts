import { useQuery } from '@tanstack/react-query';
import { listRepositories } from '../api/repositories.ts';
import { keys } from './queryKeys.ts';

/** All repositories (first 1000), for computing dependencies; fetched only while `enabled`. */
export function useAllRepositories(enabled: boolean) {
  return useQuery({
    queryKey: keys.allRepos,
    queryFn: ({ signal }) => listRepositories({ namespace: undefined, q: '' }, { limit: 1000 }, signal),
    enabled,
    staleTime: 15_000,
  });
}
