import { type RefObject, useLayoutEffect, useState } from 'react';

/** What the list keeps below the table's body: the header row, the footer, the page's bottom padding. */
const BELOW_PX = 16;
/** The least body height: on a very short window the page scrolls instead. */
const MIN_BODY_PX = 240;
/**
 * The header row's height (antd's `middle` size) until the table is there
 * to be measured: the table is first rendered with the box this gives, and
 * rendered again only when its real header differs.
 */
const HEADER_PX = 47;

export interface TableBox {
  width: number;
  bodyHeight: number;
}

/**
 * The virtual table's box: its width (percent column widths are read
 * against it) and its body's height, which fills the window below the
 * panel's top so that the toolbar, the header and the footer stay on screen
 * while the rows scroll inside (issue 16: sticky toolbar, header, footer).
 * Null until the panel has been measured: the list renders its table only
 * then, measured before the first paint, so the table's first render has
 * its real size (issue 16's cold load: a table rendered at a guessed size
 * and again at the measured one cost a whole render of its rows). The
 * panel and the footer are refs, not state: a ref callback that sets state
 * re-rendered the whole page once more before the first measure.
 * `footerShown`: whether the footer is rendered (it takes height from the
 * body when it appears).
 */
export function useTableBox(panelRef: RefObject<HTMLElement | null>, footerRef: RefObject<HTMLElement | null>, footerShown: boolean): TableBox | null {
  const [box, setBox] = useState<TableBox | null>(null);
  useLayoutEffect(() => {
    const panel = panelRef.current;
    if (!panel) return;
    const footer = footerShown ? footerRef.current : null;
    const measure = () => {
      const top = panel.getBoundingClientRect().top + window.scrollY;
      const headerEl = panel.querySelector('.ant-table-header, .ant-table-thead');
      const header = headerEl ? headerEl.getBoundingClientRect().height : HEADER_PX;
      const below = (footer?.getBoundingClientRect().height ?? 0) + BELOW_PX;
      const next = { width: Math.floor(panel.clientWidth), bodyHeight: Math.max(MIN_BODY_PX, Math.floor(window.innerHeight - top - header - below)) };
      setBox((b) => (b && b.width === next.width && b.bodyHeight === next.bodyHeight ? b : next));
    };
    measure();
    const ro = new ResizeObserver(measure);
    ro.observe(panel);
    // The toolbar above may wrap (a new filter, a selection): the page around the panel grows.
    if (panel.parentElement) ro.observe(panel.parentElement);
    if (footer) ro.observe(footer);
    window.addEventListener('resize', measure);
    return () => {
      ro.disconnect();
      window.removeEventListener('resize', measure);
    };
  }, [panelRef, footerRef, footerShown]);
  return box;
}
