/**
 * A small Docker token issuer (distribution docs/spec/auth/token.md) for
 * tests: the real registry runs with `auth: token` and trusts the
 * self-signed certificate generated here (rootcertbundle); tokens are RS256
 * JWTs carrying that certificate in their `x5c` header, which is how
 * distribution's token verifier finds the signing key.
 *
 * Policy: users in `users` get every action they ask for; anonymous callers
 * get `pull` only when `anonymousPull` is set. Every request is recorded.
 */
import { execFileSync } from 'node:child_process';
import { createPrivateKey, randomUUID, sign } from 'node:crypto';
import { readFileSync, rmSync } from 'node:fs';
import { type Server, createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { tempDir } from './tmp.ts';

export interface TokenServerOptions {
  users?: Record<string, string>;
  /** Grant `pull` to anonymous callers (default false). */
  anonymousPull?: boolean;
  /** expires_in of issued tokens, seconds (default 300). */
  expiresIn?: number;
  service?: string;
  issuer?: string;
}

export interface TokenRequestRecord {
  account: string | undefined;
  /** The authenticated user, or undefined for an anonymous request. */
  user: string | undefined;
  scopes: string[];
  service: string | undefined;
}

export interface TokenServer {
  /** `http://127.0.0.1:PORT/token` */
  realm: string;
  service: string;
  issuer: string;
  /** The PEM certificate file to give the registry as rootcertbundle. */
  rootCertBundle: string;
  requests: TokenRequestRecord[];
  stop(): Promise<void>;
}

const b64url = (b: Buffer | string) => Buffer.from(b).toString('base64url');

export async function startTokenServer(options: TokenServerOptions = {}): Promise<TokenServer> {
  // Removed by stop(), or at exit when stop() is never reached.
  const dir = tempDir(undefined, 'tug-token-');
  execFileSync('openssl', ['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-keyout', 'token.key', '-out', 'token.crt', '-days', '2', '-subj', '/CN=tugboat-token-issuer'], { cwd: dir, stdio: 'pipe' });
  const key = createPrivateKey(readFileSync(join(dir, 'token.key')));
  const certPem = readFileSync(join(dir, 'token.crt'), 'utf8');
  const certDer = Buffer.from(certPem.replace(/-----[^-]+-----/g, '').replace(/\s+/g, ''), 'base64');
  const service = options.service ?? 'tugboat-test-registry';
  const issuer = options.issuer ?? 'tugboat-test-issuer';
  const requests: TokenRequestRecord[] = [];

  const server: Server = createServer((req, res) => {
    const url = new URL(req.url ?? '/', 'http://x');
    if (url.pathname !== '/token') {
      res.writeHead(404);
      res.end();
      return;
    }
    let user: string | undefined;
    const auth = req.headers.authorization;
    if (auth?.startsWith('Basic ')) {
      const [name, ...rest] = Buffer.from(auth.slice(6), 'base64').toString('utf8').split(':');
      if (!name || options.users?.[name] === undefined || options.users[name] !== rest.join(':')) {
        res.writeHead(401, { 'content-type': 'application/json' });
        res.end('{"details":"incorrect username or password"}');
        return;
      }
      user = name;
    }
    const scopes = url.searchParams.getAll('scope');
    requests.push({ account: url.searchParams.get('account') ?? undefined, user, scopes, service: url.searchParams.get('service') ?? undefined });
    const access = scopes.flatMap((s) => {
      const [type, ...rest] = s.split(':');
      const actions = (rest.pop() ?? '').split(',').filter(Boolean);
      const name = rest.join(':');
      const granted = user ? actions : options.anonymousPull ? actions.filter((a) => a === 'pull') : [];
      return type && name ? [{ type, name, actions: granted }] : [];
    });
    const now = Math.floor(Date.now() / 1000);
    const expiresIn = options.expiresIn ?? 300;
    const header = { alg: 'RS256', typ: 'JWT', x5c: [certDer.toString('base64')] };
    const claims = { iss: issuer, sub: user ?? '', aud: service, exp: now + expiresIn, nbf: now - 10, iat: now, jti: randomUUID(), access };
    const signingInput = `${b64url(JSON.stringify(header))}.${b64url(JSON.stringify(claims))}`;
    const token = `${signingInput}.${b64url(sign('sha256', Buffer.from(signingInput), key))}`;
    res.writeHead(200, { 'content-type': 'application/json' });
    res.end(JSON.stringify({ token, access_token: token, expires_in: expiresIn, issued_at: new Date(now * 1000).toISOString() }));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as AddressInfo).port;
  return {
    realm: `http://127.0.0.1:${port}/token`,
    service,
    issuer,
    rootCertBundle: join(dir, 'token.crt'),
    requests,
    stop: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => {
          rmSync(dir, { recursive: true, force: true });
          resolve();
        });
      }),
  };
}
