/** The overview's and the storage view's queries (their keys live here: no other page caches them). */
import { useQuery } from '@tanstack/react-query';
import { getOverview } from '../api/overview.ts';
import { getStorage } from '../api/storage.ts';
import { useMe } from './useSession.ts';

export const overviewKeys = {
  overview: (window: string, bucket: string) => ['overview', window, bucket] as const,
  storage: (limit: number) => ['storage', limit] as const,
  /** Every storage report (for invalidating them after a threshold changes). */
  storageAll: ['storage'] as const,
};

/** How often the dashboard refetches while auto refresh is on; false stops it. */
export type RefreshEvery = number | false;

/** `GET /overview` for the window; refetched every `refreshMs` (and kept on screen while the next one loads). */
export function useOverview(window: string, bucket: string, refreshMs: RefreshEvery) {
  return useQuery({
    queryKey: overviewKeys.overview(window, bucket),
    queryFn: ({ signal }) => getOverview({ window, bucket, top: 10 }, signal),
    refetchInterval: refreshMs,
    placeholderData: (previous) => previous,
  });
}

/** `GET /storage` with the `limit` biggest repositories. */
export function useStorage(limit: number, refreshMs: RefreshEvery = false) {
  return useQuery({ queryKey: overviewKeys.storage(limit), queryFn: ({ signal }) => getStorage({ limit }, signal), refetchInterval: refreshMs });
}

/** Whether the token is an admin (namespace settings are admin-only). False until the role is known, so no one sees a button they would get a 403 from. */
export function useIsAdmin(): boolean {
  return useMe().data?.role === 'admin';
}
