/** Registries: `/namespaces/{ns}/registries[/{name}[/test|/pull-secret]]`. */
import { API_VERSION, type ObjectMeta, type RegistrySpec } from '../../../src/api/types.ts';
import { arrived, nsPath, query, request, type List, type Registry } from './client.ts';

/** What `POST .../test` answers (and records in the registry's status). */
export interface RegistryTestResult {
  reachable?: boolean;
  authenticated?: boolean;
  /** Let in without credentials (none were asked for, so none were tried). */
  anonymous?: boolean;
  message?: string;
  [k: string]: unknown;
}

/** Every registry the token sees (up to 1000). */
export const REGISTRY_LIST_PATH = `registries${query({ limit: 1000 })}`;

export function listRegistries(signal?: AbortSignal): Promise<List<Registry>> {
  return request<List<Registry>>(REGISTRY_LIST_PATH, { signal });
}

/** What `listRegistries` would answer, when the first screen's early GET has already brought it (api/early.ts). */
export const arrivedRegistries = () => arrived(REGISTRY_LIST_PATH, (list: List<Registry>) => list);

type RegistryMeta = Pick<ObjectMeta, 'name' | 'namespace' | 'resourceVersion' | 'labels' | 'annotations'>;

/** Creates a registry, or replaces `existing` (PUT; a stale resourceVersion answers 409). */
export function saveRegistry(existing: Registry | null, metadata: RegistryMeta, spec: RegistrySpec): Promise<Registry> {
  const body = { apiVersion: API_VERSION, kind: 'Registry', metadata, spec };
  return existing
    ? request<Registry>(nsPath(existing.metadata.namespace, 'registries', existing.metadata.name), { method: 'PUT', body })
    : request<Registry>(nsPath(metadata.namespace, 'registries'), { method: 'POST', body });
}

export async function deleteRegistry(r: Registry): Promise<void> {
  await request(nsPath(r.metadata.namespace, 'registries', r.metadata.name), { method: 'DELETE' });
}

/** 测试连接: the server pings the registry with its credentials. */
export function testRegistry(r: Registry): Promise<RegistryTestResult> {
  return request<RegistryTestResult>(nsPath(r.metadata.namespace, 'registries', r.metadata.name, 'test'), { method: 'POST', body: {} });
}

/** What `GET .../pull-secret` answers: the commands a user runs with their own password (never the stored one). */
export interface RegistryPullSecret {
  server: string;
  username?: string;
  secretName: string;
  kubeNamespace: string;
  commands: { tug: string; kubectl: string };
}

/** 拉取凭证命令: the commands that create an image pull Secret for `r` (400 for a name Kubernetes would refuse). */
export function registryPullSecret(r: Registry, options: { secretName?: string; kubeNamespace?: string }, signal?: AbortSignal): Promise<RegistryPullSecret> {
  return request<RegistryPullSecret>(`${nsPath(r.metadata.namespace, 'registries', r.metadata.name, 'pull-secret')}${query(options)}`, { signal });
}
