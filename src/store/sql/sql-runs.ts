/**
 * SyncRuns (`runs`) and their logs (`run_logs`, capped per run). Runs go
 * with their repository; logs follow their run by ON DELETE CASCADE.
 */
import { randomUUID } from 'node:crypto';
import { API_VERSION } from '../../api/types.ts';
import type { RunLogLine, SyncRun } from '../../api/types.ts';
import { StoreConflict } from '../types.ts';
import type { Page, RunFigures, Store } from '../types.ts';
import { fromJson, toInt } from './driver.ts';
import type { SqlDriver } from './driver.ts';
import { newestFirst } from './sql-pages.ts';

/** The run and run log methods of {@link Store}. */
export type RunStore = Pick<Store, 'createRun' | 'updateRun' | 'getRun' | 'listRuns' | 'listRunningRuns' | 'pruneRuns' | 'appendRunLog' | 'getRunLog' | 'runFigures'>;

export class SqlRuns implements RunStore {
  readonly #db: SqlDriver;
  readonly #runLogLines: number;

  /** `runLogLines`: lines kept per run log; older lines are dropped first. */
  constructor(db: SqlDriver, runLogLines: number) {
    this.#db = db;
    this.#runLogLines = runLogLines;
  }

  async createRun(run: SyncRun): Promise<SyncRun> {
    const { namespace, name } = run.metadata;
    return this.#db.transaction(async (tx) => {
      const seq = await tx.nextVersion();
      const stored: SyncRun = {
        ...run,
        apiVersion: API_VERSION,
        kind: 'SyncRun',
        metadata: { ...run.metadata, uid: randomUUID(), resourceVersion: String(seq), creationTimestamp: run.metadata.creationTimestamp ?? new Date().toISOString() },
      };
      const rows = await tx.query(
        `INSERT INTO runs (namespace, name, repository_name, seq, phase, object) VALUES ($1, $2, $3, $4, $5, $6) ON CONFLICT DO NOTHING RETURNING name`,
        [namespace, name, run.spec.repositoryName, seq, run.status.phase, JSON.stringify(stored)],
      );
      if (rows.length === 0) throw new StoreConflict('AlreadyExists', `SyncRun "${namespace}/${name}" already exists`);
      return stored;
    });
  }

  async updateRun(namespace: string, name: string, status: SyncRun['status']): Promise<SyncRun | undefined> {
    return this.#db.transaction(async (tx) => {
      const rows = await tx.query(`SELECT object FROM runs WHERE namespace = $1 AND name = $2${this.#db.dialect.forUpdate}`, [namespace, name]);
      if (!rows[0]) return undefined;
      const old = fromJson<SyncRun>(rows[0]['object']);
      const next: SyncRun = { ...old, metadata: { ...old.metadata, resourceVersion: String(await tx.nextVersion()) }, status };
      const figures = runFigures(status);
      await tx.query('UPDATE runs SET phase = $3, object = $4, finished_at = $5, duration_ms = $6, bytes_moved = $7 WHERE namespace = $1 AND name = $2', [namespace, name, status.phase, JSON.stringify(next), figures.finishedAt, figures.durationMs, figures.bytesMoved]);
      return next;
    });
  }

  async runFigures(options: { namespaces?: readonly string[] | undefined; sinceMs: number; bucketMs: number; top: number }): Promise<RunFigures> {
    const where = ['finished_at >= $1'];
    const params: unknown[] = [Math.floor(options.sinceMs)];
    if (options.namespaces !== undefined) where.push(options.namespaces.length === 0 ? '1 = 0' : `namespace IN (${options.namespaces.map((ns) => { params.push(ns); return `$${params.length}`; }).join(', ')})`);
    const filter = where.join(' AND ');
    const bucket = Math.max(60_000, Math.floor(options.bucketMs));
    const top = Math.max(0, Math.min(100, Math.floor(options.top)));
    return this.#db.transaction(async (tx) => {
      const series = await tx.query(`SELECT (finished_at / ${bucket}) * ${bucket} AS at, phase, count(*) AS n, COALESCE(sum(bytes_moved), 0) AS bytes FROM runs WHERE ${filter} GROUP BY at, phase ORDER BY at`, params);
      const slowest = await tx.query(`SELECT namespace, repository_name, max(duration_ms) AS ms FROM runs WHERE ${filter} AND duration_ms IS NOT NULL GROUP BY namespace, repository_name ORDER BY ms DESC, namespace, repository_name LIMIT ${top}`, params);
      const failing = await tx.query(`SELECT namespace, repository_name, count(*) AS n, max(finished_at) AS last FROM runs WHERE ${filter} AND phase = 'Failed' GROUP BY namespace, repository_name ORDER BY n DESC, last DESC, namespace, repository_name LIMIT ${top}`, params);
      return {
        series: series.map((r) => ({ at: toInt(r['at']), phase: String(r['phase']), runs: toInt(r['n']), bytes: toInt(r['bytes']) })),
        slowest: slowest.map((r) => ({ namespace: String(r['namespace']), repository: String(r['repository_name']), durationMs: toInt(r['ms']) })),
        failing: failing.map((r) => ({ namespace: String(r['namespace']), repository: String(r['repository_name']), failures: toInt(r['n']), lastFailedAt: toInt(r['last']) })),
      };
    }, { readOnly: true });
  }

  async getRun(namespace: string, name: string): Promise<SyncRun | undefined> {
    const rows = await this.#db.query('SELECT object FROM runs WHERE namespace = $1 AND name = $2', [namespace, name]);
    return rows[0] ? fromJson<SyncRun>(rows[0]['object']) : undefined;
  }

  listRuns(namespace: string, repositoryName: string, options: { limit?: number; continue?: string } = {}): Promise<Page<SyncRun>> {
    return newestFirst<SyncRun>(this.#db, 'runs', 'seq', 'object', 'namespace = $1 AND repository_name = $2', [namespace, repositoryName], options);
  }

  async listRunningRuns(): Promise<SyncRun[]> {
    const rows = await this.#db.query(`SELECT object FROM runs WHERE phase = 'Running' ORDER BY seq`);
    return rows.map((r) => fromJson<SyncRun>(r['object']));
  }

  async pruneRuns(namespace: string, repositoryName: string, keep: number): Promise<number> {
    // The subquery finds the seq of the (keep+1)-th newest run; everything at
    // or below it goes, except runs still Running (a long sync outlived by
    // newer manual ones must keep its record). Fewer runs than that: the
    // subquery is NULL and nothing matches. Logs follow by ON DELETE CASCADE.
    const rows = await this.#db.query(
      `DELETE FROM runs WHERE namespace = $1 AND repository_name = $2 AND phase <> 'Running' AND seq <= (
         SELECT seq FROM runs WHERE namespace = $1 AND repository_name = $2 ORDER BY seq DESC LIMIT 1 OFFSET $3)
       RETURNING name`,
      [namespace, repositoryName, Math.max(0, Math.floor(keep))],
    );
    return rows.length;
  }

  async appendRunLog(namespace: string, runName: string, lines: RunLogLine[]): Promise<void> {
    if (lines.length === 0) return;
    await this.#db.transaction(async (tx) => {
      // Lines for a run that is gone (deleted with its repository) are dropped.
      const run = await tx.query(`SELECT name FROM runs WHERE namespace = $1 AND name = $2${this.#db.dialect.forUpdate}`, [namespace, runName]);
      if (run.length === 0) return;
      // Only the newest lines survive the cap: skip the rest before inserting.
      const kept = lines.slice(-this.#runLogLines);
      for (let i = 0; i < kept.length; i += 200) {
        const chunk = kept.slice(i, i + 200);
        const params: unknown[] = [namespace, runName];
        const values = chunk.map((line) => {
          params.push(JSON.stringify(line));
          return `($1, $2, $${params.length})`;
        });
        await tx.query(`INSERT INTO run_logs (namespace, run_name, line) VALUES ${values.join(', ')}`, params);
      }
      await tx.query(
        `DELETE FROM run_logs WHERE namespace = $1 AND run_name = $2 AND id <= (
           SELECT id FROM run_logs WHERE namespace = $1 AND run_name = $2 ORDER BY id DESC LIMIT 1 OFFSET $3)`,
        [namespace, runName, this.#runLogLines],
      );
    });
  }

  async getRunLog(namespace: string, runName: string): Promise<RunLogLine[]> {
    const rows = await this.#db.query('SELECT line FROM run_logs WHERE namespace = $1 AND run_name = $2 ORDER BY id', [namespace, runName]);
    return rows.map((r) => fromJson<RunLogLine>(r['line']));
  }
}

/** A finished run's figures for the overview's columns (NULL while it runs). */
function runFigures(status: SyncRun['status']): { finishedAt: number | null; durationMs: number | null; bytesMoved: number | null } {
  const end = status.completionTime ? Date.parse(status.completionTime) : Number.NaN;
  if (Number.isNaN(end)) return { finishedAt: null, durationMs: null, bytesMoved: null };
  const start = Date.parse(status.startTime);
  return { finishedAt: end, durationMs: Number.isNaN(start) ? null : Math.max(0, end - start), bytesMoved: status.bytesMoved ?? 0 };
}
