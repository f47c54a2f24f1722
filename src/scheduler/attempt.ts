/**
 * One attempt of a scheduled sync, which is one SyncRun: create the run,
 * reach the Registries, run the sync under the repository's syncTimeout and
 * the replica's shutdown signal, keep its log, record the outcome, prune old
 * runs. Never throws for a sync failure: the failure is the outcome.
 */
import { randomBytes } from 'node:crypto';
import { DEFAULT_SYNC_TIMEOUT } from '../api/schema.ts';
import { repositoryUsage } from '../api/storage-usage.ts';
import { API_VERSION, type ObjectRef, type Repository, type RepositoryStatus, type RunLogLine, type SyncRun, type SyncTrigger } from '../api/types.ts';
import { TugError, errorCode, errorText } from '../errors/index.ts';
import type { RegistryAccess } from '../registry-access/registry-access.ts';
import type { Store } from '../store/types.ts';
import type { SchedulerEvent } from './events.ts';
import { isFinalFailure } from './retry-policy.ts';
import type { SyncInput, SyncOutput } from './sync-repository.ts';

/** What every attempt needs from the scheduler that runs it. */
export interface AttemptContext {
  store: Store;
  replicaId: string;
  now: () => number;
  /** The sync itself. */
  sync: (input: SyncInput) => Promise<SyncOutput>;
  /** Runs kept per repository when one finishes. */
  keepSyncRuns: number;
  /** Host and SystemContext of a Registry `ref` (spec.`field` of a repository in `namespace`). */
  access: (ref: ObjectRef, namespace: string, field: string) => Promise<RegistryAccess>;
  emit: (e: SchedulerEvent) => void;
}

/** One attempt. */
export interface Attempt {
  repo: Repository;
  /** The repository's status before this attempt. */
  before: RepositoryStatus;
  trigger: SyncTrigger;
  attemptNo: number;
  timeoutMs: number;
  /** Aborts on shutdown or a lost lease: the run is then Interrupted, not Failed. */
  shutdown: AbortSignal;
  /** Called once the SyncRun exists, before `run-started` is emitted. */
  onRunCreated: (run: SyncRun) => void;
}

export interface AttemptOutcome {
  result: 'success' | 'failure' | 'interrupted';
  /** The repository's status after the attempt. */
  status: RepositoryStatus;
  error?: string;
  /** A failure another attempt cannot mend (retry-policy.ts): not retried. */
  final?: boolean;
}

/** Kubernetes-style generated name suffix: 5 characters of [a-z0-9]. */
function suffix(): string {
  const alphabet = 'bcdfghjklmnpqrstvwxz2456789';
  return [...randomBytes(5)].map((b) => alphabet[b % alphabet.length]).join('');
}

