/**
 * `GET /overview` (seed 001's dashboard figures): status and health counts,
 * the runs finished over the window (by bucket, with failures and bytes
 * moved), the slowest and the failing Repositories; in the namespaces the
 * token sees. Aggregates in the store (GROUP BY over indexed columns), never
 * a walk over every object; storage per namespace is `GET /storage`.
 *
 *     GET /overview?window=24h&bucket=1h&top=10
 */
import type { FastifyInstance } from 'fastify';
import { parseDuration } from '../../api/duration.ts';
import { API_VERSION } from '../../api/types.ts';
import { badRequest } from '../errors.ts';
import { type RouteContext, principal } from './context.ts';

const MAX_WINDOW_MS = 31 * 24 * 3_600_000;
const MAX_BUCKETS = 1000;

export function overviewRoutes(app: FastifyInstance, ctx: RouteContext): void {
  app.get<{ Querystring: { window?: string; bucket?: string; top?: string } }>('/overview', { config: { role: 'viewer' } }, async (request) => {
    const p = principal(request);
    const q = request.query;
    const windowMs = parseDuration(q.window ?? '24h');
    const bucketMs = parseDuration(q.bucket ?? '1h');
    if (windowMs === undefined || windowMs < 60_000 || windowMs > MAX_WINDOW_MS) throw badRequest(`window must be a Go duration from 1m to 744h, got "${q.window}"`);
    if (bucketMs === undefined || bucketMs < 60_000 || windowMs / bucketMs > MAX_BUCKETS) throw badRequest(`bucket must be a Go duration of at least 1m and at most ${MAX_BUCKETS} buckets in the window, got "${q.bucket}"`);
    const top = q.top !== undefined ? Number(q.top) : 10;
    if (!Number.isInteger(top) || top < 0 || top > 100) throw badRequest('top must be a whole number from 0 to 100');
    const now = Date.now();
    const since = now - windowMs;
    const scope = { namespaces: p.namespaces };
    const [byStatus, byHealth, figures] = await Promise.all([
      ctx.store.countBy('Repository', 'status.syncStatus', scope),
      ctx.store.countBy('Repository', 'status.health.state', scope),
      ctx.store.runFigures({ ...scope, sinceMs: since, bucketMs, top }),
    ]);
    const buckets = new Map<number, { at: string; runs: number; succeeded: number; failed: number; interrupted: number; bytesMoved: number }>();
    for (const s of figures.series) {
      const b = buckets.get(s.at) ?? { at: new Date(s.at).toISOString(), runs: 0, succeeded: 0, failed: 0, interrupted: 0, bytesMoved: 0 };
      b.runs += s.runs;
      b.bytesMoved += s.bytes;
      if (s.phase === 'Succeeded') b.succeeded += s.runs;
      else if (s.phase === 'Failed') b.failed += s.runs;
      else if (s.phase === 'Interrupted') b.interrupted += s.runs;
      buckets.set(s.at, b);
    }
    const series = [...buckets.values()];
    let total = 0;
    for (const n of byStatus.values()) total += n;
    const counts = (m: Map<string, number>) => Object.fromEntries([...m].map(([k, v]) => [k === '' ? 'Unknown' : k, v]).sort(([a], [b]) => String(a).localeCompare(String(b))));
    return {
      apiVersion: API_VERSION,
      kind: 'Overview',
      window: { since: new Date(since).toISOString(), until: new Date(now).toISOString(), bucketSeconds: bucketMs / 1000 },
      repositories: { total, byStatus: counts(byStatus), byHealth: counts(byHealth) },
      runs: {
        total: series.reduce((n, b) => n + b.runs, 0),
        failed: series.reduce((n, b) => n + b.failed, 0),
        bytesMoved: series.reduce((n, b) => n + b.bytesMoved, 0),
        series,
      },
      slowest: figures.slowest,
      failing: figures.failing.map((f) => ({ ...f, lastFailedAt: new Date(f.lastFailedAt).toISOString() })),
    };
  });
}
