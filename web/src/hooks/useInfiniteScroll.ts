import { useEffect, useState } from 'react';

/** How close to the viewport's bottom the sentinel must come for the next page. */
const MARGIN_PX = 300;

interface Pager {
  hasNextPage: boolean;
  isFetchingNextPage: boolean;
  fetchNextPage: () => Promise<unknown>;
  /** How many pages are loaded: each new page makes the sentinel's position news. */
  pages: number;
}

/**
 * Infinite scroll: loads the next page whenever the element given to the
 * returned callback ref (a sentinel below the list) comes within MARGIN_PX
 * of the viewport, and again after each page while it stays there.
 *
 * What the observer said is only trusted for the page count it was said at
 * (issue 16): while the first page loads the list is empty and the sentinel
 * in view, and acting on that once the rows arrive loaded a second page at
 * scroll position 0. So each page count gets an observer of its own, whose
 * first report (an IntersectionObserver always reports once on observe) is
 * taken after the new rows are laid out.
 */
export function useInfiniteScroll({ hasNextPage, isFetchingNextPage, fetchNextPage, pages }: Pager): (el: HTMLElement | null) => void {
  const [sentinel, setSentinel] = useState<HTMLElement | null>(null);
  const [near, setNear] = useState<{ pages: number; near: boolean }>({ pages: -1, near: false });
  useEffect(() => {
    if (!sentinel) return;
    const io = new IntersectionObserver((entries) => setNear({ pages, near: entries.some((e) => e.isIntersecting) }), { rootMargin: `0px 0px ${MARGIN_PX}px 0px` });
    io.observe(sentinel);
    return () => io.disconnect();
  }, [sentinel, pages]);
  const nearBottom = near.near && near.pages === pages;
  useEffect(() => {
    if (nearBottom && hasNextPage && !isFetchingNextPage) void fetchNextPage();
  }, [nearBottom, hasNextPage, isFetchingNextPage, fetchNextPage]);
  return setSentinel;
}
