/**
 * A client for one registry: the OCI distribution spec / Docker Registry
 * HTTP API v2 over undici, with keep-alive pooling (one undici Agent per
 * origin, built with this registry's TLS settings and reused across
 * requests), authentication ({@link Authenticator}), per-request retries
 * ({@link withRetry}), the plain-HTTP policy (scheme.ts) and resumable blob
 * reads ({@link ResumableBlobReader}).
 *
 * Hostile input is refused before it reaches a URL: every digest goes
 * through parseDigest, every tag through isValidTag, manifests over 4 MiB
 * are refused from Content-Length and again while reading.
 * The Authorization header is only ever sent to the registry's own origin:
 * never to a redirect target (S3 and friends) or an upload URL on another host.
 */
import type { IncomingHttpHeaders } from 'node:http';
import { Readable } from 'node:stream';
import type { Dispatcher } from 'undici';
import { type HttpMethod, RegistryError, TugError } from '../errors/index.ts';
import { type Descriptor, MAX_MANIFEST_BYTES } from '../oci/manifest.ts';
import { ACCEPTED_MANIFEST_TYPES, normalizeMediaType } from '../oci/media-types.ts';
import { digestBytes } from '../oci/verify.ts';
import { type Digest, digestAlgorithm, isDigest, parseDigest } from '../reference/digest.ts';
import { isValidTag } from '../reference/reference.ts';
import type { SystemContext } from '../transports/types.ts';
import { Authenticator, repositoryScope } from './auth.ts';
import { type BlobResponse, ResumableBlobReader } from './blob-reader.ts';
import { resolveCredentials } from './credentials.ts';
import { gateFor } from './gate.ts';
import { Agent, request } from './undici.ts';
import { ManifestCache } from './manifest-cache.ts';
import { type RequestContext, errorFromNetwork, errorFromResponse, firstHeader, isPlainHttpSymptom } from './errors.ts';
import { type RetryPolicy, withRetry } from './retry.ts';
import { apiHost, initialScheme, mayFallBackToHttp } from './scheme.ts';
import { type TlsSettings, diagnoseTlsClose, loadTlsSettings } from './tls.ts';

const USER_AGENT = 'tugboat/0.1.0';
const REDIRECTS = [301, 302, 303, 307, 308];
const MAX_REDIRECTS = 5;
/** Error bodies are read only this far: they end up in messages, not on disk. */
const MAX_ERROR_BODY = 64 * 1024;

/** Tuning that is not part of SystemContext; defaults suit real registries. */
export interface ClientTuning {
  /** First backoff ceiling for retries and resumes (default 250 ms). */
  retryBaseDelayMs?: number | undefined;
  /** Reconnections allowed per blob stream (default 5). */
  maxResumes?: number | undefined;
}

export interface CallOptions {
  signal?: AbortSignal | undefined;
}

/** A manifest as the registry served it: raw bytes, reported type and claimed digest. */
export interface FetchedManifest {
  bytes: Uint8Array;
  /** Content-Type without parameters. */
  mediaType: string | undefined;
  /** Docker-Content-Digest, validated; undefined when the registry sent none. */
  digest: Digest | undefined;
}

export interface ManifestHead {
  digest: Digest | undefined;
  mediaType: string | undefined;
  size: number | undefined;
}

export interface UploadOptions extends CallOptions {
  /** Upload in PATCH chunks of this many bytes (then PUT); default: one monolithic PUT streaming the body. */
  chunkSize?: number | undefined;
  /** An upload session {@link RegistryClient.probeBlob} opened: used instead of a new POST. */
  session?: URL | undefined;
}

/** The result of {@link RegistryClient.ping}. */
export interface PingResult {
  /** `https://host:port` or `http://...`: where the API lives. */
  origin: string;
  /** 200 (open) or 401 (authentication required). */
  status: number;
  /** The authentication scheme the registry asked for, if any. */
  authScheme: string | undefined;
}

interface ApiRequest extends CallOptions {
  method: HttpMethod;
  /** Path below the origin (`/v2/...`), or an absolute URL (upload location, Link, redirect). */
  path?: string;
  url?: URL;
  headers?: Record<string, string>;
  body?: Uint8Array | Readable | undefined;
  repository?: string | undefined;
  scopes: readonly string[];
  what: string;
  write?: boolean;
  /** Statuses returned to the caller; anything else becomes a RegistryError. */
  ok: readonly number[];
}

interface ApiResponse {
  status: number;
  headers: IncomingHttpHeaders;
  body: Dispatcher.ResponseData['body'];
  url: URL;
}

const header = firstHeader;

/**
 * Lets go of a response body. Small leftovers are drained so the connection
 * goes back to the pool; destroying an undici body emits an error that
 * nobody is listening for any more, so one is swallowed here.
 */
