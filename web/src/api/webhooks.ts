/** A namespace's webhooks: `/namespaces/{ns}/webhooks[/{name}[/test|/deliveries]]` (editors and admins). */
import { WEBHOOK_EVENT_TYPES, type Webhook, type WebhookDelivery } from '../../../src/api/types.ts';
import { nsPath, request } from './client.ts';

export { WEBHOOK_EVENT_TYPES };
export type { Webhook, WebhookDelivery };
export type WebhookEvent = (typeof WEBHOOK_EVENT_TYPES)[number];

export async function listWebhooks(namespace: string, signal?: AbortSignal): Promise<Webhook[]> {
  return (await request<{ items: Webhook[] }>(nsPath(namespace, 'webhooks'), { signal })).items;
}

/**
 * Creates a webhook; the answer's signing secret is shown this once (kept in
 * component state only, as a new token is). No `events`: every event type.
 */
export async function createWebhook(namespace: string, name: string, spec: { url: string; events?: WebhookEvent[] }): Promise<{ webhook: Webhook; secret: string }> {
  const created = await request<Webhook & { status: { secret: string } }>(nsPath(namespace, 'webhooks'), { method: 'POST', body: { metadata: { name }, spec } });
  const { status, ...webhook } = created;
  return { webhook, secret: status.secret };
}

export async function deleteWebhook(w: Webhook): Promise<void> {
  await request(nsPath(w.metadata.namespace, 'webhooks', w.metadata.name), { method: 'DELETE' });
}

/** 发送测试: one test event now; the answer is that attempt (also in the delivery log). */
export function testWebhook(w: Webhook): Promise<WebhookDelivery> {
  return request<WebhookDelivery>(nsPath(w.metadata.namespace, 'webhooks', w.metadata.name, 'test'), { method: 'POST', body: {} });
}

/** The newest attempts (up to 100 kept), newest first. */
export async function listDeliveries(w: Webhook, signal?: AbortSignal): Promise<WebhookDelivery[]> {
  return (await request<{ items: WebhookDelivery[] }>(nsPath(w.metadata.namespace, 'webhooks', w.metadata.name, 'deliveries'), { signal })).items;
}
