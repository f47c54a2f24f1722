/**
 * A namespace's webhooks (server/webhooks.ts sends them), editors only: a
 * receiver URL can itself be a secret (chat services put their token in it).
 *
 *     GET    /namespaces/{ns}/webhooks                    list
 *     POST   /namespaces/{ns}/webhooks                    create; the answer shows the signing secret once
 *     GET    /namespaces/{ns}/webhooks/{name}             read (never the secret)
 *     DELETE /namespaces/{ns}/webhooks/{name}             delete, with its delivery log
 *     POST   /namespaces/{ns}/webhooks/{name}/test        send a test event now; the delivery
 *     GET    /namespaces/{ns}/webhooks/{name}/deliveries  the newest attempts, newest first
 */
import type { FastifyInstance, FastifyRequest } from 'fastify';
import { z } from 'zod';
import { API_VERSION, WEBHOOK_EVENT_TYPES, type Webhook } from '../../api/types.ts';
import { StoreConflict } from '../../store/types.ts';
import { canSee } from '../auth.ts';
import { ApiError, forbidden, invalid, notFound, zodCauses } from '../errors.ts';
import { newWebhookSecret, webhookSecretAad } from '../webhooks.ts';
import { type RouteContext, principal } from './context.ts';
import { checkName, checkNamespace } from './resources.ts';

const urlSchema = z
  .string()
  .max(2048)
  .superRefine((s, ctx) => {
    let u: URL;
    try {
      u = new URL(s);
    } catch {
      ctx.addIssue({ code: 'custom', message: 'must be an http:// or https:// URL' });
      return;
    }
    if (u.protocol !== 'https:' && u.protocol !== 'http:') ctx.addIssue({ code: 'custom', message: `scheme ${u.protocol.slice(0, -1)} is not supported: use https:// (or http://)` });
    if (u.username || u.password) ctx.addIssue({ code: 'custom', message: 'must not contain credentials: the receiver checks the webhook-signature header instead' });
    if (u.hash) ctx.addIssue({ code: 'custom', message: 'must not contain a fragment' });
  });

const createSchema = z.strictObject({
  apiVersion: z.literal(API_VERSION).optional(),
  kind: z.literal('Webhook').optional(),
  metadata: z.looseObject({ name: z.string().min(1).max(253), namespace: z.string().optional() }),
  spec: z.strictObject({ url: urlSchema, events: z.array(z.enum(WEBHOOK_EVENT_TYPES)).max(WEBHOOK_EVENT_TYPES.length).optional() }),
  /** Write-only: the signing secret (`whsec_` + base64 of 24 to 64 bytes); generated when absent. */
  secret: z.string().regex(/^whsec_[A-Za-z0-9+/]{32,88}={0,2}$/, 'must be whsec_ followed by base64 of 24 to 64 random bytes (or leave it out to have one generated)').optional(),
});