async function discard(body: Readable): Promise<void> {
  body.on('error', () => {});
  const dump = (body as { dump?: (o: { limit: number }) => Promise<void> }).dump;
  if (typeof dump === 'function') await dump.call(body, { limit: 64 * 1024 }).catch(() => {});
  else body.destroy();
}

function destroyQuietly(body: Readable): void {
  body.on('error', () => {});
  body.destroy();
}

async function readText(body: Readable, limit: number): Promise<string> {
  const chunks: Buffer[] = [];
  let total = 0;
  try {
    for await (const chunk of body as AsyncIterable<Buffer>) {
      chunks.push(chunk);
      total += chunk.length;
      if (total >= limit) break;
    }
  } catch {
    /* an error body that breaks off is still worth its first bytes */
  } finally {
    destroyQuietly(body);
  }
  return Buffer.concat(chunks).subarray(0, limit).toString('utf8');
}

function checkReference(ref: string): string {
  if (ref.includes(':')) return parseDigest(ref, 'manifest digest');
  if (!isValidTag(ref)) throw new TugError('UNSAFE_INPUT', `invalid tag ${JSON.stringify(ref.slice(0, 130))}`, { hint: 'tags match [A-Za-z0-9_][A-Za-z0-9_.-]{0,127}' });
  return ref;
}

