/** The retention plan of a Repository's mirror, read when asked for. */
import { useQuery } from '@tanstack/react-query';
import type { Repository } from '../api/client.ts';
import { getRetentionPlan, type RetentionOrder } from '../api/retention.ts';

/** What a plan is asked for with; `asked` counts the requests, so that asking again reads the mirror again. */
export interface RetentionAsk {
  keep: number;
  by: RetentionOrder;
  asked: number;
}

/** Kept beside its hook (not in queryKeys.ts): only the retention tab reads it. */
const retentionKey = (r: Repository, ask: RetentionAsk | null) => ['retention', r.metadata.namespace, r.metadata.name, ask?.keep, ask?.by, ask?.asked] as const;

/** The plan for `ask` (none while null: a plan is read when asked for, never on opening the tab). */
export function useRetentionPlan(r: Repository, ask: RetentionAsk | null) {
  return useQuery({
    queryKey: retentionKey(r, ask),
    queryFn: ({ signal }) => getRetentionPlan(r, ask!.keep, ask!.by, signal),
    enabled: ask !== null,
    // A plan is a snapshot the user reviews: never refreshed under them (apply checks that it still holds).
    staleTime: Infinity,
    gcTime: 0,
    retry: false,
  });
}
