/**
 * Health checks (seed 001 健康检查: 定期检查镜像的可用性): between syncs, each
 * Repository's image is asked for at its source and at its mirror with one
 * manifest HEAD each (never a sync, never a blob), on its own interval
 * (`tug serve --health-interval`), and `status.health` says whether clusters
 * can pull it (RepositoryHealth in src/api/types.ts). Only spec.tag, the
 * contract's tag, is checked: the other tags of spec.tags are checked by
 * each sync and reported in status.tags, since a HEAD per followed tag and
 * side would multiply the checks by up to 101.
 *
 * Replicas share the work through the store (`claimHealthChecks` hands each
 * due check to one replica); a check writes `status.health` only
 * (`setHealth`), so it never races the scheduler's writes of the rest of
 * status. A state change is reported once (`health-changed`): the server
 * logs it, counts it and sends it to webhooks.
 */
import type { ObjectRef, Registry, Repository, RepositoryHealth } from '../api/types.ts';
import type { EgressPolicy } from '../context/system-context.ts';
import { errorText } from '../errors/index.ts';
import { type RegistryAccess, type RegistryCredentials, registryAccess } from '../registry-access/registry-access.ts';
import type { Store } from '../store/types.ts';
import { parseImageName } from '../transports/index.ts';
import { isDigestResolver } from '../transports/types.ts';
import type { SchedulerEvent } from './events.ts';

export const DEFAULT_HEALTH_INTERVAL_MS = 10 * 60_000;

export interface HealthOptions {
  store: Store;
  loadRegistry: (ref: { namespace: string; name: string }) => Promise<{ registry: Registry; credentials: RegistryCredentials | undefined } | undefined>;
  egress?: EgressPolicy | undefined;
  /** Between two checks of one Repository (± 10 %). */
  intervalMs: number;
  /** Checks at once on this replica (default 8): each is one or two HEADs. */
  concurrency?: number;
  /** How often to look for due checks (default 1 s). */
  pollMs?: number;
  /** One side's HEAD may take this long (default 15 s). */
  timeoutMs?: number;
  onEvent?: (e: SchedulerEvent) => void;
  now?: () => number;
}

type Side = NonNullable<RepositoryHealth['source']>;

/** The state from the two sides' answers (pure; the rules are RepositoryHealth's). */
export function healthOf(repo: Repository, source: Side, mirror: Side | undefined, at: string): RepositoryHealth {
  const observed = repo.status?.observedDigest;
  const moved = source.ok && observed !== undefined && source.digest !== undefined && source.digest !== observed;
  let state: RepositoryHealth['state'];
  let message: string | undefined;
  if (mirror && !mirror.ok) [state, message] = ['Unhealthy', `mirror: ${mirror.message}`];
  else if (!mirror && !source.ok) [state, message] = ['Unhealthy', `source: ${source.message}`];
  else if (!source.ok) [state, message] = ['Degraded', `source: ${source.message} (the mirror still serves the last synced image)`];
  else if (moved) [state, message] = ['Degraded', `the tag moved at the source (${source.digest}, last synced ${observed}): the next sync takes it`];
  else state = 'Healthy';
  return { pullable: source.ok, state, checkedAt: at, ...(message ? { message } : {}), source, ...(mirror ? { mirror } : {}) };
}

export class HealthChecker {
  private readonly o: HealthOptions;
  private readonly now: () => number;
  private timer: NodeJS.Timeout | undefined;
  private ticking: Promise<unknown> | undefined;
  private stopping = false;
  private readonly controller = new AbortController();

  constructor(options: HealthOptions) {
    this.o = options;
    this.now = options.now ?? Date.now;
  }

  start(): void {
    if (this.timer || this.stopping) return;
    this.schedule(0);
  }

  async stop(): Promise<void> {
    this.stopping = true;
    clearTimeout(this.timer);
    this.controller.abort();
    await this.ticking;
  }

