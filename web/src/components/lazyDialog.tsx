/**
 * A modal or drawer whose code loads with its own chunk the first time it
 * opens, and stays mounted from then on (its closing animation and its
 * state across openings are antd's as before). A page's dialogs are closed
 * when it first renders; loading their forms with the page cost the list's
 * cold load (issue 16) their parsing and their first render.
 */
import { type ComponentType, Suspense, useState } from 'react';
import { lazyWithLaterCss } from '../lazyWithLaterCss.ts';

export function lazyDialog<P extends object>(load: () => Promise<ComponentType<P>>, isOpen: (props: P) => boolean): ComponentType<P> {
  const Dialog = lazyWithLaterCss(load);
  return function LazyDialog(props: P) {
    const open = isOpen(props);
    const [opened, setOpened] = useState(open);
    if (open && !opened) setOpened(true);
    if (!opened && !open) return null;
    return (
      <Suspense fallback={null}>
        <Dialog {...props} />
      </Suspense>
    );
  };
}
