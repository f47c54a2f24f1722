/**
 * The {@link Store} contract written once in portable SQL over a
 * {@link SqlDriver}; SQLite and PostgreSQL differ only in their driver and
 * migrations. Objects live as JSON next to the columns that are filtered,
 * sorted or locked on (kind/namespace/name, resource_version, search text,
 * schedule and lease).
 *
 * This class only joins the parts, one per group of tables: objects and
 * their secrets and watches (sql-objects.ts), schedule and leases
 * (sql-schedule.ts), runs and their logs (sql-runs.ts), tokens and audit
 * (sql-security.ts). A new query goes into its part, a new Store method also
 * gets its line here.
 */
import type { Store } from '../types.ts';
import type { SqlDriver } from './driver.ts';
import { SqlObjects } from './sql-objects.ts';
import { SqlRuns } from './sql-runs.ts';
import { SqlSchedule } from './sql-schedule.ts';
import { SqlSecurity } from './sql-security.ts';

/** Lines kept per run by default; older lines are dropped first. */
export const DEFAULT_RUN_LOG_LINES = 2000;

export interface SqlStoreOptions {
  /** Lines kept per run log (default {@link DEFAULT_RUN_LOG_LINES}). */
  runLogLines?: number | undefined;
}

export class SqlStore implements Store {
  readonly #driver: SqlDriver;

  readonly create: Store['create'];
  readonly get: Store['get'];
  readonly getSecret: Store['getSecret'];
  readonly listSecrets: Store['listSecrets'];
  readonly replaceSecret: Store['replaceSecret'];
  readonly list: Store['list'];
  readonly update: Store['update'];
  readonly updateStatus: Store['updateStatus'];
  readonly delete: Store['delete'];
  readonly watch: Store['watch'];

  readonly setNextSync: Store['setNextSync'];
  readonly claimDue: Store['claimDue'];
  readonly renewLease: Store['renewLease'];
  readonly releaseLease: Store['releaseLease'];
  readonly listLeases: Store['listLeases'];

  readonly createRun: Store['createRun'];
  readonly updateRun: Store['updateRun'];
  readonly getRun: Store['getRun'];
  readonly listRuns: Store['listRuns'];
  readonly listRunningRuns: Store['listRunningRuns'];
  readonly pruneRuns: Store['pruneRuns'];
  readonly appendRunLog: Store['appendRunLog'];
  readonly getRunLog: Store['getRunLog'];

  readonly createToken: Store['createToken'];
  readonly findToken: Store['findToken'];
  readonly listTokens: Store['listTokens'];
  readonly deleteToken: Store['deleteToken'];
  readonly countTokens: Store['countTokens'];
  readonly appendAudit: Store['appendAudit'];
  readonly listAudit: Store['listAudit'];

  constructor(driver: SqlDriver, options: SqlStoreOptions = {}) {
    this.#driver = driver;
    const objects = new SqlObjects(driver);
    this.create = objects.create.bind(objects);
    this.get = objects.get.bind(objects);
    this.getSecret = objects.getSecret.bind(objects);
    this.listSecrets = objects.listSecrets.bind(objects);
    this.replaceSecret = objects.replaceSecret.bind(objects);
    this.list = objects.list.bind(objects);
    this.update = objects.update.bind(objects);
    this.updateStatus = objects.updateStatus.bind(objects);
    this.delete = objects.delete.bind(objects);
    this.watch = objects.watch.bind(objects);

    const schedule = new SqlSchedule(driver);
    this.setNextSync = schedule.setNextSync.bind(schedule);
    this.claimDue = schedule.claimDue.bind(schedule);
    this.renewLease = schedule.renewLease.bind(schedule);
    this.releaseLease = schedule.releaseLease.bind(schedule);
    this.listLeases = schedule.listLeases.bind(schedule);

    const runs = new SqlRuns(driver, Math.max(1, options.runLogLines ?? DEFAULT_RUN_LOG_LINES));
    this.createRun = runs.createRun.bind(runs);
    this.updateRun = runs.updateRun.bind(runs);
    this.getRun = runs.getRun.bind(runs);
    this.listRuns = runs.listRuns.bind(runs);
    this.listRunningRuns = runs.listRunningRuns.bind(runs);
    this.pruneRuns = runs.pruneRuns.bind(runs);
    this.appendRunLog = runs.appendRunLog.bind(runs);
    this.getRunLog = runs.getRunLog.bind(runs);

    const security = new SqlSecurity(driver);
    this.createToken = security.createToken.bind(security);
    this.findToken = security.findToken.bind(security);
    this.listTokens = security.listTokens.bind(security);
    this.deleteToken = security.deleteToken.bind(security);
    this.countTokens = security.countTokens.bind(security);
    this.appendAudit = security.appendAudit.bind(security);
    this.listAudit = security.listAudit.bind(security);
  }

  get dialect(): 'sqlite' | 'postgres' {
    return this.#driver.dialect.name;
  }

  migrate(): Promise<void> {
    return this.#driver.migrate();
  }

  close(): Promise<void> {
    return this.#driver.close();
  }
}
