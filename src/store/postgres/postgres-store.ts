/**
 * The store for several `tug serve` replicas sharing one PostgreSQL
 * database: claimDue hands each due repository to exactly one replica
 * (FOR UPDATE SKIP LOCKED + leases), and watch events reach every replica.
 */
import { type SqlStore, type SqlStoreOptions, createSqlStore } from '../sql/sql-store.ts';
import { PostgresDriver } from './postgres-driver.ts';
import type { PostgresDriverOptions } from './postgres-driver.ts';

export interface PostgresStoreOptions extends SqlStoreOptions, PostgresDriverOptions {}

/**
 * Connects (pool plus one LISTEN connection) and returns the store. Call
 * `migrate()` before use. The connection string may carry a password: never
 * log it (see `redactDatabaseUrl` in ../index.ts).
 */
export async function openPostgresStore(options: PostgresStoreOptions): Promise<SqlStore> {
  const driver = new PostgresDriver(options);
  try {
    await driver.listen();
  } catch (err) {
    await driver.close().catch(() => undefined);
    throw err;
  }
  return createSqlStore(driver, options);
}
