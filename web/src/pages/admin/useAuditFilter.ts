/**
 * The audit page's filters, kept in the URL (reload, back and a shared link
 * keep them): `?user=&verb=&kind=&namespace=&since=&until=`, the names the
 * API takes, so the URL's filter is the request's.
 */
import { useCallback, useMemo } from 'react';
import { useSearchParams } from 'react-router';
import type { AuditFilter } from '../../api/audit.ts';

export const AUDIT_FILTER_KEYS = ['user', 'verb', 'kind', 'namespace', 'since', 'until'] as const satisfies readonly (keyof AuditFilter)[];

export function useAuditFilter(): { filter: AuditFilter; set: (patch: AuditFilter) => void; clear: () => void } {
  const [params, setParams] = useSearchParams();
  const filter = useMemo(() => {
    const f: AuditFilter = {};
    for (const k of AUDIT_FILTER_KEYS) {
      const v = params.get(k);
      if (v) f[k] = v;
    }
    return f;
  }, [params]);
  const set = useCallback(
    (patch: AuditFilter) =>
      setParams(
        (prev) => {
          const next = new URLSearchParams(prev);
          for (const [k, v] of Object.entries(patch)) {
            if (v) next.set(k, v);
            else next.delete(k);
          }
          return next;
        },
        { replace: true },
      ),
    [setParams],
  );
  const clear = useCallback(() => setParams(new URLSearchParams(), { replace: true }), [setParams]);
  return { filter, set, clear };
}
