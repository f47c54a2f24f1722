/**
 * A modal or drawer whose code loads with its own chunk the first time it
 * opens, and stays mounted from then on (its closing animation and its
 * state across openings are antd's as before). A page's dialogs are closed
 * when it first renders; loading their forms with the page cost the list's
 * cold load (issue 16) their parsing and their first render.
 */
import { type ComponentType, lazy, Suspense, useState } from 'react';

export function lazyDialog<P extends object>(load: () => Promise<ComponentType<P>>, isOpen: (props: P) => boolean): ComponentType<P> {
  // With the later part of antd's CSS (drawers, forms, ...: antdLater.ts), which the first screen does not load.
  const Dialog = lazy(async () => ({ default: (await Promise.all([load(), import('../antdLater.ts')]))[0] }));
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
