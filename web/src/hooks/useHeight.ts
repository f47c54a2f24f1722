import { useEffect, useState } from 'react';

/** The element's current height in CSS pixels, kept up to date as it wraps or resizes (0 before it mounts). */
export function useHeight(el: HTMLElement | null): number {
  const [height, setHeight] = useState(0);
  useEffect(() => {
    if (!el) return;
    const ro = new ResizeObserver(() => setHeight(el.getBoundingClientRect().height));
    ro.observe(el);
    return () => ro.disconnect();
  }, [el]);
  return height;
}
