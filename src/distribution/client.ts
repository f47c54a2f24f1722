/**
 * A client for one registry: the OCI distribution spec / Docker Registry
 * HTTP API v2. This is the facade; each job lives in its own module, the
 * way go-containerregistry keeps `remote/transport` apart from `remote` and
 * regclient splits `scheme/reg` by endpoint:
 *
 * - http.ts: pooled connections (one undici Agent per origin, with this
 *   registry's TLS settings and the egress policy), one exchange, the gate;
 * - first-contact.ts: the ping, the scheme decision (scheme.ts) and the
 *   first API call standing in for the ping;
 * - session.ts: `request()`, with auth (auth.ts), the 401 retry, per-request
 *   retries (retry.ts) and error mapping (errors.ts);
 * - manifests.ts, blobs.ts (reads, redirects, resumable streams),
 *   uploads.ts (uploads, mounts, probes), tags.ts: the endpoints, each
 *   seeing only session.ts's narrow `Session`.
 *
 * A new endpoint (e.g. referrers) is one module beside those and a method
 * here; how connections are made (e.g. through a proxy) is http.ts's alone.
 *
 * The Authorization header is only ever sent to the registry's own origin:
 * never to a redirect target (S3 and friends) or an upload URL on another host.
 */
import type { Readable } from 'node:stream';
import type { SystemContext } from '../context/system-context.ts';
import type { Descriptor } from '../oci/manifest.ts';
import type { Digest } from '../reference/digest.ts';
import type { BlobResponse } from './blob-reader.ts';
import { Blobs } from './blobs.ts';
import type { PingResult } from './first-contact.ts';
import { Connections, discard } from './http.ts';
import { type FetchedManifest, type ManifestHead, type ManifestReadOptions, Manifests } from './manifests.ts';
import { apiHost } from './scheme.ts';
import { type CallOptions, type ClientTuning, RegistrySession } from './session.ts';
import { type ListTagsOptions, listTags } from './tags.ts';
import { type ReferrersAnswer, type ReferrersOptions, listReferrers, mayHaveReferrersApi } from './referrers.ts';
import { type UploadOptions, Uploads } from './uploads.ts';

export type { PingResult } from './first-contact.ts';
export type { FetchedManifest, ManifestHead } from './manifests.ts';
export type { CallOptions, ClientTuning } from './session.ts';
export { parseNextLink } from './tags.ts';
export type { UploadOptions } from './uploads.ts';

/**
 * A client for one registry and one SystemContext. Cheap to keep: requests
 * share pooled connections. Use {@link acquireClient} (pool.ts) to share one
 * per registry; call {@link close} when done.
 */
export class RegistryClient {
  /** The registry name as written in references (`docker.io`, `127.0.0.1:5000`). */
  readonly registry: string;
  /** Where the API is (`registry-1.docker.io` for docker.io). */
  readonly host: string;
  private readonly connections: Connections;
  private readonly session: RegistrySession;
  private readonly manifests: Manifests;
  private readonly blobs: Blobs;
  private readonly uploads: Uploads;

  constructor(registry: string, ctx: SystemContext = {}, tuning: ClientTuning = {}) {
    this.registry = registry;
    this.host = apiHost(registry);
    this.connections = new Connections(registry, this.host, ctx);
    this.session = new RegistrySession(registry, this.host, ctx, tuning, this.connections);
    this.manifests = new Manifests(this.session);
    this.blobs = new Blobs(this.session, ctx, tuning);
    this.uploads = new Uploads(this.session);
  }

  /**
   * Checks that the registry speaks the v2 API (GET /v2/) and decides the
   * scheme once per client (see scheme.ts). Remembers the auth challenge.
   * API calls do not need it: their first exchange decides the scheme.
   */
  ping(options: CallOptions = {}): Promise<PingResult> {
    return this.session.ping(options);
  }

  /**
   * GET /v2/ with credentials (Basic, or a token with no scope): resolves when
   * the registry accepts them, throws AUTH when it does not.
   */
  async checkAccess(options: CallOptions = {}): Promise<void> {
    const res = await this.session.request({ method: 'GET', path: '/v2/', scopes: [], what: `logging in to ${this.registry}`, ok: [200], signal: options.signal });
    await discard(res.body);
  }

  /**
   * GETs a manifest by tag or digest with an Accept of every type we read
   * (or `accept`). Refuses bodies over 4 MiB (Content-Length first, then while
   * reading) and an invalid Docker-Content-Digest with UNSAFE_INPUT.
   */
  getManifest(repository: string, ref: string, options: ManifestReadOptions = {}): Promise<FetchedManifest> {
    return this.manifests.get(repository, ref, options);
  }

  /** HEADs a manifest; undefined when it does not exist. */
  headManifest(repository: string, ref: string, options: ManifestReadOptions = {}): Promise<ManifestHead | undefined> {
    return this.manifests.head(repository, ref, options);
  }

