/**
 * Batch import and export of Repositories (repository-import.ts):
 *
 *     POST /namespaces/{ns}/imports          editor: validate and create many (dryRun: preview only)
 *     GET  /namespaces/{ns}/export           viewer: YAML of Repositories (?names=a,b, else all)
 *                                            and the Registries they use, without secrets
 *                                            (empty for a namespace the token cannot see, as a list is)
 *
 * An import is all or nothing: any invalid row answers 422 with every row
 * (each with its causes) and creates nothing; a creation that loses a race
 * (another client created the same name meanwhile) deletes what this import
 * had created and answers 409 with the rows.
 *
 * Before planning, the tag lists of the text's filter entries are read
 * through their Registries (their credentials, the server's egress policy),
 * a few at a time and within a deadline; a preview reads them too, as it
 * shows which tag becomes each Repository's spec.tag.
 */
import type { FastifyInstance } from 'fastify';
import pLimit from 'p-limit';
import { z } from 'zod';
import { API_VERSION } from '../../api/types.ts';
import type { EgressPolicy } from '../../context/system-context.ts';
import { errorText } from '../../errors/index.ts';
import { registryAccess } from '../../registry-access/registry-access.ts';
import { listAll } from '../../store/index.ts';
import type { Kind, Store } from '../../store/types.ts';
import { canSee } from '../auth.ts';
import { ApiError, badRequest, forbidden, invalid, zodCauses } from '../errors.ts';
import { IMPORT_FORMATS, type ImportPlan, type ListedTags, MAX_IMPORT_ROWS, type TagListing, exportDocuments, planImport, tagListings } from '../repository-import.ts';
import { tagsAt } from '../repository-tags.ts';
import { type KindHandler, handlers, loadRegistry } from '../resources.ts';
import type { Secrets } from '../secrets.ts';
import { checkName, checkNamespace } from './resources.ts';
import { type RouteContext, principal } from './context.ts';

const importSchema = z.strictObject({
  format: z.enum(IMPORT_FORMATS as [string, ...string[]]).optional(),
  content: z.string().min(1, 'paste or upload the text to import').max(4 * 1024 * 1024),
  dryRun: z.boolean().optional(),
  skipExisting: z.boolean().optional(),
  mirror: z.strictObject({ registryRef: z.strictObject({ name: z.string().min(1).max(253) }), prefix: z.string().max(255).optional() }).optional(),
  syncInterval: z.string().max(32).optional(),
});

const handlerOf = <K extends Kind>(kind: K) => handlers.find((h) => h.kind === kind) as KindHandler<K>;

/** Tag lists read at once, and how long all of an import's may take (a preview waits for them). */
const LISTING_CONCURRENCY = 4;
const LISTING_DEADLINE_MS = 60_000;

/** Each listing's tags (artifact tags left out), or why they could not be read: one line, never a credential. */
async function listTags(store: Store, secrets: Secrets, namespace: string, listings: readonly TagListing[], egress: EgressPolicy | undefined): Promise<ListedTags> {
  const out = new Map<string, readonly string[] | { error: string }>();
  const limit = pLimit(LISTING_CONCURRENCY);
  const signal = AbortSignal.timeout(LISTING_DEADLINE_MS);
  await Promise.all(listings.map((l) => limit(async () => {
    try {
      signal.throwIfAborted();
      const source = await loadRegistry(store, secrets, namespace, l.registry.metadata.name);
      out.set(l.key, await tagsAt(registryAccess(source?.registry ?? l.registry, source?.credentials, { egress }), l.path, signal));
    } catch (err) {
      out.set(l.key, { error: signal.aborted ? `no answer within ${LISTING_DEADLINE_MS / 1000} s` : errorText(err) });
    }
  })));
  return out;
}


