/** The signed-in token's name and role (`GET /whoami`). */
import { useQuery } from '@tanstack/react-query';
import { arrivedWhoami, whoami } from '../api/session.ts';
import { initialFromArrived } from './arrived.ts';
import { keys } from './queryKeys.ts';

export function useMe() {
  return useQuery({ queryKey: keys.me, queryFn: ({ signal }) => whoami(signal), staleTime: 5 * 60_000, ...initialFromArrived(arrivedWhoami) });
}

/**
 * Whether the token may change things (editor or admin). False until the
 * role is known, so a viewer never sees a write button it would get a 403 from.
 */
export function useCanWrite(): boolean {
  const me = useMe();
  return me.data !== undefined && me.data.role !== 'viewer';
}
