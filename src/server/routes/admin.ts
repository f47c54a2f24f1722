/**
 * Tokens and the audit log. Any token:
 *
 *     GET    /whoami          the calling token's name, role and namespaces
 *                             (what a client may offer, e.g. the console's write buttons)
 *
 * Admin only:
 *
 *     POST   /tokens          create a token; the answer holds it once (status.token)
 *     GET    /tokens          list tokens (names, roles, scopes; never the token)
 *     DELETE /tokens/{name}   revoke; the token's open watches end at once
 *     GET    /auditlogs       who changed what, newest first (limit, continue; user, kind,
 *                             verb, namespace, since, until)
 *
 * An admin scoped to namespaces administers those namespaces and nothing
 * more, as a Kubernetes namespace admin (RBAC escalation check: no one
 * grants what it does not hold) and a Harbor project admin do:
 * - it creates only tokens within its scope: `spec.namespaces` given and a
 *   subset of its own, role at most its own (else 403);
 * - it lists and deletes only tokens within its scope; the others, and
 *   every unscoped token, do not exist for it (404);
 * - it reads only the audit entries of its namespaces (token changes,
 *   recorded without a namespace, are not among them).
 * An unscoped admin may do all of it for every namespace. Token names are
 * unique (the store enforces it); "admin-file" is reserved for the
 * --admin-token-file token.
 */
import type { FastifyInstance } from 'fastify';
import { tokenCreateSchema } from '../../api/schema.ts';
import { API_VERSION, AUDIT_KINDS, AUDIT_VERBS, type AuditQuery } from '../../api/types.ts';
import { parseDuration } from '../../api/duration.ts';
import type { AuditFilter, StoredToken } from '../../store/types.ts';
import { FILE_TOKEN_NAME, type Principal, createToken, hasRole, within } from '../auth.ts';
import { ApiError, badRequest, forbidden, invalid, notFound, zodCauses } from '../errors.ts';
import { type RouteContext, principal } from './context.ts';

function tokenResource(t: StoredToken, token?: string) {
  return {
    apiVersion: API_VERSION,
    kind: 'Token',
    metadata: { name: t.name, uid: t.id, creationTimestamp: t.createdAt },
    spec: { role: t.role, ...(t.namespaces ? { namespaces: t.namespaces } : {}) },
    ...(token ? { status: { token } } : {}),
  };
}

