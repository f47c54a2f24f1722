/**
 * An authenticated conversation with one registry: every API call goes
 * through {@link RegistrySession.request}, which adds the first contact and
 * scheme (first-contact.ts), the Authorization header for the registry's own
 * origin only, one refresh-and-retry on a 401, per-request retries
 * (retry.ts) and the mapping of unexpected statuses to RegistryErrors.
 *
 * The endpoint modules (manifests.ts, blobs.ts, uploads.ts, tags.ts) see it
 * only through the narrow {@link Session} interface: a stateless endpoint is
 * a function of a Session (tags.ts), one that remembers something (the
 * manifest cache, whether mounts work) a class holding one.
 */
import type { IncomingHttpHeaders } from 'node:http';
import { Readable } from 'node:stream';
import type { Dispatcher } from 'undici';
import type { SystemContext } from '../context/system-context.ts';
import type { HttpMethod } from '../errors/index.ts';
import { Authenticator, repositoryScope } from './auth.ts';
import { type RequestContext, errorFromResponse, firstHeader } from './errors.ts';
import { FirstContact, type PingResult } from './first-contact.ts';
import { type Connections, MAX_ERROR_BODY, readText } from './http.ts';
import { type RetryPolicy, withRetry } from './retry.ts';

/** Tuning that is not part of SystemContext; defaults suit real registries. */
export interface ClientTuning {
  /** First backoff ceiling for retries and resumes (default 250 ms). */
  retryBaseDelayMs?: number | undefined;
  /** Reconnections allowed per blob stream (default 5). */
  maxResumes?: number | undefined;
}

/** What every client call takes: a signal that cancels it (ABORTED). */
export interface CallOptions {
  signal?: AbortSignal | undefined;
}

/** One API call as {@link Session.request} takes it. */
export interface ApiRequest extends CallOptions {
  method: HttpMethod;
  /** Path below the origin (`/v2/...`), or an absolute URL (upload location, Link, redirect). */
  path?: string;
  url?: URL;
  headers?: Record<string, string>;
  /** A Readable is one-shot: neither retried nor replayed after a 401. */
  body?: Uint8Array | Readable | undefined;
  repository?: string | undefined;
  /** Token scopes to ask for (see {@link pullScopes}, {@link pushScopes}). */
  scopes: readonly string[];
  /** The action or thing, for messages (`blob sha256:... in host/repo`). */
  what: string;
  /** True for requests that change the registry (for "lacks push rights" messages). */
  write?: boolean;
  /** The answer is a big blob's bytes: never over node:http (http.ts {@link SendInit.bulk}). */
  bulk?: boolean;
  /** Statuses returned to the caller; anything else becomes a RegistryError. */
  ok: readonly number[];
}

/** An answer with one of the request's `ok` statuses; the caller owns `body`. */
export interface ApiResponse {
  status: number;
  headers: IncomingHttpHeaders;
  body: Dispatcher.ResponseData['body'];
  /** The URL that answered, to resolve a Location or Link against. */
  url: URL;
}

/** What the endpoint modules need of a session. */
export interface Session {
  /** The registry name as written in references, for messages. */
  readonly registry: string;
  /** One API call; see {@link RegistrySession.request}. */
  request(r: ApiRequest): Promise<ApiResponse>;
  /** `registry/repository`, with `:tag` or `@digest` when `ref` is given: how messages name things. */
  name(repository: string, ref?: string): string;
}

/** The scopes of a read of `repository`. */
export function pullScopes(repository: string): string[] {
  return [repositoryScope(repository, ['pull'])];
}

/** The scopes of a write to `repository`. */
export function pushScopes(repository: string): string[] {
  return [repositoryScope(repository, ['pull', 'push'])];
}

/** See the module comment. One per client; it owns the client's Authenticator and FirstContact. */
export class RegistrySession implements Session {
  readonly registry: string;
  private readonly ctx: SystemContext;
  private readonly tuning: ClientTuning;
  private readonly connections: Connections;
  private readonly auth: Authenticator;
  private readonly contact: FirstContact;

  /** `host` is the API host (scheme.ts `apiHost`); `connections` carry every exchange, token requests included. */
  constructor(registry: string, host: string, ctx: SystemContext, tuning: ClientTuning, connections: Connections) {
    this.registry = registry;
    this.ctx = ctx;
    this.tuning = tuning;
    this.connections = connections;
    this.auth = new Authenticator({
      registry,
      registryToken: ctx.registryToken,
      // Loaded at the first challenge: an anonymous registry never needs the auth files, helpers and registries.conf behind it.
      credentials: async (repository) => (await import('./credentials.ts')).resolveCredentials(registry, repository, ctx),
      fetchToken: async (url, init, signal) => {
        const what = `getting a token for ${registry}`;
        return withRetry(
          what,
          async () => {
            const body = init.body === undefined ? undefined : Buffer.from(init.body);
            const res = await connections.send(url, { method: init.method, headers: init.headers, body, signal }, { method: init.method, url: url.toString(), registry, what });
            return { status: res.statusCode, headers: res.headers, body: await readText(res.body, 1024 * 1024) };
          },
          this.retryPolicy(signal),
        );
      },
    });
    this.contact = new FirstContact({ registry, host, ctx, connections, auth: this.auth, retryPolicy: (signal) => this.retryPolicy(signal) });
  }

  /** The retry policy of every call of this client, from SystemContext and {@link ClientTuning}. */
  retryPolicy(signal: AbortSignal | undefined): RetryPolicy {
    return {
      maxAttempts: this.ctx.retryMaxAttempts,
      maxDelayMs: this.ctx.retryMaxDelayMs,
      baseDelayMs: this.tuning.retryBaseDelayMs,
      signal,
      onEvent: this.ctx.onEvent,
    };
  }

  /** See {@link FirstContact.ping}. */
  ping(options: CallOptions = {}): Promise<PingResult> {
    return this.contact.ping(options);
  }

  name(repository: string, ref?: string): string {
    return `${this.registry}/${repository}${ref === undefined ? '' : ref.includes(':') ? `@${ref}` : `:${ref}`}`;
  }

  /**
   * The core exchange: scheme decision, Authorization for the registry's own
   * origin only, one refresh-and-retry on a 401, per-request retries unless
   * the body is a one-shot stream, and error mapping for unexpected statuses.
   */
  async request(r: ApiRequest): Promise<ApiResponse> {
    const oneShot = r.body instanceof Readable;
    const run = async (): Promise<ApiResponse> => {
      // A path-based, repeatable request to a registry not yet contacted is its first contact.
      const probe = oneShot || r.url !== undefined ? undefined : this.contact.claim();
      const known = probe ? undefined : (await this.contact.ping(r)).origin;
      const own = r.url === undefined || r.url.origin === known;
      const target = (origin: string) => r.url ?? new URL(r.path!, origin);
      const exchange = async (url: URL, authorization: string | undefined) =>
        this.connections.send(url, { method: r.method, headers: { ...r.headers, ...(authorization ? { authorization } : {}) }, body: r.body, signal: r.signal, bulk: r.bulk }, this.requestContext(r, url));
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
        const challenge = firstHeader(res.headers, 'www-authenticate');
        await readText(res.body, MAX_ERROR_BODY);
        if (await this.auth.refresh(challenge, url.origin, r.scopes, r.repository, authorization)) {
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
}
