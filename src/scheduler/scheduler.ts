/**
 * The sync scheduler of `tug serve`. Each replica runs one; they share the
 * work through the store's leases (`claimDue`): a due repository is leased
 * to exactly one replica, which renews the lease while the run lasts and
 * releases it with the next due time (now + syncInterval ± 10 %).
 *
 * Guarantees:
 * - At most `maxConcurrent` syncs at once per replica; never two runs of one
 *   repository at once (the lease, and a local set for belt and braces).
 * - `syncTimeout` aborts a run (an AbortSignal handed to the engine).
 * - `retryCount` failed attempts are retried with exponential backoff; each
 *   attempt is its own SyncRun. Failures that another attempt cannot mend
 *   (see {@link FINAL_CODES}) are not retried.
 * - Nothing stays `Syncing`: at start, runs left `Running` by a dead process
 *   (its lease expired, or held by this replica's previous life) are marked
 *   `Interrupted` and their repositories made due; on graceful shutdown
 *   in-flight runs get a deadline, then are interrupted and handed back.
 *
 * Silent: reports through `onEvent` (the server turns events into metrics).
 */
import { randomBytes } from 'node:crypto';
import { parseDuration } from '../api/duration.ts';
import { DEFAULT_RETRY_COUNT, DEFAULT_SYNC_INTERVAL, DEFAULT_SYNC_TIMEOUT } from '../api/schema.ts';
import { API_VERSION, type ObjectRef, type Registry, type Repository, type RepositoryStatus, type RunLogLine, type SyncRun, type SyncTrigger } from '../api/types.ts';
import { TugError } from '../errors/index.ts';
import type { Store } from '../store/types.ts';
import type { EgressPolicy } from '../transports/types.ts';
import { type RegistryAccess, type RegistryCredentials, registryAccess } from './registry-access.ts';
import { type SyncInput, type SyncOutput, syncRepository } from './sync-repository.ts';

/**
 * Failures a retry minutes later cannot mend: wrong or missing credentials, a
 * certificate that does not verify, a tag or Registry that does not exist,
 * bad input. Retrying them only repeats the error, and repeated failed logins
 * lock accounts on registries that count them (Harbor, Docker Hub). The next
 * scheduled sync, or a manual one after the fix, tries again. (skopeo's
 * --retry-times skips the same kinds.)
 */
const FINAL_CODES: ReadonlySet<string> = new Set(['AUTH', 'TLS', 'NOT_FOUND', 'USAGE', 'UNSAFE_INPUT', 'UNSUPPORTED']);

/** SyncRuns kept per repository by default (`tug serve --keep-sync-runs`). */
export const DEFAULT_KEEP_SYNC_RUNS = 100;

export type SchedulerEvent =
  | { type: 'run-started'; run: SyncRun }
  | { type: 'run-finished'; run: SyncRun; result: 'success' | 'failure' | 'interrupted'; durationMs: number; bytesMoved: number }
  | { type: 'registry-health'; namespace: string; name: string; healthy: boolean }
  | { type: 'queue'; running: number; waiting: number }
  | { type: 'error'; message: string; error: unknown };

export interface SchedulerOptions {
  store: Store;
  /** This replica's identity in leases and runs. Stable across restarts lets a restart recover its own leases at once. */
  replicaId: string;
  /** Loads a Registry and its decrypted credentials (the server owns the key). */
  loadRegistry: (ref: { namespace: string; name: string }) => Promise<{ registry: Registry; credentials: RegistryCredentials | undefined } | undefined>;
  /** Where syncs may connect (`tug serve --egress-allow/--egress-deny`); undefined: anywhere. */
  egress?: EgressPolicy | undefined;
  /** Syncs at once on this replica (default 4). */
  maxConcurrent?: number;
  /** Lease length; renewed every third of it (default 30 s). */
  leaseMs?: number;
  /** How often to look for due repositories (default 1 s). */
  pollMs?: number;
  /** First retry delay, doubled per attempt up to 5 minutes (default 5 s). */
  retryBaseMs?: number;
  /** ± fraction of syncInterval added to the next due time (default 0.1). */
  jitter?: number;
  /**
   * Runs kept per repository (default {@link DEFAULT_KEEP_SYNC_RUNS}): when a
   * run finishes, older finished runs of its repository and their logs are
   * deleted. History would otherwise grow by one row per interval forever.
   */
  keepSyncRuns?: number;
  /** The sync itself (default {@link syncRepository}); tests may wrap it. */
  sync?: (input: SyncInput) => Promise<SyncOutput>;
  onEvent?: (e: SchedulerEvent) => void;
  now?: () => number;
}

