/**
 * Bearer tokens and roles. A token is `tug_` + 32 random bytes (base64url);
 * the store keeps only its SHA-256. Roles nest: viewer (read) < editor
 * (write repositories and registries, trigger syncs, test registries) <
 * admin (everything, plus tokens and the audit log). A token may be scoped
 * to namespaces: other namespaces are invisible to it (404 on get, filtered
 * out of lists and watches, 403 on create).
 */
import { createHash, randomBytes, randomUUID } from 'node:crypto';
import type { Role } from '../api/types.ts';
import type { Store, StoredToken } from '../store/types.ts';
import { ApiError } from './errors.ts';

export interface Principal {
  /** The token's name: what the audit log records. */
  name: string;
  role: Role;
  /** Undefined = every namespace. */
  namespaces?: readonly string[] | undefined;
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

/** Reads `Authorization: Bearer TOKEN` and finds the token. 401 when absent or unknown. */
export async function authenticate(store: Store, header: string | undefined): Promise<Principal> {
  const m = header ? /^Bearer\s+(\S+)\s*$/i.exec(header) : null;
  if (!m) throw new ApiError(401, 'Unauthorized', 'authentication required: send "Authorization: Bearer TOKEN"');
  const found = await store.findToken(hashToken(m[1]!));
  if (!found) throw new ApiError(401, 'Unauthorized', 'the bearer token is not valid');
  return { name: found.name, role: found.role, namespaces: found.namespaces };
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

/**
 * The first admin token. With `tokenFromFile` (the --admin-token-file
 * contents) that token is registered as "admin" unless already known; else,
 * when the store has no token at all, one is generated and returned (the
 * caller prints it once). Returns undefined when nothing new was made.
 */
export async function ensureAdminToken(store: Store, tokenFromFile: string | undefined): Promise<{ token: string; generated: boolean } | undefined> {
  if (tokenFromFile !== undefined) {
    const t = tokenFromFile.trim();
    if (t.length < 16) throw new ApiError(400, 'BadRequest', 'the admin token file must hold a token of at least 16 characters');
    if (await store.findToken(hashToken(t))) return undefined;
    await createToken(store, { name: (await store.countTokens()) === 0 ? 'admin' : `admin-${Date.now().toString(36)}`, role: 'admin' }, t);
    return { token: t, generated: false };
  }
  if ((await store.countTokens()) > 0) return undefined;
  const { token } = await createToken(store, { name: 'admin', role: 'admin' });
  return { token, generated: true };
}
