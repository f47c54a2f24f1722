/** What the scheduler reports (silent itself: the server turns these into metrics and logs). */
import type { Repository, RepositoryHealth, SyncRun } from '../api/types.ts';

export type SchedulerEvent =
  | { type: 'run-started'; run: SyncRun }
  | { type: 'run-finished'; run: SyncRun; result: 'success' | 'failure' | 'interrupted'; durationMs: number; bytesMoved: number }
  | { type: 'registry-health'; namespace: string; name: string; healthy: boolean }
  | { type: 'queue'; running: number; waiting: number }
  /** A health check found another state than the last one (src/scheduler/health.ts). */
  | { type: 'health-changed'; repository: Repository; from: RepositoryHealth['state'] | undefined; health: RepositoryHealth }
  | { type: 'error'; message: string; error: unknown };
