/**
 * Egress policy: where the registry client may open connections. `tug serve`
 * uses one so that an API caller who may edit a Registry's URL (or a
 * registry answering with a token realm or a redirect) cannot make the
 * server reach its cloud metadata endpoint or another address the operator
 * closed (SSRF). The CLI has none: its user points it where they want.
 *
 * The check runs inside the connection itself, after DNS: {@link
 * egressConnector} gives undici a connector whose `lookup` resolves the name,
 * drops every address the policy refuses and hands the rest to the socket, so
 * the address checked is the address connected to (no second resolution an
 * attacker's DNS could answer differently). IP literals, which the socket
 * never resolves, are checked before the socket is opened. A refusal happens
 * before any byte (or SYN) is sent.
 *
 * Rules are CIDRs or single addresses (`10.0.0.0/8`, `fd00::/8`,
 * `169.254.169.254`) and host names, exact (`metadata.google.internal`) or by
 * suffix (`*.internal`: any name below `internal`, not `internal` itself).
 * Precedence, first match wins:
 *
 *   1. an explicit deny (`--egress-deny`) of the name or of the address
 *   2. an explicit allow (`--egress-allow`) of the name or of the address
 *   3. a default deny (link-local, cloud metadata: {@link DEFAULT_DENY})
 *   4. everything else is allowed (loopback and private networks are normal
 *      at the edge, where registries live on 10/8 and 127.0.0.1)
 *
 * So an explicit allow re-opens a default deny (`--egress-allow
 * 169.254.169.254`), and an explicit deny always wins over an explicit allow.
 * IPv4-mapped (::ffff:a.b.c.d) and NAT64 (64:ff9b::a.b.c.d) IPv6 addresses are
 * judged as the IPv4 address they reach.
 */
import type { LookupAddress, LookupOneOptions } from 'node:dns';
import { BlockList, type LookupFunction, isIP } from 'node:net';
import type { buildConnector as BuildConnector } from 'undici';
import type { EgressPolicy } from '../context/system-context.ts';
import { TugError } from '../errors/index.ts';
import { buildConnector } from './undici.ts';

export type { EgressPolicy } from '../context/system-context.ts';

/**
 * Denied unless explicitly allowed, most specific first (the first match
 * names the reason). 169.254.169.254 serves AWS, GCP, Azure, Oracle,
 * DigitalOcean and OpenStack metadata; fd00:ec2::254 is AWS's IPv6 IMDS;
 * 100.100.100.200 is Alibaba Cloud's; the names are GCP's, refused before
 * DNS is even asked.
 */
export const DEFAULT_DENY: readonly (readonly [rule: string, reason: string])[] = [
  ['169.254.169.254', 'cloud metadata'],
  ['fd00:ec2::254', 'cloud metadata'],
  ['100.100.100.200', 'cloud metadata'],
  ['metadata.google.internal', 'cloud metadata'],
  ['metadata.goog', 'cloud metadata'],
  ['169.254.0.0/16', 'link-local'],
  ['fe80::/10', 'link-local'],
];

/** One parsed rule. */
export interface EgressRule {
  /** As written: `10.0.0.0/8`, `*.corp.example`, `metadata.goog`. */
  text: string;
  matches(name: string | undefined, address: string | undefined): boolean;
}

