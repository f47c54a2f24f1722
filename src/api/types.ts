/**
 * The resources of the image.theriseunion.io/v1alpha1 API, in Kubernetes
 * style. docs/contract.md quotes the contract for Repository's spec,
 * annotations and the four sync states; the rest is what a user of such a
 * console needs (registry status, per-platform manifests, sync history).
 *
 * These are plain data types shared by the store, the scheduler, the server
 * and (over HTTP) the console. Validation lives in ./schema.ts.
 */

export const GROUP = 'image.theriseunion.io';
export const VERSION = 'v1alpha1';
export const API_VERSION = `${GROUP}/${VERSION}` as const;
/** Path prefix of every resource endpoint. */
export const API_PREFIX = `/oapis/${GROUP}/${VERSION}`;

export const DISPLAY_NAME_ANNOTATION = 'theriseunion.io/display-name';
export const DESCRIPTION_ANNOTATION = 'theriseunion.io/description';

export interface ObjectMeta {
  name: string;
  namespace: string;
  uid?: string;
  /** Opaque; changes on every write. A write that names a stale one fails with 409. */
  resourceVersion?: string;
  generation?: number;
  creationTimestamp?: string;
  labels?: Record<string, string>;
  annotations?: Record<string, string>;
}

export interface ObjectRef {
  name: string;
  namespace?: string;
}

// ---------------------------------------------------------------- Registry

export interface RegistrySpec {
  /** `https://harbor.example.com`, `registry.example.com:5000`, `docker.io`. */
  url: string;
  /** Skip TLS verification. */
  insecure?: boolean;
  /** Speak plain HTTP. */
  plainHTTP?: boolean;
  /** PEM CA bundle trusted for this registry. */
  caBundle?: string;
  /**
   * The HTTP(S) proxy for every connection to this registry (its token realm
   * and blob redirects included): `http(s)://host:port`, or `none` for a
   * direct connection. Unset: the server's HTTPS_PROXY / HTTP_PROXY /
   * NO_PROXY. No user info: an authenticating proxy is configured in the
   * server's environment.
   */
  proxy?: string;
  /**
   * Write-only: `password` / `token` are accepted on create and update,
   * stored encrypted, and never returned (responses carry `hasPassword`).
   */
  credentials?: { username?: string; password?: string; token?: string; hasPassword?: boolean; hasToken?: boolean };
}

export interface RegistryStatus {
  reachable?: boolean;
  authenticated?: boolean;
  /** The last check got in without credentials (none were asked for, so none were tried). */
  anonymous?: boolean;
  lastChecked?: string;
  message?: string;
}

export interface Registry {
  apiVersion: typeof API_VERSION;
  kind: 'Registry';
  metadata: ObjectMeta;
  spec: RegistrySpec;
  status?: RegistryStatus;
}

// ---------------------------------------------------------------- Repository

/** The contract's four states (docs/contract.md): 🟢 Success 已同步, 🔄 Syncing 同步中, 🔴 Failed 同步失败, ⚪ Pending 未同步. */
export type SyncStatus = 'Pending' | 'Syncing' | 'Success' | 'Failed';

export interface RepositorySpec {
  /** Image path within the registry, `library/nginx`. Immutable. */
  repository: string;
  /** Immutable. */
  tag: string;
  /** Immutable. */
  registryRef: ObjectRef;
  /** Go duration, default `1h`. */
  syncInterval?: string;
  /** Go duration, default `10m`. */
  syncTimeout?: string;
  /** Default 3. */
  retryCount?: number;
  /** Copy the image into this registry on every sync (only changed layers move). */
  mirror?: { registryRef: ObjectRef; repository?: string; tag?: string };
  /** Check the tag's cosign signature on every sync (src/signature/); see RepositorySignatureSpec. */
  signature?: RepositorySignatureSpec;
  /**
   * What a multi-arch tag becomes in the mirror (seed 004's import modes):
   * `PreserveOriginal` (the default here) keeps the index and every platform
   * (or those of `platforms`); `Legacy` drops the index and keeps one image,
   * picked by IMPORT_MODES' order (src/scheduler/import-mode.ts).
   */
  importMode?: ImportMode;
  /** `os/arch[/variant]`: with PreserveOriginal the platforms kept (the index is cut to them), with Legacy the first present is the one picked. */
  platforms?: string[];
  /**
   * More tags to follow besides `tag` (seed 001 标签管理): each is synced like
   * `tag` (to the mirror under its own name) and gets a line in `status.tags`.
   * Mutable, unlike `tag`: the tags tab adds to `list` with a merge PATCH.
   */
  tags?: RepositoryTagsSpec;
}

