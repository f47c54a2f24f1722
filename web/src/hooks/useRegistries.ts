import { useQuery } from '@tanstack/react-query';
import { arrivedRegistries, listRegistries } from '../api/registries.ts';
import { initialFromArrived } from './arrived.ts';
import { keys } from './queryKeys.ts';

/** Every registry the token sees (up to 1000), refreshed every 30 s. */
export function useRegistries() {
  return useQuery({ queryKey: keys.registries, queryFn: ({ signal }) => listRegistries(signal), refetchInterval: 30_000, ...initialFromArrived(arrivedRegistries) });
}
