/**
 * Sharing clients: one {@link RegistryClient} (and so one set of pooled
 * connections and one token cache) per registry per SystemContext object in
 * a process. Sources, destinations and references acquire a lease and
 * release it in their close(); the client closes with its last lease.
 */
import type { SystemContext } from '../context/system-context.ts';
import { type ClientTuning, RegistryClient } from './client.ts';

interface Entry {
  client: RegistryClient;
  leases: number;
  idle?: NodeJS.Timeout | undefined;
}

/**
 * How long a client outlives its last lease. A sync opens and closes one
 * source and destination per image; without a grace period every image
 * would pay a new ping, token and TLS handshake.
 */
export const IDLE_CLOSE_MS = 3000;

const byContext = new WeakMap<SystemContext, Map<string, Entry>>();

/** A shared client and the function that gives it back. `release` is idempotent. */
export interface ClientLease {
  client: RegistryClient;
  release(): Promise<void>;
}

/**
 * The shared client for `registry` (a reference's registry name, e.g.
 * `docker.io`) under `ctx`. Contexts are compared by identity: two copies of
 * the same settings get two clients, which keeps one caller's credentials
 * and tokens away from another's.
 */
export function acquireClient(registry: string, ctx: SystemContext, tuning?: ClientTuning): ClientLease {
  let map = byContext.get(ctx);
  if (!map) {
    map = new Map();
    byContext.set(ctx, map);
  }
  let entry = map.get(registry);
  if (!entry) {
    entry = { client: new RegistryClient(registry, ctx, tuning), leases: 0 };
    map.set(registry, entry);
  }
  entry.leases++;
  if (entry.idle) {
    clearTimeout(entry.idle);
    entry.idle = undefined;
  }
  const held = entry;
  let released = false;
  return {
    client: held.client,
    async release() {
      if (released) return;
      released = true;
      held.leases--;
      if (held.leases > 0) return;
      // Close after a grace period (unref'd: it never keeps the process alive).
      held.idle = setTimeout(() => {
        if (held.leases > 0) return;
        if (map.get(registry) === held) map.delete(registry);
        void held.client.close();
      }, IDLE_CLOSE_MS);
      held.idle.unref();
    },
  };
}