interface Active {
  namespace: string;
  name: string;
  controller: AbortController;
  run: SyncRun | undefined;
  done: Promise<void>;
  /** Set by a manual trigger while running: sync again right after. */
  again: boolean;
}

const key = (ns: string, name: string) => `${ns}/${name}`;

/** Kubernetes-style generated name suffix: 5 characters of [a-z0-9]. */
function suffix(): string {
  const alphabet = 'bcdfghjklmnpqrstvwxz2456789';
  return [...randomBytes(5)].map((b) => alphabet[b % alphabet.length]).join('');
}

/** A message for a person from any error: the TugError's describe() (what failed and what to do). */
export function errorMessage(err: unknown): string {
  if (err instanceof TugError) return err.describe();
  return err instanceof Error ? err.message : String(err);
}

function durationOr(text: string | undefined, fallback: string): number {
  return parseDuration(text ?? fallback) ?? parseDuration(fallback)!;
}

export class Scheduler {
  readonly replicaId: string;
  private readonly store: Store;
  private readonly options: SchedulerOptions;
  private readonly maxConcurrent: number;
  private readonly leaseMs: number;
  private readonly pollMs: number;
  private readonly active = new Map<string, Active>();
  /** Triggers asked for on this replica, consumed when the repository is claimed. */
  private readonly pendingTriggers = new Map<string, SyncTrigger>();
  private readonly now: () => number;
  private timer: NodeJS.Timeout | undefined;
  private ticking: Promise<void> | undefined;
  private kicked = false;
  private stopping = false;
  private started = false;
  private lastRecovery = 0;
  private readonly runWaiters = new Map<string, ((run: SyncRun) => void)[]>();

  constructor(options: SchedulerOptions) {
    this.options = options;
    this.store = options.store;
    this.replicaId = options.replicaId;
    this.maxConcurrent = Math.max(1, options.maxConcurrent ?? 4);
    this.leaseMs = options.leaseMs ?? 30_000;
    this.pollMs = options.pollMs ?? 1000;
    this.now = options.now ?? Date.now;
  }

  /** Recovers what a previous process left behind, then starts polling. */
  async start(): Promise<void> {
    if (this.started) return;
    this.started = true;
    await this.recover(true);
    this.schedule(0);
  }

  /** Runs in flight on this replica. */
  get running(): number {
    return this.active.size;
  }

  /** Looks for due work now instead of at the next poll. */
  kick(): void {
    if (this.stopping || !this.started) return;
    this.kicked = true;
    this.schedule(0);
  }

  /**
   * Makes a repository due now (a manual sync). When it is already syncing
   * on this replica, it runs again right after. Resolves with the run that
   * started within `waitMs` (default 2 s), or undefined when none has (all
   * slots busy, or another replica claimed it).
   */
  async trigger(namespace: string, name: string, trigger: SyncTrigger = 'manual', waitMs = 2000): Promise<{ run: SyncRun | undefined; alreadyRunning: boolean }> {
    const k = key(namespace, name);
    const current = this.active.get(k);
    if (current) {
      current.again = true;
      return { run: current.run, alreadyRunning: true };
    }
    this.pendingTriggers.set(k, trigger);
    const started = new Promise<SyncRun | undefined>((resolve) => {
      const timer = setTimeout(() => resolve(undefined), waitMs);
      const list = this.runWaiters.get(k) ?? [];
      list.push((run) => {
        clearTimeout(timer);
        resolve(run);
      });
      this.runWaiters.set(k, list);
    });
    await this.store.setNextSync(namespace, name, this.now());
    this.kick();
    const run = await started;
    return { run, alreadyRunning: false };
  }

  /** A new repository: due at once, its first run says `create`. */
  async added(namespace: string, name: string): Promise<void> {
    this.pendingTriggers.set(key(namespace, name), 'create');
    await this.store.setNextSync(namespace, name, this.now());
    this.kick();
  }

