/**
 * The repository list: pages of {@link PAGE_SIZE} from the server, kept
 * current by its watch stream. Events are applied to the loaded pages in
 * place (see `liveList.ts`), in batches; totals are re-counted when an event
 * may have changed them; a reconnect reloads the list.
 */
import { useCallback, useEffect, useMemo, useState } from 'react';
import { useInfiniteQuery, useQueryClient } from '@tanstack/react-query';
import type { WatchEvent, WatchEventType } from '../../../src/api/types.ts';
import type { Repository } from '../api/client.ts';
import { LIST_PAGE_SIZE, listRepositories, watchRepositories, type RepositoryFilter } from '../api/repositories.ts';
import type { WatchState } from '../api/watch.ts';
import { applyEvent, syncTotals, type Pages } from './liveList.ts';
import { keys } from './queryKeys.ts';

export const PAGE_SIZE = LIST_PAGE_SIZE;

/** Events arrive in bursts (a watch starts with every object; 300 syncs make 600 changes): one render per batch. */
const BATCH_MS = 250;
const RECOUNT_MS = 400;
/**
 * Most syncs take 35-300 ms, less than a batch, so 同步中 reached the
 * screen almost never (issue 16). Once the server has reported a repository
 * Syncing, what follows for it waits until 同步中 has been on screen this
 * long: the transition shows, and it is the server's own, never invented.
 */
export const SYNCING_MIN_MS = 800;

const keyOf = (r: Repository) => `${r.metadata.namespace}/${r.metadata.name}`;

export function useLiveRepositoryList({ namespace, q }: RepositoryFilter) {
  const queryClient = useQueryClient();
  const [live, setLive] = useState<WatchState>('connecting');
  const list = useInfiniteQuery({
    queryKey: keys.repoList(namespace, q),
    queryFn: ({ pageParam, signal }) => listRepositories({ namespace, q }, { limit: PAGE_SIZE, continue: pageParam }, signal),
    initialPageParam: undefined as string | undefined,
    getNextPageParam: (last) => last.metadata.continue || undefined,
    staleTime: Infinity,
  });

  useEffect(() => {
    const filter = { namespace, q };
    const key = keys.repoList(namespace, q);
    let recountTimer: ReturnType<typeof setTimeout> | undefined;
    const recount = () => {
      clearTimeout(recountTimer);
      recountTimer = setTimeout(async () => {
        try {
          const one = await listRepositories(filter, { limit: 1 });
          queryClient.setQueryData<Pages>(key, (d) => (d ? syncTotals(d, one.metadata.totalCount) : d));
        } catch {
          // the next event or reload corrects it
        }
      }, RECOUNT_MS);
    };
    let namespacesSeen: Set<string> | undefined;
    let queue: WatchEvent<Repository>[] = [];
    let flushTimer: ReturnType<typeof setTimeout> | undefined;
    // SYNCING_MIN_MS: when each repository's 同步中 reaches the screen, and the events held back until it has been seen.
    const syncingShownAt = new Map<string, number>();
    const held = new Map<string, WatchEvent<Repository>[]>();
    const holdTimers = new Set<ReturnType<typeof setTimeout>>();
    const accept = (e: WatchEvent<Repository>) => {
      const k = keyOf(e.object);
      const waiting = held.get(k);
      if (waiting) return void waiting.push(e);
      const shownAt = syncingShownAt.get(k);
      if (shownAt !== undefined && e.object.status?.syncStatus !== 'Syncing') {
        syncingShownAt.delete(k);
        const wait = shownAt + SYNCING_MIN_MS - Date.now();
        if (wait > 0) {
          held.set(k, [e]);
          const timer = setTimeout(() => {
            holdTimers.delete(timer);
            const events = held.get(k) ?? [];
            held.delete(k);
            for (const x of events) accept(x);
          }, wait);
          holdTimers.add(timer);
          return;
        }
      }
      if (e.type !== 'DELETED' && e.object.status?.syncStatus === 'Syncing') syncingShownAt.set(k, Date.now() + BATCH_MS);
      queue.push(e);
      flushTimer ??= setTimeout(flush, BATCH_MS);
    };
    const flush = () => {
      flushTimer = undefined;
      const events = queue;
      queue = [];
      let needsRecount = false;
      queryClient.setQueryData<Pages>(key, (d) => {
        if (!d) return d;
        let data = d;
        for (const e of events) {
          const r = applyEvent(data, e, filter);
          needsRecount ||= r.needsRecount;
          data = r.data;
        }
        return data;
      });
      if (needsRecount) recount();
      // A namespace we did not know: refresh the selector's options.
      namespacesSeen ??= new Set(queryClient.getQueryData<string[]>(keys.namespaces) ?? []);
      for (const e of events) {
        if (e.type === 'ADDED' && !namespacesSeen.has(e.object.metadata.namespace)) {
          namespacesSeen.add(e.object.metadata.namespace);
          void queryClient.invalidateQueries({ queryKey: keys.namespaces });
        }
      }
    };
    const stop = watchRepositories(filter, {
      onState: setLive,
      onOpen: (reconnect) => {
        if (reconnect) void queryClient.invalidateQueries({ queryKey: key });
      },
      onEvent: accept,
    });
    return () => {
      stop();
      for (const timer of holdTimers) clearTimeout(timer);
      clearTimeout(flushTimer);
      clearTimeout(recountTimer);
    };
  }, [namespace, q, queryClient]);

  /** Shows a change this console made (create, edit, delete) at once, before its event arrives. */
  const apply = useCallback(
    (type: WatchEventType, object: Repository) => {
      queryClient.setQueryData<Pages>(keys.repoList(namespace, q), (d) => (d ? applyEvent(d, { type, object }, { namespace, q }).data : d));
    },
    [queryClient, namespace, q],
  );

  const items = useMemo(() => list.data?.pages.flatMap((p) => p.items) ?? [], [list.data]);
  const total = list.data?.pages.at(-1)?.metadata.totalCount ?? 0;
  return { list, items, total, live, apply };
}
