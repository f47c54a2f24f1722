/**
 * Namespaces for the selectors. The API has no namespaces endpoint, so they
 * are the namespaces that hold a registry or a repository (first 1000 of each).
 */
import { listRegistries } from './registries.ts';
import { listRepositories } from './repositories.ts';

export async function listNamespaces(signal?: AbortSignal): Promise<string[]> {
  const [regs, repos] = await Promise.all([listRegistries(signal), listRepositories({ namespace: undefined, q: '' }, { limit: 1000 }, signal)]);
  const set = new Set<string>();
  for (const o of [...regs.items, ...repos.items]) set.add(o.metadata.namespace);
  return [...set].sort();
}
