/**
 * One client's connections and its single HTTP exchange: one keep-alive
 * undici Agent per origin (registry, token realm, redirect target), built
 * with the registry's TLS settings and the egress policy, and `send()`,
 * which passes the host's request gate and nothing else: no auth, no retry,
 * no scheme decision (session.ts and first-contact.ts add those). Whether an
 * origin is reached directly or through a proxy (proxy.ts) is decided here,
 * when its dispatcher is built; each exchange is reported to
 * `SystemContext.onEvent` as an `http` event (URL redacted, no headers).
 *
 * Also the helpers every layer above uses to let go of a response body.
 */
import type { Readable } from 'node:stream';
import type { Dispatcher } from 'undici';
import type { SystemContext } from '../context/system-context.ts';
import { type HttpMethod, TugError } from '../errors/index.ts';
import { egressConnector } from './egress.ts';
import { type RequestContext, errorFromNetwork, firstHeader } from './errors.ts';
import { gateFor } from './gate.ts';
import { NodeHttpDispatcher, nodeHttpPreferred } from './node-http.ts';
import { type ProxyChooser, proxyChooser, proxyDispatcher, proxyError } from './proxy.ts';
import { type TlsSettings, loadTlsSettings } from './tls.ts';
import { Agent, request } from './undici.ts';

/** The User-Agent sent unless `SystemContext.userAgent` says otherwise. */
export const USER_AGENT = 'tugboat/0.1.0';

/** Error bodies are read only this far: they end up in messages, not on disk. */
export const MAX_ERROR_BODY = 64 * 1024;

/**
 * Lets go of a response body. Small leftovers are drained so the connection
 * goes back to the pool; destroying an undici body emits an error that
 * nobody is listening for any more, so one is swallowed here.
 */
export async function discard(body: Readable): Promise<void> {
  body.on('error', () => {});
  const dump = (body as { dump?: (o: { limit: number }) => Promise<void> }).dump;
  if (typeof dump === 'function') await dump.call(body, { limit: 64 * 1024 }).catch(() => {});
  else body.destroy();
}

/** Destroys a body without draining it, swallowing the error that destroying emits. */
export function destroyQuietly(body: Readable): void {
  body.on('error', () => {});
  body.destroy();
}

