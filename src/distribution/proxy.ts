/**
 * Connections through an HTTP(S) proxy: which proxy a target origin goes
 * through for one SystemContext ({@link proxyChooser}) and the undici
 * dispatcher that carries it ({@link proxyDispatcher}). http.ts builds one
 * dispatcher per origin, so a token realm or a blob-storage redirect gets
 * the proxy (or the direct connection) its own URL calls for.
 *
 * - `SystemContext.proxy` undefined: the environment, read as Go reads it
 *   (proxy-env.ts): loopback targets and NO_PROXY matches go direct.
 * - `'none'`: always direct.
 * - a URL (a sync file's or a Registry's `proxy`): every connection of the
 *   context goes through it, loopback targets included. Whoever wrote it
 *   named this registry; Go's loopback rule protects environment-wide
 *   settings from catching local traffic, which does not apply here.
 *
 * https targets are reached through CONNECT (the TLS session is end to end:
 * the proxy sees only the host name and port); http targets are forwarded
 * as absolute-URI requests, as Go's Transport does. Proxy credentials
 * (`http://user:pass@proxy:3128`) go to the proxy only, as
 * Proxy-Authorization, and never into a message or an event.
 *
 * Egress policy (the server's): the connection to the proxy is checked like
 * any other, on the address it resolves to; the target is checked by name
 * (and as an address when it is an IP literal) before anything is sent,
 * since the proxy, not we, resolves it. A deny rule by address therefore
 * cannot catch a name that resolves into a denied range through a proxy:
 * that is the proxy's to police (deny the name, or the proxy).
 */
import type { buildConnector as BuildConnector, Dispatcher } from 'undici';
import type { EgressPolicy } from '../context/system-context.ts';
import { RegistryError, TugError } from '../errors/index.ts';
import { egressLookup, literalRefusal } from './egress.ts';
import { type RequestContext, codesOf } from './errors.ts';
import { parseNoProxy, parseProxyAddress, proxyEnvironment, proxyForUrl, redactProxy } from './proxy-env.ts';
import { createProxyAgent } from './undici.ts';

/** The proxy a connection to `target` (an origin URL) goes through; undefined: direct. */
export type ProxyChooser = (target: URL) => URL | undefined;

/**
 * Why `text` is not a usable `proxy` setting (`none`, or
 * `http(s)://[user:password@]host[:port]`), as one line; undefined when it is.
 * For the sync file and the Registry schema.
 */
