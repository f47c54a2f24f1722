/**
 * Nothing stays `Syncing` after its process died: runs left `Running` by a
 * dead process are marked `Interrupted` and their repositories handed back
 * as due. The scheduler runs this at start and then once per lease length.
 */
import type { RepositoryStatus, SyncStatus } from '../api/types.ts';
import type { Store } from '../store/types.ts';

export interface Recovery {
  store: Store;
  /** This replica's id in leases and runs. */
  replicaId: string;
  now: number;
  /** At start every lease this replica id holds is a previous life's. */
  startup: boolean;
  /** Whether this process is running the repository now. */
  isActive(namespace: string, name: string): boolean;
  /** Called for each repository handed back (its next run says `recovery`), before its lease is released. */
  handBack(namespace: string, name: string): void;
}

const key = (ns: string, name: string) => `${ns}/${name}`;

/**
 * Marks runs whose process is gone as Interrupted and makes their
 * repositories due. A lease is dead when it expired, or (at start) when this
 * replica id holds it: that is a previous life's. A Running run is orphaned
 * when its lease is dead, or its runner no longer holds the repository's
 * lease, or it is this replica's and not one this process is running.
 */
export async function recoverOrphans(r: Recovery): Promise<void> {
  const { store, now } = r;
  const dead = new Map<string, { namespace: string; name: string; owner: string }>();
  const consider = (l: { namespace: string; name: string; owner: string }) => {
    if (!r.isActive(l.namespace, l.name)) dead.set(key(l.namespace, l.name), l);
  };
  if (r.startup) for (const l of await store.listLeases(r.replicaId)) consider(l);
  for (const l of await store.listLeases()) consider(l);

  const leasesOf = new Map<string, Set<string>>();
  const leasedBy = async (owner: string): Promise<Set<string>> => {
    let set = leasesOf.get(owner);
    if (!set) {
      set = new Set((await store.listLeases(owner)).map((l) => key(l.namespace, l.name)));
      leasesOf.set(owner, set);
    }
    return set;
  };
  for (const run of await store.listRunningRuns()) {
    const k = key(run.metadata.namespace, run.spec.repositoryName);
    const runner = run.status.runner;
    let orphan: boolean;
    if (runner === r.replicaId) orphan = !r.isActive(run.metadata.namespace, run.spec.repositoryName);
    else orphan = dead.has(k) || !runner || !(await leasedBy(runner)).has(k);
    if (!orphan) continue;
    // The run may have finished since it was listed: its runner writes the
    // final phase before it releases the lease, so a run still Running now
    // (after the lease was seen gone) really has no process.
    const fresh = await store.getRun(run.metadata.namespace, run.metadata.name);
    if (fresh?.status.phase !== 'Running') continue;
    const at = new Date(now).toISOString();
    await store.updateRun(run.metadata.namespace, run.metadata.name, {
      ...run.status,
      phase: 'Interrupted',
      completionTime: at,
      error: `interrupted: the process running it (${runner ?? 'unknown replica'}) stopped`,
    });
    await store.appendRunLog(run.metadata.namespace, run.metadata.name, [{ time: at, level: 'warn', message: 'marked Interrupted: the process running this sync is gone' }]);
  }

  for (const l of dead.values()) {
    const repo = await store.get('Repository', l.namespace, l.name);
    if (!repo) continue;
    if (repo.status?.syncStatus === 'Syncing') {
      await store.updateStatus('Repository', l.namespace, l.name, {
        ...repo.status,
        syncStatus: settledSyncStatus(repo.status),
        message: 'the previous sync was interrupted (its server stopped); syncing again',
      });
    }
    r.handBack(l.namespace, l.name);
    // Releasing with the dead owner's id: a replica that claimed it meanwhile keeps it.
    await store.releaseLease(l.namespace, l.name, l.owner, now);
  }
}

/**
 * What a Repository whose sync stopped midway shows: the outcome of its last
 * finished sync (Failed when that image no longer pulls), Pending when it
 * never synced.
 */
export function settledSyncStatus(status: RepositoryStatus): SyncStatus {
  return status.lastSynced ? (status.health?.pullable === false ? 'Failed' : 'Success') : 'Pending';
}
