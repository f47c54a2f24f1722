/** The dashboard's figures: `GET /overview` (docs/api.md "Overview"). */
import { query, request } from './client.ts';

/** One bucket of the window: the runs that finished in it. */
export interface OverviewBucket {
  /** The bucket's start (ISO 8601). */
  at: string;
  runs: number;
  succeeded: number;
  failed: number;
  interrupted: number;
  bytesMoved: number;
}

/** What `GET /overview` answers, in the namespaces the token sees. */
export interface Overview {
  kind: 'Overview';
  window: { since: string; until: string; bucketSeconds: number };
  repositories: { total: number; byStatus: Record<string, number>; byHealth: Record<string, number> };
  runs: { total: number; failed: number; bytesMoved: number; series: OverviewBucket[] };
  slowest: { namespace: string; repository: string; durationMs: number }[];
  failing: { namespace: string; repository: string; failures: number; lastFailedAt: string }[];
}

/** `window` and `bucket` are Go durations (`24h`, `1h`); the server caps the buckets at 1,000. */
export function getOverview(options: { window: string; bucket: string; top?: number }, signal?: AbortSignal): Promise<Overview> {
  return request<Overview>(`overview${query({ window: options.window, bucket: options.bucket, top: options.top })}`, { signal });
}
