/**
 * The Kubernetes-style endpoints shared by `repositories` and `registries`:
 *
 *     GET    /{plural}                              list, every namespace the token sees
 *     GET    /namespaces/{ns}/{plural}              list (q, labelSelector, fieldSelector, limit, continue, watch)
 *     POST   /namespaces/{ns}/{plural}              create (JSON or YAML)
 *     DELETE /namespaces/{ns}/{plural}?names=a,b    batch delete
 *     GET    /namespaces/{ns}/{plural}/{name}
 *     PUT    /namespaces/{ns}/{plural}/{name}       replace (409 on a stale metadata.resourceVersion)
 *     PATCH  /namespaces/{ns}/{plural}/{name}       merge patch
 *     DELETE /namespaces/{ns}/{plural}/{name}
 */
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { isDns1123Label, isDns1123Subdomain } from '../../api/schema.ts';
import { API_VERSION, type List, type Registry, type Repository } from '../../api/types.ts';
import type { Kind, ResourceOf } from '../../store/types.ts';
import { canSee } from '../auth.ts';
import { ApiError, badRequest, forbidden, notFound } from '../errors.ts';
import { isPlainObject, jsonEqual, mergePatch } from '../../api/merge-patch.ts';
import { type KindHandler, LIST_OMITTED, listMatcher, nextSecret, placeInNamespace, publicCredentials, sealSecret, validate } from '../resources.ts';
import { dependenciesOf } from '../dependencies.ts';
import { endpointChanges, openRegistrySecret, sealVersion } from '../secrets.ts';
import { serveWatch } from '../watch.ts';
import { type RouteContext, principal } from './context.ts';

interface ListQuery {
  q?: string;
  labelSelector?: string;
  fieldSelector?: string;
  limit?: string;
  continue?: string;
  watch?: string;
  timeoutSeconds?: string;
  names?: string;
  resourceVersion?: string;
}

type Params = { namespace: string; name: string };

export function checkNamespace(ns: string): void {
  if (!isDns1123Label(ns)) throw badRequest(`invalid namespace "${ns}": must be a DNS-1123 label`);
}

export function checkName(name: string): void {
  if (!isDns1123Subdomain(name)) throw badRequest(`invalid name "${name}": must be a DNS-1123 subdomain`);
}

function parseLimit(v: string | undefined): number | undefined {
  if (v === undefined || v === '') return undefined;
  const n = Number(v);
  if (!Number.isInteger(n) || n < 1 || n > 1000) throw badRequest(`limit must be a whole number from 1 to 1000, got "${v}"`);
  return n;
}

/** What fastify sends JSON as: the stored text a read passes through is sent under the same type. */
const JSON_TYPE = 'application/json; charset=utf-8';

function isTrue(v: string | undefined): boolean {
  return v === 'true' || v === '1' || v === '';
}

/** Opens stored credentials; when they cannot be opened and the request `replaces` them, there is nothing to keep. */
function openOrReplace<T>(open: () => T, replaces: boolean): T | undefined {
  try {
    return open();
  } catch (err) {
    if (replaces) return undefined;
    throw err;
  }
}