/**
 * `spec.tags`: the followed set is `spec.tag`, every name of `list`, and what
 * the filters select among the tags the source lists, as the sync file's
 * filters do (regex -> semver -> exclude -> newest N). Unlike the sync file,
 * `list` is not narrowed by the filters: a tag added from the tags tab is
 * followed whatever the filters say. At most MAX_FOLLOWED_TAGS are synced.
 */
export interface RepositoryTagsSpec {
  /** Tags followed by name (at most 100). */
  list?: string[];
  /** Tags matching this JavaScript regular expression (not anchored, as skopeo's images-by-tag-regex). */
  regex?: string;
  /** Tags that are versions in this node-semver range (a leading `v` allowed). */
  semver?: string;
  /** Drop tags the filters selected that match any of these. */
  exclude?: string[];
  /** Keep only the newest `count` of what the filters selected, by version or the image's creation time. */
  newest?: { count: number; by?: 'semver' | 'created' };
}

/** Tags one sync follows besides `spec.tag`, at most; past it the filters' newest-looking are kept and `status.tagsOmitted` counts the rest. */
export const MAX_FOLLOWED_TAGS = 100;

/** `status.tags[]`: one followed tag at its last sync (compact: no manifests, those of `spec.tag` are in status.platforms). */
export interface RepositoryTagStatus {
  tag: string;
  /** The tag's top-level digest at the source when last synced. */
  digest?: string;
  /** What the mirror holds under the tag, when it differs from `digest` (an index cut by spec.platforms, Legacy's one image). */
  mirrorDigest?: string;
  syncStatus: SyncStatus;
  lastSynced?: string;
  /** Why its last sync failed. */
  message?: string;
}

export type ImportMode = 'Legacy' | 'PreserveOriginal';

/**
 * `spec.signature`: the public keys (PEM, as cosign.pub; public, not
 * secrets) whose cosign signature the image should carry, any one
 * sufficing. `require` (default false): a sync of an image without such a
 * signature fails and copies nothing; otherwise the result is only recorded.
 */
export interface RepositorySignatureSpec {
  require?: boolean;
  publicKeys: string[];
}

/**
 * `status.signature`: what the last sync found for `digest`. `verified`: a
 * valid signature by one of spec.signature.publicKeys (`key` is its index);
 * `unsigned`: none; `invalid`: signatures, none valid (`message` says why);
 * `not-checked`: no spec.signature.
 */
export interface RepositorySignatureStatus {
  signed: 'verified' | 'unsigned' | 'invalid' | 'not-checked';
  digest?: string;
  key?: number;
  message?: string;
  checkedAt?: string;
}

/** Sizes are strings, as the contract's status shows them (`size: "12345678"`). */
export interface LayerInfo {
  digest: string;
  /** Bytes, as a decimal string. */
  size: string;
  mediaType?: string;
}

export interface ManifestInfo {
  digest?: string;
  mediaType?: string;
  architecture?: string;
  os?: string;
  variant?: string;
  /** Human-readable total of config + layers, as the contract shows it: `142MB`. */
  size: string;
  /** The same total in bytes. */
  sizeBytes: number;
  created?: string;
  /** The config blob (what storage figures count besides the layers). */
  config?: { digest: string; size: number };
  layers: LayerInfo[];
}

