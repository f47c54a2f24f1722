/**
 * The admin pages' queries: tokens, the audit log (paged by the server's
 * continue token) and a namespace's webhooks with their delivery logs. A
 * new token or webhook secret is never put in a query: those stay in the
 * dialog that shows them once.
 */
import { keepPreviousData, useInfiniteQuery, useQuery } from '@tanstack/react-query';
import { type AuditFilter, listAudit } from '../api/audit.ts';
import { listTokens } from '../api/tokens.ts';
import { listDeliveries, listWebhooks, type Webhook } from '../api/webhooks.ts';

/** The admin pages' query keys (invalidated by their mutations). */
export const adminKeys = {
  tokens: ['tokens'] as const,
  audit: (filter: AuditFilter) => ['auditlogs', filter] as const,
  webhooks: (ns: string) => ['webhooks', ns] as const,
  deliveries: (ns: string, name: string) => ['webhook-deliveries', ns, name] as const,
};

const AUDIT_PAGE = 50;

export function useTokens() {
  return useQuery({ queryKey: adminKeys.tokens, queryFn: ({ signal }) => listTokens(signal) });
}

/** The entries matching `filter`, newest first, AUDIT_PAGE at a time (`fetchNextPage` for older ones). */
export function useAuditLog(filter: AuditFilter) {
  return useInfiniteQuery({
    queryKey: adminKeys.audit(filter),
    queryFn: ({ signal, pageParam }) => listAudit(filter, { limit: AUDIT_PAGE, continue: pageParam, signal }),
    initialPageParam: undefined as string | undefined,
    getNextPageParam: (last) => last.continue,
    placeholderData: keepPreviousData,
  });
}

export function useWebhooks(namespace: string | undefined) {
  return useQuery({ queryKey: adminKeys.webhooks(namespace ?? ''), queryFn: ({ signal }) => listWebhooks(namespace!, signal), enabled: namespace !== undefined });
}

/** `webhook`'s delivery log (none while null), every 5 s while open: retries land on their own. */
export function useDeliveries(webhook: Webhook | null) {
  return useQuery({
    queryKey: adminKeys.deliveries(webhook?.metadata.namespace ?? '', webhook?.metadata.name ?? ''),
    queryFn: ({ signal }) => listDeliveries(webhook!, signal),
    enabled: webhook !== null,
    refetchInterval: 5000,
  });
}
