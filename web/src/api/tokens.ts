/**
 * API tokens (admin only): `POST /tokens` answers the token once in
 * `status.token`; `GET /tokens` never holds it; `DELETE /tokens/{name}`
 * revokes (the token's open watches end at once).
 */
import type { Role } from '../../../src/api/types.ts';
import { request } from './client.ts';

/** A token as `GET /tokens` lists it: name, role and scope, never the token. */
export interface TokenItem {
  metadata: { name: string; uid?: string; creationTimestamp?: string };
  spec: { role: Role; namespaces?: string[] };
}

export interface TokenSpec {
  name: string;
  role: Role;
  /** Absent: every namespace (only an unscoped admin may grant that). */
  namespaces?: string[];
}

export async function listTokens(signal?: AbortSignal): Promise<TokenItem[]> {
  return (await request<{ items: TokenItem[] }>('tokens', { signal })).items;
}

/**
 * Creates a token and returns its value, which the server shows this once.
 * The caller keeps it in component state only (never a query cache or
 * storage) and drops it when the dialog showing it closes.
 */
export async function createToken(spec: TokenSpec): Promise<{ item: TokenItem; token: string }> {
  const created = await request<TokenItem & { status: { token: string } }>('tokens', { method: 'POST', body: spec });
  const { status, ...item } = created;
  return { item, token: status.token };
}

export async function revokeToken(name: string): Promise<void> {
  await request(`tokens/${encodeURIComponent(name)}`, { method: 'DELETE' });
}
