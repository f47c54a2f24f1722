/**
 * The storage contract of `tug serve`. Two implementations: SQLite
 * (`node:sqlite`, WAL, one file under --data; the embedded default) and
 * PostgreSQL (`--database postgres://...`; several replicas share the work).
 * The server and scheduler are written against this interface only.
 *
 * Rules every implementation keeps:
 * - Every write bumps `metadata.resourceVersion` (a store-wide increasing
 *   counter, as a string). `update`/`delete` with `expectedResourceVersion`
 *   fail with {@link StoreConflict} when it is stale.
 * - Secrets are opaque strings here: the server encrypts before calling the
 *   store (see src/server/secrets.ts). The store never sees plaintext.
 * - Watch events are delivered after commit, in commit order per object;
 *   with PostgreSQL they reach every replica (LISTEN/NOTIFY).
 */
import type { AuditEntry, NamespaceSettings, Repository, RepositoryHealth, Role, RunLogLine, SyncRun, WatchEvent, Webhook, WebhookDelivery } from '../api/types.ts';

import type { Kind, ResourceOf } from '../api/kinds.ts';

/** The kinds and their object types come from the one table in src/api/kinds.ts. */
export type { Kind, ResourceOf };

/** What `GET /auditlogs` narrows by: exact user, kind, verb and namespace, and a time window (ISO 8601, `since` inclusive, `until` exclusive). */
export interface AuditFilter {
  user?: string | undefined;
  kind?: string | undefined;
  verb?: string | undefined;
  namespace?: string | undefined;
  since?: string | undefined;
  until?: string | undefined;
}

/** What the overview sums from finished runs (`runFigures`). */
export interface RunFigures {
  /** Runs finished per bucket (its start, epoch ms) and phase, with the bytes they moved. */
  series: { at: number; phase: string; runs: number; bytes: number }[];
  /** The Repositories whose longest run in the window was longest. */
  slowest: { namespace: string; repository: string; durationMs: number }[];
  /** The Repositories with the most failed runs in the window. */
  failing: { namespace: string; repository: string; failures: number; lastFailedAt: number }[];
}

export interface ListOptions {
  /** Undefined = every namespace the caller may see (see `namespaces`). */
  namespace?: string | undefined;
  /** Restricts to these namespaces (a scoped token); undefined = no restriction. */
  namespaces?: readonly string[] | undefined;
  /** Case-insensitive substring over name, display name annotation and the kind's own search text (src/api/kinds.ts: Repository `repository:tag`, Registry its URL). */
  q?: string | undefined;
  /**
   * Kubernetes equality-based selector: `a=b,c!=d,e` (key exists); `c!=d` also
   * matches objects without `c`. A malformed one throws TugError USAGE.
   */
  labelSelector?: string | undefined;
  /** Kubernetes field selector over the kind's selectable fields: `status.syncStatus=Failed`. A bad one throws TugError USAGE. */
  fieldSelector?: string | undefined;
  /** Page size (default 100, max 1000). */
  limit?: number | undefined;
  /** Opaque token from the previous page (keyset on namespace/name); a malformed one throws TugError USAGE. */
  continue?: string | undefined;
  /**
   * Paths left out of every item (`[['status', 'platforms']]`), removed by the
   * database before the JSON reaches this process: a list view's items without
   * their heavy fields (issue 15, "Scale"). Only field names, never input.
   */
  omit?: readonly (readonly string[])[] | undefined;
}

export interface Page<T> {
  items: T[];
  /** Total matching the filters (all pages). */
  totalCount: number;
  continue?: string | undefined;
  /** The store's resourceVersion when the page was read. */
  resourceVersion: string;
}

/** A stale resourceVersion or a name that already exists. */
export class StoreConflict extends Error {
  readonly reason: 'AlreadyExists' | 'Conflict';
  constructor(reason: 'AlreadyExists' | 'Conflict', message: string) {
    super(message);
    this.name = 'StoreConflict';
    this.reason = reason;
  }
}

export interface StoredToken {
  id: string;
  name: string;
  role: Role;
  /** Namespaces the token may act in; undefined = all. */
  namespaces?: string[] | undefined;
  createdAt: string;
}

export interface Lease {
  namespace: string;
  name: string;
  owner: string;
  expiresAt: string;
}

export interface Store {
  /** Creates or upgrades the schema. Safe to run from several replicas at once. */
  migrate(): Promise<void>;
  close(): Promise<void>;