export function webhookRoutes(app: FastifyInstance, ctx: RouteContext): void {
  const { store } = ctx;

  function scope(request: FastifyRequest<{ Params: { namespace: string; name?: string } }>): string {
    const ns = request.params.namespace;
    checkNamespace(ns);
    if (request.params.name !== undefined) checkName(request.params.name);
    return ns;
  }
  async function load(request: FastifyRequest<{ Params: { namespace: string; name: string } }>): Promise<Webhook> {
    const ns = scope(request);
    const found = canSee(principal(request), ns) ? await store.getWebhook(ns, request.params.name) : undefined;
    if (!found) throw notFound('webhooks', request.params.name);
    return found.webhook;
  }

  app.get<{ Params: { namespace: string } }>('/namespaces/:namespace/webhooks', { config: { role: 'editor' } }, async (request) => {
    const ns = scope(request);
    const items = canSee(principal(request), ns) ? await store.listWebhooks(ns) : [];
    return { apiVersion: API_VERSION, kind: 'WebhookList', metadata: { totalCount: items.length }, items };
  });

  app.post<{ Params: { namespace: string } }>('/namespaces/:namespace/webhooks', { config: { role: 'editor' } }, async (request, reply) => {
    const ns = scope(request);
    const p = principal(request);
    if (!canSee(p, ns)) throw forbidden(`token "${p.name}" may not create webhooks in namespace "${ns}"`);
    const parsed = createSchema.safeParse(request.body);
    const name = (request.body as { metadata?: { name?: unknown } } | undefined)?.metadata?.name;
    if (!parsed.success) throw invalid('Webhook', typeof name === 'string' ? name : '', zodCauses(parsed.error));
    checkName(parsed.data.metadata.name);
    if (parsed.data.metadata.namespace !== undefined && parsed.data.metadata.namespace !== ns) throw invalid('Webhook', parsed.data.metadata.name, [{ reason: 'FieldValueInvalid', message: `must be ${ns}`, field: 'metadata.namespace' }]);
    const webhook: Webhook = {
      apiVersion: API_VERSION,
      kind: 'Webhook',
      metadata: { name: parsed.data.metadata.name, namespace: ns, creationTimestamp: new Date().toISOString() },
      spec: { url: parsed.data.spec.url, ...(parsed.data.spec.events ? { events: parsed.data.spec.events } : {}) },
    };
    const secret = parsed.data.secret ?? newWebhookSecret();
    try {
      await store.createWebhook(webhook, ctx.secrets.seal({ token: secret }, webhookSecretAad(ns, webhook.metadata.name)));
    } catch (err) {
      if (err instanceof StoreConflict) throw new ApiError(409, 'AlreadyExists', `webhook "${ns}/${webhook.metadata.name}" already exists`);
      throw err;
    }
    await ctx.audit(request, { verb: 'create', kind: 'Webhook', namespace: ns, name: webhook.metadata.name, detail: `to ${new URL(webhook.spec.url).origin}` });
    reply.code(201);
    // Shown once, as a token is: the receiver needs it to check signatures.
    return { ...webhook, status: { secret } };
  });

  app.get<{ Params: { namespace: string; name: string } }>('/namespaces/:namespace/webhooks/:name', { config: { role: 'editor' } }, async (request) => load(request));

  app.delete<{ Params: { namespace: string; name: string } }>('/namespaces/:namespace/webhooks/:name', { config: { role: 'editor' } }, async (request) => {
    const webhook = await load(request);
    await store.deleteWebhook(webhook.metadata.namespace, webhook.metadata.name);
    await ctx.audit(request, { verb: 'delete', kind: 'Webhook', namespace: webhook.metadata.namespace, name: webhook.metadata.name });
    return webhook;
  });

  app.post<{ Params: { namespace: string; name: string } }>('/namespaces/:namespace/webhooks/:name/test', { config: { role: 'editor' } }, async (request) => {
    const webhook = await load(request);
    if (!ctx.webhooks) throw new ApiError(503, 'ServiceUnavailable', 'this server sends no webhooks');
    const delivery = await ctx.webhooks.test(webhook);
    await ctx.audit(request, { verb: 'test', kind: 'Webhook', namespace: webhook.metadata.namespace, name: webhook.metadata.name, detail: delivery.ok ? `delivered (${delivery.statusCode})` : `failed: ${delivery.error}` });
    return { apiVersion: API_VERSION, kind: 'WebhookDelivery', ...delivery };
  });

  app.get<{ Params: { namespace: string; name: string } }>('/namespaces/:namespace/webhooks/:name/deliveries', { config: { role: 'editor' } }, async (request) => {
    const webhook = await load(request);
    const items = await store.listDeliveries(webhook.metadata.namespace, webhook.metadata.name);
    return { apiVersion: API_VERSION, kind: 'WebhookDeliveryList', metadata: { totalCount: items.length }, items };
  });
}
