/**
 * `GET /namespaces`: the namespaces a token sees, as a NamespaceList with
 * how many objects of each kind each holds. Namespaces here are not objects
 * of their own: one exists while something lives in it, and a token scoped
 * to namespaces sees each of them, empty or not (the console's namespace
 * selector offers exactly these, however many there are).
 *
 *     GET /namespaces                        viewer: the list
 *     GET /namespaces/{ns}/settings          viewer: what the namespace is configured with
 *     PUT /namespaces/{ns}/settings          admin: set it (storageWarning: "500GiB", or null)
 *     GET /storage                           viewer: bytes per namespace, Registry and Repository
 *                                            (storage.ts), with each namespace's warning
 */
import type { FastifyInstance } from 'fastify';
import { parseByteSize } from '../../api/bytes.ts';
import { KIND_LIST } from '../../api/kinds.ts';
import { API_VERSION, type NamespaceSettings } from '../../api/types.ts';
import { listAll } from '../../store/index.ts';
import { canSee } from '../auth.ts';
import { isPlainObject } from '../../api/merge-patch.ts';
import { badRequest, notFound } from '../errors.ts';
import { storageReport } from '../storage.ts';
import { type RouteContext, principal } from './context.ts';
import { checkNamespace } from './resources.ts';

export function namespaceRoutes(app: FastifyInstance, ctx: RouteContext): void {
  app.get('/namespaces', { config: { role: 'viewer' } }, async (request) => {
    const p = principal(request);
    const counted = new Map((await ctx.store.listNamespaces()).map((n) => [n.name, n.counts]));
    const names = new Set([...counted.keys()].filter((ns) => canSee(p, ns)));
    for (const ns of p.namespaces ?? []) names.add(ns);
    const items = [...names].sort().map((name) => {
      const counts = counted.get(name) ?? {};
      return {
        apiVersion: API_VERSION,
        kind: 'Namespace',
        metadata: { name },
        status: Object.fromEntries(KIND_LIST.map((k) => [k.plural, counts[k.kind as keyof typeof counts] ?? 0])),
      };
    });
    return { apiVersion: API_VERSION, kind: 'NamespaceList', metadata: { totalCount: items.length }, items };
  });
}

function settingsResource(namespace: string, settings: NamespaceSettings) {
  return { apiVersion: API_VERSION, kind: 'NamespaceSettings', metadata: { name: namespace }, spec: settings };
}

export function settingsRoutes(app: FastifyInstance, ctx: RouteContext): void {
  app.get<{ Params: { namespace: string } }>('/namespaces/:namespace/settings', { config: { role: 'viewer' } }, async (request) => {
    const ns = request.params.namespace;
    checkNamespace(ns);
    // One object, of a namespace that does not exist for this caller: 404, as a Repository there is.
    if (!canSee(principal(request), ns)) throw notFound('namespaces', ns);
    return settingsResource(ns, await ctx.store.getNamespaceSettings(ns));
  });

  app.put<{ Params: { namespace: string } }>('/namespaces/:namespace/settings', { config: { role: 'admin' } }, async (request) => {
    const ns = request.params.namespace;
    checkNamespace(ns);
    const p = principal(request);
    if (!canSee(p, ns)) throw notFound('namespaces', ns);
    const body = request.body;
    const spec = isPlainObject(body) && isPlainObject(body.spec) ? body.spec : undefined;
    if (!spec) throw badRequest('send {"spec": {"storageWarning": "500GiB"}} (null removes it)');
    const unknown = Object.keys(spec).filter((k) => k !== 'storageWarning');
    if (unknown.length > 0) throw badRequest(`unknown setting ${unknown.join(', ')}: the settings are storageWarning`);
    const settings: NamespaceSettings = {};
    const w = spec.storageWarning;
    if (w !== null && w !== undefined) {
      const bytes = typeof w === 'number' ? w : typeof w === 'string' ? parseByteSize(w) : undefined;
      if (bytes === undefined || !Number.isSafeInteger(bytes) || bytes <= 0) throw badRequest(`storageWarning must be a size such as 500GiB, 2TB or a number of bytes, got ${JSON.stringify(w)}`);
      settings.storageWarningBytes = bytes;
    }
    await ctx.store.putNamespaceSettings(ns, settings);
    await ctx.audit(request, { verb: 'update', kind: 'NamespaceSettings', namespace: ns, name: ns, detail: settings.storageWarningBytes ? `storageWarning ${settings.storageWarningBytes} bytes` : 'storageWarning removed' });
    return settingsResource(ns, settings);
  });

  app.get<{ Querystring: { namespace?: string; limit?: string } }>('/storage', { config: { role: 'viewer' } }, async (request) => {
    const p = principal(request);
    const only = request.query.namespace;
    if (only !== undefined) checkNamespace(only);
    const limit = request.query.limit !== undefined ? Number(request.query.limit) : 100;
    if (!Number.isInteger(limit) || limit < 0 || limit > 10_000) throw badRequest('limit must be a whole number from 0 to 10000 (the Repositories listed, biggest first)');
    const visible = (ns: string) => canSee(p, ns) && (only === undefined || ns === only);
    const repositories = await listAll(ctx.store, 'Repository', { namespace: only, namespaces: p.namespaces });
    const warnings = new Map([...(await ctx.store.listNamespaceSettings())].filter(([ns, s]) => visible(ns) && s.storageWarningBytes !== undefined).map(([ns, s]) => [ns, s.storageWarningBytes!]));
    const report = storageReport(repositories.filter((r) => visible(r.metadata.namespace)), warnings);
    return {
      apiVersion: API_VERSION,
      kind: 'StorageReport',
      namespaces: report.namespaces,
      registries: report.registries,
      repositories: report.repositories.slice(0, limit),
      metadata: { repositories: report.repositories.length },
    };
  });
}