export interface RepositoryStatus {
  /** The registry's host, as the list's 镜像仓库 column shows. */
  domain?: string;
  syncStatus: SyncStatus;
  lastSynced?: string;
  /** The manifest for the default platform (the contract's shape, docs/contract.md). */
  manifest?: ManifestInfo;
  /** Every platform of a multi-arch image. */
  platforms?: ManifestInfo[];
  /** Digest of the tag's top-level manifest or index at the last sync. */
  observedDigest?: string;
  mediaType?: string;
  /** Why the last sync failed, with what to do. */
  message?: string;
  /**
   * Why the last sync failed, as a stable word a program (or the console,
   * in the user's language) can act on: the engine's error code (`NOT_FOUND`,
   * `AUTH`, `TLS`, `TRANSIENT`, `INTEGRITY`, `POLICY`, `REGISTRY`, ...),
   * `Timeout` for syncTimeout; with spec.tags, `TagsFailed` when other followed tags failed
   * and `TagListFailed` when the source's tag list (which the filters need) could not be read.
   */
  reason?: string;
  nextSyncTime?: string;
  lastRunName?: string;
  /** Set by each sync (pullable) and, between syncs, by the health checker (src/scheduler/health.ts): a HEAD at the source and the mirror. */
  health?: RepositoryHealth;
  /** The mirror's copy: its digest (an index cut to `spec.platforms`, or Legacy's single image, differs from observedDigest) and the platforms it holds. */
  mirror?: { image: string; digest?: string; lastSynced?: string; platforms?: string[] };
  signature?: RepositorySignatureStatus;
  /** With spec.tags: every followed tag (spec.tag too), newest-looking first; syncStatus is then the worst of them. */
  tags?: RepositoryTagStatus[];
  /** Tags the filters of spec.tags selected past MAX_FOLLOWED_TAGS: not synced. */
  tagsOmitted?: number;
  /**
   * With spec.tags: the configs and layers of the followed tags other than
   * spec.tag that spec.tag's image does not have, each blob once (what the
   * storage figures add to status.platforms' blobs).
   */
  tagsStorage?: { source: { blobs: number; bytes: number }; mirror: { blobs: number; bytes: number } };
  /**
   * What the image takes at the source and in the mirror, each blob once,
   * tagsStorage included (src/api/storage-usage.ts): set by each sync so
   * that list items, which leave the layers out, carry it.
   */
  storage?: { source: { blobs: number; bytes: number }; mirror: { blobs: number; bytes: number } };
}

/**
 * `status.health`: can the image be pulled where clusters pull it.
 * `Healthy`: the source tag answers with the digest last synced and the
 * mirror (when there is one) holds what the last sync put there.
 * `Degraded`: the mirror still serves, but the source does not answer or its
 * tag moved since the last sync (the next sync takes it). `Unhealthy`: the
 * mirror lacks its image or does not answer; without a mirror, the source.
 */
export interface RepositoryHealth {
  /** The source tag answers (what syncs set; kept from the contract). */
  pullable: boolean;
  state?: 'Healthy' | 'Degraded' | 'Unhealthy';
  checkedAt: string;
  message?: string;
  source?: { ok: boolean; digest?: string; message?: string };
  mirror?: { ok: boolean; digest?: string; message?: string };
}

export interface Repository {
  apiVersion: typeof API_VERSION;
  kind: 'Repository';
  metadata: ObjectMeta;
  spec: RepositorySpec;
  status?: RepositoryStatus;
}

// ---------------------------------------------------------------- SyncRun

export type SyncTrigger = 'create' | 'scheduled' | 'manual' | 'retry' | 'recovery';
/** `Queued` is only ever an answer to a manual sync whose run has not started yet; stored runs start at `Running`. */
export type RunPhase = 'Queued' | 'Running' | 'Succeeded' | 'Failed' | 'Interrupted';

export interface SyncRun {
  apiVersion: typeof API_VERSION;
  kind: 'SyncRun';
  metadata: ObjectMeta & { labels?: Record<string, string> };
  spec: { repositoryName: string; trigger: SyncTrigger; attempt: number };
  status: {
    phase: RunPhase;
    startTime: string;
    completionTime?: string;
    error?: string;
    bytesMoved?: number;
    digestBefore?: string;
    digestAfter?: string;
    layersAdded?: string[];
    layersRemoved?: string[];
    /** Which server replica ran it. */
    runner?: string;
    /** With spec.tags: each followed tag's outcome (spec.tag included; at most MAX_FOLLOWED_TAGS + 1). */
    tags?: SyncRunTag[];
  };
}

/** One followed tag in a SyncRun. */
export interface SyncRunTag {
  tag: string;
  result: 'Succeeded' | 'Failed';
  digestBefore?: string;
  digestAfter?: string;
  bytesMoved: number;
  error?: string;
}

export interface RunLogLine {
  time: string;
  level: 'info' | 'warn' | 'error';
  message: string;
}

// ---------------------------------------------------------------- lists, watch, status

export interface List<T> {
  apiVersion: typeof API_VERSION;
  kind: string;
  metadata: { resourceVersion?: string; continue?: string; totalCount: number };
  items: T[];
}

export type WatchEventType = 'ADDED' | 'MODIFIED' | 'DELETED';

export interface WatchEvent<T> {
  type: WatchEventType;
  object: T;
}

