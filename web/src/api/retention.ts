/**
 * Retention in a Repository's mirror (docs/api.md "Retention in the
 * mirror"): a plan anyone may read, then an apply of exactly that plan by
 * its `planId` (409 when the mirror changed since it was read).
 */
import { nsPath, query, request, type Repository } from './client.ts';

export type RetentionOrder = 'semver' | 'created';

export interface RetentionPlan {
  kind: 'RetentionPlan';
  spec: { keep: number; by: RetentionOrder; repository?: string };
  status: {
    /** `why` is the server's English reason (pages/repository-detail/detailText.ts words it). */
    keep: { tag: string; digest: string; why: string }[];
    delete: { tag: string; digest: string }[];
    planId: string;
  };
}

export interface RetentionResult {
  kind: 'RetentionResult';
  status: {
    deleted: { tag: string; digest: string }[];
    failed: { tag: string; digest: string; error: string }[];
    kept: { tag: string; digest: string; why: string }[];
  };
}

export function getRetentionPlan(r: Repository, keep: number, by: RetentionOrder, signal?: AbortSignal): Promise<RetentionPlan> {
  return request<RetentionPlan>(`${nsPath(r.metadata.namespace, 'repositories', r.metadata.name, 'retention')}${query({ keep, by })}`, { signal });
}

export function applyRetention(r: Repository, plan: RetentionPlan): Promise<RetentionResult> {
  const body = { keep: plan.spec.keep, by: plan.spec.by, planId: plan.status.planId };
  return request<RetentionResult>(nsPath(r.metadata.namespace, 'repositories', r.metadata.name, 'retention'), { method: 'POST', body });
}