/** Reads up to `limit` bytes of a body as UTF-8 and destroys the rest; a body that breaks off yields what arrived. */
export async function readText(body: Readable, limit: number): Promise<string> {
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

/**
 * Query parameters whose values are shown in `http` events: the API's own
 * paging and mount parameters, and the token realm's `service` and `scope`.
 * Every other value (`account`, `X-Amz-Signature`, `sig`, `_state`, ...) is
 * replaced: a redirect to blob storage carries signed, bearer-like URLs.
 */
const SHOWN_QUERY_KEYS = new Set(['n', 'last', 'digest', 'mount', 'from', 'service', 'scope']);

/** `url` as an `http` event carries it: no user info, query values replaced except {@link SHOWN_QUERY_KEYS}. */
export function eventUrl(url: URL): string {
  // Most exchanges (every HEAD of a sync) have neither: their href is already what is shown.
  // Copying the URL and clearing its parts cost ~0.2 ms an event, for every request of a run.
  if (url.username === '' && url.password === '' && url.search === '') return url.href;
  const shown = new URL(url.href);
  shown.username = '';
  shown.password = '';
  for (const key of new Set(shown.searchParams.keys())) {
    if (!SHOWN_QUERY_KEYS.has(key)) shown.searchParams.set(key, 'REDACTED');
  }
  return shown.href;
}

/**
 * Milliseconds on a monotonic clock. Not `performance.now()`: the first use
 * of the `performance` global loads perf_hooks and its timing modules,
 * ~5 ms of CPU in every short command (issue 14 item 7), for a figure that
 * is only ever rounded to whole milliseconds.
 */
function monotonicMs(): number {
  return Number(process.hrtime.bigint()) / 1e6;
}

/** One request as {@link Connections.send} takes it. */
export interface SendInit {
  method: HttpMethod;
  headers: Record<string, string>;
  body?: Uint8Array | Readable | undefined;
  signal?: AbortSignal | undefined;
  /**
   * The answer is a big blob's bytes: it keeps undici even in a short
   * command (node:http streamed a 400 MiB layer with 3.6 s of CPU and
   * 107 MB peak RSS where undici took 2.1 s and 88 MB).
   */
  bulk?: boolean | undefined;
}

/**
 * The pooled connections of one client. Agents are made on first use and
 * live until {@link close}; after that every send fails with INTERNAL.
 */
export class Connections {
  private readonly registry: string;
  private readonly host: string;
  private readonly ctx: SystemContext;
  private readonly agents = new Map<string, Agent | Dispatcher | NodeHttpDispatcher>();
  /** The proxy of each origin reached through one, for messages. */
  private readonly proxied = new Map<string, URL>();
  private tls: Promise<TlsSettings> | undefined;
  private proxies: ProxyChooser | undefined;
  private closed = false;

  /** `registry` names the client in messages; `host` is where its TLS settings are looked up (certs.d). */
  constructor(registry: string, host: string, ctx: SystemContext) {
    this.registry = registry;
    this.host = host;
    this.ctx = ctx;
  }

  /** The proxy that carries `origin`'s connections, once its dispatcher exists; undefined: direct (or not yet connected). */
  proxyOf(origin: string): URL | undefined {
    return this.proxied.get(origin);
  }

  /** The registry's TLS settings, read once per client. */
  tlsSettings(): Promise<TlsSettings> {
    this.tls ??= loadTlsSettings(this.host, { certDir: this.ctx.certDir, tlsVerify: this.ctx.tlsVerify, caCertificates: this.ctx.caCertificates });
    return this.tls;
  }

  /**
   * The dispatcher for `origin`: undici's, or with `light` (a short command's
   * exchange that moves no blob, see {@link send}) node:http's where no
   * proxy or egress policy applies. Both are kept per origin, keyed apart.
   */
  private async agentFor(origin: string, light: boolean): Promise<Agent | Dispatcher | NodeHttpDispatcher> {
    if (this.closed) throw new TugError('INTERNAL', `the client for ${this.registry} is closed`);
    const key = light ? `node ${origin}` : origin;
    let agent = this.agents.get(key) ?? (light ? this.agents.get(origin) : undefined);
    if (agent) return agent;
    const tls = await this.tlsSettings();
    agent = this.agents.get(key) ?? (light ? this.agents.get(origin) : undefined);
    if (agent) return agent;
    // The registry's TLS settings also apply to its token realm and redirect
    // targets, as containers/image uses one http.Client per registry.
    const connect = {
      rejectUnauthorized: tls.rejectUnauthorized,
      // Verification off: no CA is consulted, so none is loaded. Without a `ca`
      // Node parses its whole root store (and NODE_EXTRA_CA_CERTS) into the
      // first TLS context, 5-15 ms of CPU measured, paid by every
      // --tls-verify=false command whose HTTPS try precedes plain HTTP.
      ...(tls.ca ? { ca: tls.ca } : tls.rejectUnauthorized ? {} : { ca: [] }),
      ...(tls.cert ? { cert: tls.cert, key: tls.key } : {}),
    };
    // The environment is read once per client (a bad proxy setting is USAGE here).
    this.proxies ??= proxyChooser(this.ctx.proxy);
    const target = new URL(origin);
    const proxy = this.proxies(target);
    // With an egress policy every connection of this client (registry, token
    // realm, redirect target) is checked on the address it really connects to
    // (through a proxy: the proxy's address and the target's name, proxy.ts).
    // node:http carries only direct connections (node-http.ts): a proxy or an
    // egress policy is only ever enforced by undici's connectors.
    const direct = !proxy && !this.ctx.egress;
    agent = proxy
      ? proxyDispatcher(proxy, target, { tls: connect, egress: this.ctx.egress, keepAliveTimeout: 10_000 })
      : light && direct
        ? new NodeHttpDispatcher(origin, connect)
        : new Agent({ connect: this.ctx.egress ? egressConnector(this.ctx.egress, connect) : connect, keepAliveTimeout: 10_000 });
    if (proxy) this.proxied.set(origin, proxy);
    this.agents.set(agent instanceof NodeHttpDispatcher ? key : origin, agent);
    return agent;
  }

  /**
   * One HTTP exchange, no auth, no retry; network errors become
   * RegistryErrors described by `req`. The caller owns the response body.
   */
  async send(url: URL, init: SendInit, req: RequestContext): Promise<Dispatcher.ResponseData> {
    const onEvent = this.ctx.onEvent;
    // Nothing is measured or formatted for the event when nobody listens.
    const started = onEvent ? monotonicMs() : 0;
    const report = onEvent
      ? (status: number | undefined, error?: string) => onEvent({ type: 'http', method: init.method, url: eventUrl(url), status, ms: Math.round(monotonicMs() - started), ...(error !== undefined ? { error } : {}) })
      : undefined;
    let agent: Agent | Dispatcher | NodeHttpDispatcher;
    // A short command's small exchanges go through node:http, which spares
    // it undici's start-up (node-http.ts); a blob's bytes, downloaded
    // ({@link SendInit.bulk}) or streamed up, keep undici.
    const light = nodeHttpPreferred() && init.bulk !== true && (init.body === undefined || init.body instanceof Uint8Array);
    try {
      agent = await this.agentFor(url.origin, light);
    } catch (err) {
      report?.(undefined, (err as Error).message);
      throw err;
    }
    // The host's request budget (see gate.ts): open, unless it said 429 lately.
    const gate = gateFor(url.host);
    const release = await gate.admit(init.signal);
    let res: Dispatcher.ResponseData;
    try {
      const options = {
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
      };
      res = await (agent instanceof NodeHttpDispatcher ? agent.request(options) : request(agent, options));
    } catch (err) {
      release('failed');
      const proxy = this.proxyOf(url.origin);
      const mapped = (proxy && proxyError(req, proxy, err)) || errorFromNetwork(req, err);
      report?.(undefined, mapped.message);
      throw mapped;
    }
    report?.(res.statusCode);
    // A 429 slows every request to this host, not just this one.
    if (res.statusCode === 429) gate.onTooManyRequests(firstHeader(res.headers, 'retry-after'), this.ctx.retryMaxDelayMs ?? 30_000);
    release(res.statusCode === 429 ? 'limited' : 'ok');
    return res;
  }

  /** Closes every pooled connection; later sends fail. */
  async close(): Promise<void> {
    this.closed = true;
    const agents = [...this.agents.values()];
    this.agents.clear();
    await Promise.all(agents.map((a) => a.close().catch(() => a.destroy())));
  }
}