export function importRoutes(app: FastifyInstance, ctx: RouteContext): void {
  const { store } = ctx;

  app.post<{ Params: { namespace: string } }>('/namespaces/:namespace/imports', { config: { role: 'editor' }, bodyLimit: 5 * 1024 * 1024 }, async (request, reply) => {
    const ns = request.params.namespace;
    checkNamespace(ns);
    const p = principal(request);
    if (!canSee(p, ns)) throw forbidden(`token "${p.name}" may not create repositories in namespace "${ns}"`);
    const parsed = importSchema.safeParse(request.body);
    if (!parsed.success) throw invalid('RepositoryImport', '', zodCauses(parsed.error));
    const req = parsed.data as Parameters<typeof planImport>[0];
    const registries = await listAll(store, 'Registry', { namespace: ns });
    const repositories = await listAll(store, 'Repository', { namespace: ns });
    const existing = new Set([...registries.map((r) => `Registry/${r.metadata.name}`), ...repositories.map((r) => `Repository/${r.metadata.name}`)]);
    const state = { namespace: ns, registries, existing };
    // Every listing is a row of its own: past the row limit the plan refuses the text, with nothing read.
    const listings = tagListings(req, state);
    const listed = listings.length > MAX_IMPORT_ROWS ? new Map() : await listTags(store, ctx.secrets, ns, listings, ctx.egress);
    let plan: ImportPlan;
    try {
      plan = planImport(req, state, listed);
    } catch (err) {
      throw badRequest((err as Error).message);
    }
    const result = (created: number, phase: 'Planned' | 'Created' | 'Refused') => ({
      apiVersion: API_VERSION,
      kind: 'RepositoryImport',
      metadata: { namespace: ns },
      dryRun: req.dryRun === true,
      format: plan.format,
      status: {
        phase,
        rows: plan.rows.length,
        valid: plan.rows.filter((r) => r.state !== 'invalid').length,
        invalid: plan.rows.filter((r) => r.state === 'invalid').length,
        existing: plan.rows.filter((r) => r.state === 'exists').length,
        created,
      },
      rows: plan.rows,
    });
    if (plan.rows.length === 0) throw badRequest('the text names no images or objects to import');
    if (plan.rows.some((r) => r.state === 'invalid')) {
      reply.code(422);
      return result(0, 'Refused');
    }
    if (req.dryRun) return result(0, 'Planned');
    const created: { kind: 'Registry' | 'Repository'; name: string }[] = [];
    try {
      for (const row of plan.rows) {
        if (row.state !== 'create' || !row.object) continue;
        // The same reference check as a POST (an import refers to its own namespace only; this is defence in depth).
        if (row.object.kind === 'Registry') {
          handlerOf('Registry').authorize(row.object, p);
          await store.create('Registry', row.object);
        } else {
          handlerOf('Repository').authorize(row.object, p);
          await store.create('Repository', row.object);
        }
        created.push({ kind: row.kind, name: row.name });
        await ctx.audit(request, { verb: 'create', kind: row.kind, namespace: ns, name: row.name, detail: `import (${plan.format})` });
      }
    } catch (err) {
      // All or nothing: take back what this import created.
      for (const c of created.reverse()) await store.delete(c.kind, ns, c.name).catch(() => undefined);
      const message = err instanceof Error ? err.message : String(err);
      throw new ApiError(409, 'Conflict', `the import was rolled back: ${message}; nothing was created`);
    }
    for (const c of created) if (c.kind === 'Repository') await ctx.scheduler?.added(ns, c.name);
    reply.code(201);
    return result(created.length, 'Created');
  });

  app.get<{ Params: { namespace: string }; Querystring: { names?: string } }>('/namespaces/:namespace/export', { config: { role: 'viewer' } }, async (request, reply) => {
    const ns = request.params.namespace;
    checkNamespace(ns);
    reply.header('content-disposition', `attachment; filename="tugboat-${ns}.yaml"`);
    // A namespace the token cannot see exports as empty, as it lists as empty: it does not exist for this caller.
    if (!canSee(principal(request), ns)) return reply.type('application/yaml; charset=utf-8').send('');
    let repositories = await listAll(store, 'Repository', { namespace: ns });
    if (request.query.names) {
      const names = [...new Set(request.query.names.split(',').map((n) => n.trim()).filter(Boolean))];
      if (names.length > MAX_IMPORT_ROWS) throw badRequest(`at most ${MAX_IMPORT_ROWS} names`);
      for (const n of names) checkName(n);
      const wanted = new Set(names);
      repositories = repositories.filter((r) => wanted.has(r.metadata.name));
    }
    const used = new Set(repositories.flatMap((r) => [r.spec.registryRef, r.spec.mirror?.registryRef].filter((x) => x && (x.namespace ?? ns) === ns).map((x) => x!.name)));
    const registries = (await listAll(store, 'Registry', { namespace: ns })).filter((r) => used.has(r.metadata.name));
    return reply.type('application/yaml; charset=utf-8').send(exportDocuments(registries, repositories));
  });
}