export function proxySettingProblem(text: string): string | undefined {
  if (text === 'none') return undefined;
  if (!/^https?:\/\//i.test(text)) return `proxy ${JSON.stringify(redactProxy(text))} must be an http:// or https:// URL, or "none"`;
  try {
    parseProxyAddress(text, 'proxy');
    return undefined;
  } catch (err) {
    return (err as TugError).message;
  }
}

/**
 * The chooser for a context's `proxy` setting (see the module comment).
 * `env` is read once, here. Throws USAGE for a bad setting.
 */
export function proxyChooser(setting: string | undefined, env: Readonly<Record<string, string | undefined>> = process.env): ProxyChooser {
  if (setting === 'none') return () => undefined;
  if (setting !== undefined) {
    const problem = proxySettingProblem(setting);
    if (problem) throw new TugError('USAGE', problem, { hint: 'give http://HOST:PORT, or "none" for a direct connection' });
    const url = parseProxyAddress(setting, 'proxy');
    return () => url;
  }
  const vars = proxyEnvironment(env);
  if (!vars.httpProxy && !vars.httpsProxy) return () => undefined;
  const noProxy = parseNoProxy(vars.noProxy);
  return (target) => proxyForUrl(vars, target, noProxy);
}

/** Errors of the connection to the proxy itself (every TCP connect of a proxied origin goes to the proxy). */
const PROXY_CONNECT_CODES = new Set(['ECONNREFUSED', 'ENOTFOUND', 'EAI_AGAIN', 'EHOSTUNREACH', 'ENETUNREACH', 'UND_ERR_CONNECT_TIMEOUT']);

/**
 * Names the proxy in a failure that is the proxy's: it refused the
 * credentials (407), refused the tunnel or the request (undici reports a
 * non-200 CONNECT as an abort, which would read as "cancelled"), or could
 * not be reached. Undefined for anything else (the registry's own errors
 * through a working tunnel). Names the proxy by host:port only.
 */
export function proxyError(req: RequestContext, proxy: URL, err: unknown): TugError | undefined {
  const message = err instanceof Error ? err.message : '';
  const data = { method: req.method, url: req.url };
  const status = /Proxy response \((\d{3})\)|Proxy Authentication Required \((407)\)/.exec(message);
  const code = status ? Number(status[1] ?? status[2]) : undefined;
  // 407 is the standard answer; tinyproxy answers a tunnel without valid credentials with 401.
  if (code === 407 || code === 401) {
    return new RegistryError('AUTH', `${req.what}: the proxy ${proxy.host} refused its credentials (HTTP ${code})`, { ...data, status: code }, {
      cause: err,
      hint: 'check the proxy user and password given in HTTPS_PROXY / HTTP_PROXY',
    });
  }
  if (code !== undefined) {
    return new RegistryError('REGISTRY', `${req.what}: the proxy ${proxy.host} refused the connection to ${req.registry} (HTTP ${code})`, { ...data, status: code, temporary: code >= 500 }, {
      cause: err,
      hint: 'the proxy may allow CONNECT to port 443 only (squid SSL_ports, tinyproxy ConnectPort), or not this host; or list the registry in NO_PROXY',
    });
  }
  const netCode = codesOf(err).find((c) => PROXY_CONNECT_CODES.has(c));
  if (netCode) {
    return new RegistryError('TRANSIENT', `${req.what}: cannot reach the proxy ${proxy.host} (${netCode})`, { ...data, temporary: true }, {
      cause: err,
      hint: 'check HTTPS_PROXY / HTTP_PROXY (or the proxy setting), or list the registry in NO_PROXY to reach it directly',
    });
  }
  return undefined;
}

/** How {@link proxyDispatcher} connects. */
export interface ProxyDispatcherOptions {
  /** TLS options for the target (the registry's: CAs, client certificate, verification). */
  tls: BuildConnector.BuildOptions;
  /** The egress policy every connection passes (see the module comment). */
  egress?: EgressPolicy | undefined;
  keepAliveTimeout?: number | undefined;
}

/**
 * A dispatcher that reaches `target`'s origin through `proxy`. Refuses
 * (UNSAFE_INPUT, before any connection) a target name or a proxy address
 * the egress policy refuses.
 */
export function proxyDispatcher(proxy: URL, target: URL, options: ProxyDispatcherOptions): Dispatcher {
  const { egress } = options;
  if (egress) {
    const host = target.hostname.replace(/^\[|\]$/g, '');
    const refusal = literalRefusal(egress, host) ?? egress.refusal(host, undefined);
    if (refusal) throw new TugError('UNSAFE_INPUT', refusal);
    const proxyHost = proxy.hostname.replace(/^\[|\]$/g, '');
    const proxyRefusal = literalRefusal(egress, proxyHost) ?? egress.refusal(proxyHost, undefined);
    if (proxyRefusal) throw new TugError('UNSAFE_INPUT', `proxy ${proxy.host}: ${proxyRefusal}`);
  }
  const bare = new URL(proxy.origin);
  // undici builds the header from user and password only when both are
  // set; Go sends Basic for a user alone, with an empty password.
  const token = proxy.username ? `Basic ${Buffer.from(`${decodeURIComponent(proxy.username)}:${decodeURIComponent(proxy.password)}`).toString('base64')}` : undefined;
  return createProxyAgent({
    uri: bare.href,
    ...(token ? { token } : {}),
    requestTls: options.tls,
    // The proxy's own TLS (an https:// proxy) uses the default roots; the
    // egress lookup checks the address the proxy's name resolves to.
    proxyTls: egress ? { lookup: egressLookup(egress) } : {},
    proxyTunnel: target.protocol === 'https:',
    keepAliveTimeout: options.keepAliveTimeout ?? 10_000,
  });
}
