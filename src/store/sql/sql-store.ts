/**
 * The {@link Store} contract written once in portable SQL over a
 * {@link SqlDriver}; SQLite and PostgreSQL differ only in their driver and
 * migrations. Objects live as JSON next to the columns that are filtered,
 * sorted or locked on (kind/namespace/name, resource_version, search text,
 * schedule and lease).
 */
import { randomUUID } from 'node:crypto';
import { API_VERSION } from '../../api/types.ts';
import type { AuditEntry, Registry, Repository, RunLogLine, SyncRun, WatchEvent } from '../../api/types.ts';
import { TugError } from '../../errors/index.ts';
import { decodeContinue, encodeContinue, likePattern, pageLimit, parseLabelSelector, searchText } from '../query.ts';
import { StoreConflict } from '../types.ts';
import type { Kind, Lease, ListOptions, Page, ResourceOf, Store, StoredToken } from '../types.ts';
import { fromJson, toInt } from './driver.ts';
import type { SqlDriver, SqlExecutor } from './driver.ts';

/** Lines kept per run by default; older lines are dropped first. */
export const DEFAULT_RUN_LOG_LINES = 2000;

export interface SqlStoreOptions {
  /** Lines kept per run log (default {@link DEFAULT_RUN_LOG_LINES}). */
  runLogLines?: number | undefined;
}

type Resource = Registry | Repository;

export class SqlStore implements Store {
  readonly #driver: SqlDriver;
  readonly #runLogLines: number;

