import { useCallback, useEffect, useState } from 'react';

/** How close to the end of the scrolled content (in pixels, about ten rows) the next page is asked for. */
const MARGIN_PX = 600;

interface Pager {
  hasNextPage: boolean;
  isFetchingNextPage: boolean;
  fetchNextPage: () => Promise<unknown>;
  /**
   * The loaded pages. Each new page, and each new list (another namespace or
   * filter), makes the scroll position news: a measurement is trusted only
   * for the very pages it was taken at (compared by identity).
   */
  pages: readonly unknown[];
}

export interface InfiniteScroll {
  /** The element that scrolls (a virtual table's body holder), once it exists. */
  scroller: (el: HTMLElement | null) => void;
  /** Its scroll events (a virtual table calls `onScroll` with them). */
  onScroll: (e: { currentTarget: EventTarget | null }) => void;
  /**
   * Or, for a list that scrolls with the page (the tags tab): an element
   * below the list, watched by an IntersectionObserver; near the viewport's
   * bottom counts as near the end.
   */
  sentinel: (el: HTMLElement | null) => void;
}

const nearEnd = (el: HTMLElement) => el.scrollTop + el.clientHeight >= el.scrollHeight - MARGIN_PX;

/**
 * Infinite scroll inside a scrolling element (the virtual table's body,
 * issue 16: 10,000 rows): the next page loads whenever the scroll position
 * comes within MARGIN_PX of the content's end, and again after each page
 * while it stays there (content shorter than the element counts as there).
 *
 * What was measured is only trusted for the page count it was measured at
 * (issue 16): while the first page loads the list is empty, and acting on
 * that once the rows arrived loaded a second page at scroll position 0. So
 * each page count is measured anew, after its rows are laid out.
 */
export function useInfiniteScroll({ hasNextPage, isFetchingNextPage, fetchNextPage, pages }: Pager): InfiniteScroll {
  const [el, setEl] = useState<HTMLElement | null>(null);
  const [near, setNear] = useState<{ pages: readonly unknown[] | undefined; near: boolean }>({ pages: undefined, near: false });
  // Scroll events come at every frame: the state (and the list's render) changes only when the answer does.
  const measure = useCallback((target: HTMLElement) => {
    const next = nearEnd(target);
    setNear((prev) => (prev.pages === pages && prev.near === next ? prev : { pages, near: next }));
  }, [pages]);
  useEffect(() => {
    if (!el || pages.length === 0) return;
    // After the new page's rows are laid out (the virtual list measures them in a layout effect).
    const frame = requestAnimationFrame(() => measure(el));
    return () => cancelAnimationFrame(frame);
  }, [el, pages, measure]);
  const onScroll = useCallback(
    (e: { currentTarget: EventTarget | null }) => {
      if (e.currentTarget instanceof HTMLElement) measure(e.currentTarget);
    },
    [measure],
  );
  const [sentinel, setSentinel] = useState<HTMLElement | null>(null);
  useEffect(() => {
    if (!sentinel || pages.length === 0) return;
    // An observer per page count: its first report (one always comes on observe) is taken after that page's rows are laid out.
    const io = new IntersectionObserver((entries) => setNear({ pages, near: entries.some((e) => e.isIntersecting) }), { rootMargin: `0px 0px ${MARGIN_PX}px 0px` });
    io.observe(sentinel);
    return () => io.disconnect();
  }, [sentinel, pages]);
  const nearBottom = near.near && near.pages === pages;
  useEffect(() => {
    if (nearBottom && hasNextPage && !isFetchingNextPage) void fetchNextPage();
  }, [nearBottom, hasNextPage, isFetchingNextPage, fetchNextPage]);
  return { scroller: setEl, onScroll, sentinel: setSentinel };
}
