/**
 * Storage: `GET /storage` (bytes per namespace, Registry and Repository, each
 * blob counted once) and a namespace's warning threshold,
 * `PUT /namespaces/{ns}/settings` (admin; docs/api.md "Storage").
 */
import type { NamespaceSettings } from '../../../src/api/types.ts';
import { nsPath, query, request } from './client.ts';

/** Unique blobs (configs and layers) and their bytes. */
export interface Usage {
  blobs: number;
  bytes: number;
}

export interface StorageReport {
  kind: 'StorageReport';
  namespaces: { name: string; source: Usage; mirror: Usage; warningBytes?: number; warning: boolean }[];
  registries: { namespace: string; name: string; source: Usage; mirror: Usage }[];
  /** The biggest first, `limit` of them. */
  repositories: { namespace: string; name: string; source: Usage; mirror: Usage }[];
  metadata: { repositories: number };
}

export function getStorage(options: { namespace?: string; limit?: number } = {}, signal?: AbortSignal): Promise<StorageReport> {
  return request<StorageReport>(`storage${query({ namespace: options.namespace, limit: options.limit })}`, { signal });
}

/**
 * Sets the namespace's storage warning (`5GiB`, `500GB` or a number of
 * bytes; the server parses it) or, with null, removes it. The settings hold
 * nothing else today, so a PUT of this one field replaces them whole.
 */
export async function putStorageWarning(namespace: string, storageWarning: string | number | null): Promise<NamespaceSettings> {
  const answer = await request<{ spec: NamespaceSettings }>(nsPath(namespace, 'settings'), { method: 'PUT', body: { spec: { storageWarning } } });
  return answer.spec;
}
