/**
 * Registry authentication: the `WWW-Authenticate` challenge (RFC 7235), Basic
 * (RFC 7617), and the Docker token flow (distribution `docs/spec/auth/token.md`):
 * GET realm?service=S&scope=repository:NAME:pull[,push] with Basic
 * credentials when we have them, anonymously otherwise. Tokens are cached per
 * registry + identity + scope set until shortly before they expire; a 401 on
 * a request made with a cached token invalidates it and the caller retries
 * exactly once.
 *
 * Credentials and tokens never leave this module except as the value of an
 * Authorization header the client attaches to requests to the registry host.
 */
import type { Credentials } from '../context/system-context.ts';
import { RegistryError, TugError, redactUrl } from '../errors/index.ts';
import { errorFromResponse, loginHint } from './errors.ts';

/** One challenge from a WWW-Authenticate header: scheme (lower-case) and auth-params (keys lower-case). */
export interface Challenge {
  scheme: string;
  params: Record<string, string>;
}

/**
 * Parses a WWW-Authenticate header into challenges. Handles quoted strings
 * with escapes, commas inside quotes, several challenges in one header, and
 * token68 values (ignored).
 */
export function parseWwwAuthenticate(header: string): Challenge[] {
  const out: Challenge[] = [];
  let i = 0;
  const n = header.length;
  const skipWs = () => {
    while (i < n && (header[i] === ' ' || header[i] === '\t' || header[i] === ',')) i++;
  };
  const readToken = () => {
    const start = i;
    while (i < n && /[!#$%&'*+.^_`|~0-9A-Za-z-]/.test(header[i]!)) i++;
    return header.slice(start, i);
  };
  while (i < n) {
    skipWs();
    const scheme = readToken();
    if (!scheme) {
      i++;
      continue;
    }
    const challenge: Challenge = { scheme: scheme.toLowerCase(), params: {} };
    out.push(challenge);
    // auth-params: key=value pairs separated by commas, until the next scheme.
    for (;;) {
      while (i < n && (header[i] === ' ' || header[i] === '\t')) i++;
      const save = i;
      const key = readToken();
      while (i < n && (header[i] === ' ' || header[i] === '\t')) i++;
      if (!key || header[i] !== '=') {
        // Not a param: the next challenge's scheme (or a token68, read as a param-less scheme).
        i = save;
        break;
      }
      i++; // '='
      while (i < n && (header[i] === ' ' || header[i] === '\t')) i++;
      let value = '';
      if (header[i] === '"') {
        i++;
        while (i < n && header[i] !== '"') {
          if (header[i] === '\\' && i + 1 < n) i++;
          value += header[i];
          i++;
        }
        i++; // closing quote
      } else {
        const start = i;
        while (i < n && header[i] !== ',' && header[i] !== ' ') i++;
        value = header.slice(start, i);
      }
      challenge.params[key.toLowerCase()] = value;
      while (i < n && (header[i] === ' ' || header[i] === '\t')) i++;
      if (header[i] === ',') {
        i++;
        continue;
      }
      if (i >= n) break;
    }
  }
  return out;
}

/** `repository:NAME:ACTIONS` as the token spec writes scopes. */
export function repositoryScope(repository: string, actions: readonly ('pull' | 'push' | 'delete' | '*')[]): string {
  return `repository:${repository}:${actions.join(',')}`;
}

/** A cached token. */
interface CachedToken {
  token: string;
  expiresAt: number;
}

/** How long a token lasts when the server does not say (the token spec's default). */
export const DEFAULT_TOKEN_LIFETIME_MS = 60_000;

/**
 * When a token answer expires: `issued_at` (RFC 3339) + `expires_in` seconds,
 * falling back to `now` as the issue time and 60 s as the lifetime. A token
 * is used until 10% of its lifetime (at most 10 s) before expiry.
 */
export function tokenExpiry(answer: { expires_in?: unknown; issued_at?: unknown }, now = Date.now()): number {
  const lifetime = typeof answer.expires_in === 'number' && answer.expires_in > 0 ? answer.expires_in * 1000 : DEFAULT_TOKEN_LIFETIME_MS;
  let issued = now;
  if (typeof answer.issued_at === 'string') {
    const t = Date.parse(answer.issued_at);
    // A clock far off (or a bogus issued_at) must not make a token look valid forever or never.
    if (!Number.isNaN(t) && Math.abs(t - now) < 10 * 60_000) issued = t;
  }
  return issued + lifetime - Math.min(10_000, lifetime / 10);
}

/** A small in-memory token cache. Keys are chosen by {@link Authenticator}. */
export class TokenCache {
  private readonly entries = new Map<string, CachedToken>();
  private readonly now: () => number;

  constructor(now: () => number = Date.now) {
    this.now = now;
  }

  get(key: string): string | undefined {
    const e = this.entries.get(key);
    if (!e) return undefined;
    if (this.now() >= e.expiresAt) {
      this.entries.delete(key);
      return undefined;
    }
    return e.token;
  }

  set(key: string, token: string, expiresAt: number): void {
    this.entries.set(key, { token, expiresAt });
  }

  delete(key: string): void {
    this.entries.delete(key);
  }

  get size(): number {
    return this.entries.size;
  }
}

/** What the authenticator needs from the HTTP layer: a GET (or a form POST, for identity tokens) to the token realm. */
export type TokenFetcher = (
  url: URL,
  init: { method: 'GET' | 'POST'; headers: Record<string, string>; body?: string | undefined },
  signal: AbortSignal | undefined,
) => Promise<{ status: number; headers: Record<string, string | string[] | undefined>; body: string }>;

/** The user name auth files use to say "the password is an identity (OAuth2 refresh) token". */
export const IDENTITY_TOKEN_USER = '<token>';

export interface AuthenticatorOptions {
  /** The registry name as the user wrote it (`docker.io`, `127.0.0.1:5000`): for messages and cache keys. */
  registry: string;
  /** A bearer token used as is (`--registry-token`); disables every other flow. */
  registryToken?: string | undefined;
  /** Returns the credentials for a repository (explicit, auth file, helpers) or undefined for anonymous. */
  credentials: (repository: string | undefined) => Promise<Credentials | undefined>;
  fetchToken: TokenFetcher;
  now?: () => number;
}

function basic(c: Credentials): string {
  return `Basic ${Buffer.from(`${c.username}:${c.password}`, 'utf8').toString('base64')}`;
}

/**
 * Produces Authorization header values for requests to one registry.
 * Learns the registry's challenge from the ping (or the first 401), then
 * authenticates preemptively.
 */
export class Authenticator {
  private readonly options: AuthenticatorOptions;
  private challenge: Challenge | undefined;
  /** The scheme (`https:`, `http:`) of the answer that taught {@link challenge}. */
  private challengeFrom: string | undefined;
  readonly cache: TokenCache;
  /** In-flight token requests, so parallel blob requests share one. */
  private readonly pending = new Map<string, Promise<string>>();
  private readonly credentialCache = new Map<string, Promise<Credentials | undefined>>();

  constructor(options: AuthenticatorOptions) {
    this.options = options;
    this.cache = new TokenCache(options.now);
  }

  /**
   * Remembers the registry's preferred challenge (Bearer over Basic) from a
   * 401's WWW-Authenticate, and `from`, the URL (or origin) that answered:
   * a realm may not be less protected than the registry that named it.
   */
  learn(wwwAuthenticate: string | undefined, from: string): void {
    if (!wwwAuthenticate) return;
    const challenges = parseWwwAuthenticate(wwwAuthenticate);
    const chosen = challenges.find((c) => c.scheme === 'bearer' && c.params.realm) ?? challenges.find((c) => c.scheme === 'basic');
    if (!chosen) return;
    this.challenge = chosen;
    this.challengeFrom = new URL(from).protocol;
  }

  /** The scheme learned so far (`bearer`, `basic`) or undefined before any 401. */
  get scheme(): string | undefined {
    return this.options.registryToken ? 'bearer' : this.challenge?.scheme;
  }

  private credentialsFor(repository: string | undefined): Promise<Credentials | undefined> {
    const key = repository ?? '';
    let p = this.credentialCache.get(key);
    if (!p) {
      p = this.options.credentials(repository);
      this.credentialCache.set(key, p);
      p.catch(() => this.credentialCache.delete(key));
    }
    return p;
  }

  private cacheKey(creds: Credentials | undefined, scopes: readonly string[]): string {
    return `${this.options.registry}|${creds ? creds.username : ''}|${[...scopes].sort().join(' ')}`;
  }

  /**
   * The Authorization value for a request needing `scopes`, or undefined
   * when no challenge is known yet (the request goes out anonymously and a
   * 401 teaches us the challenge).
   */
  async authorization(scopes: readonly string[], repository: string | undefined, signal?: AbortSignal): Promise<string | undefined> {
    if (this.options.registryToken) return `Bearer ${this.options.registryToken}`;
    const challenge = this.challenge;
    if (!challenge) return undefined;
    const creds = await this.credentialsFor(repository);
    if (challenge.scheme === 'basic') {
      if (!creds) throw this.missingCredentials();
      return basic(creds);
    }
    if (challenge.scheme === 'bearer') {
      const key = this.cacheKey(creds, scopes);
      const cached = this.cache.get(key);
      if (cached) return `Bearer ${cached}`;
      let p = this.pending.get(key);
      if (!p) {
        p = this.requestToken(challenge, creds, scopes, key, signal).finally(() => this.pending.delete(key));
        this.pending.set(key, p);
      }
      return `Bearer ${await p}`;
    }
    throw new TugError('UNSUPPORTED', `${this.options.registry} asks for ${challenge.scheme} authentication, which Tugboat does not support`);
  }

  /**
   * Called after a 401: learns the new challenge and drops the cached token
   * for `scopes` so that the next {@link authorization} fetches a fresh one.
   * Returns false when a retry cannot help (a fixed registry token, or Basic
   * credentials that were already sent).
   */
  async refresh(wwwAuthenticate: string | undefined, from: string, scopes: readonly string[], repository: string | undefined, sentAuthorization: string | undefined): Promise<boolean> {
    if (this.options.registryToken) return false;
    this.learn(wwwAuthenticate, from);
    if (!this.challenge) return false;
    if (this.challenge.scheme === 'basic') {
      // Sending the same Basic credentials again cannot succeed; without any we must say so.
      if (sentAuthorization?.startsWith('Basic ')) return false;
      if (!(await this.credentialsFor(repository))) throw this.missingCredentials();
      return true;
    }
    const creds = await this.credentialsFor(repository);
    this.cache.delete(this.cacheKey(creds, scopes));
    return true;
  }

  private missingCredentials(): RegistryError {
    return new RegistryError(
      'AUTH',
      `${this.options.registry} requires authentication and no credentials were found`,
      { method: 'GET', url: `https://${this.options.registry}/v2/`, status: 401 },
      { hint: loginHint(this.options.registry) },
    );
  }

  private async requestToken(challenge: Challenge, creds: Credentials | undefined, scopes: readonly string[], key: string, signal: AbortSignal | undefined): Promise<string> {
    const realm = challenge.params.realm ?? '';
    let url: URL;
    try {
      url = new URL(realm);
    } catch {
      throw new TugError('REGISTRY', `${this.options.registry} sent an invalid token realm ${JSON.stringify(realm.slice(0, 100))}`);
    }
    if (url.protocol !== 'https:' && url.protocol !== 'http:') throw new TugError('REGISTRY', `${this.options.registry} sent a token realm with scheme ${url.protocol}`);
    if (url.protocol === 'http:' && this.challengeFrom === 'https:') {
      // The Basic credentials (or identity token) would cross the network in
      // clear, and a token from a plain-HTTP realm is only as good as the path
      // to it. A registry that is itself plain HTTP may have a plain-HTTP realm.
      throw new RegistryError(
        'AUTH',
        `${this.options.registry}: refusing the token realm ${redactUrl(url.origin + url.pathname)}: the registry speaks https but names a plain-http realm, which would send the credentials in clear`,
        { method: 'GET', url: url.origin + url.pathname },
        { hint: "fix the registry's token realm to https (distribution: auth.token.realm)" },
      );
    }
    let res: Awaited<ReturnType<TokenFetcher>>;
    if (creds?.username === IDENTITY_TOKEN_USER) {
      // An identity token is an OAuth2 refresh token: exchange it with a form POST
      // (distribution docs/spec/auth/oauth.md) instead of sending it as Basic.
      const form = new URLSearchParams({ grant_type: 'refresh_token', refresh_token: creds.password, client_id: 'tugboat', access_type: 'offline' });
      if (challenge.params.service) form.set('service', challenge.params.service);
      if (scopes.length) form.set('scope', scopes.join(' '));
      res = await this.options.fetchToken(url, { method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded' }, body: form.toString() }, signal);
    } else {
      if (challenge.params.service) url.searchParams.set('service', challenge.params.service);
      for (const s of scopes) url.searchParams.append('scope', s);
      const headers: Record<string, string> = {};
      if (creds) {
        url.searchParams.set('account', creds.username);
        headers.authorization = basic(creds);
      }
      res = await this.options.fetchToken(url, { method: 'GET', headers }, signal);
    }
    const req = { method: creds?.username === IDENTITY_TOKEN_USER ? 'POST' : 'GET', url: url.toString(), registry: this.options.registry, what: `getting a token from ${redactUrl(url.origin + url.pathname)}` };
    if (res.status === 401 || res.status === 403) {
      throw new RegistryError(
        'AUTH',
        creds
          ? `${this.options.registry}: the token server refused the credentials of "${creds.username}" (HTTP ${res.status})`
          : `${this.options.registry}: the token server refused anonymous access (HTTP ${res.status})`,
        { method: 'GET', url: req.url, status: res.status },
        { hint: loginHint(this.options.registry) },
      );
    }
    if (res.status !== 200) throw errorFromResponse(req, res);
    let answer: { token?: unknown; access_token?: unknown; expires_in?: unknown; issued_at?: unknown };
    try {
      answer = JSON.parse(res.body) as typeof answer;
    } catch {
      throw new TugError('REGISTRY', `${req.what}: the answer is not JSON`);
    }
    const token = typeof answer.token === 'string' && answer.token ? answer.token : typeof answer.access_token === 'string' ? answer.access_token : '';
    if (!token || !/^[\x21-\x7e]+$/.test(token)) throw new TugError('REGISTRY', `${req.what}: the answer holds no usable token`);
    this.cache.set(key, token, tokenExpiry(answer, (this.options.now ?? Date.now)()));
    return token;
  }
}