/** Kubernetes `Status`, the body of every error answer. */
export interface Status {
  apiVersion: 'v1';
  kind: 'Status';
  status: 'Failure' | 'Success';
  message: string;
  reason: 'BadRequest' | 'Unauthorized' | 'Forbidden' | 'NotFound' | 'AlreadyExists' | 'Conflict' | 'Invalid' | 'RequestEntityTooLarge' | 'UnsupportedMediaType' | 'NotAcceptable' | 'TooManyRequests' | 'InternalError' | 'ServiceUnavailable' | 'MethodNotAllowed' | 'Expired';
  code: number;
  /** `retryAfterSeconds` also goes out as the Retry-After header (429, as Kubernetes does). */
  details?: { name?: string; kind?: string; causes?: { reason?: string; message: string; field?: string }[]; retryAfterSeconds?: number };
}

export type Role = 'viewer' | 'editor' | 'admin';

// ---------------------------------------------------------------- Namespace settings

/** What a namespace is configured with (`PUT /namespaces/{ns}/settings`). */
export interface NamespaceSettings {
  /** Warn when the namespace's mirrors hold more than this many bytes (shared blobs counted once). */
  storageWarningBytes?: number;
}

// ---------------------------------------------------------------- Webhook

/** What a webhook is sent (CloudEvents `type`): one event per finished SyncRun and per health change, never per layer. */
export const WEBHOOK_EVENT_TYPES = ['io.tugboat.syncrun.finished', 'io.tugboat.repository.health.changed'] as const;
export type WebhookEventType = (typeof WEBHOOK_EVENT_TYPES)[number] | 'io.tugboat.webhook.test';

/**
 * A namespace's webhook: where its events go. The signing secret is
 * write-only (generated when not given, shown once in `status.secret`,
 * stored sealed) as a Registry's password is.
 */
export interface Webhook {
  apiVersion: typeof API_VERSION;
  kind: 'Webhook';
  metadata: { name: string; namespace: string; creationTimestamp?: string };
  spec: { url: string; events?: (typeof WEBHOOK_EVENT_TYPES)[number][] };
  status?: { secret?: string };
}

/**
 * Why a webhook delivery failed, as a code that stays put (the console words
 * it in the user's language; `error` keeps the details in English).
 */
export const WEBHOOK_DELIVERY_REASONS = ['Deleted', 'Answered', 'Redirected', 'EgressRefused', 'ConnectionRefused', 'DNSFailed', 'Timeout', 'TLS', 'Other'] as const;
export type WebhookDeliveryReason = (typeof WEBHOOK_DELIVERY_REASONS)[number];

/** One attempt to deliver one event (the delivery log; the newest 100 per webhook are kept). */
export interface WebhookDelivery {
  /** The event's CloudEvents id (every attempt of one event shares it). */
  eventId: string;
  type: WebhookEventType;
  subject?: string;
  time: string;
  attempt: number;
  ok: boolean;
  statusCode?: number;
  error?: string;
  /** Set when `ok` is false (deliveries recorded before it was added have only `error`). */
  reason?: WebhookDeliveryReason;
  durationMs: number;
  /** When the next attempt runs, if one will. */
  retryAt?: string;
}

/** What the audit log records (`GET /auditlogs?verb=&kind=` takes only these; the console's filters list them). */
export const AUDIT_VERBS = ['create', 'update', 'patch', 'delete', 'sync', 'test'] as const;
export const AUDIT_KINDS = ['Registry', 'Repository', 'Token', 'Webhook', 'NamespaceSettings', 'MirrorImage'] as const;

/** `GET /auditlogs`'s filters: exact matches; `since`/`until` RFC 3339 times or a duration back from now. */
export interface AuditQuery {
  user?: string;
  kind?: string;
  verb?: string;
  namespace?: string;
  since?: string;
  until?: string;
}

export interface AuditEntry {
  time: string;
  /** Token name (never the token). */
  user: string;
  verb: (typeof AUDIT_VERBS)[number];
  kind: string;
  namespace: string;
  name: string;
  /** Short description of the change (never secrets). */
  detail?: string;
}

/** One tag at a Repository's source, as `GET .../repositories/{name}/tags` describes it (src/server/repository-tags.ts). */
export interface SourceTag {
  tag: string;
  digest?: string;
  mediaType?: string;
  platforms?: string[];
  /** Configs and layers of every platform, each blob once. */
  sizeBytes?: number;
  created?: string;
  /** The Repository of this namespace that follows this tag (the one asked about first). */
  followedBy?: { name: string; syncStatus: SyncStatus };
  /** The Repository asked about follows it (spec.tag, spec.tags.list, or its filters at the last sync). */
  followed?: boolean;
  /** What the Repository asked about synced of it last: `current` when that is the digest the source has now. */
  synced?: { digest?: string; syncStatus: SyncStatus; lastSynced?: string; current: boolean };
  /** Why it could not be described (the tag still lists). */
  error?: string;
}
