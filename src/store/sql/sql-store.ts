/**
 * The {@link Store} contract written once in portable SQL over a
 * {@link SqlDriver}; SQLite and PostgreSQL differ only in their driver and
 * migrations. Objects live as JSON next to the columns that are filtered,
 * sorted or locked on (kind/namespace/name, resource_version, search text,
 * schedule and lease).
 *
 * createSqlStore only joins the parts, one per group of tables: objects and
 * their secrets and watches (sql-objects.ts), schedule and leases
 * (sql-schedule.ts), runs and their logs (sql-runs.ts), tokens and audit
 * (sql-security.ts), webhooks and their deliveries (sql-webhooks.ts),
 * namespace settings (sql-settings.ts). A new query goes into its part, a new Store method also
 * gets its name in the part's list below.
 */
import type { Store } from '../types.ts';
import type { SqlDriver } from './driver.ts';
import { SqlObjects } from './sql-objects.ts';
import { SqlRuns } from './sql-runs.ts';
import { SqlSchedule } from './sql-schedule.ts';
import { SqlSecurity } from './sql-security.ts';
import { SqlSettings } from './sql-settings.ts';
import { SqlWebhooks } from './sql-webhooks.ts';

/** Lines kept per run by default; older lines are dropped first. */
export const DEFAULT_RUN_LOG_LINES = 2000;

export interface SqlStoreOptions {
  /** Lines kept per run log (default {@link DEFAULT_RUN_LOG_LINES}). */
  runLogLines?: number | undefined;
}

/** The Store methods each part serves (its line here is all a new method needs besides the part). */
const OBJECTS = ['create', 'get', 'getJson', 'getSecret', 'listSecrets', 'replaceSecret', 'list', 'listJson', 'update', 'updateStatus', 'setHealth', 'delete', 'watch', 'changesSince', 'listNamespaces', 'countBy'] as const;
const SCHEDULE = ['setNextSync', 'claimDue', 'renewLease', 'releaseLease', 'listLeases', 'claimHealthChecks'] as const;
const RUNS = ['createRun', 'updateRun', 'getRun', 'listRuns', 'listRunningRuns', 'pruneRuns', 'appendRunLog', 'getRunLog', 'runFigures'] as const;
const SECURITY = ['createToken', 'findToken', 'listTokens', 'deleteToken', 'countTokens', 'appendAudit', 'listAudit'] as const;
const WEBHOOKS = ['createWebhook', 'getWebhook', 'listWebhooks', 'deleteWebhook', 'appendDelivery', 'listDeliveries'] as const;
const SETTINGS = ['getNamespaceSettings', 'putNamespaceSettings', 'listNamespaceSettings'] as const;

/** `part`'s methods `names`, bound to `part`: the Store methods that part serves. */
function served<P extends object, K extends keyof P>(part: P, names: readonly K[]): Pick<P, K> {
  return Object.fromEntries(names.map((name) => [name, (part[name] as (...args: unknown[]) => unknown).bind(part)])) as Pick<P, K>;
}

/** The Store over one database, and which dialect it speaks. */
export type SqlStore = Store & { readonly dialect: 'sqlite' | 'postgres' };

export function createSqlStore(driver: SqlDriver, options: SqlStoreOptions = {}): SqlStore {
  return {
    ...served(new SqlObjects(driver), OBJECTS),
    ...served(new SqlSchedule(driver), SCHEDULE),
    ...served(new SqlRuns(driver, Math.max(1, options.runLogLines ?? DEFAULT_RUN_LOG_LINES)), RUNS),
    ...served(new SqlSecurity(driver), SECURITY),
    ...served(new SqlWebhooks(driver), WEBHOOKS),
    ...served(new SqlSettings(driver), SETTINGS),
    dialect: driver.dialect.name,
    migrate: () => driver.migrate(),
    close: () => driver.close(),
  };
}
