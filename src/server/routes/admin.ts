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
 *     DELETE /tokens/{name}
 *     GET    /auditlogs       who changed what, newest first (limit, continue)
 */
import type { FastifyInstance } from 'fastify';
import { tokenCreateSchema } from '../../api/schema.ts';
import { API_VERSION } from '../../api/types.ts';
import type { StoredToken } from '../../store/types.ts';
import { createToken } from '../auth.ts';
import { ApiError, badRequest, invalid, notFound, zodCauses } from '../errors.ts';
import type { RouteContext } from './context.ts';

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

  async function allTokens(): Promise<StoredToken[]> {
    return store.listTokens();
  }

  app.get('/whoami', async (request) => {
    const p = request.principal!;
    return {
      apiVersion: API_VERSION,
      kind: 'SelfSubjectReview',
      status: { userInfo: { username: p.name, role: p.role, ...(p.namespaces ? { namespaces: p.namespaces } : {}) } },
    };
  });

  app.post('/tokens', { config: { role: 'admin' } }, async (request, reply) => {
    const parsed = tokenCreateSchema.safeParse(request.body);
    const name = typeof (request.body as { name?: unknown } | undefined)?.name === 'string' ? (request.body as { name: string }).name : '';
    if (!parsed.success) throw invalid('Token', name, zodCauses(parsed.error));
    if ((await store.listTokens()).some((t) => t.name === parsed.data.name)) {
      throw new ApiError(409, 'AlreadyExists', `tokens.image.theriseunion.io "${parsed.data.name}" already exists`);
    }
    const { token, stored } = await createToken(store, parsed.data);
    await ctx.audit(request, { verb: 'create', kind: 'Token', namespace: '', name: stored.name, detail: `role ${stored.role}${stored.namespaces ? ` in ${stored.namespaces.join(',')}` : ''}` });
    reply.code(201);
    return tokenResource(stored, token);
  });

  app.get('/tokens', { config: { role: 'admin' } }, async () => {
    const items = (await allTokens()).map((t) => tokenResource(t));
    return { apiVersion: API_VERSION, kind: 'TokenList', metadata: { totalCount: items.length }, items };
  });

  app.delete<{ Params: { name: string } }>('/tokens/:name', { config: { role: 'admin' } }, async (request) => {
    const t = (await allTokens()).find((x) => x.name === request.params.name);
    if (!t) throw notFound('tokens', request.params.name);
    await store.deleteToken(t.id);
    await ctx.audit(request, { verb: 'delete', kind: 'Token', namespace: '', name: t.name });
    return tokenResource(t);
  });

  app.get<{ Querystring: { limit?: string; continue?: string } }>('/auditlogs', { config: { role: 'admin' } }, async (request) => {
    const limit = request.query.limit !== undefined ? Number(request.query.limit) : undefined;
    if (limit !== undefined && (!Number.isInteger(limit) || limit < 1 || limit > 1000)) throw badRequest('limit must be a whole number from 1 to 1000');
    const page = await store.listAudit({ ...(limit !== undefined ? { limit } : {}), ...(request.query.continue ? { continue: request.query.continue } : {}) });
    return {
      apiVersion: API_VERSION,
      kind: 'AuditEntryList',
      metadata: { resourceVersion: page.resourceVersion, totalCount: page.totalCount, ...(page.continue ? { continue: page.continue } : {}) },
      items: page.items,
    };
  });
}