  /**
   * Graceful shutdown: stops claiming, lets in-flight runs finish until
   * `deadlineMs` (default 20 s), then aborts the rest: they are recorded as
   * `Interrupted` and their repositories handed back as due now.
   */
  async stop(deadlineMs = 20_000): Promise<void> {
    this.stopping = true;
    if (this.timer) clearTimeout(this.timer);
    await this.ticking;
    const all = [...this.active.values()];
    if (all.length > 0) {
      let timer: NodeJS.Timeout | undefined;
      const deadline = new Promise<void>((resolve) => {
        timer = setTimeout(resolve, deadlineMs);
      });
      await Promise.race([Promise.all(all.map((a) => a.done)), deadline]);
      clearTimeout(timer);
      for (const a of this.active.values()) a.controller.abort(new TugError('ABORTED', 'the server is shutting down'));
      await Promise.all([...this.active.values()].map((a) => a.done));
    }
  }

  private schedule(delay: number): void {
    if (this.stopping) return;
    if (this.timer) clearTimeout(this.timer);
    this.timer = setTimeout(() => {
      this.timer = undefined;
      if (this.ticking) {
        // A tick is under way; look again when it ends.
        void this.ticking.then(() => this.schedule(this.kicked ? 0 : this.pollMs));
        return;
      }
      this.ticking = this.tick()
        .catch((err: unknown) => this.emit({ type: 'error', message: `scheduler: ${errorMessage(err)}`, error: err }))
        .finally(() => {
          this.ticking = undefined;
          this.schedule(this.kicked ? 0 : this.pollMs);
        });
    }, delay);
    this.timer.unref?.();
  }

  private emit(e: SchedulerEvent): void {
    try {
      this.options.onEvent?.(e);
    } catch {
      // An observer's bug must not stop the scheduler.
    }
  }

  private async tick(): Promise<void> {
    this.kicked = false;
    if (this.now() - this.lastRecovery > this.leaseMs) await this.recover(false);
    const free = this.maxConcurrent - this.active.size;
    if (free <= 0 || this.stopping) {
      this.emit({ type: 'queue', running: this.active.size, waiting: this.pendingTriggers.size });
      return;
    }
    const claimed = await this.store.claimDue(this.replicaId, this.now(), this.leaseMs, free);
    for (const repo of claimed) {
      const k = key(repo.metadata.namespace, repo.metadata.name);
      if (this.active.has(k) || this.stopping) {
        // Cannot happen with a correct store; hand it back rather than run twice.
        await this.store.releaseLease(repo.metadata.namespace, repo.metadata.name, this.replicaId, this.now());
        continue;
      }
      this.startRepository(repo);
    }
    // A full batch suggests more is due: look again at once.
    if (claimed.length === free && free > 0) this.kicked = true;
    this.emit({ type: 'queue', running: this.active.size, waiting: this.pendingTriggers.size });
  }

