/** What the scheduler reports (silent itself: the server turns these into metrics and logs). */
import type { SyncRun } from '../api/types.ts';

export type SchedulerEvent =
  | { type: 'run-started'; run: SyncRun }
  | { type: 'run-finished'; run: SyncRun; result: 'success' | 'failure' | 'interrupted'; durationMs: number; bytesMoved: number }
  | { type: 'registry-health'; namespace: string; name: string; healthy: boolean }
  | { type: 'queue'; running: number; waiting: number }
  | { type: 'error'; message: string; error: unknown };