export function resourceRoutes<K extends Kind>(app: FastifyInstance, ctx: RouteContext, h: KindHandler<K>): void {
  const { store } = ctx;
  const plural = h.plural;
  const listKind = h.listKind;

  /** Reads an object the caller may see, else 404 (other namespaces are invisible, not forbidden). */
  async function visible<T>(request: FastifyRequest, ns: string, name: string, read: (ns: string, name: string) => Promise<T | undefined>): Promise<T> {
    checkNamespace(ns);
    checkName(name);
    if (!canSee(principal(request), ns)) throw notFound(plural, name);
    const obj = await read(ns, name);
    if (obj === undefined) throw notFound(plural, name);
    return obj;
  }

  function load(request: FastifyRequest, ns: string, name: string): Promise<ResourceOf<K>> {
    return visible(request, ns, name, (n, m) => store.get(h.kind, n, m));
  }

  async function list(request: FastifyRequest<{ Params: { namespace?: string }; Querystring: ListQuery }>, reply: FastifyReply) {
    const p = principal(request);
    const ns = request.params.namespace;
    if (ns !== undefined) checkNamespace(ns);
    const query = request.query;
    const namespaces = p.namespaces;
    if (isTrue(query.watch) && query.watch !== undefined) {
      const timeoutSeconds = query.timeoutSeconds !== undefined ? Number(query.timeoutSeconds) : undefined;
      if (timeoutSeconds !== undefined && (!Number.isFinite(timeoutSeconds) || timeoutSeconds <= 0)) throw badRequest('timeoutSeconds must be a positive number');
      const rvText = query.resourceVersion;
      if (rvText !== undefined && rvText !== '' && !/^\d{1,15}$/.test(rvText)) throw badRequest(`resourceVersion must be a version from a list or an object, got "${rvText.slice(0, 40)}"`);
      // "0" (and none) means "from any state": list first, as the API server does.
      const resumeFrom = rvText && Number(rvText) > 0 ? Number(rvText) : undefined;
      const matches = listMatcher<K>(h.kind, query);
      await serveWatch(request, reply, {
        store,
        kind: h.kind,
        namespace: ns,
        namespaces: ns !== undefined && !canSee(p, ns) ? [] : namespaces,
        labelSelector: query.labelSelector,
        fieldSelector: query.fieldSelector,
        q: query.q,
        resumeFrom,
        matches,
        present: h.present,
        heartbeatMs: ctx.heartbeatMs,
        timeoutSeconds,
        streams: ctx.streams,
      });
      return reply;
    }
    const options = {
      namespace: ns,
      // A namespace the token cannot see lists as empty: it does not exist for this caller.
      namespaces: ns !== undefined && !canSee(p, ns) ? [] : namespaces,
      q: query.q || undefined,
      labelSelector: query.labelSelector || undefined,
      fieldSelector: query.fieldSelector || undefined,
      limit: parseLimit(query.limit),
      continue: query.continue || undefined,
      omit: LIST_OMITTED[h.kind],
    };
    if (h.presentsAsStored) {
      // The items' stored JSON text, joined as it is: no object is parsed or serialised here.
      const page = await store.listJson(h.kind, options);
      const metadata: List<unknown>['metadata'] = { resourceVersion: page.resourceVersion, totalCount: page.totalCount, ...(page.continue ? { continue: page.continue } : {}) };
      return reply.type(JSON_TYPE).send(`{"apiVersion":${JSON.stringify(API_VERSION)},"kind":${JSON.stringify(listKind)},"metadata":${JSON.stringify(metadata)},"items":[${page.items.join(',')}]}`);
    }
    const page = await store.list(h.kind, options);
    const body: List<ResourceOf<K>> = {
      apiVersion: API_VERSION,
      kind: listKind,
      metadata: { resourceVersion: page.resourceVersion, totalCount: page.totalCount, ...(page.continue ? { continue: page.continue } : {}) },
      // The store left out what LIST_OMITTED names already.
      items: page.items.map(h.present),
    };
    return body;
  }

  app.get(`/${plural}`, { config: { role: 'viewer' } }, list);
  app.get(`/namespaces/:namespace/${plural}`, { config: { role: 'viewer' } }, list);

  app.get<{ Params: Params }>(`/namespaces/:namespace/${plural}/:name`, { config: { role: 'viewer' } }, async (request, reply) => {
    const { namespace: ns, name } = request.params;
    if (!h.presentsAsStored) return h.present(await load(request, ns, name));
    // The stored JSON text as it is: no parse, no serialisation.
    return reply.type(JSON_TYPE).send(await visible(request, ns, name, (n, m) => store.getJson(h.kind, n, m)));
  });

  if (h.kind === 'Repository') {
    // The console's 依赖关系 tab: list items carry no layers (listItem), so the sharing is worked out here.
    app.get<{ Params: Params }>(`/namespaces/:namespace/${plural}/:name/dependencies`, { config: { role: 'viewer' } }, async (request) => {
      const repo = (await load(request, request.params.namespace, request.params.name)) as ResourceOf<'Repository'>;
      return dependenciesOf(store, repo, principal(request).namespaces);
    });
  }

  app.post<{ Params: { namespace: string } }>(`/namespaces/:namespace/${plural}`, { config: { role: 'editor' } }, async (request, reply) => {
    const ns = request.params.namespace;
    checkNamespace(ns);
    const p = principal(request);
    if (!canSee(p, ns)) throw forbidden(`token "${p.name}" may not create ${plural} in namespace "${ns}"`);
    let obj = h.defaults(placeInNamespace(validate(h, request.body), ns));
    delete obj.metadata.resourceVersion;
    h.authorize(obj, p);
    let secret: string | undefined;
    if (obj.kind === 'Registry') {
      const reg = obj as Registry;
      const s = nextSecret(undefined, reg.spec.credentials, reg.spec.credentials !== undefined);
      secret = sealSecret(ctx.secrets, reg, s) ?? undefined;
      obj = { ...reg, spec: { ...reg.spec, credentials: publicCredentials(reg.spec.credentials, s) } } as ResourceOf<K>;
      if (!reg.spec.credentials) delete (obj as Registry).spec.credentials;
    }
    const created = await store.create(h.kind, obj, { secret });
    await ctx.audit(request, { verb: 'create', kind: h.kind, namespace: ns, name: obj.metadata.name });
    if (h.kind === 'Repository') await ctx.scheduler?.added(ns, obj.metadata.name);
    reply.code(201);
    return h.present(created);
  });

  /** PUT and PATCH: `next` is the full desired object, `patch` the merge patch (PATCH only). */
  async function update(request: FastifyRequest<{ Params: Params }>, reply: FastifyReply, next: ResourceOf<K>, old: ResourceOf<K>, patch: unknown | undefined, expected: string | undefined) {
    const { namespace: ns, name } = request.params;
    const p = principal(request);
    placeInNamespace(next, ns);
    if (next.metadata.name !== name) {
      throw badRequest(`the name of the object (${next.metadata.name}) does not match the name on the URL (${name})`, [{ reason: 'FieldValueInvalid', message: `must be ${name}`, field: 'metadata.name' }]);
    }
    let obj = h.defaults(next);
    h.authorize(obj, p);
    h.checkEdit(old, obj, patch);
    let secret: string | null | undefined;
    let detail: string | undefined;
    if (obj.kind === 'Registry') {
      const reg = obj as Registry;
      const incoming = patch !== undefined ? ((isPlainObject(patch) && isPlainObject(patch.spec) && isPlainObject(patch.spec.credentials) ? patch.spec.credentials : undefined) as Record<string, unknown> | undefined) : reg.spec.credentials;
      const changes = incoming !== undefined && ('password' in incoming || 'token' in incoming);
      // Stored credentials belong to one endpoint (Harbor and Kubernetes
      // Secrets ask for them again too): an edit of the URL, scheme, insecure
      // or caBundle drops them unless it sends them again, else an editor
      // could point them at a host of their own and press "test".
      const moved = endpointChanges((old as Registry).spec, reg.spec);
      const sealed = await store.getSecret('Registry', ns, name);
      // A value no key opens (the secret key was changed) is replaced when the
      // request sends new credentials, as its error message asks; without
      // them the edit fails on it rather than silently dropping it.
      const oldSecret = sealed !== undefined && moved.length === 0 ? openOrReplace(() => openRegistrySecret(ctx.secrets, old as Registry, sealed), changes) : undefined;
      const s = nextSecret(oldSecret, incoming, reg.spec.credentials !== undefined);
      // A move re-binds what was sent; a v1 value is sealed again as v2 on any edit.
      const rebind = sealed !== undefined && (moved.length > 0 || sealVersion(sealed) !== 'v2');
      secret = changes || rebind || !jsonEqual(oldSecret, s) ? sealSecret(ctx.secrets, reg, s) : undefined;
      if (moved.length > 0 && sealed !== undefined && !changes) {
        detail = `${moved.join(', ')} changed: stored credentials dropped`;
        reply.header('warning', `299 - "${moved.join(', ')} changed: the stored password and token were dropped; send them again in the same request to keep them"`);
      } else if (moved.length > 0 && changes) detail = `${moved.join(', ')} changed: credentials replaced`;
      else if (changes || (secret !== undefined && !jsonEqual(oldSecret, s))) detail = 'credentials changed';
      obj = { ...reg, spec: { ...reg.spec, credentials: publicCredentials(reg.spec.credentials, s) } } as ResourceOf<K>;
      if (!reg.spec.credentials) delete (obj as Registry).spec.credentials;
    }
    if (obj.kind === 'Repository') {
      const before = (old as Repository).spec.mirror?.registryRef;
      const after = (obj as Repository).spec.mirror?.registryRef;
      // Where a mirror pushes is worth a line in the audit log: authorize()
      // checked that the caller may use the new target's namespace.
      if (!jsonEqual(before, after)) detail = `spec.mirror.registryRef: ${before ? `${before.namespace}/${before.name}` : 'none'} -> ${after ? `${after.namespace}/${after.name}` : 'none'}`;
    }
    obj.metadata = { ...obj.metadata, namespace: ns, name };
    delete obj.metadata.resourceVersion;
    const updated = await store.update(h.kind, obj, { expectedResourceVersion: expected, secret });
    await ctx.audit(request, { verb: patch !== undefined ? 'patch' : 'update', kind: h.kind, namespace: ns, name, ...(detail ? { detail } : {}) });
    const mirrorPart = (r: ResourceOf<'Repository'>) => ({ mirror: r.spec.mirror, importMode: r.spec.importMode, platforms: r.spec.platforms, tags: r.spec.tags });
    if (h.kind === 'Repository' && !jsonEqual(mirrorPart(old as ResourceOf<'Repository'>), mirrorPart(updated as ResourceOf<'Repository'>))) {
      // A new mirror target (or a new idea of what it holds, or a tag followed from the tags tab) should be filled now, not at the next interval.
      await ctx.scheduler?.changed(ns, name);
    }
    return h.present(updated);
  }

  app.put<{ Params: Params }>(`/namespaces/:namespace/${plural}/:name`, { config: { role: 'editor' } }, async (request, reply) => {
    const old = await load(request, request.params.namespace, request.params.name);
    const next = validate(h, request.body);
    return update(request, reply, next, old, undefined, next.metadata.resourceVersion);
  });

  app.patch<{ Params: Params }>(`/namespaces/:namespace/${plural}/:name`, { config: { role: 'editor' } }, async (request, reply) => {
    const ctype = (request.headers['content-type'] ?? '').split(';')[0]!.trim().toLowerCase();
    if (ctype !== 'application/merge-patch+json' && ctype !== 'application/json') {
      throw new ApiError(415, 'UnsupportedMediaType', `PATCH takes application/merge-patch+json (RFC 7386), not ${ctype || 'no content type'}`);
    }
    const old = await load(request, request.params.namespace, request.params.name);
    const patch = request.body;
    if (!isPlainObject(patch)) throw badRequest('a merge patch must be a JSON object');
    const base = { apiVersion: old.apiVersion, kind: old.kind, metadata: { ...old.metadata }, spec: old.spec };
    const merged = mergePatch(base, patch) as Record<string, unknown>;
    // Server-set metadata may be sent back unchanged; only resourceVersion matters (a precondition).
    const expected = isPlainObject(patch.metadata) && typeof patch.metadata.resourceVersion === 'string' ? patch.metadata.resourceVersion : undefined;
    const next = validate(h, merged);
    return update(request, reply, next, old, patch, expected);
  });

  app.delete<{ Params: Params; Querystring: ListQuery }>(`/namespaces/:namespace/${plural}/:name`, { config: { role: 'editor' } }, async (request) => {
    const { namespace: ns, name } = request.params;
    await load(request, ns, name);
    const deleted = await store.delete(h.kind, ns, name, { expectedResourceVersion: request.query.resourceVersion || undefined });
    if (!deleted) throw notFound(plural, name);
    await ctx.audit(request, { verb: 'delete', kind: h.kind, namespace: ns, name });
    return h.present(deleted);
  });

  // Batch delete: the collection's DELETE with explicit names (never "everything").
  app.delete<{ Params: { namespace: string }; Querystring: ListQuery }>(`/namespaces/:namespace/${plural}`, { config: { role: 'editor' } }, async (request) => {
    const ns = request.params.namespace;
    checkNamespace(ns);
    const raw = request.query.names;
    if (!raw) throw badRequest('name the objects to delete: ?names=a,b,c (deleting a whole collection is not supported)');
    const names = [...new Set(raw.split(',').map((s) => s.trim()).filter(Boolean))];
    if (names.length > 1000) throw badRequest('at most 1000 names per batch');
    for (const n of names) checkName(n);
    const p = principal(request);
    const deleted: string[] = [];
    const notFoundNames: string[] = [];
    for (const n of names) {
      const gone = canSee(p, ns) ? await store.delete(h.kind, ns, n) : undefined;
      if (gone) {
        deleted.push(n);
        await ctx.audit(request, { verb: 'delete', kind: h.kind, namespace: ns, name: n, detail: 'batch' });
      } else notFoundNames.push(n);
    }
    return { apiVersion: API_VERSION, kind: 'BatchDeleteResult', deleted, notFound: notFoundNames };
  });
}