  /**
   * Stores a new object; sets uid, creationTimestamp, generation 1 and
   * resourceVersion. A Repository without status gets `{ syncStatus: 'Pending' }`
   * and is due at once (nextSyncAt = now). `spec.credentials.password`/`token`
   * are dropped if present: secrets come only through `secret`.
   * @throws StoreConflict('AlreadyExists') when the name is taken.
   */
  create<K extends Kind>(kind: K, obj: ResourceOf<K>, options?: { secret?: string | undefined }): Promise<ResourceOf<K>>;
  get<K extends Kind>(kind: K, namespace: string, name: string): Promise<ResourceOf<K> | undefined>;
  /**
   * {@link get}'s object as the JSON text the database holds, unparsed: what
   * a GET answers as it is (issue 15, "Scale": parsing and re-serialising
   * each object was most of a read's work after the query).
   */
  getJson(kind: Kind, namespace: string, name: string): Promise<string | undefined>;
  /** The encrypted secret stored with a Registry (credentials), if any. */
  getSecret(kind: 'Registry', namespace: string, name: string): Promise<string | undefined>;
  /** Every stored secret of `kind` with its object's name (for key rotation). */
  listSecrets(kind: 'Registry'): Promise<{ namespace: string; name: string; secret: string }[]>;
  /**
   * Replaces a secret only while it still equals `expected` (a concurrent
   * edit wins); the object and its resourceVersion stay as they are, since
   * the sealed value is not part of what clients see. False when it changed.
   */
  replaceSecret(kind: 'Registry', namespace: string, name: string, expected: string, next: string): Promise<boolean>;
  list<K extends Kind>(kind: K, options?: ListOptions): Promise<Page<ResourceOf<K>>>;
  /** {@link list}'s page with each item as the JSON text of the object (without the `omit` paths), unparsed, as {@link getJson}. */
  listJson(kind: Kind, options?: ListOptions): Promise<Page<string>>;
  /**
   * Replaces spec/metadata (labels, annotations) and optionally the secret
   * (undefined = keep, null = remove). Status, uid and creationTimestamp are
   * kept; generation grows by one when the spec changed. The optimistic check
   * uses `expectedResourceVersion` only (not `obj.metadata.resourceVersion`).
   * @throws StoreConflict('Conflict') on a stale expectedResourceVersion;
   *   TugError NOT_FOUND when the object does not exist.
   */
  update<K extends Kind>(kind: K, obj: ResourceOf<K>, options?: { expectedResourceVersion?: string | undefined; secret?: string | null | undefined }): Promise<ResourceOf<K>>;
  /** Replaces `status` only (no optimistic check: the scheduler owns status). */
  updateStatus<K extends Kind>(kind: K, namespace: string, name: string, status: NonNullable<ResourceOf<K>['status']>): Promise<ResourceOf<K> | undefined>;
  /** Replaces `status.health` only (the health checker's part of status), keeping the rest as the scheduler wrote it. */
  setHealth(namespace: string, name: string, health: RepositoryHealth): Promise<Repository | undefined>;
  delete<K extends Kind>(kind: K, namespace: string, name: string, options?: { expectedResourceVersion?: string | undefined }): Promise<ResourceOf<K> | undefined>;
  /**
   * Subscribes to changes; returns an unsubscribe function. DELETED carries
   * the last state. `onEvent` must not throw (its errors are swallowed so a
   * watcher cannot break a writer). On PostgreSQL events written while the
   * listening connection was down are not replayed: re-list after a gap.
   */
  watch<K extends Kind>(kind: K, options: { namespace?: string | undefined; namespaces?: readonly string[] | undefined }, onEvent: (e: WatchEvent<ResourceOf<K>>) => void): () => void;
  /**
   * The changes of `kind` committed after `afterVersion`, oldest first (what
   * a watch resumed with `?resourceVersion=` replays), or 'expired' when
   * that version has left the event log (the client re-lists: 410 Gone).
   */
  changesSince<K extends Kind>(kind: K, afterVersion: number, options: { namespace?: string | undefined; namespaces?: readonly string[] | undefined }): Promise<WatchEvent<ResourceOf<K>>[] | 'expired'>;
  /** How many Repositories have each value of a selectable field (`status.syncStatus`): '' for none. */
  countBy(kind: Kind, field: string, options?: { namespaces?: readonly string[] | undefined }): Promise<Map<string, number>>;
  /** Every namespace holding objects, with how many of each kind. */
  listNamespaces(): Promise<{ name: string; counts: Partial<Record<Kind, number>> }[]>;

