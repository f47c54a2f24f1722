import { useEffect, useState } from 'react';

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
    const io = new IntersectionObserver((entries) => setNearBottom(entries.some((e) => e.isIntersecting)), { rootMargin: '0px 0px 300px 0px' });
    io.observe(sentinel);
    return () => io.disconnect();
  }, [sentinel]);
  useEffect(() => {
    if (nearBottom && hasNextPage && !isFetchingNextPage) void fetchNextPage();
  }, [nearBottom, hasNextPage, isFetchingNextPage, fetchNextPage]);
  return setSentinel;
}
