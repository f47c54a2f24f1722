/**
 * Endpoints beyond CRUD:
 *
 *     POST /namespaces/{ns}/repositories/{name}/sync                  manual sync: 202 with the run
 *     GET  /namespaces/{ns}/repositories/{name}/tags                  the image's tags at the source, described a page at a time
 *     GET  /namespaces/{ns}/repositories/{name}/retention             what keeping the newest N in the mirror would delete (a plan)
 *     POST /namespaces/{ns}/repositories/{name}/retention             apply that plan (refused when the mirror changed since)
 *     GET  /namespaces/{ns}/repositories/{name}/syncruns              sync history, newest first
 *     GET  /namespaces/{ns}/repositories/{name}/syncruns/{run}
 *     GET  /namespaces/{ns}/repositories/{name}/syncruns/{run}/log    JSON lines, or text with Accept: text/plain
 *     POST /namespaces/{ns}/registries/{name}/test                    connection check with the STORED url and credentials
 *     GET  /namespaces/{ns}/registries/{name}/pull-secret             the commands that make a pull Secret (never the password)
 */
import type { FastifyInstance, FastifyRequest } from 'fastify';
import { API_VERSION, type List, type Registry, type Repository, type SyncRun } from '../../api/types.ts';
import type { EgressPolicy } from '../../context/system-context.ts';
import { RegistryClient } from '../../distribution/index.ts';
import { RegistryError, TugError, errorText } from '../../errors/index.ts';
import { parseImageName } from '../../transports/index.ts';
import { isDeleter } from '../../transports/types.ts';
import { type RegistryCredentials, registryAccess } from '../../registry-access/registry-access.ts';
import { listAll } from '../../store/index.ts';
import { canSee } from '../auth.ts';
import { ApiError, badRequest, notFound } from '../errors.ts';
import { type RetentionOrder, mirrorReferences, planRetention } from '../retention.ts';
import { loadRegistry } from '../resources.ts';
import { listSourceTags } from '../repository-tags.ts';
import { pullSecretCommands } from '../pull-secret-commands.ts';
import { openRegistrySecret } from '../secrets.ts';
import { type RouteContext, principal } from './context.ts';
import { checkName, checkNamespace } from './resources.ts';

type Params = { namespace: string; name: string };

export interface RegistryCheck {
  reachable: boolean;
  /** The registry let us in: anonymously (see `anonymous`) or with the stored credentials. */
  authenticated: boolean;
  /** It answered without asking for credentials, so none were tried (the console must not say "认证成功"). */
  anonymous?: boolean;
  message: string;
}

/**
 * The check's message for a failed exchange. The URL is an editor's choice,
 * so the answer may come from any service the server can reach: an HTTP
 * answer is told by its status and the registry error codes it carried,
 * never by text from its body (which errorFromResponse quotes for the CLI).
 * Network, TLS and egress failures are our own words.
 */
export function failureMessage(err: unknown, host: string): string {
  if (!(err instanceof RegistryError) || err.status === undefined) return errorText(err);
  const codes = err.diagnostics.length > 0 ? ` ${err.diagnostics.join(',')}` : '';
  if (err.code === 'AUTH') return `${host} refused the credentials (HTTP ${err.status}${codes})`;
  if (err.status === 404 && err.diagnostics.length === 0) return `${host} is not a registry: it does not serve the registry API at /v2/ (HTTP 404)`;
  return `${host} answered HTTP ${err.status}${codes}: not a registry, or one that is failing`;
}

/**
 * Pings the registry and, with credentials, authenticates the way a pull
 * would. Without credentials, an open registry counts as authenticated.
 * `egress` is the server's policy for where it may connect.
 */
export async function checkRegistry(registry: Registry, credentials: RegistryCredentials | undefined, signal?: AbortSignal, egress?: EgressPolicy): Promise<RegistryCheck> {
  const access = registryAccess(registry, credentials, { egress });
  const client = new RegistryClient(access.host, { ...access.ctx, retryMaxAttempts: 1 });
  try {
    const ping = await client.ping({ signal });
    if (ping.status === 200) return { reachable: true, authenticated: true, anonymous: true, message: `${access.host} answers at ${ping.origin}/v2/ without authentication` };
    if (!access.ctx.credentials && !access.ctx.registryToken) {
      return { reachable: true, authenticated: false, message: `${access.host} requires authentication (${ping.authScheme ?? 'unknown scheme'}); add spec.credentials` };
    }
    try {
      await client.checkAccess({ signal });
      return { reachable: true, authenticated: true, message: `logged in to ${access.host} as ${registry.spec.credentials?.username ?? 'token'}` };
    } catch (err) {
      if (err instanceof TugError && err.code === 'AUTH') return { reachable: true, authenticated: false, message: failureMessage(err, access.host) };
      throw err;
    }
  } catch (err) {
    return { reachable: false, authenticated: false, message: failureMessage(err, access.host) };
  } finally {
    await client.close();
  }
}

