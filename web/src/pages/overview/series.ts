/**
 * The overview's figures as the charts and cards want them. Pure: answers
 * in, rows out.
 */
import type { Overview, OverviewBucket } from '../../api/overview.ts';

/** The windows the selector offers: the query's `window` and `bucket` (Go durations; 7d is 168h, in 28 buckets). */
export const WINDOWS = {
  '24h': { window: '24h', bucket: '1h' },
  '7d': { window: '168h', bucket: '6h' },
} as const;
export type WindowKey = keyof typeof WINDOWS;

export const isWindowKey = (s: string | null): s is WindowKey => s !== null && Object.hasOwn(WINDOWS, s);

/** Sync statuses in the order the cards and the donut show them (src/api/types.ts SyncStatus); a repository without one is `Unknown`. */
export const STATUS_ORDER = ['Success', 'Syncing', 'Failed', 'Pending', 'Unknown'] as const;
export const HEALTH_ORDER = ['Healthy', 'Degraded', 'Unhealthy', 'Unknown'] as const;

export const STATUS_COLOR: Readonly<Record<string, string>> = { Success: '#52c41a', Syncing: '#1677ff', Failed: '#ff4d4f', Pending: '#bfbfbf', Unknown: '#d9d9d9' };
export const HEALTH_COLOR: Readonly<Record<string, string>> = { Healthy: '#52c41a', Degraded: '#faad14', Unhealthy: '#ff4d4f', Unknown: '#d9d9d9' };

/**
 * Every bucket of the window, the empty ones as zeros: the server only
 * answers the buckets that had runs (a GROUP BY), and a chart that skips
 * quiet hours draws a busy day. Buckets start at multiples of the bucket
 * length since the epoch, as the store groups them (src/store/sql/sql-runs.ts).
 */
export function fillBuckets(o: Overview): OverviewBucket[] {
  const step = o.window.bucketSeconds * 1000;
  const byAt = new Map(o.runs.series.map((b) => [Date.parse(b.at), b]));
  const out: OverviewBucket[] = [];
  const until = Date.parse(o.window.until);
  for (let at = Math.floor(Date.parse(o.window.since) / step) * step; at <= until; at += step) {
    out.push(byAt.get(at) ?? { at: new Date(at).toISOString(), runs: 0, succeeded: 0, failed: 0, interrupted: 0, bytesMoved: 0 });
  }
  return out;
}

/** The keys of `counts` in `order`, then any the console does not know yet (a newer server), without zeros. */
export function ordered(counts: Record<string, number>, order: readonly string[]): [string, number][] {
  const known = order.filter((k) => counts[k] !== undefined);
  const rest = Object.keys(counts).filter((k) => !order.includes(k)).sort();
  return [...known, ...rest].map((k) => [k, counts[k] ?? 0] as [string, number]).filter(([, n]) => n > 0);
}