  /** PUTs a manifest by tag or digest; returns its digest (the registry's Docker-Content-Digest, else computed). */
  putManifest(repository: string, ref: string, bytes: Uint8Array, mediaType: string, options: CallOptions = {}): Promise<Digest> {
    return this.manifests.put(repository, ref, bytes, mediaType, options);
  }

  /**
   * DELETEs a manifest by digest. A registry with deletion disabled answers
   * 405, reported as UNSUPPORTED naming `storage.delete.enabled`.
   */
  deleteManifest(repository: string, digest: string, options: CallOptions = {}): Promise<void> {
    return this.manifests.delete(repository, digest, options);
  }

  /** HEADs a blob: its size when present, undefined when not. */
  headBlob(repository: string, digest: string, options: CallOptions = {}): Promise<number | undefined> {
    return this.blobs.head(repository, digest, options);
  }

  /**
   * GETs a blob from `offset`, following redirects by hand: the
   * Authorization header goes only to the registry's origin, never to the
   * storage host a 307 points at. Returns the final answer (200 or 206).
   */
  openBlob(repository: string, digest: string, options: CallOptions & { offset?: number } = {}): Promise<BlobResponse> {
    return this.blobs.open(repository, digest, options);
  }

  /**
   * A stream of the blob's bytes that resumes with Range requests when the
   * connection drops (see blob-reader.ts). Errors such as 404 or 401 reject
   * this promise rather than the stream. The caller must consume or destroy it.
   */
  getBlob(repository: string, desc: Pick<Descriptor, 'digest' | 'size'>, options: CallOptions = {}): Promise<Readable> {
    return this.blobs.get(repository, desc, options);
  }

  /** Best-effort DELETE of an upload session, so a failed upload leaves nothing behind. */
  cancelUpload(repository: string, location: URL): Promise<void> {
    return this.uploads.cancel(repository, location);
  }

  /**
   * Uploads a blob from `stream`: monolithic (POST, then one PUT ?digest=
   * streaming the body) or, with `chunkSize`, chunked (PATCH with
   * Content-Range per chunk, then PUT ?digest=). The registry checks the
   * digest itself before it links the blob. On any failure the upload
   * session is cancelled and the stream's own error (e.g. INTEGRITY from a
   * verifying stream) wins over the HTTP one.
   */
  upload(repository: string, desc: Pick<Descriptor, 'digest' | 'size'>, stream: Readable, options: UploadOptions = {}): Promise<void> {
    return this.uploads.upload(repository, desc, stream, options);
  }

  /**
   * Mounts a blob from `fromRepository` into `repository` on this registry
   * (POST ?mount=&from=). True when the registry answered 201 (mounted); a 202
   * means it opened an upload session instead, which is cancelled: returns false.
   */
  mountBlob(repository: string, digest: string, fromRepository: string, options: CallOptions = {}): Promise<boolean> {
    return this.uploads.mount(repository, digest, fromRepository, options);
  }

  /** True once this registry has answered a mount with 201: it links blobs it holds into other repositories on request. */
  get honoursMounts(): boolean {
    return this.uploads.honoursMounts;
  }

  /**
   * Asks whether `repository` has a blob and opens its upload in one request:
   * POST ?mount=D&from=<the same repository>. A registry that honours mounts
   * answers 201 when the repository already links the blob (returns
   * undefined), else opens an upload session (202) whose Location is returned
   * for {@link upload}'s `session`. One request where HEAD then POST takes two;
   * meaningful only when {@link honoursMounts}, since a registry that ignores
   * mounts opens a session even for a blob it has.
   */
  probeBlob(repository: string, digest: string, options: CallOptions = {}): Promise<URL | undefined> {
    return this.uploads.probe(repository, digest, options);
  }

  /** Lists a repository's tags, following `Link: <...>; rel="next"` pages (same origin only). */
  listTags(repository: string, options: ListTagsOptions = {}): Promise<string[]> {
    return listTags(this.session, repository, options);
  }

  /**
   * Lists the referrers of `subject` (`GET /v2/<name>/referrers/<digest>`,
   * see referrers.ts); undefined when the registry has no referrers API,
   * which is remembered: later calls then make no request.
   */
  listReferrers(repository: string, subject: string, options: ReferrersOptions = {}): Promise<ReferrersAnswer | undefined> {
    return listReferrers(this.session, repository, subject, options);
  }

  /** False once this registry has answered 404 to the referrers API; true until then (not yet asked, or has it). */
  get mayHaveReferrersApi(): boolean {
    return mayHaveReferrersApi(this.session);
  }

  /** Closes every pooled connection. The client cannot be used afterwards. */
  close(): Promise<void> {
    return this.connections.close();
  }
}
