/**
 * React.lazy for a page or dialog that is not on the first screen: its chunk
 * and the later part of antd's CSS (antdLater.ts: forms, drawers, tabs, ...,
 * which the first load leaves out, issue 16) load together, so it never
 * renders unstyled. routes.tsx's pages and lazyDialog's dialogs use it.
 */
import { type ComponentType, lazy } from 'react';

export function lazyWithLaterCss<P extends object>(load: () => Promise<ComponentType<P>>) {
  return lazy(async () => ({ default: (await Promise.all([load(), import('./antdLater.ts')]))[0] }));
}