  constructor(driver: SqlDriver, options: SqlStoreOptions = {}) {
    this.#driver = driver;
    this.#runLogLines = Math.max(1, options.runLogLines ?? DEFAULT_RUN_LOG_LINES);
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

  // ------------------------------------------------------------ objects

  async create<K extends Kind>(kind: K, obj: ResourceOf<K>, options: { secret?: string | undefined } = {}): Promise<ResourceOf<K>> {
    checkIdentity(kind, obj);
    return this.#driver.transaction(async (tx) => {
      const rv = await tx.nextVersion();
      const stored = {
        ...obj,
        apiVersion: API_VERSION,
        kind,
        metadata: {
          ...obj.metadata,
          uid: randomUUID(),
          resourceVersion: String(rv),
          generation: 1,
          creationTimestamp: new Date().toISOString(),
        },
        spec: withoutPlaintext(kind, obj.spec),
      } as Resource;
      if (stored.kind === 'Repository' && stored.status === undefined) stored.status = { syncStatus: 'Pending' };
      // A new repository is due at once: the scheduler starts its first sync.
      const nextSync = kind === 'Repository' ? Date.now() : null;
      const rows = await tx.query(
        `INSERT INTO objects (kind, namespace, name, uid, resource_version, object, search, secret, next_sync_at)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9) ON CONFLICT DO NOTHING RETURNING name`,
        [kind, stored.metadata.namespace, stored.metadata.name, stored.metadata.uid, rv, JSON.stringify(stored), searchText(stored), options.secret ?? null, nextSync],
      );
      if (rows.length === 0) throw new StoreConflict('AlreadyExists', `${kind} "${obj.metadata.namespace}/${obj.metadata.name}" already exists`);
      await tx.publish({ kind, type: 'ADDED', object: stored });
      return stored as ResourceOf<K>;
    });
  }

  async get<K extends Kind>(kind: K, namespace: string, name: string): Promise<ResourceOf<K> | undefined> {
    const rows = await this.#driver.query('SELECT object FROM objects WHERE kind = $1 AND namespace = $2 AND name = $3', [kind, namespace, name]);
    return rows[0] ? fromJson<ResourceOf<K>>(rows[0]['object']) : undefined;
  }

  async getSecret(kind: 'Registry', namespace: string, name: string): Promise<string | undefined> {
    const rows = await this.#driver.query('SELECT secret FROM objects WHERE kind = $1 AND namespace = $2 AND name = $3', [kind, namespace, name]);
    const secret = rows[0]?.['secret'];
    return typeof secret === 'string' ? secret : undefined;
  }

  async listSecrets(kind: 'Registry'): Promise<{ namespace: string; name: string; secret: string }[]> {
    const rows = await this.#driver.query('SELECT namespace, name, secret FROM objects WHERE kind = $1 AND secret IS NOT NULL ORDER BY namespace, name', [kind]);
    return rows.map((r) => ({ namespace: String(r['namespace']), name: String(r['name']), secret: String(r['secret']) }));
  }

  async replaceSecret(kind: 'Registry', namespace: string, name: string, expected: string, next: string): Promise<boolean> {
    const rows = await this.#driver.query('UPDATE objects SET secret = $5 WHERE kind = $1 AND namespace = $2 AND name = $3 AND secret = $4 RETURNING name', [kind, namespace, name, expected, next]);
    return rows.length === 1;
  }

  async list<K extends Kind>(kind: K, options: ListOptions = {}): Promise<Page<ResourceOf<K>>> {
    const where = ['kind = $1'];
    const params: unknown[] = [kind];
    const bind = (v: unknown) => {
      params.push(v);
      return `$${params.length}`;
    };
    if (options.namespace !== undefined) where.push(`namespace = ${bind(options.namespace)}`);
    if (options.namespaces !== undefined) {
      if (options.namespaces.length === 0) where.push('1 = 0');
      else where.push(`namespace IN (${options.namespaces.map(bind).join(', ')})`);
    }
    if (options.q) where.push(`search LIKE ${bind(likePattern(options.q))} ESCAPE '\\'`);
    for (const req of parseLabelSelector(options.labelSelector ?? '')) {
      const value = this.#driver.dialect.labelValue(bind(this.#driver.dialect.labelParam(req.key)));
      if (req.op === 'exists') where.push(`${value} IS NOT NULL`);
      else if (req.op === 'eq') where.push(`${value} = ${bind(req.value)}`);
      // Kubernetes: `k!=v` also matches objects without the label.
      else where.push(`(${value} IS NULL OR ${value} <> ${bind(req.value)})`);
    }
    const filter = where.join(' AND ');
    const countParams = [...params];
    if (options.continue) {
      const [ns, name] = decodeContinue(options.continue, ['s', 's']);
      where.push(`(namespace > ${bind(ns)} OR (namespace = ${bind(ns)} AND name > ${bind(name)}))`);
    }
    const limit = pageLimit(options.limit);
    return this.#driver.transaction(async (tx) => {
      const count = await tx.query(`SELECT count(*) AS n FROM objects WHERE ${filter}`, countParams);
      const rows = await tx.query(`SELECT object FROM objects WHERE ${where.join(' AND ')} ORDER BY namespace, name LIMIT ${limit + 1}`, params);
      const items = rows.slice(0, limit).map((r) => fromJson<ResourceOf<K>>(r['object']));
      const last = items.at(-1);
      return {
        items,
        totalCount: toInt(count[0]?.['n']),
        continue: rows.length > limit && last ? encodeContinue([last.metadata.namespace, last.metadata.name]) : undefined,
        resourceVersion: String(await this.#driver.currentVersion(tx)),
      };
    }, { readOnly: true });
  }

  async update<K extends Kind>(
    kind: K,
    obj: ResourceOf<K>,
    options: { expectedResourceVersion?: string | undefined; secret?: string | null | undefined } = {},
  ): Promise<ResourceOf<K>> {
    checkIdentity(kind, obj);
    const { namespace, name } = obj.metadata;
    return this.#driver.transaction(async (tx) => {
      const old = await this.#lockObject<K>(tx, kind, namespace, name);
      if (!old) throw notFound(kind, namespace, name);
      checkVersion(kind, old, options.expectedResourceVersion);
      const rv = await tx.nextVersion();
      const spec = withoutPlaintext(kind, obj.spec);
      const specChanged = canonicalJson(spec) !== canonicalJson(old.spec);
      const next = {
        apiVersion: API_VERSION,
        kind,
        metadata: {
          ...obj.metadata,
          uid: old.metadata.uid,
          creationTimestamp: old.metadata.creationTimestamp,
          resourceVersion: String(rv),
          generation: (old.metadata.generation ?? 1) + (specChanged ? 1 : 0),
        },
        spec,
        ...(old.status === undefined ? {} : { status: old.status }),
      } as Resource;
      const secretSql = options.secret === undefined ? '' : ', secret = $7';
      const params: unknown[] = [kind, namespace, name, rv, JSON.stringify(next), searchText(next)];
      if (options.secret !== undefined) params.push(options.secret);
      await tx.query(`UPDATE objects SET resource_version = $4, object = $5, search = $6${secretSql} WHERE kind = $1 AND namespace = $2 AND name = $3`, params);
      await tx.publish({ kind, type: 'MODIFIED', object: next });
      return next as ResourceOf<K>;
    });
  }

  async updateStatus<K extends Kind>(kind: K, namespace: string, name: string, status: NonNullable<ResourceOf<K>['status']>): Promise<ResourceOf<K> | undefined> {
    return this.#driver.transaction(async (tx) => {
      const old = await this.#lockObject<K>(tx, kind, namespace, name);
      if (!old) return undefined;
      const rv = await tx.nextVersion();
      const next = { ...old, metadata: { ...old.metadata, resourceVersion: String(rv) }, status } as ResourceOf<K>;
      await tx.query('UPDATE objects SET resource_version = $4, object = $5 WHERE kind = $1 AND namespace = $2 AND name = $3', [kind, namespace, name, rv, JSON.stringify(next)]);
      await tx.publish({ kind, type: 'MODIFIED', object: next });
      return next;
    });
  }

  async delete<K extends Kind>(kind: K, namespace: string, name: string, options: { expectedResourceVersion?: string | undefined } = {}): Promise<ResourceOf<K> | undefined> {
    return this.#driver.transaction(async (tx) => {
      const old = await this.#lockObject<K>(tx, kind, namespace, name);
      if (!old) return undefined;
      checkVersion(kind, old, options.expectedResourceVersion);
      // The deletion is a write too: watchers see DELETED with a newer version.
      const last = { ...old, metadata: { ...old.metadata, resourceVersion: String(await tx.nextVersion()) } } as ResourceOf<K>;
      await tx.query('DELETE FROM objects WHERE kind = $1 AND namespace = $2 AND name = $3', [kind, namespace, name]);
      // Runs go with their repository; their logs follow by ON DELETE CASCADE.
      if (kind === 'Repository') await tx.query('DELETE FROM runs WHERE namespace = $1 AND repository_name = $2', [namespace, name]);
      await tx.publish({ kind, type: 'DELETED', object: last });
      return last;
    });
  }

  watch<K extends Kind>(
    kind: K,
    options: { namespace?: string | undefined; namespaces?: readonly string[] | undefined },
    onEvent: (e: WatchEvent<ResourceOf<K>>) => void,
  ): () => void {
    const scope = options.namespaces ? new Set(options.namespaces) : undefined;
    return this.#driver.subscribe((event) => {
      if (event.kind !== kind) return;
      const ns = event.object.metadata.namespace;
      if (options.namespace !== undefined && ns !== options.namespace) return;
      if (scope && !scope.has(ns)) return;
      onEvent({ type: event.type, object: event.object as ResourceOf<K> });
    });
  }

  async #lockObject<K extends Kind>(tx: SqlExecutor, kind: K, namespace: string, name: string): Promise<ResourceOf<K> | undefined> {
    const rows = await tx.query(`SELECT object FROM objects WHERE kind = $1 AND namespace = $2 AND name = $3${this.#driver.dialect.forUpdate}`, [kind, namespace, name]);
    return rows[0] ? fromJson<ResourceOf<K>>(rows[0]['object']) : undefined;
  }

  // ------------------------------------------------------------ scheduling

  async setNextSync(namespace: string, name: string, atMs: number): Promise<void> {
    await this.#driver.query(`UPDATE objects SET next_sync_at = $3 WHERE kind = 'Repository' AND namespace = $1 AND name = $2`, [namespace, name, Math.floor(atMs)]);
  }

  async claimDue(owner: string, nowMs: number, leaseMs: number, limit: number): Promise<Repository[]> {
    if (limit < 1) return [];
    const now = Math.floor(nowMs);
    // One statement, so atomic on its own.
    const rows = await this.#driver.query(
      // The due rows are picked in a materialised CTE: PostgreSQL may run an
      // `IN (SELECT ... LIMIT n FOR UPDATE)` subquery more than once and so
      // claim more than `limit`. SKIP LOCKED lets concurrent replicas pass over
      // rows another one is claiming; READ COMMITTED re-checks the lease on
      // rows claimed and committed meanwhile, so no row is claimed twice.
      `WITH due AS MATERIALIZED (
           SELECT namespace, name FROM objects
           WHERE kind = 'Repository' AND next_sync_at <= $3 AND (lease_owner IS NULL OR lease_expires_at <= $3)
           ORDER BY next_sync_at, namespace, name LIMIT $4${this.#driver.dialect.skipLocked})
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

  async renewLease(namespace: string, name: string, owner: string, untilMs: number): Promise<boolean> {
    const rows = await this.#driver.query(
      `UPDATE objects SET lease_expires_at = $4 WHERE kind = 'Repository' AND namespace = $1 AND name = $2 AND lease_owner = $3 RETURNING name`,
      [namespace, name, owner, Math.floor(untilMs)],
    );
    return rows.length > 0;
  }

  async releaseLease(namespace: string, name: string, owner: string, nextSyncAtMs: number): Promise<void> {
    await this.#driver.query(
      `UPDATE objects SET lease_owner = NULL, lease_expires_at = NULL, next_sync_at = $4
       WHERE kind = 'Repository' AND namespace = $1 AND name = $2 AND lease_owner = $3`,
      [namespace, name, owner, Math.floor(nextSyncAtMs)],
    );
  }

  async listLeases(owner?: string): Promise<Lease[]> {
    const columns = 'SELECT namespace, name, lease_owner, lease_expires_at FROM objects';
    const rows = owner === undefined
      ? await this.#driver.query(`${columns} WHERE kind = 'Repository' AND lease_owner IS NOT NULL AND lease_expires_at <= $1 ORDER BY namespace, name`, [Date.now()])
      : await this.#driver.query(`${columns} WHERE kind = 'Repository' AND lease_owner = $1 ORDER BY namespace, name`, [owner]);
    return rows.map((r) => ({
      namespace: String(r['namespace']),
      name: String(r['name']),
      owner: String(r['lease_owner']),
      expiresAt: new Date(toInt(r['lease_expires_at'])).toISOString(),
    }));
  }

  // ------------------------------------------------------------ runs

  async createRun(run: SyncRun): Promise<SyncRun> {
    const { namespace, name } = run.metadata;
    return this.#driver.transaction(async (tx) => {
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
    return this.#driver.transaction(async (tx) => {
      const rows = await tx.query(`SELECT object FROM runs WHERE namespace = $1 AND name = $2${this.#driver.dialect.forUpdate}`, [namespace, name]);
      if (!rows[0]) return undefined;
      const old = fromJson<SyncRun>(rows[0]['object']);
      const next: SyncRun = { ...old, metadata: { ...old.metadata, resourceVersion: String(await tx.nextVersion()) }, status };
      await tx.query('UPDATE runs SET phase = $3, object = $4 WHERE namespace = $1 AND name = $2', [namespace, name, status.phase, JSON.stringify(next)]);
      return next;
    });
  }

  async getRun(namespace: string, name: string): Promise<SyncRun | undefined> {
    const rows = await this.#driver.query('SELECT object FROM runs WHERE namespace = $1 AND name = $2', [namespace, name]);
    return rows[0] ? fromJson<SyncRun>(rows[0]['object']) : undefined;
  }

  listRuns(namespace: string, repositoryName: string, options: { limit?: number; continue?: string } = {}): Promise<Page<SyncRun>> {
    return this.#newestFirst<SyncRun>('runs', 'seq', 'object', 'namespace = $1 AND repository_name = $2', [namespace, repositoryName], options);
  }

  async listRunningRuns(): Promise<SyncRun[]> {
    const rows = await this.#driver.query(`SELECT object FROM runs WHERE phase = 'Running' ORDER BY seq`);
    return rows.map((r) => fromJson<SyncRun>(r['object']));
  }

  async pruneRuns(namespace: string, repositoryName: string, keep: number): Promise<number> {
    // The subquery finds the seq of the (keep+1)-th newest run; everything at
    // or below it goes, except runs still Running (a long sync outlived by
    // newer manual ones must keep its record). Fewer runs than that: the
    // subquery is NULL and nothing matches. Logs follow by ON DELETE CASCADE.
    const rows = await this.#driver.query(
      `DELETE FROM runs WHERE namespace = $1 AND repository_name = $2 AND phase <> 'Running' AND seq <= (
         SELECT seq FROM runs WHERE namespace = $1 AND repository_name = $2 ORDER BY seq DESC LIMIT 1 OFFSET $3)
       RETURNING name`,
      [namespace, repositoryName, Math.max(0, Math.floor(keep))],
    );
    return rows.length;
  }

  async appendRunLog(namespace: string, runName: string, lines: RunLogLine[]): Promise<void> {
    if (lines.length === 0) return;
    await this.#driver.transaction(async (tx) => {
      // Lines for a run that is gone (deleted with its repository) are dropped.
      const run = await tx.query(`SELECT name FROM runs WHERE namespace = $1 AND name = $2${this.#driver.dialect.forUpdate}`, [namespace, runName]);
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
    const rows = await this.#driver.query('SELECT line FROM run_logs WHERE namespace = $1 AND run_name = $2 ORDER BY id', [namespace, runName]);
    return rows.map((r) => fromJson<RunLogLine>(r['line']));
  }

  // ------------------------------------------------------------ security

  async createToken(token: StoredToken, hash: string): Promise<void> {
    await this.#driver.transaction(async (tx) => {
      const rows = await tx.query('INSERT INTO tokens (id, hash, token) VALUES ($1, $2, $3) ON CONFLICT DO NOTHING RETURNING id', [token.id, hash, JSON.stringify(token)]);
      if (rows.length === 0) throw new StoreConflict('AlreadyExists', `token "${token.name}" already exists`);
    });
  }

  async findToken(hash: string): Promise<StoredToken | undefined> {
    const rows = await this.#driver.query('SELECT token FROM tokens WHERE hash = $1', [hash]);
    return rows[0] ? fromJson<StoredToken>(rows[0]['token']) : undefined;
  }

  async listTokens(): Promise<StoredToken[]> {
    const rows = await this.#driver.query('SELECT token FROM tokens ORDER BY id');
    return rows.map((r) => fromJson<StoredToken>(r['token'])).sort((a, b) => a.name.localeCompare(b.name));
  }

  async deleteToken(id: string): Promise<boolean> {
    const rows = await this.#driver.query('DELETE FROM tokens WHERE id = $1 RETURNING id', [id]);
    return rows.length > 0;
  }

  async countTokens(): Promise<number> {
    const rows = await this.#driver.query('SELECT count(*) AS n FROM tokens');
    return toInt(rows[0]?.['n']);
  }

  async appendAudit(entry: AuditEntry): Promise<void> {
    await this.#driver.query('INSERT INTO audit (entry) VALUES ($1)', [JSON.stringify(entry)]);
  }

  listAudit(options: { limit?: number; continue?: string; namespaces?: readonly string[] | undefined } = {}): Promise<Page<AuditEntry>> {
    const ns = options.namespaces;
    if (ns === undefined) return this.#newestFirst<AuditEntry>('audit', 'seq', 'entry', '1 = 1', [], options);
    // `->>` reads a JSON field on both dialects (SQLite >= 3.38: TEXT holding JSON; PostgreSQL: JSONB).
    const filter = ns.length === 0 ? '1 = 0' : `entry ->> 'namespace' IN (${ns.map((_, i) => `$${i + 1}`).join(', ')})`;
    return this.#newestFirst<AuditEntry>('audit', 'seq', 'entry', filter, [...ns], options);
  }

  /** A newest-first page keyed on an increasing integer column. */
  #newestFirst<T>(table: string, seq: string, column: string, filter: string, params: unknown[], options: { limit?: number; continue?: string }): Promise<Page<T>> {
    const limit = pageLimit(options.limit);
    const pageFilter = options.continue ? `${filter} AND ${seq} < $${params.length + 1}` : filter;
    const pageParams = options.continue ? [...params, decodeContinue(options.continue, ['n'])[0]] : params;
    return this.#driver.transaction(async (tx) => {
      const count = await tx.query(`SELECT count(*) AS n FROM ${table} WHERE ${filter}`, params);
      const rows = await tx.query(`SELECT ${seq} AS seq, ${column} AS item FROM ${table} WHERE ${pageFilter} ORDER BY ${seq} DESC LIMIT ${limit + 1}`, pageParams);
      const page = rows.slice(0, limit);
      const last = page.at(-1);
      return {
        items: page.map((r) => fromJson<T>(r['item'])),
        totalCount: toInt(count[0]?.['n']),
        continue: rows.length > limit && last ? encodeContinue([toInt(last['seq'])]) : undefined,
        resourceVersion: String(await this.#driver.currentVersion(tx)),
      };
    }, { readOnly: true });
  }
}

