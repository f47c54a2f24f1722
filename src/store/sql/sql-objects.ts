/**
 * Registries and Repositories: one row each in `objects`, the object as JSON
 * next to the columns that are filtered, sorted or locked on (kind,
 * namespace, name, resource_version, search text), the Registry's sealed
 * secret, and the watch events every write publishes.
 */
import { randomUUID } from 'node:crypto';
import { API_VERSION } from '../../api/types.ts';
import type { Registry, Repository, RepositoryHealth, WatchEvent } from '../../api/types.ts';
import { TugError } from '../../errors/index.ts';
import { decodeContinue, encodeContinue, pageLimit, parseFieldSelector, parseLabelSelector, searchText } from '../query.ts';
import { StoreConflict } from '../types.ts';
import type { Kind, ListOptions, Page, ResourceOf, Store } from '../types.ts';
import { fromJson, toInt } from './driver.ts';
import { ItemCache } from './item-cache.ts';
import type { Row, SqlDialect, SqlDriver, SqlExecutor } from './driver.ts';

type Resource = Registry | Repository;

/** The object methods of {@link Store}. */
export type ObjectStore = Pick<Store, 'create' | 'get' | 'getSecret' | 'listSecrets' | 'replaceSecret' | 'list' | 'update' | 'updateStatus' | 'setHealth' | 'delete' | 'watch' | 'changesSince' | 'listNamespaces' | 'countBy'>;

export class SqlObjects implements ObjectStore {
  readonly #db: SqlDriver;
  readonly #items = new ItemCache();

  constructor(db: SqlDriver) {
    this.#db = db;
  }