  // Scheduling: repositories carry `nextSyncAt` (epoch ms) and a lease.
  /** Sets when a repository is next due (epoch ms); `now` makes it due at once. */
  setNextSync(namespace: string, name: string, atMs: number): Promise<void>;
  /**
   * Atomically claims up to `limit` repositories that are due (nextSyncAt <=
   * nowMs) and not leased (or whose lease expired), leasing them to `owner`
   * until nowMs + leaseMs. With PostgreSQL: `FOR UPDATE SKIP LOCKED`, so each
   * due repository goes to exactly one replica.
   */
  claimDue(owner: string, nowMs: number, leaseMs: number, limit: number): Promise<Repository[]>;
  /** Extends a lease this owner holds; false when it lost it. */
  renewLease(namespace: string, name: string, owner: string, untilMs: number): Promise<boolean>;
  /** Drops the lease and sets the next due time. */
  releaseLease(namespace: string, name: string, owner: string, nextSyncAtMs: number): Promise<void>;
  /** Leases held by `owner` (for graceful hand-back) or all expired leases (owner undefined). */
  listLeases(owner?: string): Promise<Lease[]>;
  /**
   * Atomically claims up to `limit` Repositories whose health check is due
   * (never checked, or due at or before nowMs) and makes each due again at
   * nextAtMs, so each check goes to one replica.
   */
  claimHealthChecks(nowMs: number, nextAtMs: number, limit: number): Promise<Repository[]>;

  // Sync history.
  /** Sets uid, resourceVersion (and creationTimestamp if absent). @throws StoreConflict('AlreadyExists'). */
  createRun(run: SyncRun): Promise<SyncRun>;
  updateRun(namespace: string, name: string, status: SyncRun['status']): Promise<SyncRun | undefined>;
  getRun(namespace: string, name: string): Promise<SyncRun | undefined>;
  /** Newest first. */
  listRuns(namespace: string, repositoryName: string, options?: { limit?: number; continue?: string }): Promise<Page<SyncRun>>;
  /** Runs still `Running` (for recovery after a crash). */
  listRunningRuns(): Promise<SyncRun[]>;
  /**
   * Keeps the newest `keep` runs of a repository (by creation order) and
   * deletes older ones with their logs; a run still `Running` is never
   * deleted, however old. One statement over the runs_repository index.
   * Returns how many runs were deleted.
   */
  pruneRuns(namespace: string, repositoryName: string, keep: number): Promise<number>;
  /**
   * Appends lines; only the newest are kept (2000 per run by default, see
   * `runLogLines` of openStore). Lines for a run that does not exist (deleted
   * with its repository) are dropped. Runs and their logs are deleted with
   * their repository.
   */
  appendRunLog(namespace: string, runName: string, lines: RunLogLine[]): Promise<void>;
  getRunLog(namespace: string, runName: string): Promise<RunLogLine[]>;
  /** Sums over the runs finished since `sinceMs`, by `bucketMs` (at least a minute); `top` rows of the lists. One read transaction, over the runs_finished index. */
  runFigures(options: { namespaces?: readonly string[] | undefined; sinceMs: number; bucketMs: number; top: number }): Promise<RunFigures>;

  // Security.
  /** @throws StoreConflict('AlreadyExists') when the id, the hash or the name is taken. */
  createToken(token: StoredToken, hash: string): Promise<void>;
  /** By SHA-256 hash of the bearer token. */
  findToken(hash: string): Promise<StoredToken | undefined>;
  countTokens(): Promise<number>;
  /** Every token (never the hashes), by name. */
  listTokens(): Promise<StoredToken[]>;
  /** Deletes a token by id; false when there was none. */
  deleteToken(id: string): Promise<boolean>;
  appendAudit(entry: AuditEntry): Promise<void>;

  // Namespace settings.
  /** `{}` for a namespace without any. */
  getNamespaceSettings(namespace: string): Promise<NamespaceSettings>;
  putNamespaceSettings(namespace: string, settings: NamespaceSettings): Promise<void>;
  /** Every namespace that has settings. */
  listNamespaceSettings(): Promise<Map<string, NamespaceSettings>>;

  // Webhooks.
  /** @throws StoreConflict('AlreadyExists'). `sealedSecret` is the signing secret as Secrets.seal wrote it. */
  createWebhook(webhook: Webhook, sealedSecret: string): Promise<void>;
  getWebhook(namespace: string, name: string): Promise<{ webhook: Webhook; sealedSecret: string } | undefined>;
  /** By name. */
  listWebhooks(namespace: string): Promise<Webhook[]>;
  /** With its delivery log; false when there was none. */
  deleteWebhook(namespace: string, name: string): Promise<boolean>;
  /** Appends one attempt; the newest 100 per webhook are kept. */
  appendDelivery(namespace: string, webhook: string, delivery: WebhookDelivery): Promise<void>;
  /** Newest first. */
  listDeliveries(namespace: string, webhook: string, limit?: number): Promise<WebhookDelivery[]>;
  /**
   * Newest first; `namespaces` keeps only entries of those namespaces (a
   * scoped admin's view), `filter` narrows further (every field given must match).
   */
  listAudit(options?: { limit?: number; continue?: string; namespaces?: readonly string[] | undefined; filter?: AuditFilter }): Promise<Page<AuditEntry>>;
}
