/**
 * The first exchange with a registry: the ping (GET /v2/), the scheme
 * decision (https, or plain http only as scheme.ts allows), the auth
 * challenge it teaches, and the claim that lets the first API call stand in
 * for the ping. Decided once per client; a failure is forgotten so the next
 * call tries again.
 */
import type { Dispatcher } from 'undici';
import type { SystemContext } from '../context/system-context.ts';
import { RegistryError } from '../errors/index.ts';
import type { Authenticator } from './auth.ts';
import { errorFromResponse, firstHeader, isPlainHttpSymptom } from './errors.ts';
import { type Connections, MAX_ERROR_BODY, destroyQuietly, readText } from './http.ts';
import { type RetryPolicy, withRetry } from './retry.ts';
import { initialScheme, isLoopbackHost, mayFallBackToHttp } from './scheme.ts';
import { diagnoseTlsClose } from './tls.ts';

/** The result of a ping ({@link FirstContact.ping}, `RegistryClient.ping`). */
export interface PingResult {
  /** `https://host:port` or `http://...`: where the API lives. */
  origin: string;
  /** 200 (open) or 401 (authentication required). */
  status: number;
  /** The authentication scheme the registry asked for, if any. */
  authScheme: string | undefined;
}

/** Sends one request to the API at `origin` (`https://host`), as the caller would have anyway. */
export type OriginSender = (origin: string) => Promise<Dispatcher.ResponseData>;

/** The answer to a first request, and the origin (so the scheme) that gave it. */
export interface Contact {
  origin: string;
  res: Dispatcher.ResponseData;
}

/** What {@link FirstContact} needs from its client. */
export interface FirstContactOptions {
  /** The registry name as written in references, for messages. */
  registry: string;
  /** host[:port] of the API (scheme.ts `apiHost`). */
  host: string;
  ctx: SystemContext;
  connections: Connections;
  /** Learns the challenge of a 401; its `scheme` is reported in the PingResult. */
  auth: Authenticator;
  retryPolicy: (signal: AbortSignal | undefined) => RetryPolicy;
}

/** See the module comment. One per client. */
export class FirstContact {
  private readonly o: FirstContactOptions;
  /** Set from the first ping or claim on; undefined before it and after a failure. */
  private originPromise: Promise<PingResult> | undefined;

  constructor(options: FirstContactOptions) {
    this.o = options;
  }

  /**
   * `RegistryClient.ping`: the first call sends GET /v2/ (with retries) and
   * later calls share its answer, or that of a {@link claim}; a failed one is
   * forgotten, so the next call pings again.
   */
  ping(options: { signal?: AbortSignal | undefined } = {}): Promise<PingResult> {
    if (!this.originPromise) {
      const p = withRetry(`pinging ${this.o.registry}`, () => this.pingOnce(options.signal), this.o.retryPolicy(options.signal));
      this.originPromise = p;
      p.catch(() => {
        if (this.originPromise === p) this.originPromise = undefined;
      });
    }
    return this.originPromise;
  }

  private async pingOnce(signal: AbortSignal | undefined): Promise<PingResult> {
    const { registry, auth, connections } = this.o;
    const what = `pinging ${registry}`;
    const { origin, res } = await this.decideScheme((o) => {
      const url = new URL(`${o}/v2/`);
      return connections.send(url, { method: 'GET', headers: {}, signal }, { method: 'GET', url: url.toString(), registry, what });
    });
    if (res.statusCode === 401) auth.learn(firstHeader(res.headers, 'www-authenticate'), origin);
    const body = await readText(res.body, MAX_ERROR_BODY);
    if (res.statusCode === 200 || res.statusCode === 401) return { origin, status: res.statusCode, authScheme: auth.scheme };
    const req = { method: 'GET', url: `${origin}/v2/`, registry, what };
    if (res.statusCode === 404) {
      throw new RegistryError('REGISTRY', `${registry} does not serve the registry API at /v2/ (HTTP 404)`, { method: 'GET', url: req.url, status: 404 }, { hint: 'check the host name and port' });
    }
    throw errorFromResponse(req, { status: res.statusCode, headers: res.headers, body });
  }

  /**
   * One exchange that also decides the scheme: https first (or http when
   * asked), then plain http for a loopback / insecure registry whose TLS
   * handshake failed because it speaks plain HTTP (see scheme.ts).
   */
  private async decideScheme(send: OriginSender): Promise<Contact> {
    const { host, ctx } = this.o;
    let scheme = initialScheme(ctx);
    try {
      return { origin: `${scheme}://${host}`, res: await send(`${scheme}://${host}`) };
    } catch (err) {
      const plainHttp = scheme === 'https' && isPlainHttpSymptom((err as Error).cause ?? err);
      if (plainHttp && ctx.tlsVerify === true && isLoopbackHost(host)) throw this.refusePlainHttp(err);
      if (!(plainHttp && mayFallBackToHttp(host, ctx))) throw await this.explainClose(scheme, err);
    }
    scheme = 'http';
    const res = await send(`${scheme}://${host}`);
    ctx.onEvent?.({ type: 'notice', message: `${this.o.registry} does not speak TLS; using plain HTTP because it is a loopback / insecure registry` });
    return { origin: `${scheme}://${host}`, res };
  }