/** Runs one attempt as one SyncRun. */
export async function runAttempt(ctx: AttemptContext, a: Attempt): Promise<AttemptOutcome> {
  const { repo, before, trigger, attemptNo, timeoutMs } = a;
  const { store } = ctx;
  const { namespace, name } = repo.metadata;
  const started = ctx.now();
  const runName = `${name.slice(0, 240)}-${suffix()}`;
  let run: SyncRun = {
    apiVersion: API_VERSION,
    kind: 'SyncRun',
    metadata: { name: runName, namespace, labels: { 'image.theriseunion.io/repository': name } },
    spec: { repositoryName: name, trigger, attempt: attemptNo },
    status: { phase: 'Running', startTime: new Date(started).toISOString(), runner: ctx.replicaId, digestBefore: before.observedDigest },
  };
  run = await store.createRun(run);
  a.onRunCreated(run);
  ctx.emit({ type: 'run-started', run });

  // Log lines are buffered and flushed in order, so a slow store never slows the engine.
  const pending: RunLogLine[] = [];
  let flushing: Promise<void> = Promise.resolve();
  const flush = () => {
    if (pending.length === 0) return flushing;
    const lines = pending.splice(0);
    flushing = flushing.then(() => store.appendRunLog(namespace, runName, lines)).catch(() => {});
    return flushing;
  };
  const log = (level: RunLogLine['level'], message: string) => {
    pending.push({ time: new Date(ctx.now()).toISOString(), level, message });
    if (pending.length >= 20) void flush();
  };
  log('info', `sync ${namespace}/${name} (${trigger}, attempt ${attemptNo}) on ${ctx.replicaId}`);

  const timeout = new AbortController();
  const timer = setTimeout(() => timeout.abort(new TugError('ABORTED', `syncTimeout ${repo.spec.syncTimeout ?? DEFAULT_SYNC_TIMEOUT} exceeded`)), timeoutMs);
  const signal = AbortSignal.any([a.shutdown, timeout.signal]);
  let result: 'success' | 'failure' | 'interrupted';
  let status: RepositoryStatus;
  let error: string | undefined;
  let final = false;
  let output: SyncOutput | undefined;
  try {
    const source = await ctx.access(repo.spec.registryRef, namespace, 'registryRef');
    const mirror = repo.spec.mirror
      ? {
          access: await ctx.access(repo.spec.mirror.registryRef, namespace, 'mirror.registryRef'),
          repository: repo.spec.mirror.repository ?? repo.spec.repository,
          tag: repo.spec.mirror.tag ?? repo.spec.tag,
        }
      : undefined;
    output = await abortable(ctx.sync({ repository: repo, source, mirror, previous: before, signal, log }), signal);
    const at = new Date(ctx.now()).toISOString();
    status = {
      ...before,
      ...output.status,
      ...output.followed?.status,
      syncStatus: 'Success',
      lastSynced: at,
      lastRunName: runName,
      health: { pullable: true, checkedAt: at },
    };
    delete status.message;
    delete status.reason;
    if (!output.followed) {
      // spec.tags removed: what it followed is no longer this Repository's to report.
      delete status.tags;
      delete status.tagsStorage;
    }
    if (!output.followed?.status.tagsOmitted) delete status.tagsOmitted;
    status.storage = repositoryUsage({ spec: repo.spec, status });
    log('info', `done: ${output.digestAfter}${output.digestBefore && output.digestBefore !== output.digestAfter ? ` (was ${output.digestBefore})` : ''}`);
    const failures = output.followed?.failures ?? [];
    const listingError = output.followed?.listingError;
    if (failures.length === 0 && !listingError) result = 'success';
    else {
      // The Repository's status is the worst of its tags': spec.tag's fields above are this sync's, the failed tags say why in status.tags.
      result = 'failure';
      const total = output.followed!.status.tags.length;
      const shown = failures.slice(0, 3).map((f) => `${f.tag}: ${f.error}`).join('; ');
      const parts = [...(listingError ? [listingError] : []), ...(failures.length > 0 ? [`${failures.length} of ${total} followed tags failed: ${shown}${failures.length > 3 ? `; and ${failures.length - 3} more (status.tags)` : ''}`] : [])];
      error = parts.join('; ');
      status = { ...status, syncStatus: 'Failed', message: error, reason: failures.length > 0 ? 'TagsFailed' : 'TagListFailed' };
      final = !listingError && failures.every((f) => f.final);
      log('error', error);
    }
    ctx.emit({ type: 'registry-health', namespace: repo.spec.registryRef.namespace ?? namespace, name: repo.spec.registryRef.name, healthy: true });
  } catch (err) {
    const shutdown = a.shutdown.aborted;
    result = shutdown ? 'interrupted' : 'failure';
    error = timeout.signal.aborted && !shutdown ? `sync timed out: syncTimeout ${repo.spec.syncTimeout ?? DEFAULT_SYNC_TIMEOUT} exceeded` : errorText(err);
    log(shutdown ? 'warn' : 'error', error);
    const at = new Date(ctx.now()).toISOString();
    status = {
      ...before,
      syncStatus: shutdown ? before.syncStatus : 'Failed',
      lastRunName: runName,
      message: error,
      reason: timeout.signal.aborted && !shutdown ? 'Timeout' : errorCode(err),
      ...(shutdown ? {} : { health: { pullable: false, checkedAt: at, message: error } }),
    };
    final = !shutdown && !timeout.signal.aborted && isFinalFailure(err);
    if (!shutdown && err instanceof TugError && ['AUTH', 'TLS', 'TRANSIENT'].includes(err.code)) {
      ctx.emit({ type: 'registry-health', namespace: repo.spec.registryRef.namespace ?? namespace, name: repo.spec.registryRef.name, healthy: false });
    }
  } finally {
    clearTimeout(timer);
  }
  const ended = ctx.now();
  run = {
    ...run,
    status: {
      ...run.status,
      phase: result === 'success' ? 'Succeeded' : result === 'failure' ? 'Failed' : 'Interrupted',
      completionTime: new Date(ended).toISOString(),
      ...(error !== undefined ? { error } : {}),
      bytesMoved: output?.bytesMoved ?? 0,
      ...(output ? { digestAfter: output.digestAfter, layersAdded: output.layersAdded, layersRemoved: output.layersRemoved } : {}),
      ...(output?.followed ? { tags: output.followed.runTags } : {}),
    },
  };
  await flush();
  await store.updateRun(namespace, runName, run.status);
  await store.pruneRuns(namespace, name, ctx.keepSyncRuns).catch((err: unknown) => {
    // History that stays a little longer is no reason to fail the sync.
    ctx.emit({ type: 'error', message: `pruning the sync runs of ${namespace}/${name}: ${errorText(err)}`, error: err });
  });
  ctx.emit({ type: 'run-finished', run, result, durationMs: ended - started, bytesMoved: output?.bytesMoved ?? 0 });
  return { result, status, ...(error !== undefined ? { error } : {}), ...(final ? { final } : {}) };
}

/**
 * Rejects as soon as `signal` aborts, even if `p` ignores the signal for a
 * while (the engine checks it between requests; a stalled read must not hold
 * a run past its timeout).
 */
function abortable<T>(p: Promise<T>, signal: AbortSignal): Promise<T> {
  if (signal.aborted) return Promise.reject(signal.reason);
  return new Promise<T>((resolve, reject) => {
    const onAbort = () => reject(signal.reason);
    signal.addEventListener('abort', onAbort, { once: true });
    p.then(
      (v) => {
        signal.removeEventListener('abort', onAbort);
        resolve(v);
      },
      (e: unknown) => {
        signal.removeEventListener('abort', onAbort);
        reject(e);
      },
    );
  });
}
