/**
 * `GET /namespaces`: the namespaces a token sees, as a NamespaceList with
 * how many objects of each kind each holds. Namespaces here are not objects
 * of their own: one exists while something lives in it, and a token scoped
 * to namespaces sees each of them, empty or not (the console's namespace
 * selector offers exactly these, however many there are).
 */
import type { FastifyInstance } from 'fastify';
import { KIND_LIST } from '../../api/kinds.ts';
import { API_VERSION } from '../../api/types.ts';
import { canSee } from '../auth.ts';
import { type RouteContext, principal } from './context.ts';

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
