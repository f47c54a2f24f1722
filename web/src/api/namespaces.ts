/**
 * Namespaces for the selectors: `GET /namespaces`, every namespace the token
 * sees (one holding a registry or a repository, or named in a scoped token),
 * however many there are, in one small answer (issue 16: the selector used to
 * page through up to 1,000 full repositories and registries to find them).
 */
import { request } from './client.ts';

interface NamespaceList {
  items: { metadata: { name: string } }[];
}

export async function listNamespaces(signal?: AbortSignal): Promise<string[]> {
  const list = await request<NamespaceList>('namespaces', { signal });
  return list.items.map((n) => n.metadata.name);
}