  async create<K extends Kind>(kind: K, obj: ResourceOf<K>, options: { secret?: string | undefined } = {}): Promise<ResourceOf<K>> {
    checkIdentity(kind, obj);
    return this.#db.transaction(async (tx) => {
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
      await record(tx, this.#db.dialect, { kind, type: 'ADDED', object: stored });
      return stored as ResourceOf<K>;
    });
  }

  async get<K extends Kind>(kind: K, namespace: string, name: string): Promise<ResourceOf<K> | undefined> {
    const rows = await this.#db.query('SELECT object FROM objects WHERE kind = $1 AND namespace = $2 AND name = $3', [kind, namespace, name]);
    return rows[0] ? fromJson<ResourceOf<K>>(rows[0]['object']) : undefined;
  }

  async getJson(kind: Kind, namespace: string, name: string): Promise<string | undefined> {
    const rows = await this.#db.query(`SELECT ${this.#db.dialect.jsonText('object')} AS object FROM objects WHERE kind = $1 AND namespace = $2 AND name = $3`, [kind, namespace, name]);
    return rows[0] ? String(rows[0]['object']) : undefined;
  }

  async getSecret(kind: 'Registry', namespace: string, name: string): Promise<string | undefined> {
    const rows = await this.#db.query('SELECT secret FROM objects WHERE kind = $1 AND namespace = $2 AND name = $3', [kind, namespace, name]);
    const secret = rows[0]?.['secret'];
    return typeof secret === 'string' ? secret : undefined;
  }

  async listSecrets(kind: 'Registry'): Promise<{ namespace: string; name: string; secret: string }[]> {
    const rows = await this.#db.query('SELECT namespace, name, secret FROM objects WHERE kind = $1 AND secret IS NOT NULL ORDER BY namespace, name', [kind]);
    return rows.map((r) => ({ namespace: String(r['namespace']), name: String(r['name']), secret: String(r['secret']) }));
  }

  async replaceSecret(kind: 'Registry', namespace: string, name: string, expected: string, next: string): Promise<boolean> {
    const rows = await this.#db.query('UPDATE objects SET secret = $5 WHERE kind = $1 AND namespace = $2 AND name = $3 AND secret = $4 RETURNING name', [kind, namespace, name, expected, next]);
    return rows.length === 1;
  }

  async list<K extends Kind>(kind: K, options: ListOptions = {}): Promise<Page<ResourceOf<K>>> {
    const page = await this.#page(kind, options, false);
    return { ...page, items: page.items.map((o) => fromJson<ResourceOf<K>>(o)) };
  }

  async listJson(kind: Kind, options: ListOptions = {}): Promise<Page<string>> {
    const page = await this.#page(kind, options, true);
    return { ...page, items: page.items.map(String) };
  }

  /** A page of objects as the database returns them (`asText`: JSON text on both databases). */
  async #page(kind: Kind, options: ListOptions, asText: boolean): Promise<Page<unknown>> {
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
    let narrowed = false;
    if (options.q) {
      const q = options.q.toLowerCase();
      where.push(this.#db.dialect.contains('search', bind(q)));
      const narrow = this.#db.dialect.narrowSearch(q, bind);
      if (narrow) where.push(narrow);
      narrowed = narrow !== undefined;
    }
    for (const req of parseLabelSelector(options.labelSelector ?? '')) {
      const value = this.#db.dialect.labelValue(bind(this.#db.dialect.labelParam(req.key)));
      if (req.op === 'exists') where.push(`${value} IS NOT NULL`);
      else if (req.op === 'eq') where.push(`${value} = ${bind(req.value)}`);
      // Kubernetes: `k!=v` also matches objects without the label.
      else where.push(`(${value} IS NULL OR ${value} <> ${bind(req.value)})`);
    }
    for (const req of parseFieldSelector(kind, options.fieldSelector ?? '')) {
      const value = this.#db.dialect.fieldValue(bind(this.#db.dialect.fieldParam(req.path)));
      where.push(`${value} ${req.op === 'eq' ? '=' : '<>'} ${bind(req.value)}`);
    }
    const filter = where.join(' AND ');
    const countParams = [...params];
    // Only kind and namespaces: the trigger-kept counts answer (migration 8).
    const counted = !options.q && !options.labelSelector && !options.fieldSelector;
    const countSql = counted ? `SELECT COALESCE(sum(n), 0) AS n FROM object_counts WHERE ${filter}` : `SELECT count(*) AS n FROM objects WHERE ${filter}`;
    let after: [string, string] | undefined;
    if (options.continue) {
      after = decodeContinue(options.continue, ['s', 's']) as [string, string];
      // A row value, which both databases compare in index order (an OR of the two made SQLite scan the namespace).
      where.push(`(namespace, name) > (${bind(after[0])}, ${bind(after[1])})`);
    }
    const limit = pageLimit(options.limit);
    const omit = options.omit ?? [];
    const laterThan = (k: PageKey) => !after || k.namespace > after[0] || (k.namespace === after[0] && k.name > after[1]);
    // On PostgreSQL first without a transaction (issue 15, "Scale"): one statement reads the
    // keys with their versions, the count and the store's version (one
    // snapshot, so they agree), and a second reads the objects the item cache
    // does not hold, by key and version. Two round trips where the transaction
    // below takes six on PostgreSQL (BEGIN, count, keys, objects, version,
    // COMMIT). Should an object have changed in between, the page is read
    // again in the transaction; a short search (no trigram index, so no
    // versions among its keys) goes there at once.
    if (this.#db.dialect.remote && (!options.q || narrowed)) {
      const keySql = options.q
        ? `SELECT namespace, name, resource_version FROM objects WHERE ${filter} ORDER BY namespace, name LIMIT ${SEARCH_KEYS + 1}`
        : `SELECT namespace, name, resource_version FROM objects WHERE ${where.join(' AND ')} ORDER BY namespace, name LIMIT ${limit + 1}`;
      const head = options.q ? `(${this.#db.dialect.versionSql}) AS rv` : `(${this.#db.dialect.versionSql}) AS rv, (${countSql}) AS total`;
      // LEFT JOIN: an empty page still brings the count and the version.
      const rows = await this.#db.query(`SELECT v.*, k.namespace, k.name, k.resource_version FROM (SELECT ${head}) v LEFT JOIN (${keySql}) k ON 1 = 1 ORDER BY k.namespace, k.name`, options.q ? countParams : params);
      const found = rows.filter((r) => r['name'] !== null && r['name'] !== undefined).map(pageKey);
      if (!options.q || found.length <= SEARCH_KEYS) {
        const keys = options.q ? found.filter(laterThan).slice(0, limit + 1) : found;
        const { page, next } = splitPage(keys, limit);
        const items = await this.#objects(this.#db, kind, page, omit, asText, true);
        if (items !== undefined) {
          return { items, totalCount: options.q ? found.length : toInt(rows[0]?.['total']), continue: next, resourceVersion: String(toInt(rows[0]?.['rv'])) };
        }
      }
    }
    return this.#db.transaction(async (tx) => {
      let keys: PageKey[] | undefined;
      let total: number | undefined;
      if (options.q) {
        // A search matches few: one pass over the index (objects_page,
        // migrations 8, 10) collects every match's key, which gives the count and
        // the page, where a count and then a page scanned the index twice.
        // Their versions come along (and the item cache answers): by key when
        // narrowed by the trigram index, else from objects_page, which holds
        // them since migration 10 (before, reading them made SQLite scan the table).
        const matched = await tx.query(`SELECT namespace, name, resource_version FROM objects WHERE ${filter} ORDER BY namespace, name LIMIT ${SEARCH_KEYS + 1}`, countParams);
        if (matched.length <= SEARCH_KEYS) {
          total = matched.length;
          // Keys are DNS-1123 names (ASCII): JavaScript's order is the index's byte order.
          const page = matched.map(pageKey).filter(laterThan);
          keys = page.slice(0, limit + 1);
        }
      }
      if (keys === undefined || total === undefined) {
        total = toInt((await tx.query(countSql, countParams))[0]?.['n']);
        // Keys first, then the objects of this page only: the keys come from an
        // index whatever the filter, and the JSON is read (and parsed) for the
        // rows returned, not for every row scanned.
        keys = (await tx.query(`SELECT namespace, name, resource_version FROM objects WHERE ${where.join(' AND ')} ORDER BY namespace, name LIMIT ${limit + 1}`, params)).map(pageKey);
      }
      const { page, next } = splitPage(keys, limit);
      return {
        items: (await this.#objects(tx, kind, page, omit, asText, false))!,
        totalCount: total,
        continue: next,
        resourceVersion: String(await this.#db.currentVersion(tx)),
      };
    }, { readOnly: true });
  }

  /**
   * The objects of `keys`, in their order, without the `omit` paths: as JSON
   * text when `asText` (taken from {@link ItemCache} where the key's version
   * is known and held, so only the others are read), else as the driver
   * returns them. Read in the transaction that read the keys, the versions
   * and the texts agree; read `strict`ly (after the keys, outside a
   * transaction), undefined when an object is gone or at another version.
   */
  async #objects(tx: Pick<SqlExecutor, 'query'>, kind: Kind, keys: readonly PageKey[], omit: readonly (readonly string[])[], asText: boolean, strict: boolean): Promise<unknown[] | undefined> {
    const omitted = JSON.stringify(omit);
    const cacheKey = (k: PageKey) => `${kind}\u0000${omitted}\u0000${k.namespace}\u0000${k.name}`;
    const found: unknown[] = keys.map((k) => (asText && k.version !== undefined ? this.#items.get(cacheKey(k), k.version) : undefined));
    const missing = keys.filter((_, i) => found[i] === undefined);
    if (missing.length === 0) return found;
    const params: unknown[] = [kind];
    const bind = (v: unknown) => `$${params.push(v)}`;
    const object = this.#selected('object', omit.map((path) => bind(this.#db.dialect.fieldParam(path))), asText);
    const values = missing.map((k) => `(${bind(k.namespace)}, ${bind(k.name)})`).join(', ');
    const rows = await tx.query(`SELECT namespace, name, resource_version, ${object} AS object FROM objects WHERE kind = $1 AND (namespace, name) IN (VALUES ${values})`, params);
    const read = new Map(rows.map((r) => [`${String(r['namespace'])}/${String(r['name'])}`, r]));
    if (strict && missing.some((k) => toInt(read.get(`${k.namespace}/${k.name}`)?.['resource_version']) !== k.version)) return undefined;
    return keys.map((k, i) => {
      if (found[i] !== undefined) return found[i];
      const row = read.get(`${k.namespace}/${k.name}`);
      if (asText && row) this.#items.set(cacheKey(k), toInt(row['resource_version']), String(row['object']));
      return row?.['object'];
    });
  }

  /** The JSON `column` without the paths bound to `placeholders`, as text when `asText`. */
  #selected(column: string, placeholders: readonly string[], asText: boolean): string {
    const object = this.#db.dialect.withoutPaths(column, placeholders);
    return asText ? this.#db.dialect.jsonText(object) : object;
  }

  async update<K extends Kind>(
    kind: K,
    obj: ResourceOf<K>,
    options: { expectedResourceVersion?: string | undefined; secret?: string | null | undefined } = {},
  ): Promise<ResourceOf<K>> {
    checkIdentity(kind, obj);
    const { namespace, name } = obj.metadata;
    return this.#db.transaction(async (tx) => {
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
      await record(tx, this.#db.dialect, { kind, type: 'MODIFIED', object: next });
      return next as ResourceOf<K>;
    });
  }

  async updateStatus<K extends Kind>(kind: K, namespace: string, name: string, status: NonNullable<ResourceOf<K>['status']>): Promise<ResourceOf<K> | undefined> {
    return this.#db.transaction(async (tx) => {
      const old = await this.#lockObject<K>(tx, kind, namespace, name);
      if (!old) return undefined;
      const rv = await tx.nextVersion();
      const next = { ...old, metadata: { ...old.metadata, resourceVersion: String(rv) }, status } as ResourceOf<K>;
      await tx.query('UPDATE objects SET resource_version = $4, object = $5 WHERE kind = $1 AND namespace = $2 AND name = $3', [kind, namespace, name, rv, JSON.stringify(next)]);
      await record(tx, this.#db.dialect, { kind, type: 'MODIFIED', object: next });
      return next;
    });
  }

  async setHealth(namespace: string, name: string, health: RepositoryHealth): Promise<Repository | undefined> {
    return this.#db.transaction(async (tx) => {
      const old = await this.#lockObject(tx, 'Repository', namespace, name);
      if (!old) return undefined;
      const rv = await tx.nextVersion();
      // Only status.health: the scheduler writes the rest of status meanwhile.
      const next: Repository = { ...old, metadata: { ...old.metadata, resourceVersion: String(rv) }, status: { ...(old.status ?? { syncStatus: 'Pending' }), health } };
      await tx.query('UPDATE objects SET resource_version = $4, object = $5 WHERE kind = $1 AND namespace = $2 AND name = $3', ['Repository', namespace, name, rv, JSON.stringify(next)]);
      await record(tx, this.#db.dialect, { kind: 'Repository', type: 'MODIFIED', object: next });
      return next;
    });
  }

  async delete<K extends Kind>(kind: K, namespace: string, name: string, options: { expectedResourceVersion?: string | undefined } = {}): Promise<ResourceOf<K> | undefined> {
    return this.#db.transaction(async (tx) => {
      const old = await this.#lockObject<K>(tx, kind, namespace, name);
      if (!old) return undefined;
      checkVersion(kind, old, options.expectedResourceVersion);
      // The deletion is a write too: watchers see DELETED with a newer version.
      const last = { ...old, metadata: { ...old.metadata, resourceVersion: String(await tx.nextVersion()) } } as ResourceOf<K>;
      await tx.query('DELETE FROM objects WHERE kind = $1 AND namespace = $2 AND name = $3', [kind, namespace, name]);
      // Runs go with their repository; their logs follow by ON DELETE CASCADE.
      if (kind === 'Repository') await tx.query('DELETE FROM runs WHERE namespace = $1 AND repository_name = $2', [namespace, name]);
      await record(tx, this.#db.dialect, { kind, type: 'DELETED', object: last });
      return last;
    });
  }

  watch<K extends Kind>(
    kind: K,
    options: { namespace?: string | undefined; namespaces?: readonly string[] | undefined },
    onEvent: (e: WatchEvent<ResourceOf<K>>) => void,
  ): () => void {
    const scope = options.namespaces ? new Set(options.namespaces) : undefined;
    return this.#db.subscribe((event) => {
      if (event.kind !== kind) return;
      const ns = event.object.metadata.namespace;
      if (options.namespace !== undefined && ns !== options.namespace) return;
      if (scope && !scope.has(ns)) return;
      onEvent({ type: event.type, object: event.object as ResourceOf<K> });
    });
  }

  async changesSince<K extends Kind>(kind: K, afterVersion: number, options: { namespace?: string | undefined; namespaces?: readonly string[] | undefined }): Promise<WatchEvent<ResourceOf<K>>[] | 'expired'> {
    return this.#db.transaction(async (tx) => {
      // Every version above current - EVENT_RETENTION is still in the log (record() prunes below that at each write).
      if (afterVersion < (await this.#db.currentVersion(tx)) - EVENT_RETENTION) return 'expired';
      const where = ['kind = $1', 'resource_version > $2'];
      const params: unknown[] = [kind, afterVersion];
      const bind = (v: unknown) => {
        params.push(v);
        return `$${params.length}`;
      };
      if (options.namespace !== undefined) where.push(`namespace = ${bind(options.namespace)}`);
      if (options.namespaces !== undefined) where.push(options.namespaces.length === 0 ? '1 = 0' : `namespace IN (${options.namespaces.map(bind).join(', ')})`);
      const rows = await tx.query(`SELECT type, object FROM events WHERE ${where.join(' AND ')} ORDER BY resource_version`, params);
      return rows.map((r) => ({ type: r['type'] as WatchEvent<ResourceOf<K>>['type'], object: fromJson<ResourceOf<K>>(r['object']) }));
    }, { readOnly: true });
  }

  async countBy(kind: Kind, field: string, options: { namespaces?: readonly string[] | undefined } = {}): Promise<Map<string, number>> {
    // Validated as a field selector would be: only the kind's selectable fields reach SQL (as a bound path).
    parseFieldSelector(kind, `${field}=x`);
    const params: unknown[] = [kind, this.#db.dialect.fieldParam(field.split('.'))];
    let scope = '';
    if (options.namespaces !== undefined) {
      scope = options.namespaces.length === 0 ? ' AND 1 = 0' : ` AND namespace IN (${options.namespaces.map((ns) => { params.push(ns); return `$${params.length}`; }).join(', ')})`;
    }
    const rows = await this.#db.query(`SELECT ${this.#db.dialect.fieldValue('$2')} AS v, count(*) AS n FROM objects WHERE kind = $1${scope} GROUP BY v`, params);
    return new Map(rows.map((r) => [String(r['v']), toInt(r['n'])]));
  }

  async listNamespaces(): Promise<{ name: string; counts: Partial<Record<Kind, number>> }[]> {
    // The counts the triggers of migration 8 keep: the console asks on every load, and counting every row was a scan at 100,000.
    const rows = await this.#db.query('SELECT namespace, kind, n FROM object_counts WHERE n > 0 ORDER BY namespace');
    const out = new Map<string, Partial<Record<Kind, number>>>();
    for (const r of rows) {
      const ns = String(r['namespace']);
      const counts = out.get(ns) ?? {};
      counts[r['kind'] as Kind] = toInt(r['n']);
      out.set(ns, counts);
    }
    return [...out].map(([name, counts]) => ({ name, counts }));
  }

  async #lockObject<K extends Kind>(tx: SqlExecutor, kind: K, namespace: string, name: string): Promise<ResourceOf<K> | undefined> {
    const rows = await tx.query(`SELECT object FROM objects WHERE kind = $1 AND namespace = $2 AND name = $3${this.#db.dialect.forUpdate}`, [kind, namespace, name]);
    return rows[0] ? fromJson<ResourceOf<K>>(rows[0]['object']) : undefined;
  }
}