  /**
   * The first API call to a registry doubles as its ping (containers/image
   * and go-containerregistry send a separate GET /v2/ first): it decides the
   * scheme, and a 401 teaches the challenge as the ping's would. Calls made
   * meanwhile wait for its answer. This is what lets an unchanged tag cost
   * exactly one request per side. A 404 without the Docker-Distribution-API-
   * Version header that every distribution-spec registry sends may mean the
   * host is no registry at all: then the real ping says so.
   *
   * Returns undefined when a ping or claim is already under way or done (the
   * caller then awaits {@link ping}); else the claim, taken synchronously so
   * that calls made meanwhile wait instead of probing too. The caller must
   * call the returned function exactly once: it settles the claim either way.
   */
  claim(): ((send: OriginSender) => Promise<Contact>) | undefined {
    if (this.originPromise !== undefined) return undefined;
    let settle!: { resolve: (p: PingResult) => void; reject: (err: unknown) => void };
    const pending = new Promise<PingResult>((resolve, reject) => {
      settle = { resolve, reject };
    });
    pending.catch(() => {});
    this.originPromise = pending;
    return async (send) => {
      const { auth } = this.o;
      try {
        const { origin, res } = await this.decideScheme(send);
        if (res.statusCode === 404 && firstHeader(res.headers, 'docker-distribution-api-version') === undefined) {
          this.originPromise = undefined;
          try {
            settle.resolve(await this.ping());
          } catch (err) {
            destroyQuietly(res.body);
            throw err;
          }
        } else {
          if (res.statusCode === 401) auth.learn(firstHeader(res.headers, 'www-authenticate'), origin);
          settle.resolve({ origin, status: res.statusCode === 401 ? 401 : 200, authScheme: auth.scheme });
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
   * A loopback registry that answers in plain HTTP while the caller asked for
   * TLS explicitly: skopeo refuses it too, and a silent fallback would turn
   * `--tls-verify=true` into a no-op.
   */
  private refusePlainHttp(err: unknown): RegistryError {
    return new RegistryError('TLS', `${this.o.registry} does not speak TLS, and TLS verification was asked for explicitly`, { method: 'GET', url: `https://${this.o.host}/v2/` }, {
      cause: err,
      hint: 'to allow plain HTTP, drop --tls-verify=true (or tls-verify: true in the sync file), or pass --tls-verify=false or --plain-http',
    });
  }

  /**
   * An HTTPS connection the server closed at once is most often a TLS
   * refusal (no client certificate) that undici reports as a plain socket
   * close: find out, and say what to do instead of retrying in vain.
   */
  private async explainClose(scheme: string, err: unknown): Promise<unknown> {
    const code = (err as { cause?: { code?: string } }).cause?.code ?? (err as { code?: string }).code;
    const url = new URL(`https://${this.o.host}`);
    // node:http (node-http.ts) reports the server's TLS alert itself: no need to connect again to hear it.
    const alerted = scheme === 'https' && err instanceof RegistryError && /^ERR_SSL_.*ALERT/.test(code ?? '') ? (err.cause as Error).message.split('\n')[0]?.replace(/^[0-9A-F]+:error:[0-9A-F]+:/, '') : undefined;
    if (alerted) return this.refusedTls(url, alerted);
    if (scheme !== 'https' || !(err instanceof RegistryError) || !/UND_ERR_SOCKET|ECONNRESET/.test(`${code} ${err.message}`)) return err;
    // The diagnosis connects directly: never around a proxy the caller set.
    if (this.o.connections.proxyOf(url.origin)) return err;
    const alert = await diagnoseTlsClose(url.hostname.replace(/^\[|\]$/g, ''), Number(url.port || 443), await this.o.connections.tlsSettings(), { egress: this.o.ctx.egress }).catch(() => undefined);
    if (!alert) return err;
    return this.refusedTls(url, alert);
  }

  /** The server ended the TLS handshake with `alert` (most often: no client certificate). */
  private refusedTls(url: URL, alert: string): RegistryError {
    return new RegistryError('TLS', `${this.o.registry} refused the TLS connection: ${alert}`, { method: 'GET', url: `${url.origin}/v2/` }, {
      hint: 'the registry may require a client certificate: put client.cert and client.key in the --cert-dir directory (containers-certs.d)',
    });
  }
}