  private schedule(ms: number): void {
    if (this.stopping) return;
    this.timer = setTimeout(() => {
      this.ticking = this.tick()
        .catch((err: unknown) => this.o.onEvent?.({ type: 'error', message: `health checks: ${errorText(err)}`, error: err }))
        .finally(() => this.schedule(this.o.pollMs ?? 1000));
    }, ms);
    this.timer.unref?.();
  }

  /** Claims what is due and checks it, `concurrency` at once, until nothing is due. */
  async tick(): Promise<number> {
    const limit = Math.max(1, this.o.concurrency ?? 8);
    let checked = 0;
    for (;;) {
      if (this.stopping) return checked;
      const now = this.now();
      const next = now + Math.round(this.o.intervalMs * (0.9 + Math.random() * 0.2));
      const due = await this.o.store.claimHealthChecks(now, next, limit);
      if (due.length === 0) return checked;
      await Promise.all(due.map((repo) => this.check(repo)));
      checked += due.length;
    }
  }

  /** One Repository: a HEAD at the source and, with a mirror, at the mirror; then status.health. */
  async check(repo: Repository): Promise<RepositoryHealth | undefined> {
    const { namespace, name } = repo.metadata;
    // Before its first sync there is nothing to be healthy about (the sync reports); checked again at the next interval.
    if (!repo.status?.lastSynced) return undefined;
    const at = new Date(this.now()).toISOString();
    const source = await this.head(repo.spec.registryRef, namespace, repo.spec.repository, repo.spec.tag);
    const mirrorSpec = repo.spec.mirror;
    let mirror: Side | undefined;
    if (mirrorSpec) {
      const recorded = repo.status?.mirror?.digest;
      const side = await this.head(mirrorSpec.registryRef, namespace, mirrorSpec.repository ?? repo.spec.repository, mirrorSpec.tag ?? repo.spec.tag);
      // The mirror is fine when it holds what the last sync put there (not merely some image under the tag).
      mirror = side.ok && recorded !== undefined && side.digest !== recorded ? { ok: false, digest: side.digest, message: `holds ${side.digest}, not ${recorded} that the last sync wrote` } : side;
      if (side.ok && recorded === undefined) mirror = { ok: false, ...(side.digest ? { digest: side.digest } : {}), message: 'not synced yet' };
    }
    const health = healthOf(repo, source, mirror, at);
    if (this.stopping) return undefined;
    const before = repo.status?.health?.state;
    await this.o.store.setHealth(namespace, name, health);
    if (before !== health.state) this.o.onEvent?.({ type: 'health-changed', repository: repo, from: before, health });
    return health;
  }

  private async head(ref: ObjectRef, namespace: string, repository: string, tag: string): Promise<Side> {
    let access: RegistryAccess;
    try {
      const found = await this.o.loadRegistry({ namespace: ref.namespace ?? namespace, name: ref.name });
      if (!found) return { ok: false, message: `registry ${ref.namespace ?? namespace}/${ref.name} does not exist` };
      access = registryAccess(found.registry, found.credentials, { egress: this.o.egress });
    } catch (err) {
      return { ok: false, message: errorText(err) };
    }
    const image = parseImageName(`docker://${access.host}/${repository}:${tag}`);
    if (!isDigestResolver(image)) return { ok: false, message: 'cannot ask this registry for a digest' };
    const signal = AbortSignal.any([this.controller.signal, AbortSignal.timeout(this.o.timeoutMs ?? 15_000)]);
    try {
      // One try: a check that fails is a finding, and the next check is minutes away.
      const found = await image.resolveDigest({ ...access.ctx, retryMaxAttempts: 1 }, { signal });
      return found ? { ok: true, digest: found.digest } : { ok: false, message: `${access.host}/${repository}:${tag} does not exist` };
    } catch (err) {
      return { ok: false, message: errorText(err) };
    }
  }
}