/** A key of a list page and the version of its object. */
interface PageKey {
  namespace: string;
  name: string;
  /** Unknown for a search's keys. */
  version?: number | undefined;
}

/** A page of `limit` from `keys` (read with one more, to tell whether another page follows) and the token of the next. */
function splitPage(keys: readonly PageKey[], limit: number): { page: PageKey[]; next: string | undefined } {
  const page = keys.slice(0, limit);
  const last = page.at(-1);
  return { page, next: keys.length > limit && last ? encodeContinue([last.namespace, last.name]) : undefined };
}

function pageKey(r: Row): PageKey {
  return { namespace: String(r['namespace']), name: String(r['name']), version: toInt(r['resource_version']) };
}

/**
 * How many versions back a watch may resume from (`?resourceVersion=`):
 * older positions get 410 Gone and re-list, as from the Kubernetes API
 * server once etcd has compacted them.
 */
export const EVENT_RETENTION = 10_000;

/** Versions below the watch window each write prunes (record), and how often it prunes everything below it. */
const PRUNE_RANGE = 64;
const PRUNE_ALL_EVERY = 1024;

/** Most matches a search collects in one pass (list); beyond, it counts and pages as any list. */
const SEARCH_KEYS = 2000;

/** Logs a change for resuming watches (pruning what fell out of the window) and publishes it on commit. */
async function record(tx: SqlExecutor, dialect: SqlDialect, event: { kind: Kind; type: WatchEvent<Resource>['type']; object: Resource }): Promise<void> {
  const rv = toInt(event.object.metadata.resourceVersion);
  await tx.query('INSERT INTO events (resource_version, kind, namespace, type, object) VALUES ($1, $2, $3, $4, $5)', [rv, event.kind, event.object.metadata.namespace, event.type, JSON.stringify(event.object)]);
  // Each write prunes the few versions that just left the window, a bounded
  // range (an open `<= N` walked every dead row below it on PostgreSQL, 8
  // writers at 100,000 Repositories); every PRUNE_ALL_EVERY versions the whole
  // range goes, for the rare event committed after its window had passed.
  // Concurrent writers prune overlapping ranges: on PostgreSQL each skips the
  // rows another is deleting, where waiting on each other deadlocked.
  const upTo = rv - EVENT_RETENTION;
  const from = rv % PRUNE_ALL_EVERY === 0 ? 0 : upTo - PRUNE_RANGE;
  await tx.query(`DELETE FROM events WHERE resource_version IN (SELECT resource_version FROM events WHERE resource_version > $1 AND resource_version <= $2${dialect.skipLocked})`, [from, upTo]);
  await tx.publish(event);
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