export function adminRoutes(app: FastifyInstance, ctx: RouteContext): void {
  const { store } = ctx;

  /** The tokens `p` administers: all for an unscoped admin, else those within its namespaces. */
  async function visibleTokens(p: Principal): Promise<StoredToken[]> {
    return (await store.listTokens()).filter((t) => within(p, t.namespaces));
  }

  app.get('/whoami', { config: { role: 'viewer' } }, async (request) => {
    const p = principal(request);
    return {
      apiVersion: API_VERSION,
      kind: 'SelfSubjectReview',
      status: { userInfo: { username: p.name, role: p.role, ...(p.namespaces ? { namespaces: p.namespaces } : {}) } },
    };
  });

  app.post('/tokens', { config: { role: 'admin' } }, async (request, reply) => {
    const p = principal(request);
    const parsed = tokenCreateSchema.safeParse(request.body);
    const name = typeof (request.body as { name?: unknown } | undefined)?.name === 'string' ? (request.body as { name: string }).name : '';
    if (!parsed.success) throw invalid('Token', name, zodCauses(parsed.error));
    const spec = parsed.data;
    if (spec.name === FILE_TOKEN_NAME) throw invalid('Token', spec.name, [{ reason: 'FieldValueInvalid', message: `"${FILE_TOKEN_NAME}" is reserved for the --admin-token-file token`, field: 'name' }]);
    if (!hasRole(p, spec.role)) throw forbidden(`token "${p.name}" (role ${p.role}) may not grant role ${spec.role}`);
    if (!within(p, spec.namespaces)) {
      throw forbidden(`token "${p.name}" is limited to namespaces ${p.namespaces!.join(', ')} and may only create tokens limited to some of them (spec.namespaces)`);
    }
    // The store's unique name answers a race; this check answers the common case with the usual message.
    if ((await store.listTokens()).some((t) => t.name === spec.name)) {
      throw new ApiError(409, 'AlreadyExists', `tokens.image.theriseunion.io "${spec.name}" already exists`);
    }
    const { token, stored } = await createToken(store, spec);
    await ctx.audit(request, { verb: 'create', kind: 'Token', namespace: '', name: stored.name, detail: `role ${stored.role}${stored.namespaces ? ` in ${stored.namespaces.join(',')}` : ''}` });
    reply.code(201);
    return tokenResource(stored, token);
  });

  app.get('/tokens', { config: { role: 'admin' } }, async (request) => {
    const items = (await visibleTokens(principal(request))).map((t) => tokenResource(t));
    return { apiVersion: API_VERSION, kind: 'TokenList', metadata: { totalCount: items.length }, items };
  });

  app.delete<{ Params: { name: string } }>('/tokens/:name', { config: { role: 'admin' } }, async (request) => {
    const t = (await visibleTokens(principal(request))).find((x) => x.name === request.params.name);
    if (!t) throw notFound('tokens', request.params.name);
    await store.deleteToken(t.id);
    ctx.streams.closeToken(t.id);
    await ctx.audit(request, { verb: 'delete', kind: 'Token', namespace: '', name: t.name });
    return tokenResource(t);
  });

  app.get<{ Querystring: AuditListQuery }>('/auditlogs', { config: { role: 'admin' } }, async (request) => {
    const p = principal(request);
    const q = request.query;
    const limit = q.limit !== undefined ? Number(q.limit) : undefined;
    if (limit !== undefined && (!Number.isInteger(limit) || limit < 1 || limit > 1000)) throw badRequest('limit must be a whole number from 1 to 1000');
    const filter = auditFilter(q, Date.now());
    const page = await store.listAudit({ ...(limit !== undefined ? { limit } : {}), ...(q.continue ? { continue: q.continue } : {}), namespaces: p.namespaces, filter });
    return {
      apiVersion: API_VERSION,
      kind: 'AuditEntryList',
      metadata: { resourceVersion: page.resourceVersion, totalCount: page.totalCount, ...(page.continue ? { continue: page.continue } : {}) },
      items: page.items,
    };
  });
}

/** The query string: the filters, and paging. */
interface AuditListQuery extends AuditQuery {
  limit?: string;
  continue?: string;
}

/**
 * `?user=&kind=&verb=&namespace=&since=&until=`: exact matches (kind and verb
 * from their closed sets, so a typo is an error rather than an empty page);
 * `since`/`until` take an RFC 3339 time or a Go duration back from now
 * (`since=24h`, as `kubectl logs --since`).
 */
export function auditFilter(q: AuditListQuery, nowMs: number): AuditFilter {
  const text = (name: string, v: string | undefined) => {
    if (v === undefined || v === '') return undefined;
    if (v.length > 253) throw badRequest(`${name} is longer than 253 characters`);
    return v;
  };
  const oneOf = (name: string, v: string | undefined, values: readonly string[]) => {
    const t = text(name, v);
    if (t !== undefined && !values.includes(t)) throw badRequest(`${name} must be one of ${values.join(', ')}, got "${t}"`);
    return t;
  };
  const time = (name: string, v: string | undefined) => {
    const t = text(name, v);
    if (t === undefined) return undefined;
    const back = parseDuration(t);
    if (back !== undefined) return new Date(nowMs - back).toISOString();
    const ms = /^\d{4}-\d{2}-\d{2}T/.test(t) ? Date.parse(t) : Number.NaN;
    if (Number.isNaN(ms)) throw badRequest(`${name} must be an RFC 3339 time (2026-12-05T09:00:00Z) or a duration back from now (24h), got "${t}"`);
    return new Date(ms).toISOString();
  };
  const f: AuditFilter = {
    user: text('user', q.user),
    kind: oneOf('kind', q.kind, AUDIT_KINDS),
    verb: oneOf('verb', q.verb, AUDIT_VERBS),
    namespace: text('namespace', q.namespace),
    since: time('since', q.since),
    until: time('until', q.until),
  };
  return Object.fromEntries(Object.entries(f).filter(([, v]) => v !== undefined)) as AuditFilter;
}
