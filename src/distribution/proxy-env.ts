/**
 * The proxy settings of the environment, read exactly as Go's
 * `http.ProxyFromEnvironment` reads them (golang.org/x/net/http/httpproxy),
 * so that `tug` behind a corporate proxy behaves as skopeo, podman and
 * docker do with the same variables:
 *
 * - HTTPS_PROXY for https targets, HTTP_PROXY for http targets; for each,
 *   the upper-case name first, then the lower-case one (the first non-empty
 *   wins). ALL_PROXY is not read (Go does not either).
 * - With REQUEST_METHOD set (a CGI program), HTTP_PROXY is refused: in CGI it
 *   comes from the client's `Proxy:` header (httpoxy, Go issue 16405).
 *   HTTPS_PROXY still applies.
 * - A value without a scheme (`proxy:3128`) means `http://proxy:3128`.
 * - `localhost` and loopback IP literals are never proxied.
 * - NO_PROXY is a comma list: `*` (nothing is proxied); an IP or a CIDR
 *   (matched only against IP-literal targets); `[v6]:port` / `v4:port`;
 *   a name that matches itself and every name below it (`example.com`), or
 *   only names below it (`.example.com`, `*.example.com`); any of them with
 *   `:port` to match that port only. Matching is case-insensitive; a
 *   malformed entry is ignored.
 *
 * Pure: the environment is a parameter. proxy.ts turns the result into the
 * connection the client makes.
 */
import { BlockList, isIP } from 'node:net';
import { domainToASCII } from 'node:url';
import { TugError } from '../errors/index.ts';

/** The proxy variables, as Go's `httpproxy.Config` holds them. */
export interface ProxyEnvironment {
  httpProxy: string;
  httpsProxy: string;
  noProxy: string;
  /** REQUEST_METHOD is set: HTTP_PROXY may come from a client header and is refused. */
  cgi: boolean;
}

/** The first non-empty of the names, as Go's `getEnvAny`. */
function firstSet(env: Readonly<Record<string, string | undefined>>, ...names: string[]): string {
  for (const name of names) {
    const v = env[name];
    if (v) return v;
  }
  return '';
}

/** Reads the proxy variables from `env` (upper case first, as Go does). */
export function proxyEnvironment(env: Readonly<Record<string, string | undefined>>): ProxyEnvironment {
  return {
    httpProxy: firstSet(env, 'HTTP_PROXY', 'http_proxy'),
    httpsProxy: firstSet(env, 'HTTPS_PROXY', 'https_proxy'),
    noProxy: firstSet(env, 'NO_PROXY', 'no_proxy'),
    cgi: Boolean(env.REQUEST_METHOD),
  };
}

/** One NO_PROXY entry: is a target host (lower case, no brackets) and port exempt? */
type Matcher = (host: string, port: string, ipFamily: number) => boolean;

/** Splits `host:port` / `[v6]:port` as Go's net.SplitHostPort does; undefined when it is not that shape. */
function splitHostPort(text: string): { host: string; port: string } | undefined {
  if (text.startsWith('[')) {
    const end = text.indexOf(']');
    if (end < 0 || text[end + 1] !== ':') return undefined;
    return { host: text.slice(1, end), port: text.slice(end + 2) };
  }
  const colon = text.lastIndexOf(':');
  if (colon < 0 || text.indexOf(':') !== colon) return undefined;
  return { host: text.slice(0, colon), port: text.slice(colon + 1) };
}

function cidrMatcher(text: string): Matcher | undefined {
  const slash = text.indexOf('/');
  if (slash < 0) return undefined;
  const ip = text.slice(0, slash);
  const bitsText = text.slice(slash + 1);
  const family = isIP(ip);
  if (family === 0 || !/^\d{1,3}$/.test(bitsText) || Number(bitsText) > (family === 4 ? 32 : 128)) return undefined;
  const list = new BlockList();
  const type = family === 4 ? 'ipv4' : 'ipv6';
  list.addSubnet(ip, Number(bitsText), type);
  return (host, _port, ipFamily) => ipFamily === family && list.check(host, type);
}

