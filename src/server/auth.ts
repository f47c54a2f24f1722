/**
 * Bearer tokens and roles. A token is `tug_` + 32 random bytes (base64url);
 * the store keeps only its SHA-256. Roles nest: viewer (read) < editor
 * (write repositories and registries, trigger syncs, test registries) <
 * admin (everything, plus tokens and the audit log). A token may be scoped
 * to namespaces: other namespaces are invisible to it (404 on get, filtered
 * out of lists and watches, 403 on create). A scoped admin administers its
 * namespaces only: it grants and sees tokens {@link within} them (as a
 * Kubernetes RoleBinding cannot grant more than its author holds, and a
 * Harbor project admin manages its project's members only).
 */
import { createHash, randomBytes, randomUUID } from 'node:crypto';
import type { Role } from '../api/types.ts';
import { TugError } from '../errors/index.ts';
import { StoreConflict } from '../store/types.ts';
import type { Store, StoredToken } from '../store/types.ts';
import { ApiError } from './errors.ts';
import type { LoginLimiter } from './login-limiter.ts';

export interface Principal {
  /** The token's store id. */
  id: string;
  /** The token's name: what the audit log records. */
  name: string;
  role: Role;
  /** Undefined = every namespace. */
  namespaces?: readonly string[] | undefined;
  /** SHA-256 of the bearer token: a long request (a watch) re-checks that the token still exists. */
  hash: string;
}

const RANK: Record<Role, number> = { viewer: 0, editor: 1, admin: 2 };

export function hashToken(token: string): string {
  return createHash('sha256').update(token, 'utf8').digest('hex');
}

export function generateToken(): string {
  return `tug_${randomBytes(32).toString('base64url')}`;
}

export function hasRole(p: Principal, role: Role): boolean {
  return RANK[p.role] >= RANK[role];
}

export function canSee(p: Principal, namespace: string): boolean {
  return p.namespaces === undefined || p.namespaces.includes(namespace);
}

/**
 * True when every namespace in `namespaces` is one `p` may see; undefined
 * (every namespace) is within an unscoped principal only. A scoped admin
 * may create, list and delete exactly the tokens within its scope.
 */
export function within(p: Principal, namespaces: readonly string[] | undefined): boolean {
  if (p.namespaces === undefined) return true;
  return namespaces !== undefined && namespaces.every((ns) => p.namespaces!.includes(ns));
}

/**
 * Reads `Authorization: Bearer TOKEN` and finds the token. 401 when absent or
 * unknown; with a `limiter`, 429 (details.retryAfterSeconds) once `address`
 * has failed too often, before the token is even looked up.
 */
export async function authenticate(store: Store, header: string | undefined, guard?: { limiter: LoginLimiter; address: string }): Promise<Principal> {
  const m = header ? /^Bearer\s+(\S+)\s*$/i.exec(header) : null;
  if (!m) throw new ApiError(401, 'Unauthorized', 'authentication required: send "Authorization: Bearer TOKEN"');
  const wait = guard?.limiter.retryAfter(guard.address);
  if (wait !== undefined) {
    throw new ApiError(429, 'TooManyRequests', `too many failed logins from ${guard!.address}; try again in ${wait} s`, { retryAfterSeconds: wait });
  }
  const hash = hashToken(m[1]!);
  const found = await store.findToken(hash);
  if (!found) {
    guard?.limiter.failed(guard.address);
    throw new ApiError(401, 'Unauthorized', 'the bearer token is not valid');
  }
  return { id: found.id, name: found.name, role: found.role, namespaces: found.namespaces, hash };
}

export function requireRole(p: Principal, role: Role, what: string): void {
  if (!hasRole(p, role)) throw new ApiError(403, 'Forbidden', `token "${p.name}" (role ${p.role}) may not ${what}: it needs role ${role}`);
}

/**
 * Creates a token and returns it in clear (shown once). The store keeps the
 * hash only.
 */
export async function createToken(store: Store, spec: { name: string; role: Role; namespaces?: string[] | undefined }, token = generateToken()): Promise<{ token: string; stored: StoredToken }> {
  const stored: StoredToken = { id: randomUUID(), name: spec.name, role: spec.role, namespaces: spec.namespaces, createdAt: new Date().toISOString() };
  await store.createToken(stored, hashToken(token));
  return { token, stored };
}

/** The name --admin-token-file's token is registered under; a new file replaces it. */
export const FILE_TOKEN_NAME = 'admin-file';
export const MIN_FILE_TOKEN_LENGTH = 32;

/** Rejects a file token that is short or obviously not random (`aaaa...`, `abab...`). */
export function checkFileToken(token: string): void {
  const hint = 'generate one, e.g. "openssl rand -base64 32"';
  if (token.length < MIN_FILE_TOKEN_LENGTH) {
    throw new TugError('USAGE', `the admin token file must hold a token of at least ${MIN_FILE_TOKEN_LENGTH} characters (it holds ${token.length})`, { hint });
  }
  if (/\s/.test(token)) throw new TugError('USAGE', 'the admin token file must hold one token without spaces', { hint });
  if (new Set(token).size < 8) throw new TugError('USAGE', 'the admin token in the file is too predictable (fewer than 8 different characters)', { hint });
}

/**
 * The first admin token. With `tokenFromFile` (the --admin-token-file
 * contents) that token is registered as {@link FILE_TOKEN_NAME}; when the
 * file changed, the token of the old file is revoked (the file is the one
 * source of that token, so rotating the file rotates the token). Without a
 * file, when the store has no token at all, one is generated and returned
 * (the caller prints it once). Returns undefined when nothing new was made.
 * @throws TugError USAGE for a weak file token ({@link checkFileToken}).
 */
export async function ensureAdminToken(store: Store, tokenFromFile: string | undefined): Promise<{ token: string; generated: boolean } | undefined> {
  if (tokenFromFile !== undefined) {
    const t = tokenFromFile.trim();
    checkFileToken(t);
    const hash = hashToken(t);
    const known = await store.findToken(hash);
    if (known?.name === FILE_TOKEN_NAME && known.role === 'admin' && known.namespaces === undefined) return undefined;
    // Another file's token, or this token under another name (older versions
    // named file tokens "admin" / "admin-<time>"): re-register it as the file's.
    for (const old of await store.listTokens()) {
      if (old.name === FILE_TOKEN_NAME || old.id === known?.id) await store.deleteToken(old.id);
    }
    try {
      await createToken(store, { name: FILE_TOKEN_NAME, role: 'admin' }, t);
    } catch (err) {
      // Another replica registered the same file at the same moment.
      if (err instanceof StoreConflict && (await store.findToken(hash))?.name === FILE_TOKEN_NAME) return undefined;
      throw err;
    }
    return { token: t, generated: false };
  }
  if ((await store.countTokens()) > 0) return undefined;
  const { token } = await createToken(store, { name: 'admin', role: 'admin' });
  return { token, generated: true };
}
