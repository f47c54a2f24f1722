/**
 * Namespaces for the selectors: `GET /namespaces`, every namespace the token
 * sees (one holding a registry or a repository, or named in a scoped token),
 * however many there are, in one small answer (issue 16: the selector used to
 * page through up to 1,000 full repositories and registries to find them).
 */
import { arrived, request } from './client.ts';

interface NamespaceList {
  items: { metadata: { name: string } }[];
}

const namesOf = (list: NamespaceList): string[] => list.items.map((n) => n.metadata.name);

export async function listNamespaces(signal?: AbortSignal): Promise<string[]> {
  return namesOf(await request<NamespaceList>('namespaces', { signal }));
}

/** What `listNamespaces` would answer, when the first screen's early GET has already brought it (api/early.ts). */
export const arrivedNamespaces = () => arrived('namespaces', namesOf);
