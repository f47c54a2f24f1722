/** The audit log (admin only): `GET /auditlogs`, newest first, filtered and paged by the server. */
import type { AuditEntry } from '../../../src/api/types.ts';
import { query, request } from './client.ts';

export type { AuditEntry };

/** Verbs and kinds the server records (src/server/routes/admin.ts: a value outside them is a 400). */
export const AUDIT_VERBS = ['create', 'update', 'patch', 'delete', 'sync', 'test'] as const satisfies readonly AuditEntry['verb'][];
export const AUDIT_KINDS = ['Registry', 'Repository', 'Token', 'Webhook', 'NamespaceSettings', 'MirrorImage'] as const;

/** Exact matches; `since`/`until` are RFC 3339 times. Empty fields are left out. */
export interface AuditFilter {
  user?: string;
  kind?: string;
  verb?: string;
  namespace?: string;
  since?: string;
  until?: string;
}

export interface AuditPage {
  items: AuditEntry[];
  totalCount?: number;
  /** Present while older entries remain. */
  continue?: string;
}

export async function listAudit(filter: AuditFilter, options: { limit: number; continue?: string | undefined; signal?: AbortSignal }): Promise<AuditPage> {
  const list = await request<{ metadata: { totalCount?: number; continue?: string }; items: AuditEntry[] }>(`auditlogs${query({ ...filter, limit: options.limit, continue: options.continue })}`, { signal: options.signal });
  return { items: list.items, totalCount: list.metadata.totalCount, continue: list.metadata.continue };
}