export function actionRoutes(app: FastifyInstance, ctx: RouteContext): void {
  const { store } = ctx;

  async function repository(request: FastifyRequest<{ Params: Params }>) {
    const { namespace: ns, name } = request.params;
    checkNamespace(ns);
    checkName(name);
    const repo = canSee(principal(request), ns) ? await store.get('Repository', ns, name) : undefined;
    if (!repo) throw notFound('repositories', name);
    return repo;
  }

  app.post<{ Params: Params }>('/namespaces/:namespace/repositories/:name/sync', { config: { role: 'editor' } }, async (request, reply) => {
    const repo = await repository(request);
    const { namespace: ns, name } = request.params;
    await ctx.audit(request, { verb: 'sync', kind: 'Repository', namespace: ns, name });
    reply.code(202);
    if (!ctx.scheduler) throw badRequest('this server runs without a scheduler');
    const { run, alreadyRunning } = await ctx.scheduler.trigger(ns, name);
    if (run) {
      if (alreadyRunning) reply.header('x-tug-sync', 'already-running; another sync follows it');
      return run;
    }
    // Not started yet (every slot busy, or another replica claimed it): say so.
    const queued: SyncRun = {
      apiVersion: API_VERSION,
      kind: 'SyncRun',
      metadata: { name: '', namespace: ns },
      spec: { repositoryName: repo.metadata.name, trigger: 'manual', attempt: 1 },
      status: { phase: 'Queued', startTime: new Date().toISOString() },
    };
    return queued;
  });

  app.get<{ Params: Params; Querystring: { limit?: string; continue?: string } }>('/namespaces/:namespace/repositories/:name/tags', { config: { role: 'viewer' } }, async (request) => {
    const repo = await repository(request);
    const ns = repo.metadata.namespace;
    const limit = request.query.limit !== undefined ? Number(request.query.limit) : 20;
    if (!Number.isInteger(limit) || limit < 1 || limit > 100) throw badRequest('limit must be a whole number from 1 to 100 (each tag on the page is described at the source)');
    const after = request.query.continue;
    if (after !== undefined && !/^[\w][\w.-]{0,127}$/.test(after)) throw badRequest('invalid continue: pass metadata.continue of the previous page');
    const ref = repo.spec.registryRef;
    const source = await loadRegistry(store, ctx.secrets, ref.namespace ?? ns, ref.name);
    if (!source) throw notFound('registries', ref.name);
    const following = await listAll(store, 'Repository', { namespace: ns, fieldSelector: `spec.registryRef.name=${ref.name}` });
    try {
      const tags = await listSourceTags(repo, source, following, { limit, after, egress: ctx.egress, signal: AbortSignal.timeout(60_000) });
      return { apiVersion: API_VERSION, kind: 'RepositoryTagList', metadata: { totalCount: tags.total, ...(tags.continue ? { continue: tags.continue } : {}) }, items: tags.items };
    } catch (err) {
      // The request was fine; the registry was not: an empty list that says why (as the registry test answers 200 with its finding).
      return { apiVersion: API_VERSION, kind: 'RepositoryTagList', metadata: { totalCount: 0, error: `listing the tags of ${repo.spec.repository} at ${source.registry.spec.url}: ${errorText(err)}` }, items: [] };
    }
  });

  /** The retention plan of a Repository's mirror repository: its tags, who mirrors to them, the decision. */
  async function retentionPlan(repo: Repository, keep: number, by: RetentionOrder) {
    const ns = repo.metadata.namespace;
    const mirror = repo.spec.mirror;
    // Retention applies to what a mirror holds: without one there is nothing to keep or delete.
    if (!mirror) return { plan: planRetention([], { keep, by, followedTags: new Set(), referencedDigests: new Set() }), target: undefined, repository: undefined };
    const ref = { namespace: mirror.registryRef.namespace ?? ns, name: mirror.registryRef.name };
    const target = await loadRegistry(store, ctx.secrets, ref.namespace, ref.name);
    if (!target) throw notFound('registries', ref.name);
    const repository = mirror.repository ?? repo.spec.repository;
    // Everyone who mirrors into this repository, in any namespace: what clusters pull is never deleted.
    const mirroring = (await listAll(store, 'Repository', { fieldSelector: `spec.mirror.registryRef.name=${ref.name}` })).filter(
      (r) => (r.spec.mirror!.registryRef.namespace ?? r.metadata.namespace) === ref.namespace && (r.spec.mirror!.repository ?? r.spec.repository) === repository,
    );
    const pseudo: Repository = { ...repo, spec: { ...repo.spec, repository, tag: mirror.tag ?? repo.spec.tag, registryRef: ref } };
    const listed = await listSourceTags(pseudo, target, [], { limit: 10_000, egress: ctx.egress, signal: AbortSignal.timeout(120_000) });
    const unreadable = listed.items.filter((t) => !t.digest);
    if (unreadable.length > 0) throw new ApiError(409, 'Conflict', `cannot plan: ${unreadable.map((t) => `${t.tag} (${t.error ?? 'no digest'})`).join(', ')} in ${repository} could not be read; nothing is decided on a partial view`);
    const plan = planRetention(listed.items.map((t) => ({ tag: t.tag, digest: t.digest!, created: t.created })), { keep, by, ...mirrorReferences(mirroring) });
    return { plan, target, repository };
  }

  function retentionParams(q: { keep?: unknown; by?: unknown }): { keep: number; by: RetentionOrder } {
    const keep = Number(q.keep ?? 5);
    if (!Number.isInteger(keep) || keep < 1 || keep > 1000) throw badRequest('keep must be a whole number from 1 to 1000');
    const by = (q.by ?? 'semver') as RetentionOrder;
    if (by !== 'semver' && by !== 'created') throw badRequest('by must be semver (tags as versions) or created (the image\'s creation time)');
    return { keep, by };
  }

  app.get<{ Params: Params; Querystring: { keep?: string; by?: string } }>('/namespaces/:namespace/repositories/:name/retention', { config: { role: 'viewer' } }, async (request) => {
    const repo = await repository(request);
    const { keep, by } = retentionParams(request.query);
    const { plan, repository: path } = await retentionPlan(repo, keep, by);
    return { apiVersion: API_VERSION, kind: 'RetentionPlan', spec: { keep, by, ...(path ? { repository: path } : {}) }, status: path ? plan : { ...plan, message: 'no spec.mirror: nothing to keep or delete' } };
  });

  app.post<{ Params: Params }>('/namespaces/:namespace/repositories/:name/retention', { config: { role: 'editor' } }, async (request) => {
    const repo = await repository(request);
    const body = (request.body ?? {}) as { keep?: unknown; by?: unknown; planId?: unknown };
    const { keep, by } = retentionParams(body);
    if (!repo.spec.mirror) return { apiVersion: API_VERSION, kind: 'RetentionResult', spec: { keep, by }, status: { deleted: [], failed: [], kept: [], message: 'no spec.mirror: nothing to delete' } };
    if (typeof body.planId !== 'string') throw badRequest('send the planId of the plan you reviewed (GET .../retention): only that plan is applied');
    const { plan, target, repository: path } = await retentionPlan(repo, keep, by);
    if (!target || !path) throw new TugError('INTERNAL', 'a mirror without its target');
    if (plan.planId !== body.planId) throw new ApiError(409, 'Conflict', 'the mirror changed since that plan was read: read the plan again (GET .../retention) and review it');
    const access = registryAccess(target.registry, target.credentials, { egress: ctx.egress });
    const deleted: { tag: string; digest: string }[] = [];
    const failed: { tag: string; digest: string; error: string }[] = [];
    for (const d of plan.delete) {
      try {
        const ref = parseImageName(`docker://${access.host}/${path}@${d.digest}`);
        if (!isDeleter(ref)) throw new TugError('UNSUPPORTED', 'this registry cannot delete');
        await ref.deleteImage({ ...access.ctx, retryMaxAttempts: 2 });
        deleted.push(d);
        await ctx.audit(request, { verb: 'delete', kind: 'MirrorImage', namespace: repo.metadata.namespace, name: `${path}:${d.tag}`, detail: `retention (keep ${keep} by ${by}): ${d.digest} at ${target.registry.metadata.name}` });
      } catch (err) {
        failed.push({ ...d, error: errorText(err) });
      }
    }
    return { apiVersion: API_VERSION, kind: 'RetentionResult', spec: { keep, by, repository: path, planId: plan.planId }, status: { deleted, failed, kept: plan.keep } };
  });

  app.get<{ Params: Params; Querystring: { limit?: string; continue?: string } }>('/namespaces/:namespace/repositories/:name/syncruns', { config: { role: 'viewer' } }, async (request) => {
    await repository(request);
    const limit = request.query.limit !== undefined ? Number(request.query.limit) : undefined;
    if (limit !== undefined && (!Number.isInteger(limit) || limit < 1 || limit > 1000)) throw badRequest('limit must be a whole number from 1 to 1000');
    const page = await store.listRuns(request.params.namespace, request.params.name, {
      ...(limit !== undefined ? { limit } : {}),
      ...(request.query.continue ? { continue: request.query.continue } : {}),
    });
    const body: List<SyncRun> = {
      apiVersion: API_VERSION,
      kind: 'SyncRunList',
      metadata: { resourceVersion: page.resourceVersion, totalCount: page.totalCount, ...(page.continue ? { continue: page.continue } : {}) },
      items: page.items,
    };
    return body;
  });

  async function run(request: FastifyRequest<{ Params: Params & { run: string } }>): Promise<SyncRun> {
    await repository(request);
    checkName(request.params.run);
    const found = await store.getRun(request.params.namespace, request.params.run);
    if (!found || found.spec.repositoryName !== request.params.name) throw notFound('syncruns', request.params.run);
    return found;
  }

  app.get<{ Params: Params & { run: string } }>('/namespaces/:namespace/repositories/:name/syncruns/:run', { config: { role: 'viewer' } }, run);

  app.get<{ Params: Params & { run: string } }>('/namespaces/:namespace/repositories/:name/syncruns/:run/log', { config: { role: 'viewer' } }, async (request, reply) => {
    const r = await run(request);
    const lines = await store.getRunLog(r.metadata.namespace, r.metadata.name);
    const accept = request.headers.accept ?? '';
    if (accept.includes('text/plain') && !accept.includes('application/json')) {
      reply.type('text/plain; charset=utf-8');
      return lines.map((l) => `${l.time} ${l.level.toUpperCase().padEnd(5)} ${l.message}`).join('\n') + (lines.length ? '\n' : '');
    }
    return { apiVersion: API_VERSION, kind: 'SyncRunLog', metadata: { name: r.metadata.name, namespace: r.metadata.namespace }, lines };
  });

  app.post<{ Params: Params }>('/namespaces/:namespace/registries/:name/test', { config: { role: 'editor' } }, async (request) => {
    const { namespace: ns, name } = request.params;
    checkNamespace(ns);
    checkName(name);
    // The body is ignored on purpose: a URL or credentials from the request
    // would let a caller send stored secrets to a host of their choosing.
    const registry = canSee(principal(request), ns) ? await store.get('Registry', ns, name) : undefined;
    if (!registry) throw notFound('registries', name);
    const sealed = await store.getSecret('Registry', ns, name);
    let result: RegistryCheck;
    try {
      const credentials = sealed ? openRegistrySecret(ctx.secrets, registry, sealed) : undefined;
      result = await checkRegistry(registry, credentials, AbortSignal.timeout(30_000), ctx.egress);
    } catch (err) {
      // Credentials that do not open for this endpoint are never sent anywhere: say so.
      result = { reachable: false, authenticated: false, message: errorText(err) };
    }
    const checkedAt = new Date().toISOString();
    await store.updateStatus('Registry', ns, name, { reachable: result.reachable, authenticated: result.authenticated, ...(result.anonymous ? { anonymous: true } : {}), lastChecked: checkedAt, message: result.message });
    ctx.metrics.registryHealth.set({ namespace: ns, name }, result.reachable && result.authenticated ? 1 : 0);
    await ctx.audit(request, { verb: 'test', kind: 'Registry', namespace: ns, name, detail: result.reachable && result.authenticated ? 'ok' : 'failed' });
    return { apiVersion: API_VERSION, kind: 'RegistryTestResult', metadata: { name, namespace: ns }, ...result, checkedAt };
  });

  // Viewer: it tells what a reader of the Registry already sees (its URL and
  // user name). The sealed credentials are not even opened: the commands read
  // the user's own password from $PASSWORD.
  app.get<{ Params: Params; Querystring: { secretName?: string; kubeNamespace?: string } }>('/namespaces/:namespace/registries/:name/pull-secret', { config: { role: 'viewer' } }, async (request) => {
    const { namespace: ns, name } = request.params;
    checkNamespace(ns);
    checkName(name);
    const registry = canSee(principal(request), ns) ? await store.get('Registry', ns, name) : undefined;
    if (!registry) throw notFound('registries', name);
    const answer = pullSecretCommands(registry, { secretName: request.query.secretName, kubeNamespace: request.query.kubeNamespace });
    return { apiVersion: API_VERSION, kind: 'RegistryPullSecret', metadata: { name, namespace: ns }, ...answer };
  });
}
