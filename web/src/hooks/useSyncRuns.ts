/** A repository's sync runs and one run's log, polled while they are in progress. */
import { useQuery } from '@tanstack/react-query';
import type { Repository, SyncRun } from '../api/client.ts';
import { getSyncRunLog, listSyncRuns } from '../api/repositories.ts';
import { keys } from './queryKeys.ts';

/** The newest 50 runs; every 2 s while `syncing`. */
export function useSyncRuns(namespace: string, name: string, options: { enabled: boolean; syncing: boolean }) {
  return useQuery({
    queryKey: keys.runs(namespace, name),
    queryFn: ({ signal }) => listSyncRuns(namespace, name, signal),
    enabled: options.enabled,
    refetchInterval: options.syncing ? 2000 : false,
  });
}

/** The log of `run` (none while null); every 2 s while it runs. */
export function useSyncRunLog(repo: Repository, run: SyncRun | null) {
  const runName = run?.metadata.name ?? '';
  return useQuery({
    queryKey: keys.runLog(repo.metadata.namespace, repo.metadata.name, runName),
    queryFn: ({ signal }) => getSyncRunLog(repo, runName, signal),
    enabled: run !== null,
    refetchInterval: run?.status.phase === 'Running' ? 2000 : false,
  });
}
