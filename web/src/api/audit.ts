/** The audit log (admin only): `GET /auditlogs`, newest first, filtered and paged by the server. */
import { AUDIT_KINDS, AUDIT_VERBS, type AuditEntry, type AuditQuery } from '../../../src/api/types.ts';
import { query, request } from './client.ts';

export type { AuditEntry };
export { AUDIT_KINDS, AUDIT_VERBS };
/** Exact matches; `since`/`until` are RFC 3339 times. Empty fields are left out. */
export type AuditFilter = AuditQuery;

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