/** Compiles NO_PROXY into matchers, following httpproxy's `config.init`. */
export function parseNoProxy(noProxy: string): Matcher[] {
  const matchers: Matcher[] = [];
  for (const raw of noProxy.split(',')) {
    const entry = raw.trim().toLowerCase();
    if (entry === '') continue;
    if (entry === '*') return [() => true];
    const cidr = cidrMatcher(entry);
    if (cidr) {
      matchers.push(cidr);
      continue;
    }
    const split = splitHostPort(entry);
    if (split && split.host === '') continue;
    const host = split ? split.host : entry;
    const port = split ? split.port : '';
    if (isIP(host) !== 0) {
      const family = isIP(host);
      const list = new BlockList();
      list.addAddress(host, family === 4 ? 'ipv4' : 'ipv6');
      matchers.push((h, p, f) => f === family && list.check(h, f === 4 ? 'ipv4' : 'ipv6') && (port === '' || port === p));
      continue;
    }
    // `*.example.com` and `.example.com` match only below; `example.com` also itself.
    const name = host.startsWith('*.') ? host.slice(1) : host;
    const matchSelf = !name.startsWith('.');
    const suffix = domainToASCII(matchSelf ? `.${name}` : name.slice(1)) || name;
    const dotted = matchSelf ? suffix : `.${suffix}`;
    matchers.push((h, p) => (h.endsWith(dotted) || (matchSelf && h === dotted.slice(1))) && (port === '' || port === p));
  }
  return matchers;
}

const DEFAULT_PORTS: Readonly<Record<string, string>> = { 'http:': '80', 'https:': '443' };

/** Is `target` to go through a proxy under `noProxy`? Go's `useProxy` on the target's canonical address. */
export function useProxy(target: URL, noProxy: readonly Matcher[]): boolean {
  const host = target.hostname.replace(/^\[|\]$/g, '').toLowerCase();
  const port = target.port || DEFAULT_PORTS[target.protocol] || '';
  if (host === 'localhost') return false;
  const family = isIP(host);
  if (family === 4 && host.startsWith('127.')) return false;
  if (family === 6 && isIpv6Loopback(host)) return false;
  return !noProxy.some((m) => m(host, port, family));
}

function isIpv6Loopback(host: string): boolean {
  const list = new BlockList();
  list.addAddress('::1', 'ipv6');
  // ::ffff:127.x.y.z is loopback to Go too (IsLoopback on its 4-byte form).
  list.addSubnet('::ffff:127.0.0.0', 104, 'ipv6');
  return list.check(host, 'ipv6');
}

/**
 * Parses a proxy address as Go does: a value without `scheme://` is read as
 * `http://VALUE`. Only http and https proxies are supported (Go also takes
 * socks5, which undici's Agent here does not carry): anything else is USAGE
 * naming `source` (the variable or the setting it came from).
 */
export function parseProxyAddress(value: string, source: string): URL {
  let url: URL | undefined;
  try {
    url = new URL(value);
  } catch {
    url = undefined;
  }
  // `proxy:3128` parses as scheme "proxy:"; Go's "no host" test sends it to the http:// retry too.
  if (!url || url.host === '' || !/^[a-z][a-z0-9+.-]*:\/\//i.test(value)) {
    try {
      url = new URL(`http://${value}`);
    } catch {
      url = undefined;
    }
  }
  if (!url || url.hostname === '') {
    throw new TugError('USAGE', `${source}: proxy address ${JSON.stringify(redactProxy(value))} is not a URL`, { hint: 'give http://HOST:PORT (or https://HOST:PORT)' });
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') {
    throw new TugError('USAGE', `${source}: proxy scheme ${url.protocol.slice(0, -1)} is not supported`, { hint: 'give an http:// or https:// proxy' });
  }
  if ((url.pathname !== '/' && url.pathname !== '') || url.search || url.hash) {
    throw new TugError('USAGE', `${source}: proxy address ${redactProxy(url.href)} has a path, query or fragment`, { hint: 'give only http://HOST:PORT' });
  }
  return url;
}

/** A proxy address safe to show: user and password replaced. */
export function redactProxy(value: string): string {
  return value.replace(/^([a-z][a-z0-9+.-]*:\/\/)?[^/@]*@/i, (_m, scheme: string | undefined) => `${scheme ?? ''}REDACTED@`);
}

/**
 * The proxy `target` goes through under `env` (see the module comment), or
 * undefined for a direct connection. Throws USAGE for a bad proxy address
 * and for HTTP_PROXY in a CGI environment (Go's error, for the same reason).
 */
export function proxyForUrl(env: ProxyEnvironment, target: URL, noProxy: readonly Matcher[] = parseNoProxy(env.noProxy)): URL | undefined {
  let value: string;
  let source: string;
  if (target.protocol === 'https:') {
    value = env.httpsProxy;
    source = 'HTTPS_PROXY';
  } else if (target.protocol === 'http:') {
    value = env.httpProxy;
    source = 'HTTP_PROXY';
    if (value && env.cgi) {
      throw new TugError('USAGE', 'refusing to use HTTP_PROXY in a CGI environment (REQUEST_METHOD is set): a client can set it with a Proxy header', { hint: 'use HTTPS_PROXY, or unset REQUEST_METHOD' });
    }
  } else {
    return undefined;
  }
  if (!value) return undefined;
  if (!useProxy(target, noProxy)) return undefined;
  return parseProxyAddress(value, source);
}
