import { useEffect, useState } from 'react';

/** How close to the viewport's bottom the sentinel must come for the next page. */
const MARGIN_PX = 300;

interface Pager {
  hasNextPage: boolean;
  isFetchingNextPage: boolean;
  fetchNextPage: () => Promise<unknown>;
}

/**
 * Infinite scroll: loads the next page whenever the element given to the
 * returned callback ref (a sentinel below the list) comes within 300 px of
 * the viewport, and again after each page while it stays there.
 */
export function useInfiniteScroll({ hasNextPage, isFetchingNextPage, fetchNextPage }: Pager): (el: HTMLElement | null) => void {
  const [sentinel, setSentinel] = useState<HTMLElement | null>(null);
  const [nearBottom, setNearBottom] = useState(false);
  useEffect(() => {
    if (!sentinel) return;
    const io = new IntersectionObserver((entries) => setNearBottom(entries.some((e) => e.isIntersecting)), { rootMargin: `0px 0px ${MARGIN_PX}px 0px` });
    io.observe(sentinel);
    return () => io.disconnect();
  }, [sentinel]);
  useEffect(() => {
    // The observer's last word can be stale: while the first page loads the
    // list is empty and the sentinel in view, and when the rows arrive this
    // effect runs before the observer reports that they pushed it away, which
    // loaded a second page at scroll position 0 (issue 16). Ask the layout.
    if (!nearBottom || !hasNextPage || isFetchingNextPage || !sentinel) return;
    if (sentinel.getBoundingClientRect().top <= window.innerHeight + MARGIN_PX) void fetchNextPage();
  }, [nearBottom, hasNextPage, isFetchingNextPage, fetchNextPage, sentinel]);
  return setSentinel;
}