  /**
   * Marks runs whose process is gone as Interrupted and makes their
   * repositories due. A lease is dead when it expired, or (at start) when this
   * replica id holds it: that is a previous life's. A Running run is orphaned
   * when its lease is dead, or its runner no longer holds the repository's
   * lease, or it is this replica's and not one this process is running.
   */
  private async recover(startup: boolean): Promise<void> {
    const now = this.now();
    this.lastRecovery = now;
    const dead = new Map<string, { namespace: string; name: string; owner: string }>();
    const consider = (l: { namespace: string; name: string; owner: string }) => {
      if (!this.active.has(key(l.namespace, l.name))) dead.set(key(l.namespace, l.name), l);
    };
    if (startup) for (const l of await this.store.listLeases(this.replicaId)) consider(l);
    for (const l of await this.store.listLeases()) consider(l);

    const leasesOf = new Map<string, Set<string>>();
    const leasedBy = async (owner: string): Promise<Set<string>> => {
      let set = leasesOf.get(owner);
      if (!set) {
        set = new Set((await this.store.listLeases(owner)).map((l) => key(l.namespace, l.name)));
        leasesOf.set(owner, set);
      }
      return set;
    };
    for (const run of await this.store.listRunningRuns()) {
      const k = key(run.metadata.namespace, run.spec.repositoryName);
      const runner = run.status.runner;
      let orphan: boolean;
      if (runner === this.replicaId) orphan = !this.active.has(k);
      else orphan = dead.has(k) || !runner || !(await leasedBy(runner)).has(k);
      if (!orphan) continue;
      // The run may have finished since it was listed: its runner writes the
      // final phase before it releases the lease, so a run still Running now
      // (after the lease was seen gone) really has no process.
      const fresh = await this.store.getRun(run.metadata.namespace, run.metadata.name);
      if (fresh?.status.phase !== 'Running') continue;
      const at = new Date(now).toISOString();
      await this.store.updateRun(run.metadata.namespace, run.metadata.name, {
        ...run.status,
        phase: 'Interrupted',
        completionTime: at,
        error: `interrupted: the process running it (${runner ?? 'unknown replica'}) stopped`,
      });
      await this.store.appendRunLog(run.metadata.namespace, run.metadata.name, [{ time: at, level: 'warn', message: 'marked Interrupted: the process running this sync is gone' }]);
    }

    for (const l of dead.values()) {
      const repo = await this.store.get('Repository', l.namespace, l.name);
      if (!repo) continue;
      if (repo.status?.syncStatus === 'Syncing') {
        await this.store.updateStatus('Repository', l.namespace, l.name, {
          ...repo.status,
          syncStatus: repo.status.lastSynced ? (repo.status.health?.pullable === false ? 'Failed' : 'Success') : 'Pending',
          message: 'the previous sync was interrupted (its server stopped); syncing again',
        });
      }
      this.pendingTriggers.set(key(l.namespace, l.name), 'recovery');
      // Releasing with the dead owner's id: a replica that claimed it meanwhile keeps it.
      await this.store.releaseLease(l.namespace, l.name, l.owner, now);
    }
  }

  private startRepository(repo: Repository): void {
    const k = key(repo.metadata.namespace, repo.metadata.name);
    const controller = new AbortController();
    const active: Active = { namespace: repo.metadata.namespace, name: repo.metadata.name, controller, run: undefined, done: Promise.resolve(), again: false };
    this.active.set(k, active);
    const trigger = this.pendingTriggers.get(k) ?? (repo.status?.syncStatus === 'Syncing' ? 'recovery' : !repo.status?.lastSynced && !repo.status?.lastRunName ? 'create' : 'scheduled');
    this.pendingTriggers.delete(k);
    active.done = this.runRepository(repo, trigger, active)
      .catch((err: unknown) => this.emit({ type: 'error', message: `sync of ${k}: ${errorMessage(err)}`, error: err }))
      .finally(() => {
        this.active.delete(k);
        this.kick();
      });
  }

  /** One claimed repository: every attempt, status, lease renewal, release. */
  private async runRepository(claimed: Repository, trigger: SyncTrigger, active: Active): Promise<void> {
    const { namespace, name } = claimed.metadata;
    const repo = claimed;
    const intervalMs = durationOr(repo.spec.syncInterval, DEFAULT_SYNC_INTERVAL);
    const timeoutMs = durationOr(repo.spec.syncTimeout, DEFAULT_SYNC_TIMEOUT);
    const attempts = 1 + (repo.spec.retryCount ?? DEFAULT_RETRY_COUNT);
    let leaseLost = false;
    const renew = setInterval(() => {
      void this.store.renewLease(namespace, name, this.replicaId, this.now() + this.leaseMs).then(
        (ok) => {
          if (!ok && !leaseLost) {
            leaseLost = true;
            active.controller.abort(new TugError('ABORTED', 'this replica lost the repository\'s lease'));
          }
        },
        () => {},
      );
    }, Math.max(100, Math.floor(this.leaseMs / 3)));
    renew.unref?.();

    let status: RepositoryStatus = { ...(repo.status ?? { syncStatus: 'Pending' }) };
    let nextDueMs = this.now() + this.jittered(intervalMs);
    let interrupted = false;
    try {
      status = { ...status, syncStatus: 'Syncing' };
      delete status.message;
      await this.store.updateStatus('Repository', namespace, name, status);
      for (let attempt = 1; attempt <= attempts; attempt++) {
        const outcome = await this.attempt(repo, status, attempt === 1 ? trigger : 'retry', attempt, timeoutMs, active);
        status = outcome.status;
        if (outcome.result !== 'failure') {
          interrupted = outcome.result === 'interrupted';
          break;
        }
        if (attempt === attempts) break;
        if (outcome.final) {
          status = { ...status, message: `${outcome.error} (not retried: another attempt cannot mend this)` };
          break;
        }
        const delay = Math.min(300_000, (this.options.retryBaseMs ?? 5000) * 2 ** (attempt - 1));
        status = { ...status, syncStatus: 'Syncing', message: `attempt ${attempt} of ${attempts} failed: ${outcome.error}; retrying in ${Math.round(delay / 1000)}s` };
        await this.store.updateStatus('Repository', namespace, name, status);
        const waited = await sleep(delay, active.controller.signal);
        if (!waited) {
          interrupted = true;
          break;
        }
      }
      if (interrupted) {
        // Handed back: due at once, for this replica after a restart or for another one.
        nextDueMs = this.now();
        const syncStatus = status.syncStatus === 'Syncing' ? (status.lastSynced ? (status.health?.pullable === false ? 'Failed' : 'Success') : 'Pending') : status.syncStatus;
        status = { ...status, syncStatus, message: 'the sync was interrupted (server shutting down); it runs again at the next start' };
      }
      if (active.again && !interrupted) nextDueMs = this.now();
      status = { ...status, nextSyncTime: new Date(nextDueMs).toISOString() };
      await this.store.updateStatus('Repository', namespace, name, status);
    } finally {
      clearInterval(renew);
      if (!leaseLost) await this.store.releaseLease(namespace, name, this.replicaId, nextDueMs);
    }
  }

