import { useEffect, useState } from 'react';

/** What the list keeps below the table's body: the header row, the footer, the page's bottom padding. */
const BELOW_PX = 16;
/** The least body height: on a very short window the page scrolls instead. */
const MIN_BODY_PX = 240;

/**
 * The virtual table's box: its width (percent column widths are read
 * against it) and its body's height, which fills the window below the
 * panel's top so that the toolbar, the header and the footer stay on screen
 * while the rows scroll inside (issue 16: sticky toolbar, header, footer).
 */
export function useTableBox(panel: HTMLElement | null, footer: HTMLElement | null): { width: number; bodyHeight: number } {
  const [box, setBox] = useState({ width: 0, bodyHeight: MIN_BODY_PX });
  useEffect(() => {
    if (!panel) return;
    const measure = () => {
      const top = panel.getBoundingClientRect().top + window.scrollY;
      const header = panel.querySelector('.ant-table-header, .ant-table-thead')?.getBoundingClientRect().height ?? 0;
      const below = (footer?.getBoundingClientRect().height ?? 0) + BELOW_PX;
      const next = { width: Math.floor(panel.clientWidth), bodyHeight: Math.max(MIN_BODY_PX, Math.floor(window.innerHeight - top - header - below)) };
      setBox((b) => (b.width === next.width && b.bodyHeight === next.bodyHeight ? b : next));
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
  }, [panel, footer]);
  return box;
}