/** Parses `Link: <url>; rel="next"` (RFC 8288), returning the next-page URL if any. */
export function parseNextLink(link: string | undefined): string | undefined {
  if (!link) return undefined;
  for (const part of link.split(/,(?=\s*<)/)) {
    const m = /^\s*<([^>]*)>(.*)$/.exec(part);
    if (m && /;\s*rel="?([^";]*\s)?next(\s[^";]*)?"?\s*(;|$)/i.test(m[2]!)) return m[1];
  }
  return undefined;
}

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
  private readonly ctx: SystemContext;
  private readonly tuning: ClientTuning;
  private readonly auth: Authenticator;
  private readonly agents = new Map<string, Agent>();
  private tls: Promise<TlsSettings> | undefined;
  private originPromise: Promise<PingResult> | undefined;
  private readonly manifests = new ManifestCache();
  private mountsHonoured = false;
  private closed = false;

  constructor(registry: string, ctx: SystemContext = {}, tuning: ClientTuning = {}) {
    this.registry = registry;
    this.host = apiHost(registry);
    this.ctx = ctx;
    this.tuning = tuning;
    this.auth = new Authenticator({
      registry,
      registryToken: ctx.registryToken,
      credentials: (repository) => resolveCredentials(registry, repository, ctx),
      fetchToken: async (url, init, signal) => {
        const what = `getting a token for ${registry}`;
        return withRetry(
          what,
          async () => {
            const body = init.body === undefined ? undefined : Buffer.from(init.body);
            const res = await this.send(url, { method: init.method, headers: init.headers, body, signal }, { method: init.method, url: url.toString(), registry, what });
            return { status: res.statusCode, headers: res.headers, body: await readText(res.body, 1024 * 1024) };
          },
          this.retryPolicy(signal),
        );
      },
    });
  }

  private retryPolicy(signal: AbortSignal | undefined): RetryPolicy {
    return {
      maxAttempts: this.ctx.retryMaxAttempts,
      maxDelayMs: this.ctx.retryMaxDelayMs,
      baseDelayMs: this.tuning.retryBaseDelayMs,
      signal,
      onEvent: this.ctx.onEvent,
    };
  }

  /** The registry's TLS settings, read once per client. */
  private tlsSettings(): Promise<TlsSettings> {
    this.tls ??= loadTlsSettings(this.host, { certDir: this.ctx.certDir, tlsVerify: this.ctx.tlsVerify, caCertificates: this.ctx.caCertificates });
    return this.tls;
  }

  private async agentFor(origin: string): Promise<Agent> {
    if (this.closed) throw new TugError('INTERNAL', `the client for ${this.registry} is closed`);
    let agent = this.agents.get(origin);
    if (agent) return agent;
    const tls = await this.tlsSettings();
    agent = this.agents.get(origin);
    if (agent) return agent;
    // The registry's TLS settings also apply to its token realm and redirect
    // targets, as containers/image uses one http.Client per registry.
    agent = new Agent({
      connect: {
        rejectUnauthorized: tls.rejectUnauthorized,
        ...(tls.ca ? { ca: tls.ca } : {}),
        ...(tls.cert ? { cert: tls.cert, key: tls.key } : {}),
      },
      keepAliveTimeout: 10_000,
    });
    this.agents.set(origin, agent);
    return agent;
  }

  /** One HTTP exchange, no auth, no retry; network errors become RegistryErrors. */
  private async send(
    url: URL,
    init: { method: HttpMethod; headers: Record<string, string>; body?: Uint8Array | Readable | undefined; signal?: AbortSignal | undefined },
    req: RequestContext,
  ): Promise<Dispatcher.ResponseData> {
    const agent = await this.agentFor(url.origin);
    // The host's request budget (see gate.ts): open, unless it said 429 lately.
    const gate = gateFor(url.host);
    const release = await gate.admit(init.signal);
    let res: Dispatcher.ResponseData;
    try {
      res = await request(agent, {
        origin: url.origin,
        path: `${url.pathname}${url.search}`,
        method: init.method,
        headers: { 'user-agent': this.ctx.userAgent ?? USER_AGENT, ...init.headers },
        body: init.body ?? null,
        signal: init.signal,
        // undici closes the connection after every HEAD unless told otherwise
        // (its issue #258: servers that send a body anyway). Registries do
        // not, and a sync is mostly HEADs: one TCP (and TLS) handshake each
        // cost more than the requests themselves.
        reset: false,
      });
    } catch (err) {
      release('failed');
      throw errorFromNetwork(req, err);
    }
    // A 429 slows every request to this host, not just this one.
    if (res.statusCode === 429) gate.onTooManyRequests(header(res.headers, 'retry-after'), this.ctx.retryMaxDelayMs ?? 30_000);
    release(res.statusCode === 429 ? 'limited' : 'ok');
    return res;
  }

  /**
   * Checks that the registry speaks the v2 API (GET /v2/) and decides the
   * scheme once per client (see scheme.ts). Remembers the auth challenge.
   * API calls do not need it: their first exchange decides the scheme.
   */
  ping(options: CallOptions = {}): Promise<PingResult> {
    if (!this.originPromise) {
      const p = withRetry(`pinging ${this.registry}`, () => this.pingOnce(options.signal), this.retryPolicy(options.signal));
      this.originPromise = p;
      p.catch(() => {
        if (this.originPromise === p) this.originPromise = undefined;
      });
    }
    return this.originPromise;
  }

  private async pingOnce(signal: AbortSignal | undefined): Promise<PingResult> {
    const what = `pinging ${this.registry}`;
    const { origin, res } = await this.decideScheme((o) => {
      const url = new URL(`${o}/v2/`);
      return this.send(url, { method: 'GET', headers: {}, signal }, { method: 'GET', url: url.toString(), registry: this.registry, what });
    });
    if (res.statusCode === 401) this.auth.learn(header(res.headers, 'www-authenticate'));
    const body = await readText(res.body, MAX_ERROR_BODY);
    if (res.statusCode === 200 || res.statusCode === 401) return { origin, status: res.statusCode, authScheme: this.auth.scheme };
    const req = { method: 'GET', url: `${origin}/v2/`, registry: this.registry, what };
    if (res.statusCode === 404) {
      throw new RegistryError('REGISTRY', `${this.registry} does not serve the registry API at /v2/ (HTTP 404)`, { method: 'GET', url: req.url, status: 404 }, { hint: 'check the host name and port' });
    }
    throw errorFromResponse(req, { status: res.statusCode, headers: res.headers, body });
  }

  /**
   * One exchange that also decides the scheme: https first (or http when
   * asked), then plain http for a loopback / insecure registry whose TLS
   * handshake failed because it speaks plain HTTP (see scheme.ts).
   */
  private async decideScheme(send: (origin: string) => Promise<Dispatcher.ResponseData>): Promise<{ origin: string; res: Dispatcher.ResponseData }> {
    let scheme = initialScheme(this.ctx);
    try {
      return { origin: `${scheme}://${this.host}`, res: await send(`${scheme}://${this.host}`) };
    } catch (err) {
      if (!(scheme === 'https' && mayFallBackToHttp(this.host, this.ctx) && isPlainHttpSymptom((err as Error).cause ?? err))) throw await this.explainClose(scheme, err);
    }
    scheme = 'http';
    const res = await send(`${scheme}://${this.host}`);
    this.ctx.onEvent?.({ type: 'notice', message: `${this.registry} does not speak TLS; using plain HTTP because it is a loopback / insecure registry` });
    return { origin: `${scheme}://${this.host}`, res };
  }

  /**
   * The first API call to a registry doubles as its ping (containers/image
   * and go-containerregistry send a separate GET /v2/ first): it decides the
   * scheme, and a 401 teaches the challenge as the ping's would. Calls made
   * meanwhile wait for its answer. This is what lets an unchanged tag cost
   * exactly one request per side. A 404 without the Docker-Distribution-API-
   * Version header that every distribution-spec registry sends may mean the
   * host is no registry at all: then the real ping says so.
   */
  private claimFirstContact(): (send: (origin: string) => Promise<Dispatcher.ResponseData>) => Promise<{ origin: string; res: Dispatcher.ResponseData }> {
    let settle!: { resolve: (p: PingResult) => void; reject: (err: unknown) => void };
    const pending = new Promise<PingResult>((resolve, reject) => {
      settle = { resolve, reject };
    });
    pending.catch(() => {});
    // Claimed synchronously, so that calls made meanwhile wait instead of probing too.
    this.originPromise = pending;
    return async (send) => {
      try {
        const { origin, res } = await this.decideScheme(send);
        if (res.statusCode === 404 && header(res.headers, 'docker-distribution-api-version') === undefined) {
          this.originPromise = undefined;
          try {
            settle.resolve(await this.ping());
          } catch (err) {
            destroyQuietly(res.body);
            throw err;
          }
        } else {
          if (res.statusCode === 401) this.auth.learn(header(res.headers, 'www-authenticate'));
          settle.resolve({ origin, status: res.statusCode === 401 ? 401 : 200, authScheme: this.auth.scheme });
        }
        return { origin, res };
      } catch (err) {
        if (this.originPromise === pending) this.originPromise = undefined;
        settle.reject(err);
        throw err;
      }
    };
  }

  /**
   * An HTTPS connection the server closed at once is most often a TLS
   * refusal (no client certificate) that undici reports as a plain socket
   * close: find out, and say what to do instead of retrying in vain.
   */
  private async explainClose(scheme: string, err: unknown): Promise<unknown> {
    const code = (err as { cause?: { code?: string } }).cause?.code ?? (err as { code?: string }).code;
    if (scheme !== 'https' || !(err instanceof RegistryError) || !/UND_ERR_SOCKET|ECONNRESET/.test(`${code} ${err.message}`)) return err;
    const url = new URL(`https://${this.host}`);
    const alert = await diagnoseTlsClose(url.hostname.replace(/^\[|\]$/g, ''), Number(url.port || 443), await this.tlsSettings()).catch(() => undefined);
    if (!alert) return err;
    return new RegistryError('TLS', `${this.registry} refused the TLS connection: ${alert}`, { method: 'GET', url: `${url.origin}/v2/` }, {
      hint: 'the registry may require a client certificate: put client.cert and client.key in the --cert-dir directory (containers-certs.d)',
    });
  }

  /**
   * The core exchange: scheme decision, Authorization for the registry's own
   * origin only, one refresh-and-retry on a 401, per-request retries unless
   * the body is a one-shot stream, and error mapping for unexpected statuses.
   */
  private async request(r: ApiRequest): Promise<ApiResponse> {
    const oneShot = r.body instanceof Readable;
    const run = async (): Promise<ApiResponse> => {
      // A path-based, repeatable request to a registry not yet contacted is its first contact.
      const probe = oneShot || r.url !== undefined || this.originPromise !== undefined ? undefined : this.claimFirstContact();
      const known = probe ? undefined : (await this.ping(r)).origin;
      const own = r.url === undefined || r.url.origin === known;
      const target = (origin: string) => r.url ?? new URL(r.path!, origin);
      const exchange = async (url: URL, authorization: string | undefined) =>
        this.send(url, { method: r.method, headers: { ...r.headers, ...(authorization ? { authorization } : {}) }, body: r.body, signal: r.signal }, this.requestContext(r, url));
      let authorization: string | undefined;
      const authorizeAndSend = async (url: URL) => {
        authorization = own ? await this.auth.authorization(r.scopes, r.repository, r.signal) : undefined;
        return exchange(url, authorization);
      };
      // Everything after the claim happens inside the probe, which settles the claim either way.
      const first = probe ? await probe((o) => authorizeAndSend(target(o))) : undefined;
      const url = target(first?.origin ?? known!);
      let res = first?.res ?? (await authorizeAndSend(url));
      if (res.statusCode === 401 && own && !oneShot) {
        const challenge = header(res.headers, 'www-authenticate');
        await readText(res.body, MAX_ERROR_BODY);
        if (await this.auth.refresh(challenge, r.scopes, r.repository, authorization)) {
          authorization = await this.auth.authorization(r.scopes, r.repository, r.signal);
          res = await exchange(url, authorization);
        } else {
          throw errorFromResponse(this.requestContext(r, url), { status: 401, headers: res.headers, body: '' });
        }
      }
      if (r.ok.includes(res.statusCode)) return { status: res.statusCode, headers: res.headers, body: res.body, url };
      const body = await readText(res.body, MAX_ERROR_BODY);
      throw errorFromResponse(this.requestContext(r, url), { status: res.statusCode, headers: res.headers, body });
    };
    return oneShot ? run() : withRetry(r.what, run, this.retryPolicy(r.signal));
  }

  private requestContext(r: ApiRequest, url: URL): RequestContext {
    return { method: r.method, url: url.toString(), registry: this.registry, what: r.what, repository: r.repository, write: r.write };
  }

  /**
   * GET /v2/ with credentials (Basic, or a token with no scope): resolves when
   * the registry accepts them, throws AUTH when it does not.
   */
  async checkAccess(options: CallOptions = {}): Promise<void> {
    const res = await this.request({ method: 'GET', path: '/v2/', scopes: [], what: `logging in to ${this.registry}`, ok: [200], signal: options.signal });
    await discard(res.body);
  }

  private pull(repository: string): string[] {
    return [repositoryScope(repository, ['pull'])];
  }

  private push(repository: string): string[] {
    return [repositoryScope(repository, ['pull', 'push'])];
  }

  private name(repository: string, ref?: string): string {
    return `${this.registry}/${repository}${ref === undefined ? '' : ref.includes(':') ? `@${ref}` : `:${ref}`}`;
  }

  /** A GET or HEAD of a manifest by tag or digest, with an Accept of every type we read (or `accept`). */
  private async manifestRequest(method: 'GET' | 'HEAD', repository: string, ref: string, ok: number[], options: CallOptions & { accept?: readonly string[] }): Promise<{ res: ApiResponse; what: string }> {
    const safeRef = checkReference(ref);
    const what = this.name(repository, safeRef);
    const res = await this.request({
      method,
      path: `/v2/${repository}/manifests/${safeRef}`,
      headers: { accept: (options.accept ?? ACCEPTED_MANIFEST_TYPES).join(', ') },
      repository,
      scopes: this.pull(repository),
      what,
      ok,
      signal: options.signal,
    });
    return { res, what };
  }

  /**
   * GETs a manifest by tag or digest with an Accept of every type we read
   * (or `accept`). Refuses bodies over 4 MiB (Content-Length first, then while
   * reading) and an invalid Docker-Content-Digest with UNSAFE_INPUT.
   */
  async getManifest(repository: string, ref: string, options: CallOptions & { accept?: readonly string[] } = {}): Promise<FetchedManifest> {
    const byDigest = ref.includes(':');
    const cached = byDigest ? this.manifests.get(repository, ref) : undefined;
    if (cached) return cached;
    const fetched = await this.fetchManifest(repository, ref, options);
    // Kept only when the bytes are what the digest names (the engine checks again).
    if (byDigest && isDigest(ref) && digestBytes(fetched.bytes, digestAlgorithm(ref)) === ref) this.manifests.set(repository, ref, fetched);
    return fetched;
  }

  private async fetchManifest(repository: string, ref: string, options: CallOptions & { accept?: readonly string[] }): Promise<FetchedManifest> {
    const { res, what } = await this.manifestRequest('GET', repository, ref, [200], options);
    const tooBig = (n: string) =>
      new TugError('UNSAFE_INPUT', `${what}: manifest is ${n} bytes; manifests over ${MAX_MANIFEST_BYTES} bytes (4 MiB) are refused`);
    const declared = Number(header(res.headers, 'content-length') ?? NaN);
    if (declared > MAX_MANIFEST_BYTES) {
      destroyQuietly(res.body);
      throw tooBig(String(declared));
    }
    const chunks: Buffer[] = [];
    let total = 0;
    try {
      for await (const chunk of res.body as AsyncIterable<Buffer>) {
        total += chunk.length;
        if (total > MAX_MANIFEST_BYTES) throw tooBig(`more than ${MAX_MANIFEST_BYTES}`);
        chunks.push(chunk);
      }
    } catch (err) {
      destroyQuietly(res.body);
      throw errorFromNetwork({ method: 'GET', url: res.url.toString(), registry: this.registry, what }, err);
    }
    const claimed = header(res.headers, 'docker-content-digest');
    return {
      bytes: new Uint8Array(Buffer.concat(chunks)),
      mediaType: normalizeMediaType(header(res.headers, 'content-type')),
      digest: claimed === undefined || claimed === '' ? undefined : parseDigest(claimed.trim(), `Docker-Content-Digest of ${what}`),
    };
  }

  /** HEADs a manifest; undefined when it does not exist. */
  async headManifest(repository: string, ref: string, options: CallOptions & { accept?: readonly string[] } = {}): Promise<ManifestHead | undefined> {
    const { res, what } = await this.manifestRequest('HEAD', repository, ref, [200, 404], options);
    await discard(res.body);
    if (res.status === 404) return undefined;
    const claimed = header(res.headers, 'docker-content-digest');
    const length = Number(header(res.headers, 'content-length') ?? NaN);
    return {
      digest: claimed ? parseDigest(claimed.trim(), `Docker-Content-Digest of ${what}`) : undefined,
      mediaType: normalizeMediaType(header(res.headers, 'content-type')),
      size: Number.isSafeInteger(length) ? length : undefined,
    };
  }

  /** PUTs a manifest by tag or digest; returns its digest (the registry's Docker-Content-Digest, else computed). */
  async putManifest(repository: string, ref: string, bytes: Uint8Array, mediaType: string, options: CallOptions = {}): Promise<Digest> {
    const safeRef = checkReference(ref);
    const res = await this.request({
      method: 'PUT',
      path: `/v2/${repository}/manifests/${safeRef}`,
      headers: { 'content-type': mediaType },
      body: bytes,
      repository,
      scopes: this.push(repository),
      what: `writing manifest ${this.name(repository, safeRef)}`,
      write: true,
      ok: [200, 201],
      signal: options.signal,
    });
    await discard(res.body);
    const claimed = header(res.headers, 'docker-content-digest');
    return claimed && isDigest(claimed.trim()) ? (claimed.trim() as Digest) : digestBytes(bytes);
  }

  /**
   * DELETEs a manifest by digest. A registry with deletion disabled answers
   * 405, reported as UNSUPPORTED naming `storage.delete.enabled`.
   */
  async deleteManifest(repository: string, digest: string, options: CallOptions = {}): Promise<void> {
    const d = parseDigest(digest, 'manifest digest');
    const what = `deleting ${this.name(repository, d)}`;
    try {
      const res = await this.request({
        method: 'DELETE',
        path: `/v2/${repository}/manifests/${d}`,
        repository,
        scopes: [repositoryScope(repository, ['pull', 'push', 'delete'])],
        what,
        write: true,
        ok: [200, 202, 204],
        signal: options.signal,
      });
      await discard(res.body);
    } catch (err) {
      if (err instanceof RegistryError && err.status === 405) {
        throw new RegistryError(
          'UNSUPPORTED',
          `${what}: the registry does not allow deletes (storage.delete.enabled)`,
          { status: 405, method: 'DELETE', url: err.url, diagnostics: err.diagnostics },
          { cause: err, hint: 'enable deletion in the registry configuration (storage.delete.enabled: true)' },
        );
      }
      throw err;
    }
  }

  /** HEADs a blob: its size when present, undefined when not. */
  async headBlob(repository: string, digest: string, options: CallOptions = {}): Promise<number | undefined> {
    const d = parseDigest(digest, 'blob digest');
    const res = await this.request({
      method: 'HEAD',
      path: `/v2/${repository}/blobs/${d}`,
      repository,
      scopes: this.pull(repository),
      what: `blob ${d} in ${this.name(repository)}`,
      ok: [200, 404],
      signal: options.signal,
    });
    await discard(res.body);
    if (res.status === 404) return undefined;
    const length = Number(header(res.headers, 'content-length') ?? NaN);
    return Number.isSafeInteger(length) ? length : -1;
  }

  /**
   * GETs a blob from `offset`, following redirects by hand: the
   * Authorization header goes only to the registry's origin, never to the
   * storage host a 307 points at. Returns the final answer (200 or 206).
   */
  async openBlob(repository: string, digest: string, options: CallOptions & { offset?: number } = {}): Promise<BlobResponse> {
    const d = parseDigest(digest, 'blob digest');
    const what = `blob ${d} in ${this.name(repository)}`;
    const headers: Record<string, string> = options.offset ? { range: `bytes=${options.offset}-` } : {};
    let res = await this.request({
      method: 'GET',
      path: `/v2/${repository}/blobs/${d}`,
      headers,
      repository,
      scopes: this.pull(repository),
      what,
      ok: [200, 206, ...REDIRECTS],
      signal: options.signal,
    });
    for (let hops = 0; REDIRECTS.includes(res.status); hops++) {
      const location = header(res.headers, 'location');
      await discard(res.body);
      if (hops >= MAX_REDIRECTS || !location) {
        throw new RegistryError('REGISTRY', `${what}: ${location ? 'too many redirects' : 'redirect without a Location'}`, { method: 'GET', url: res.url.toString(), status: res.status });
      }
      const target = new URL(location, res.url);
      if (target.protocol !== 'https:' && target.protocol !== 'http:') {
        throw new RegistryError('UNSAFE_INPUT', `${what}: refusing a redirect to ${target.protocol} URL`, { method: 'GET', url: res.url.toString(), status: res.status });
      }
      res = await this.request({ method: 'GET', url: target, headers, repository, scopes: this.pull(repository), what, ok: [200, 206, ...REDIRECTS], signal: options.signal });
    }
    return { status: res.status, headers: res.headers, body: res.body, url: res.url.toString() };
  }

  /**
   * A stream of the blob's bytes that resumes with Range requests when the
   * connection drops (see blob-reader.ts). Errors such as 404 or 401 reject
   * this promise rather than the stream. The caller must consume or destroy it.
   */
  async getBlob(repository: string, desc: Pick<Descriptor, 'digest' | 'size'>, options: CallOptions = {}): Promise<Readable> {
    const d = parseDigest(desc.digest, 'blob digest');
    const first = await this.openBlob(repository, d, options);
    return new ResumableBlobReader({
      open: (offset, signal) => this.openBlob(repository, d, { offset, signal }),
      first,
      size: desc.size,
      what: `blob ${d} in ${this.name(repository)}`,
      maxResumes: this.tuning.maxResumes,
      baseDelayMs: this.tuning.retryBaseDelayMs,
      signal: options.signal,
      onEvent: this.ctx.onEvent,
    });
  }

  /** POSTs a new upload session; returns its Location. */
  private async startUpload(repository: string, query: string, scopes: readonly string[], what: string, signal: AbortSignal | undefined): Promise<{ status: number; location: URL | undefined }> {
    const res = await this.request({
      method: 'POST',
      path: `/v2/${repository}/blobs/uploads/${query}`,
      headers: { 'content-length': '0' },
      repository,
      scopes,
      what,
      write: true,
      ok: [201, 202],
      signal,
    });
    await discard(res.body);
    const location = header(res.headers, 'location');
    if (res.status === 202 && !location) {
      throw new RegistryError('REGISTRY', `${what}: the registry started an upload without a Location`, { method: 'POST', url: res.url.toString(), status: 202 });
    }
    return { status: res.status, location: location ? new URL(location, res.url) : undefined };
  }

  /** Best-effort DELETE of an upload session, so a failed upload leaves nothing behind. */
  async cancelUpload(repository: string, location: URL): Promise<void> {
    try {
      const res = await this.request({
        method: 'DELETE',
        url: location,
        repository,
        scopes: this.push(repository),
        what: `cancelling an upload to ${this.name(repository)}`,
        write: true,
        ok: [200, 202, 204, 404],
      });
      await discard(res.body);
    } catch {
      /* the session expires on its own; the original error matters more */
    }
  }

  /**
   * Uploads a blob from `stream`: monolithic (POST, then one PUT ?digest=
   * streaming the body) or, with `chunkSize`, chunked (PATCH with
   * Content-Range per chunk, then PUT ?digest=). The registry checks the
   * digest itself before it links the blob. On any failure the upload
   * session is cancelled and the stream's own error (e.g. INTEGRITY from a
   * verifying stream) wins over the HTTP one.
   */
  async upload(repository: string, desc: Pick<Descriptor, 'digest' | 'size'>, stream: Readable, options: UploadOptions = {}): Promise<void> {
    const d = parseDigest(desc.digest, 'blob digest');
    const what = `uploading blob ${d} to ${this.name(repository)}`;
    let streamError: unknown;
    const onStreamError = (err: unknown) => {
      streamError ??= err;
    };
    stream.on('error', onStreamError);
    let location = options.session;
    try {
      location ??= (await this.startUpload(repository, '', this.push(repository), what, options.signal)).location;
      if (!location) throw new RegistryError('REGISTRY', `${what}: no upload location`, { method: 'POST', url: '' });
      // Chunked: PATCH the data, then a closing PUT with no body. Monolithic: the PUT carries it all.
      const chunked = Boolean(options.chunkSize && options.chunkSize > 0);
      if (chunked) location = await this.patchChunks(repository, location, stream, options.chunkSize!, what, options.signal);
      const url = new URL(location);
      url.searchParams.set('digest', d);
      const res = await this.request({
        method: 'PUT',
        url,
        headers: chunked ? { 'content-length': '0' } : { 'content-type': 'application/octet-stream', 'content-length': String(desc.size) },
        ...(chunked ? {} : { body: stream }),
        repository,
        scopes: this.push(repository),
        what,
        write: true,
        ok: [201, 204],
        signal: options.signal,
      });
      await discard(res.body);
    } catch (err) {
      if (!stream.destroyed) stream.destroy();
      if (location) await this.cancelUpload(repository, location);
      throw streamError ?? (options.session ? sessionExpired(err, what) : err);
    } finally {
      stream.off('error', onStreamError);
    }
    if (streamError) throw streamError;
  }

  private async patchChunks(repository: string, start: URL, stream: Readable, chunkSize: number, what: string, signal: AbortSignal | undefined): Promise<URL> {
    let location = start;
    let offset = 0;
    let pending: Buffer[] = [];
    let pendingBytes = 0;
    const flush = async (final: boolean) => {
      while (pendingBytes >= chunkSize || (final && pendingBytes > 0)) {
        const all = Buffer.concat(pending);
        const chunk = all.subarray(0, Math.min(chunkSize, all.length));
        const rest = all.subarray(chunk.length);
        pending = rest.length ? [rest] : [];
        pendingBytes = rest.length;
        const res = await this.request({
          method: 'PATCH',
          url: location,
          headers: {
            'content-type': 'application/octet-stream',
            'content-length': String(chunk.length),
            // distribution's form (no "bytes " prefix), which the OCI spec adopted for chunked uploads
            'content-range': `${offset}-${offset + chunk.length - 1}`,
          },
          // A one-shot stream: a failed PATCH is not retried on its own, since the
          // session's offset is then unknown; the whole upload is retried instead.
          body: Readable.from([chunk]),
          repository,
          scopes: this.push(repository),
          what,
          write: true,
          ok: [202, 204],
          signal,
        });
        await discard(res.body);
        offset += chunk.length;
        const next = header(res.headers, 'location');
        if (next) location = new URL(next, res.url);
      }
    };
    for await (const chunk of stream as AsyncIterable<Buffer>) {
      pending.push(chunk);
      pendingBytes += chunk.length;
      if (pendingBytes >= chunkSize) await flush(false);
    }
    await flush(true);
    return location;
  }

  /**
   * Mounts a blob from `fromRepository` into `repository` on this registry
   * (POST ?mount=&from=). True when the registry answered 201 (mounted); a 202
   * means it opened an upload session instead, which is cancelled: returns false.
   */
  async mountBlob(repository: string, digest: string, fromRepository: string, options: CallOptions = {}): Promise<boolean> {
    const d = parseDigest(digest, 'blob digest');
    const what = `mounting blob ${d} from ${this.name(fromRepository)} into ${this.name(repository)}`;
    const { status, location } = await this.startMount(repository, d, fromRepository, what, options.signal);
    if (status === 201) {
      this.mountsHonoured = true;
      return true;
    }
    if (location) await this.cancelUpload(repository, location);
    return false;
  }

  /** POST ?mount=D&from=R: 201 when the registry linked the blob, else (202) the upload session it opened instead. */
  private startMount(repository: string, digest: Digest, fromRepository: string, what: string, signal: AbortSignal | undefined) {
    const query = `?mount=${encodeURIComponent(digest)}&from=${encodeURIComponent(fromRepository)}`;
    const scopes = fromRepository === repository ? this.push(repository) : [...this.push(repository), repositoryScope(fromRepository, ['pull'])];
    return this.startUpload(repository, query, scopes, what, signal);
  }

  /** True once this registry has answered a mount with 201: it links blobs it holds into other repositories on request. */
  get honoursMounts(): boolean {
    return this.mountsHonoured;
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
  async probeBlob(repository: string, digest: string, options: CallOptions = {}): Promise<URL | undefined> {
    const d = parseDigest(digest, 'blob digest');
    const { status, location } = await this.startMount(repository, d, repository, `blob ${d} in ${this.name(repository)}`, options.signal);
    return status === 201 ? undefined : location;
  }

  /** Lists a repository's tags, following `Link: <...>; rel="next"` pages (same origin only). */
  async listTags(repository: string, options: CallOptions & { pageSize?: number } = {}): Promise<string[]> {
    const what = `listing tags of ${this.name(repository)}`;
    const tags: string[] = [];
    const seen = new Set<string>();
    let next: URL | undefined;
    for (let page = 0; page < 10_000; page++) {
      const res = await this.request({
        method: 'GET',
        ...(next ? { url: next } : { path: `/v2/${repository}/tags/list${options.pageSize ? `?n=${options.pageSize}` : ''}` }),
        headers: { accept: 'application/json' },
        repository,
        scopes: this.pull(repository),
        what,
        ok: [200],
        signal: options.signal,
      });
      const text = await readText(res.body, 16 * 1024 * 1024);
      let doc: { tags?: unknown };
      try {
        doc = JSON.parse(text) as { tags?: unknown };
      } catch {
        throw new RegistryError('REGISTRY', `${what}: the answer is not JSON`, { method: 'GET', url: res.url.toString(), status: res.status });
      }
      if (doc.tags !== null && doc.tags !== undefined && !Array.isArray(doc.tags)) {
        throw new RegistryError('REGISTRY', `${what}: "tags" is not a list`, { method: 'GET', url: res.url.toString(), status: res.status });
      }
      for (const t of (doc.tags as unknown[] | null | undefined) ?? []) if (typeof t === 'string' && isValidTag(t)) tags.push(t);
      const link = parseNextLink(header(res.headers, 'link'));
      if (!link) return tags;
      next = new URL(link, res.url);
      if (next.origin !== res.url.origin) {
        throw new RegistryError('UNSAFE_INPUT', `${what}: refusing a next-page link to another host (${next.origin})`, { method: 'GET', url: res.url.toString(), status: res.status });
      }
      if (seen.has(next.toString())) return tags;
      seen.add(next.toString());
    }
    return tags;
  }

  /** Closes every pooled connection. The client cannot be used afterwards. */
  async close(): Promise<void> {
    this.closed = true;
    const agents = [...this.agents.values()];
    this.agents.clear();
    await Promise.all(agents.map((a) => a.close().catch(() => a.destroy())));
  }
}

/**
 * A PUT into a session opened earlier that the registry no longer knows
 * (404: it expired while the blob waited for a transfer slot) is worth a
 * retry with a new session, unlike a 404 to a fresh one.
 */
function sessionExpired(err: unknown, what: string): unknown {
  if (!(err instanceof RegistryError) || err.status !== 404) return err;
  return new RegistryError('TRANSIENT', `${what}: the registry no longer knows the upload session opened for it`, { method: err.method, url: err.url, status: 404, temporary: true }, { cause: err, hint: 'run it again: each attempt opens a new session' });
}