const LABEL = /^[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?$/;

function isHostName(s: string): boolean {
  return s.length > 0 && s.length <= 253 && s.split('.').every((l) => LABEL.test(l));
}

/** Lower case, no trailing dot: how names are compared. */
function normaliseName(name: string): string {
  return name.toLowerCase().replace(/\.$/, '');
}

/** The 16-bit groups of an IPv6 address (which must be valid). */
function ipv6Groups(address: string): number[] {
  let text = address.toLowerCase().split('%')[0]!;
  const dotted = /(\d+\.\d+\.\d+\.\d+)$/.exec(text);
  if (dotted) {
    const [a, b, c, d] = dotted[1]!.split('.').map(Number) as [number, number, number, number];
    text = `${text.slice(0, -dotted[1]!.length)}${((a << 8) | b).toString(16)}:${((c << 8) | d).toString(16)}`;
  }
  const [head, tail] = text.includes('::') ? (text.split('::') as [string, string]) : [text, undefined];
  const parse = (s: string) => (s ? s.split(':').map((g) => parseInt(g, 16)) : []);
  const left = parse(head);
  if (tail === undefined) return left;
  const right = parse(tail);
  return [...left, ...new Array<number>(8 - left.length - right.length).fill(0), ...right];
}

/**
 * The address a connection to `address` reaches, for judging: IPv4-mapped
 * and NAT64 (RFC 6052 well-known prefix) IPv6 addresses become their IPv4
 * address; anything else is returned as is.
 */
export function effectiveAddress(address: string): string {
  if (isIP(address) !== 6) return address;
  const g = ipv6Groups(address);
  const mapped = g.slice(0, 5).every((x) => x === 0) && g[5] === 0xffff;
  const nat64 = g[0] === 0x64 && g[1] === 0xff9b && g.slice(2, 6).every((x) => x === 0);
  if (!mapped && !nat64) return address;
  return [g[6]! >> 8, g[6]! & 0xff, g[7]! >> 8, g[7]! & 0xff].join('.');
}

/** Parses one `--egress-allow` / `--egress-deny` value; USAGE naming the value when it is neither a CIDR, an address nor a host name. */
export function parseEgressRule(text: string): EgressRule {
  const usage = (why: string) =>
    new TugError('USAGE', `egress rule ${JSON.stringify(text)}: ${why}`, { hint: 'give a CIDR (10.0.0.0/8), an address (169.254.169.254), a host name (metadata.google.internal) or *.suffix' });
  const slash = text.indexOf('/');
  const ip = slash >= 0 ? text.slice(0, slash) : text;
  const family = isIP(ip);
  if (family !== 0) {
    const max = family === 4 ? 32 : 128;
    const bits = slash >= 0 ? Number(text.slice(slash + 1)) : max;
    if (!/^\d{1,3}$/.test(slash >= 0 ? text.slice(slash + 1) : String(max)) || bits > max) throw usage(`the prefix length must be 0 to ${max}`);
    const list = new BlockList();
    list.addSubnet(ip, bits, family === 4 ? 'ipv4' : 'ipv6');
    const type = family === 4 ? 'ipv4' : 'ipv6';
    return { text, matches: (_name, address) => address !== undefined && isIP(address) === family && list.check(address, type) };
  }
  if (slash >= 0) throw usage('the part before "/" is not an IP address');
  const lower = normaliseName(text);
  if (lower.startsWith('*.')) {
    const suffix = lower.slice(2);
    if (!isHostName(suffix)) throw usage('not a host name after "*."');
    return { text, matches: (name) => name !== undefined && name.endsWith(`.${suffix}`) };
  }
  if (!isHostName(lower)) throw usage('not a CIDR, an IP address or a host name');
  return { text, matches: (name) => name === lower };
}

export interface EgressOptions {
  /** `--egress-allow` values: re-open a default deny. */
  allow?: readonly string[] | undefined;
  /** `--egress-deny` values: always refused. */
  deny?: readonly string[] | undefined;
}

/** A policy with the rules it was built from, for the server's start-up log. */
export interface EgressPolicyWithRules extends EgressPolicy {
  readonly allow: readonly string[];
  readonly deny: readonly string[];
}

/**
 * Builds a policy: {@link DEFAULT_DENY} plus `allow` / `deny` with the
 * precedence in this module's comment. Throws USAGE on a malformed rule.
 */
export function createEgressPolicy(options: EgressOptions = {}): EgressPolicyWithRules {
  const deny = (options.deny ?? []).map(parseEgressRule);
  const allow = (options.allow ?? []).map(parseEgressRule);
  const defaults = DEFAULT_DENY.map(([rule, reason]) => ({ rule: parseEgressRule(rule), reason }));
  return {
    allow: allow.map((r) => r.text),
    deny: deny.map((r) => r.text),
    refusal(host, resolved) {
      const literal = isIP(host) !== 0;
      const name = literal ? undefined : normaliseName(host);
      const raw = resolved ?? (literal ? host : undefined);
      const address = raw === undefined ? undefined : effectiveAddress(raw);
      const subject = address === undefined ? name! : name === undefined ? address : `${name} at ${address}`;
      const explicit = deny.find((r) => r.matches(name, address));
      if (explicit) return `egress policy refuses ${subject} (--egress-deny ${explicit.text})`;
      if (allow.some((r) => r.matches(name, address))) return undefined;
      const hit = defaults.find((d) => d.rule.matches(name, address));
      if (!hit) return undefined;
      // Suggest the narrowest rule that re-opens exactly this target.
      const reopen = hit.rule.matches(name, undefined) ? name : address;
      return `egress policy refuses ${subject} (${hit.reason}); allow it with --egress-allow ${reopen}`;
    },
  };
}

function refused(message: string): TugError {
  return new TugError('UNSAFE_INPUT', message);
}

/**
 * A `lookup` for net/tls.connect that resolves like dns.lookup and keeps only
 * the addresses `policy` allows; when none is left the connection fails with
 * the refusal of the first. A name the policy refuses is not even resolved.
 */
export function egressLookup(policy: EgressPolicy): LookupFunction {
  return (hostname, options, callback) => {
    const byName = policy.refusal(hostname, undefined);
    if (byName) {
      callback(refused(byName), '', 0);
      return;
    }
    // node:dns loads here, not at import: a registry named by an IP address (the common case
    // for short commands on a LAN) never needs it, and loading it costs every command ~5 ms.
    process.getBuiltinModule('node:dns').lookup(hostname, { ...(options as LookupOneOptions), all: true }, (err, addresses: LookupAddress[]) => {
      if (err) {
        callback(err, '', 0);
        return;
      }
      const allowed = addresses.filter((a) => policy.refusal(hostname, a.address) === undefined);
      if (allowed.length === 0) {
        callback(refused(policy.refusal(hostname, addresses[0]?.address) ?? `egress policy refuses ${hostname}`), '', 0);
        return;
      }
      if ((options as { all?: boolean }).all) callback(null, allowed);
      else callback(null, allowed[0]!.address, allowed[0]!.family);
    });
  };
}

/** The refusal for an IP-literal host (which no lookup sees), or undefined for a name or an allowed address. */
export function literalRefusal(policy: EgressPolicy, host: string): string | undefined {
  return isIP(host) !== 0 ? policy.refusal(host, host) : undefined;
}

/**
 * An undici connector (Agent `connect` option) that opens TCP/TLS like
 * undici's own with `options` (TLS settings), but only to addresses `policy`
 * allows. A refusal fails the request with an UNSAFE_INPUT TugError, which
 * the client neither wraps nor retries.
 */
export function egressConnector(policy: EgressPolicy, options: BuildConnector.BuildOptions): BuildConnector.connector {
  const connect = buildConnector({ ...options, lookup: egressLookup(policy) });
  return (opts, callback) => {
    const refusal = literalRefusal(policy, opts.hostname);
    if (refusal) {
      callback(refused(refusal), null);
      return;
    }
    connect(opts, callback);
  };
}