function checkIdentity(kind: Kind, obj: Resource): void {
  if (obj.kind !== undefined && obj.kind !== kind) throw new TugError('USAGE', `storing a ${obj.kind} as ${kind}`);
  if (!obj.metadata?.namespace || !obj.metadata.name) throw new TugError('USAGE', `a ${kind} needs metadata.namespace and metadata.name`);
}

function checkVersion(kind: Kind, current: Resource, expected: string | undefined): void {
  if (expected !== undefined && expected !== current.metadata.resourceVersion) {
    const { namespace, name } = current.metadata;
    throw new StoreConflict('Conflict', `${kind} "${namespace}/${name}" was modified (resourceVersion ${current.metadata.resourceVersion}, not ${expected}): read it again and retry`);
  }
}

function notFound(kind: Kind, namespace: string, name: string): TugError {
  return new TugError('NOT_FOUND', `${kind} "${namespace}/${name}" not found`);
}

/**
 * Defence in depth: a Registry's write-only `password`/`token` must reach the
 * store only encrypted, through the `secret` option. Should one arrive inside
 * the spec it is dropped here, never written to disk.
 */
function withoutPlaintext<S>(kind: Kind, spec: S): S {
  if (kind !== 'Registry') return spec;
  const creds = (spec as Registry['spec']).credentials;
  if (!creds || (creds.password === undefined && creds.token === undefined)) return spec;
  const { password: _p, token: _t, ...rest } = creds;
  return { ...spec, credentials: rest };
}

/** JSON with sorted keys, so a spec that only changed key order is unchanged. */
function canonicalJson(value: unknown): string {
  return JSON.stringify(value, (_k, v: unknown) =>
    v && typeof v === 'object' && !Array.isArray(v) ? Object.fromEntries(Object.entries(v).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))) : v,
  ) ?? 'null';
}

function compareKeys(a: Resource, b: Resource): number {
  const x = `${a.metadata.namespace}\u0000${a.metadata.name}`;
  const y = `${b.metadata.namespace}\u0000${b.metadata.name}`;
  return x < y ? -1 : x > y ? 1 : 0;
}

