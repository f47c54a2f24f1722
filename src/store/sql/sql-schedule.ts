/**
 * The scheduler's side of `objects`: when each Repository is due
 * (next_sync_at) and which replica holds it (lease_owner, lease_expires_at).
 * A due repository is leased to exactly one replica.
 */
import type { Repository } from '../../api/types.ts';
import type { Lease, Store } from '../types.ts';
import { fromJson, toInt } from './driver.ts';
import type { SqlDriver } from './driver.ts';

/** The scheduling methods of {@link Store}. */
export type ScheduleStore = Pick<Store, 'setNextSync' | 'claimDue' | 'renewLease' | 'releaseLease' | 'listLeases' | 'claimHealthChecks'>;

export class SqlSchedule implements ScheduleStore {
  readonly #db: SqlDriver;

  constructor(db: SqlDriver) {
    this.#db = db;
  }

  async setNextSync(namespace: string, name: string, atMs: number): Promise<void> {
    await this.#db.query(`UPDATE objects SET next_sync_at = $3 WHERE kind = 'Repository' AND namespace = $1 AND name = $2`, [namespace, name, Math.floor(atMs)]);
  }

  async claimDue(owner: string, nowMs: number, leaseMs: number, limit: number): Promise<Repository[]> {
    if (limit < 1) return [];
    const now = Math.floor(nowMs);
    // One statement, so atomic on its own.
    const rows = await this.#db.query(
      // The due rows are picked in a materialised CTE: PostgreSQL may run an
      // `IN (SELECT ... LIMIT n FOR UPDATE)` subquery more than once and so
      // claim more than `limit`. SKIP LOCKED lets concurrent replicas pass over
      // rows another one is claiming; READ COMMITTED re-checks the lease on
      // rows claimed and committed meanwhile, so no row is claimed twice.
      `WITH due AS MATERIALIZED (
           SELECT namespace, name FROM objects
           WHERE kind = 'Repository' AND next_sync_at <= $3 AND (lease_owner IS NULL OR lease_expires_at <= $3)
           ORDER BY next_sync_at, namespace, name LIMIT $4${this.#db.dialect.skipLocked})
         UPDATE objects SET lease_owner = $1, lease_expires_at = $2
         FROM due WHERE objects.kind = 'Repository' AND objects.namespace = due.namespace AND objects.name = due.name
         RETURNING objects.object AS object, objects.next_sync_at AS next_sync_at`,
      [owner, now + Math.floor(leaseMs), now, Math.floor(limit)],
    );
    return rows
      .map((r) => ({ at: toInt(r['next_sync_at']), obj: fromJson<Repository>(r['object']) }))
      .sort((a, b) => a.at - b.at || compareKeys(a.obj, b.obj))
      .map((r) => r.obj);
  }

  async claimHealthChecks(nowMs: number, nextAtMs: number, limit: number): Promise<Repository[]> {
    if (limit < 1) return [];
    // As claimDue: one statement, each due row to one replica; no lease (a check is one HEAD per side).
    const rows = await this.#db.query(
      `WITH due AS MATERIALIZED (
           SELECT namespace, name FROM objects
           WHERE kind = 'Repository' AND COALESCE(next_health_at, 0) <= $1
           ORDER BY COALESCE(next_health_at, 0), namespace, name LIMIT $3${this.#db.dialect.skipLocked})
         UPDATE objects SET next_health_at = $2
         FROM due WHERE objects.kind = 'Repository' AND objects.namespace = due.namespace AND objects.name = due.name
         RETURNING objects.object AS object`,
      [Math.floor(nowMs), Math.floor(nextAtMs), Math.floor(limit)],
    );
    return rows.map((r) => fromJson<Repository>(r['object'])).sort(compareKeys);
  }

  async renewLease(namespace: string, name: string, owner: string, untilMs: number): Promise<boolean> {
    const rows = await this.#db.query(
      `UPDATE objects SET lease_expires_at = $4 WHERE kind = 'Repository' AND namespace = $1 AND name = $2 AND lease_owner = $3 RETURNING name`,
      [namespace, name, owner, Math.floor(untilMs)],
    );
    return rows.length > 0;
  }

  async releaseLease(namespace: string, name: string, owner: string, nextSyncAtMs: number): Promise<void> {
    await this.#db.query(
      `UPDATE objects SET lease_owner = NULL, lease_expires_at = NULL, next_sync_at = $4
       WHERE kind = 'Repository' AND namespace = $1 AND name = $2 AND lease_owner = $3`,
      [namespace, name, owner, Math.floor(nextSyncAtMs)],
    );
  }

  async listLeases(owner?: string): Promise<Lease[]> {
    const columns = 'SELECT namespace, name, lease_owner, lease_expires_at FROM objects';
    // Sorted here, not by the database: with ORDER BY namespace, name SQLite
    // walked every Repository in key order instead of reading the few leases
    // from objects_lease (migration 8): 47 ms at 10,000 on the event loop, in
    // every recovery pass (each lease period, 30 s), ten times that at 100,000.
    const rows = owner === undefined
      ? await this.#db.query(`${columns} WHERE kind = 'Repository' AND lease_owner IS NOT NULL AND lease_expires_at <= $1`, [Date.now()])
      : await this.#db.query(`${columns} WHERE kind = 'Repository' AND lease_owner = $1`, [owner]);
    return rows
      .map((r) => ({
        namespace: String(r['namespace']),
        name: String(r['name']),
        owner: String(r['lease_owner']),
        expiresAt: new Date(toInt(r['lease_expires_at'])).toISOString(),
      }))
      .sort((a, b) => compareText(`${a.namespace}\u0000${a.name}`, `${b.namespace}\u0000${b.name}`));
  }
}

function compareKeys(a: Repository, b: Repository): number {
  return compareText(`${a.metadata.namespace}\u0000${a.metadata.name}`, `${b.metadata.namespace}\u0000${b.metadata.name}`);
}

/** Keys are DNS-1123 names (ASCII): code unit order is the databases' byte order. */
function compareText(x: string, y: string): number {
  return x < y ? -1 : x > y ? 1 : 0;
}
