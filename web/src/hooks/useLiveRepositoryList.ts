/**
 * The repository list: a first page of {@link PAGE_SIZE} from the server,
 * then pages of {@link NEXT_PAGE_SIZE} as the user scrolls, kept
 * current by its watch stream. Events are applied to the loaded pages in
 * place (see `liveList.ts`), in batches; totals are re-counted when an event
 * may have changed them; the watch resumes from the list's resourceVersion
 * (a reconnect from the newest event's), and reloads the list only when the
 * server no longer holds changes that old.
 */
import { useCallback, useEffect, useMemo, useState } from 'react';
import { useInfiniteQuery, useQueryClient } from '@tanstack/react-query';
import type { WatchEvent, WatchEventType } from '../../../src/api/types.ts';
import type { Repository } from '../api/client.ts';
import { arrivedFirstPage, LIST_PAGE_SIZE, listRepositories, watchRepositories, type RepositoryFilter } from '../api/repositories.ts';
import type { WatchState } from '../api/watch.ts';
import { applyEvent, syncTotals, type Pages } from './liveList.ts';
import { initialFromArrived } from './arrived.ts';
import { keys } from './queryKeys.ts';

/** The first page: what a screen shows, soon (issue 16: one page at scroll position 0). */
export const PAGE_SIZE = LIST_PAGE_SIZE;
/**
 * The pages after it. 10,000 rows in pages of 50 took 200 round trips;
 * the server answers 500 items (~1.2 KB each) in about the time of three
 * pages of 50 (test/web/list.test.ts prints both), and 500 rows are ten
 * screens of scrolling ahead of the user.
 */
export const NEXT_PAGE_SIZE = 500;

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

export function useLiveRepositoryList({ namespace, q, fieldSelector = '' }: RepositoryFilter) {
  const queryClient = useQueryClient();
  const [live, setLive] = useState<WatchState>('connecting');
  const list = useInfiniteQuery({
    queryKey: keys.repoList(namespace, q, fieldSelector),
    queryFn: ({ pageParam, signal }) => listRepositories({ namespace, q, fieldSelector }, { limit: pageParam ? NEXT_PAGE_SIZE : PAGE_SIZE, continue: pageParam }, signal),
    initialPageParam: undefined as string | undefined,
    getNextPageParam: (last) => last.metadata.continue || undefined,
    staleTime: Infinity,
    // The first page, when the early GET (api/early.ts) has brought it already: the table mounts once, with its rows.
    ...initialFromArrived(() => {
      const page = arrivedFirstPage({ namespace, q, fieldSelector });
      return page && { data: { pages: [page.data], pageParams: [undefined] }, at: page.at };
    }),
  });

  // The watch starts from the first page's resourceVersion, once it is here (see resumeFrom below).
  const ready = list.isSuccess;
  useEffect(() => {
    if (!ready) return;
    const filter = { namespace, q, fieldSelector };
    const key = keys.repoList(namespace, q, fieldSelector);
    /**
     * Where the watch resumes: the list's resourceVersion, then the newest
     * event's. Without it every (re)connect began with an ADDED event for
     * every object: 10,000 of them, ~7 MB, before the first rows showed.
     */
    let resumeFrom = queryClient.getQueryData<Pages>(key)?.pages[0]?.metadata.resourceVersion;
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
      const rv = e.object.metadata.resourceVersion;
      if (rv && (resumeFrom === undefined || Number(rv) > Number(resumeFrom))) resumeFrom = rv;
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
      resumeFrom: () => resumeFrom,
      onExpired: () => {
        resumeFrom = undefined;
      },
      // A resumed stream replays what changed while away; a stream that listed anew means reloading the list.
      onOpen: (reconnect) => {
        if (reconnect && resumeFrom === undefined) void queryClient.invalidateQueries({ queryKey: key });
      },
      onEvent: accept,
    });
    return () => {
      stop();
      for (const timer of holdTimers) clearTimeout(timer);
      clearTimeout(flushTimer);
      clearTimeout(recountTimer);
    };
  }, [namespace, q, fieldSelector, queryClient, ready]);

  /** Shows a change this console made (create, edit, delete) at once, before its event arrives. */
  const apply = useCallback(
    (type: WatchEventType, object: Repository) => {
      queryClient.setQueryData<Pages>(keys.repoList(namespace, q, fieldSelector), (d) => (d ? applyEvent(d, { type, object }, { namespace, q, fieldSelector }).data : d));
    },
    [queryClient, namespace, q, fieldSelector],
  );

  const items = useMemo(() => list.data?.pages.flatMap((p) => p.items) ?? [], [list.data]);
  const total = list.data?.pages.at(-1)?.metadata.totalCount ?? 0;
  return { list, items, total, live, apply };
}
