/**
 * `GET /namespaces/{ns}/repositories/{name}/dependencies`: the other
 * Repositories sharing image layers with one, as the console's 依赖关系 tab
 * lists them. Worked out on the server because list items no longer carry
 * layers (resources.ts listItem, issue 15 "Scale"); it reads every
 * Repository the caller sees a page at a time, so memory stays bounded
 * whatever their number.
 */
import { API_VERSION, type Repository } from '../api/types.ts';
import type { Store } from '../store/types.ts';
import { listItem } from './resources.ts';

export interface Dependency {
  /** The other Repository, as a list carries it. */
  repository: Repository;
  /** Layers it shares with this one, and their bytes. */
  sharedLayers: number;
  sharedBytes: number;
}

/** Layers of every platform (and the default one): digest -> size. */
export function layersOf(r: Repository): Map<string, number> {
  const out = new Map<string, number>();
  const ms = [...(r.status?.platforms ?? []), ...(r.status?.manifest ? [r.status.manifest] : [])];
  for (const m of ms) for (const l of m.layers ?? []) out.set(l.digest, Number(l.size) || 0);
  return out;
}

export async function dependenciesOf(store: Store, repo: Repository, namespaces: readonly string[] | undefined) {
  const mine = layersOf(repo);
  const items: Dependency[] = [];
  let compared = 0;
  let cont: string | undefined;
  if (mine.size > 0) {
    do {
      const page = await store.list('Repository', { namespaces, limit: 1000, continue: cont });
      for (const other of page.items) {
        if (other.metadata.namespace === repo.metadata.namespace && other.metadata.name === repo.metadata.name) continue;
        compared++;
        let sharedLayers = 0;
        let sharedBytes = 0;
        for (const [digest, size] of layersOf(other)) {
          if (!mine.has(digest)) continue;
          sharedLayers++;
          sharedBytes += size;
        }
        if (sharedLayers > 0) items.push({ repository: listItem(other), sharedLayers, sharedBytes });
      }
      cont = page.continue;
    } while (cont);
  }
  items.sort((a, b) => b.sharedLayers - a.sharedLayers || b.sharedBytes - a.sharedBytes);
  return {
    apiVersion: API_VERSION,
    kind: 'RepositoryDependencies',
    metadata: { namespace: repo.metadata.namespace, name: repo.metadata.name },
    /** Layers of this Repository, and how many other Repositories were compared with it. */
    layers: mine.size,
    compared,
    items,
  };
}