  private jittered(ms: number): number {
    const j = this.options.jitter ?? 0.1;
    return Math.round(ms * (1 - j + Math.random() * 2 * j));
  }

  /** One attempt = one SyncRun. Never throws for a sync failure: it is the outcome. */
  private async attempt(
    repo: Repository,
    before: RepositoryStatus,
    trigger: SyncTrigger,
    attemptNo: number,
    timeoutMs: number,
    active: Active,
  ): Promise<{ result: 'success' | 'failure' | 'interrupted'; status: RepositoryStatus; error?: string; final?: boolean }> {
    const { namespace, name } = repo.metadata;
    const started = this.now();
    const runName = `${name.slice(0, 240)}-${suffix()}`;
    let run: SyncRun = {
      apiVersion: API_VERSION,
      kind: 'SyncRun',
      metadata: { name: runName, namespace, labels: { 'image.theriseunion.io/repository': name } },
      spec: { repositoryName: name, trigger, attempt: attemptNo },
      status: { phase: 'Running', startTime: new Date(started).toISOString(), runner: this.replicaId, digestBefore: before.observedDigest },
    };
    run = await this.store.createRun(run);
    active.run = run;
    for (const w of this.runWaiters.get(key(namespace, name)) ?? []) w(run);
    this.runWaiters.delete(key(namespace, name));
    this.emit({ type: 'run-started', run });

    // Log lines are buffered and flushed in order, so a slow store never slows the engine.
    const pending: RunLogLine[] = [];
    let flushing: Promise<void> = Promise.resolve();
    const flush = () => {
      if (pending.length === 0) return flushing;
      const lines = pending.splice(0);
      flushing = flushing.then(() => this.store.appendRunLog(namespace, runName, lines)).catch(() => {});
      return flushing;
    };
    const log = (level: RunLogLine['level'], message: string) => {
      pending.push({ time: new Date(this.now()).toISOString(), level, message });
      if (pending.length >= 20) void flush();
    };
    log('info', `sync ${namespace}/${name} (${trigger}, attempt ${attemptNo}) on ${this.replicaId}`);

    const timeout = new AbortController();
    const timer = setTimeout(() => timeout.abort(new TugError('ABORTED', `syncTimeout ${repo.spec.syncTimeout ?? DEFAULT_SYNC_TIMEOUT} exceeded`)), timeoutMs);
    const signal = AbortSignal.any([active.controller.signal, timeout.signal]);
    let result: 'success' | 'failure' | 'interrupted';
    let status: RepositoryStatus;
    let error: string | undefined;
    let final = false;
    let output: SyncOutput | undefined;
    try {
      const source = await this.access(repo.spec.registryRef, namespace, 'registryRef');
      const mirror = repo.spec.mirror
        ? {
            access: await this.access(repo.spec.mirror.registryRef, namespace, 'mirror.registryRef'),
            repository: repo.spec.mirror.repository ?? repo.spec.repository,
            tag: repo.spec.mirror.tag ?? repo.spec.tag,
          }
        : undefined;
      output = await abortable((this.options.sync ?? syncRepository)({ repository: repo, source, mirror, previous: before, signal, log }), signal);
      result = 'success';
      const at = new Date(this.now()).toISOString();
      status = {
        ...before,
        ...output.status,
        syncStatus: 'Success',
        lastSynced: at,
        lastRunName: runName,
        health: { pullable: true, checkedAt: at },
      };
      delete status.message;
      log('info', `done: ${output.digestAfter}${output.digestBefore && output.digestBefore !== output.digestAfter ? ` (was ${output.digestBefore})` : ''}`);
      this.emit({ type: 'registry-health', namespace: repo.spec.registryRef.namespace ?? namespace, name: repo.spec.registryRef.name, healthy: true });
    } catch (err) {
      const shutdown = active.controller.signal.aborted;
      result = shutdown ? 'interrupted' : 'failure';
      error = timeout.signal.aborted && !shutdown ? `sync timed out: syncTimeout ${repo.spec.syncTimeout ?? DEFAULT_SYNC_TIMEOUT} exceeded` : errorMessage(err);
      log(shutdown ? 'warn' : 'error', error);
      const at = new Date(this.now()).toISOString();
      status = {
        ...before,
        syncStatus: shutdown ? before.syncStatus : 'Failed',
        lastRunName: runName,
        message: error,
        ...(shutdown ? {} : { health: { pullable: false, checkedAt: at, message: error } }),
      };
      final = !shutdown && !timeout.signal.aborted && err instanceof TugError && FINAL_CODES.has(err.code);
      if (!shutdown && err instanceof TugError && ['AUTH', 'TLS', 'TRANSIENT'].includes(err.code)) {
        this.emit({ type: 'registry-health', namespace: repo.spec.registryRef.namespace ?? namespace, name: repo.spec.registryRef.name, healthy: false });
      }
    } finally {
      clearTimeout(timer);
    }
    const ended = this.now();
    run = {
      ...run,
      status: {
        ...run.status,
        phase: result === 'success' ? 'Succeeded' : result === 'failure' ? 'Failed' : 'Interrupted',
        completionTime: new Date(ended).toISOString(),
        ...(error !== undefined ? { error } : {}),
        bytesMoved: output?.bytesMoved ?? 0,
        ...(output ? { digestAfter: output.digestAfter, layersAdded: output.layersAdded, layersRemoved: output.layersRemoved } : {}),
      },
    };
    await flush();
    await this.store.updateRun(namespace, runName, run.status);
    await this.store.pruneRuns(namespace, name, this.options.keepSyncRuns ?? DEFAULT_KEEP_SYNC_RUNS).catch((err: unknown) => {
      // History that stays a little longer is no reason to fail the sync.
      this.emit({ type: 'error', message: `pruning the sync runs of ${key(namespace, name)}: ${errorMessage(err)}`, error: err });
    });
    this.emit({ type: 'run-finished', run, result, durationMs: ended - started, bytesMoved: output?.bytesMoved ?? 0 });
    return { result, status, ...(error !== undefined ? { error } : {}), ...(final ? { final } : {}) };
  }

  private async access(ref: ObjectRef, namespace: string, field: string): Promise<RegistryAccess> {
    const target = { namespace: ref.namespace ?? namespace, name: ref.name };
    const found = await this.options.loadRegistry(target);
    if (!found) {
      throw new TugError('NOT_FOUND', `registry ${target.namespace}/${target.name} (spec.${field}) does not exist`, { hint: 'create the Registry, or fix the reference' });
    }
    return registryAccess(found.registry, found.credentials, { egress: this.options.egress });
  }
}

/** Resolves false when `signal` aborts first. */
function sleep(ms: number, signal: AbortSignal): Promise<boolean> {
  return new Promise((resolve) => {
    if (signal.aborted) return resolve(false);
    const timer = setTimeout(() => {
      signal.removeEventListener('abort', onAbort);
      resolve(true);
    }, ms);
    const onAbort = () => {
      clearTimeout(timer);
      resolve(false);
    };
    signal.addEventListener('abort', onAbort, { once: true });
  });
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

