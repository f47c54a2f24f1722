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
 *   attempt is its own SyncRun (attempt.ts). Failures that another attempt
 *   cannot mend are not retried (retry-policy.ts).
 * - Nothing stays `Syncing`: at start, runs left `Running` by a dead process
 *   (its lease expired, or held by this replica's previous life) are marked
 *   `Interrupted` and their repositories made due (recovery.ts); on graceful
 *   shutdown in-flight runs get a deadline, then are interrupted and handed back.
 *
 * This file is the lifecycle: polling, claiming, one repository's attempts
 * and lease, shutdown. Silent: reports through `onEvent` (events.ts; the
 * server turns events into metrics).
 */
import { parseDuration } from '../api/duration.ts';
import { DEFAULT_RETRY_COUNT, DEFAULT_SYNC_INTERVAL, DEFAULT_SYNC_TIMEOUT } from '../api/schema.ts';
import type { ObjectRef, Registry, Repository, RepositoryStatus, SyncRun, SyncTrigger } from '../api/types.ts';
import type { EgressPolicy } from '../context/system-context.ts';
import { TugError, errorText } from '../errors/index.ts';
import { type RegistryAccess, type RegistryCredentials, registryAccess } from '../registry-access/registry-access.ts';
import type { Store } from '../store/types.ts';
import { type AttemptContext, runAttempt } from './attempt.ts';
import type { SchedulerEvent } from './events.ts';
import { recoverOrphans, settledSyncStatus } from './recovery.ts';
import { retryDelayMs, sleep } from './retry-policy.ts';
import { type SyncInput, type SyncOutput, syncRepository } from './sync-repository.ts';

/** SyncRuns kept per repository by default (`tug serve --keep-sync-runs`). */
export const DEFAULT_KEEP_SYNC_RUNS = 100;

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
  private readonly attemptContext: AttemptContext;

  constructor(options: SchedulerOptions) {
    this.options = options;
    this.store = options.store;
    this.replicaId = options.replicaId;
    this.maxConcurrent = Math.max(1, options.maxConcurrent ?? 4);
    this.leaseMs = options.leaseMs ?? 30_000;
    this.pollMs = options.pollMs ?? 1000;
    this.now = options.now ?? Date.now;
    this.attemptContext = {
      store: this.store,
      replicaId: this.replicaId,
      now: this.now,
      sync: options.sync ?? syncRepository,
      keepSyncRuns: options.keepSyncRuns ?? DEFAULT_KEEP_SYNC_RUNS,
      access: (ref, namespace, field) => this.access(ref, namespace, field),
      emit: (e) => this.emit(e),
    };
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
   * A repository whose spec changed what a sync does (mirror, tags, import
   * mode, platforms): due at once. When it is syncing on this replica, it
   * runs again right after, with the new spec: otherwise the finishing run
   * would set its next sync an interval away and the change would wait.
   * (Not folded into `added`: a new repository claimed before its create
   * call returns would then sync twice.)
   */
  async changed(namespace: string, name: string): Promise<void> {
    const current = this.active.get(key(namespace, name));
    if (current) current.again = true;
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
        .catch((err: unknown) => this.emit({ type: 'error', message: `scheduler: ${errorText(err)}`, error: err }))
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

  /** Interrupts runs whose process is gone and hands their repositories back (recovery.ts). */
  private async recover(startup: boolean): Promise<void> {
    const now = this.now();
    this.lastRecovery = now;
    await recoverOrphans({
      store: this.store,
      replicaId: this.replicaId,
      now,
      startup,
      isActive: (namespace, name) => this.active.has(key(namespace, name)),
      handBack: (namespace, name) => this.pendingTriggers.set(key(namespace, name), 'recovery'),
    });
  }

  private startRepository(repo: Repository): void {
    const k = key(repo.metadata.namespace, repo.metadata.name);
    const controller = new AbortController();
    const active: Active = { namespace: repo.metadata.namespace, name: repo.metadata.name, controller, run: undefined, done: Promise.resolve(), again: false };
    this.active.set(k, active);
    const trigger = this.pendingTriggers.get(k) ?? (repo.status?.syncStatus === 'Syncing' ? 'recovery' : !repo.status?.lastSynced && !repo.status?.lastRunName ? 'create' : 'scheduled');
    this.pendingTriggers.delete(k);
    active.done = this.runRepository(repo, trigger, active)
      .catch((err: unknown) => this.emit({ type: 'error', message: `sync of ${k}: ${errorText(err)}`, error: err }))
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
        const outcome = await runAttempt(this.attemptContext, {
          repo,
          before: status,
          trigger: attempt === 1 ? trigger : 'retry',
          attemptNo: attempt,
          timeoutMs,
          shutdown: active.controller.signal,
          onRunCreated: (run) => this.runCreated(active, run),
        });
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
        const delay = retryDelayMs(attempt, this.options.retryBaseMs ?? 5000);
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
        const syncStatus = status.syncStatus === 'Syncing' ? settledSyncStatus(status) : status.syncStatus;
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

  /** The attempt's SyncRun exists: it is the one a manual trigger waits for. */
  private runCreated(active: Active, run: SyncRun): void {
    active.run = run;
    const k = key(active.namespace, active.name);
    for (const w of this.runWaiters.get(k) ?? []) w(run);
    this.runWaiters.delete(k);
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
