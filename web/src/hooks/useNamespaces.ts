import { useQuery } from '@tanstack/react-query';
import { arrivedNamespaces, listNamespaces } from '../api/namespaces.ts';
import { initialFromArrived } from './arrived.ts';
import { keys } from './queryKeys.ts';

/** The namespaces that hold a registry or a repository (see `listNamespaces`). */
export function useNamespaces() {
  return useQuery({ queryKey: keys.namespaces, queryFn: ({ signal }) => listNamespaces(signal), staleTime: 30_000, ...initialFromArrived(arrivedNamespaces) });
}
