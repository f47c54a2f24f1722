/** What every route plugin gets from buildApp. */
import type { FastifyRequest } from 'fastify';
import type { AuditEntry, Role, SyncRun } from '../../api/types.ts';
import type { EgressPolicy } from '../../context/system-context.ts';
import type { RegistryCredentials } from '../../registry-access/registry-access.ts';
import type { Store } from '../../store/types.ts';
import type { RouteEntry } from '../access.ts';
import type { Principal } from '../auth.ts';
import type { Metrics } from '../metrics.ts';
import type { Secrets } from '../secrets.ts';
import type { WebhookDispatcher } from '../webhooks.ts';
import type { createWatchStreams } from '../watch.ts';

declare module 'fastify' {
  interface FastifyRequest {
    principal: Principal | undefined;
  }
  interface FastifyContextConfig {
    /** The least role a route needs; 'public' = no token. Every route sets it (src/server/access.ts). */
    role?: Role | 'public';
    /** A token scoped to namespaces may not use the route (it shows every namespace, e.g. /metrics). */
    allNamespaces?: boolean;
  }
  interface FastifyInstance {
    /** Every route registered so far, one entry per method (src/server/access.ts). */
    routeTable(): RouteEntry[];
  }
}

/** The part of the scheduler the API drives. */
export interface SchedulerControl {
  /** A new repository: sync it now. */
  added(namespace: string, name: string): Promise<void>;
  /** A repository whose spec changed what a sync does: sync it now, or again right after the run under way. */
  changed(namespace: string, name: string): Promise<void>;
  /** Manual sync. */
  trigger(namespace: string, name: string): Promise<{ run: SyncRun | undefined; alreadyRunning: boolean }>;
}

export interface RouteContext {
  store: Store;
  secrets: Secrets;
  scheduler: SchedulerControl | undefined;
  metrics: Metrics;
  streams: ReturnType<typeof createWatchStreams>;
  heartbeatMs: number;
  /** Records a change in the audit log (never with secrets). */
  audit(request: FastifyRequest, entry: Omit<AuditEntry, 'time' | 'user'>): Promise<void>;
  /** Decrypts a Registry's stored credentials (they open only for the endpoint they were stored for). */
  registryCredentials(namespace: string, name: string): Promise<RegistryCredentials | undefined>;
  /** Where the server may connect (`--egress-allow/--egress-deny`); undefined: anywhere. */
  egress?: EgressPolicy | undefined;
  /** Sends webhooks (server/webhooks.ts); undefined: none are sent (the test button answers 503). */
  webhooks?: WebhookDispatcher | undefined;
}

export function principal(request: FastifyRequest): Principal {
  if (!request.principal) throw new Error('route without authentication');
  return request.principal;
}
