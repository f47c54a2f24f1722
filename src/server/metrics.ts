/**
 * Prometheus metrics of `tug serve` (prom-client), one registry per app so
 * that several apps in one process (tests) do not collide. The scheduler
 * reports through events; {@link Metrics.observe} turns them into samples.
 */
import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';
import type { SchedulerEvent } from '../scheduler/events.ts';

export interface Metrics {
  registry: Registry;
  observe(e: SchedulerEvent): void;
  registryHealth: Gauge<'namespace' | 'name'>;
  httpRequests: Counter<'method' | 'code'>;
}

export function createMetrics(options: { defaultMetrics?: boolean } = {}): Metrics {
  const registry = new Registry();
  if (options.defaultMetrics) collectDefaultMetrics({ register: registry, prefix: 'tug_' });
  const syncs = new Counter({ name: 'tug_syncs_total', help: 'Sync attempts by result (success, failure, interrupted)', labelNames: ['result'] as const, registers: [registry] });
  const duration = new Histogram({
    name: 'tug_sync_duration_seconds',
    help: 'Duration of sync attempts',
    labelNames: ['result'] as const,
    buckets: [0.1, 0.5, 1, 2.5, 5, 10, 30, 60, 120, 300, 600, 1800],
    registers: [registry],
  });
  const bytes = new Counter({ name: 'tug_sync_bytes_moved_total', help: 'Bytes copied into mirror registries by syncs', registers: [registry] });
  const running = new Gauge({ name: 'tug_syncs_running', help: 'Syncs running on this replica', registers: [registry] });
  const queue = new Gauge({ name: 'tug_sync_queue_depth', help: 'Syncs asked for on this replica and not yet started', registers: [registry] });
  const registryHealth = new Gauge({
    name: 'tug_registry_healthy',
    help: '1 when the last contact with the registry (sync or test) succeeded, 0 when it failed',
    labelNames: ['namespace', 'name'] as const,
    registers: [registry],
  });
  const healthChanges = new Counter({
    name: 'tug_repository_health_changes_total',
    help: 'Health checks that found a Repository in another state than before, by the new state',
    labelNames: ['state'] as const,
    registers: [registry],
  });
  const httpRequests = new Counter({ name: 'tug_http_requests_total', help: 'API requests by method and status code', labelNames: ['method', 'code'] as const, registers: [registry] });
  return {
    registry,
    registryHealth,
    httpRequests,
    observe(e) {
      switch (e.type) {
        case 'run-finished':
          syncs.inc({ result: e.result });
          duration.observe({ result: e.result }, e.durationMs / 1000);
          if (e.bytesMoved > 0) bytes.inc(e.bytesMoved);
          break;
        case 'queue':
          running.set(e.running);
          queue.set(e.waiting);
          break;
        case 'registry-health':
          registryHealth.set({ namespace: e.namespace, name: e.name }, e.healthy ? 1 : 0);
          break;
        case 'health-changed':
          healthChanges.inc({ state: e.health.state ?? 'unknown' });
          break;
        default:
          break;
      }
    },
  };
}
