/**
 * Webhook deliveries (issue 15 item 7): each finished SyncRun and each
 * health change of a Repository goes, as one CloudEvents 1.0 JSON document,
 * to the webhooks of its namespace that want that type; never one per layer.
 *
 * Signed as the Standard Webhooks specification says (what Svix, Kong and
 * others verify): headers `webhook-id`, `webhook-timestamp` and
 * `webhook-signature: v1,<base64 HMAC-SHA256 of "id.timestamp.body">` with
 * the webhook's secret (`whsec_<base64>`), so a receiver checks origin,
 * integrity and freshness with a library it has.
 *
 * A failed attempt (a non-2xx answer, a refused or slow connection) is
 * retried after 5 s, 30 s, 2 min and 10 min; every attempt goes to the
 * delivery log. Connections pass the server's egress policy (no link-local
 * or metadata addresses unless allowed), redirects are not followed, and
 * the secret never leaves the process but as the signature. Retries wait in
 * memory: a restart drops the pending ones (the log shows the last attempt).
 */
import { createHmac, randomBytes, randomUUID } from 'node:crypto';
import type { Dispatcher } from 'undici';
import { API_PREFIX, type Webhook, type WebhookDelivery, type WebhookDeliveryReason, type WebhookEventType } from '../api/types.ts';
import type { EgressPolicy } from '../context/system-context.ts';
import { egressConnector } from '../distribution/egress.ts';
import { Agent, request } from '../distribution/undici.ts';
import { errorText } from '../errors/index.ts';
import type { SchedulerEvent } from '../scheduler/events.ts';
import type { Store } from '../store/types.ts';
import type { Secrets } from './secrets.ts';

export const RETRY_DELAYS_MS: readonly number[] = [5_000, 30_000, 120_000, 600_000];
const TIMEOUT_MS = 10_000;

/** The AAD a webhook's sealed secret is bound to (it opens for this webhook only). */
export const webhookSecretAad = (namespace: string, name: string) => `webhook:${namespace}/${name}`;

/** A new signing secret in the Standard Webhooks form. */
export const newWebhookSecret = () => `whsec_${randomBytes(24).toString('base64')}`;

/** The CloudEvents document of one event. */
export interface CloudEvent {
  specversion: '1.0';
  id: string;
  source: string;
  type: WebhookEventType;
  subject?: string;
  time: string;
  datacontenttype: 'application/json';
  data: unknown;
}

/**
 * The reason code of a delivery that failed before an answer: from the
 * error's own code and those of its causes (the egress policy's refusal is
 * a TugError UNSAFE_INPUT; sockets, DNS, TLS and undici give Node's codes).
 */
export function failureReason(err: unknown): WebhookDeliveryReason {
  const codes: string[] = [];
  for (let e: unknown = err, depth = 0; e && typeof e === 'object' && depth < 5; e = (e as { cause?: unknown }).cause, depth++) {
    const { code, name } = e as { code?: unknown; name?: unknown };
    if (typeof code === 'string') codes.push(code);
    if (name === 'TimeoutError') codes.push('ETIMEDOUT');
  }
  const has = (re: RegExp) => codes.some((c) => re.test(c));
  if (has(/^UNSAFE_INPUT$/)) return 'EgressRefused';
  if (has(/^ECONNREFUSED$/)) return 'ConnectionRefused';
  if (has(/^(ENOTFOUND|EAI_AGAIN|EAI_NONAME)$/)) return 'DNSFailed';
  if (has(/TIMEOUT|^ETIMEDOUT$/)) return 'Timeout';
  if (has(/^ERR_TLS|^ERR_SSL|CERT|^UNABLE_TO_VERIFY|SELF_SIGNED/)) return 'TLS';
  return 'Other';
}

/** `webhook-signature`'s value for one delivery (Standard Webhooks v1). */
export function signature(secret: string, id: string, timestamp: number, body: string): string {
  const key = Buffer.from(secret.startsWith('whsec_') ? secret.slice('whsec_'.length) : secret, 'base64');
  return `v1,${createHmac('sha256', key).update(`${id}.${timestamp}.${body}`).digest('base64')}`;
}

/** The events a scheduler event makes, by namespace (none for the others). */
export function cloudEventsOf(e: SchedulerEvent, now = new Date()): { namespace: string; event: CloudEvent }[] {
  if (e.type === 'run-finished') {
    const { namespace, name } = e.run.metadata;
    return [{
      namespace,
      event: {
        specversion: '1.0', id: randomUUID(), source: `${API_PREFIX}/namespaces/${namespace}/repositories/${e.run.spec.repositoryName}`, type: 'io.tugboat.syncrun.finished',
        subject: name, time: now.toISOString(), datacontenttype: 'application/json',
        data: { result: e.result, durationMs: e.durationMs, bytesMoved: e.bytesMoved, run: e.run },
      },
    }];
  }
  if (e.type === 'health-changed') {
    const { namespace, name } = e.repository.metadata;
    return [{
      namespace,
      event: {
        specversion: '1.0', id: randomUUID(), source: `${API_PREFIX}/namespaces/${namespace}/repositories/${name}`, type: 'io.tugboat.repository.health.changed',
        subject: name, time: now.toISOString(), datacontenttype: 'application/json',
        data: { from: e.from ?? null, to: e.health.state, health: e.health, image: `${e.repository.spec.repository}:${e.repository.spec.tag}` },
      },
    }];
  }
  return [];
}

export interface WebhookDispatcherOptions {
  store: Store;
  secrets: Secrets;
  egress?: EgressPolicy | undefined;
  retryDelaysMs?: readonly number[];
  onError?: (message: string, err: unknown) => void;
}

export class WebhookDispatcher {
  private readonly o: WebhookDispatcherOptions;
  private readonly agent: Dispatcher;
  private readonly timers = new Set<NodeJS.Timeout>();
  private readonly inFlight = new Set<Promise<unknown>>();
  private closed = false;

  constructor(options: WebhookDispatcherOptions) {
    this.o = options;
    const connect = options.egress ? egressConnector(options.egress, { timeout: TIMEOUT_MS }) : undefined;
    this.agent = new Agent({ connect: connect ?? { timeout: TIMEOUT_MS }, headersTimeout: TIMEOUT_MS, bodyTimeout: TIMEOUT_MS });
  }

  /** A scheduler event: its CloudEvents go to every webhook of the namespace that wants them. */
  observe(e: SchedulerEvent): void {
    for (const { namespace, event } of cloudEventsOf(e)) this.track(this.fanOut(namespace, event));
  }

  /** The test button: one `io.tugboat.webhook.test` event now, no retries; its delivery. */
  async test(webhook: Webhook): Promise<WebhookDelivery> {
    const { namespace, name } = webhook.metadata;
    const event: CloudEvent = {
      specversion: '1.0', id: randomUUID(), source: `${API_PREFIX}/namespaces/${namespace}/webhooks/${name}`, type: 'io.tugboat.webhook.test',
      subject: name, time: new Date().toISOString(), datacontenttype: 'application/json', data: { message: 'a test event from tug serve' },
    };
    return this.attempt(webhook, event, 1, false);
  }

  /** Cancels pending retries and waits for attempts in flight. */
  async close(): Promise<void> {
    this.closed = true;
    for (const t of this.timers) clearTimeout(t);
    this.timers.clear();
    await Promise.allSettled([...this.inFlight]);
    await this.agent.close();
  }

  private track(p: Promise<unknown>): void {
    const safe = p.catch((err: unknown) => this.o.onError?.(`webhook: ${errorText(err)}`, err));
    this.inFlight.add(safe);
    void safe.finally(() => this.inFlight.delete(safe));
  }

  private async fanOut(namespace: string, event: CloudEvent): Promise<void> {
    const hooks = (await this.o.store.listWebhooks(namespace)).filter((w) => !w.spec.events?.length || w.spec.events.includes(event.type as (typeof w.spec.events)[number]));
    await Promise.all(hooks.map((w) => this.attempt(w, event, 1, true)));
  }

  private async attempt(webhook: Webhook, event: CloudEvent, attempt: number, retry: boolean): Promise<WebhookDelivery> {
    const { namespace, name } = webhook.metadata;
    const found = await this.o.store.getWebhook(namespace, name);
    const started = Date.now();
    const delivery: WebhookDelivery = { eventId: event.id, type: event.type, ...(event.subject ? { subject: event.subject } : {}), time: new Date(started).toISOString(), attempt, ok: false, durationMs: 0 };
    if (!found) return { ...delivery, error: 'the webhook was deleted', reason: 'Deleted' };
    try {
      const secret = this.o.secrets.open(found.sealedSecret, webhookSecretAad(namespace, name)).token!;
      const body = JSON.stringify(event);
      const timestamp = Math.floor(started / 1000);
      const url = new URL(found.webhook.spec.url);
      const res = await request(this.agent, {
        origin: url.origin,
        path: `${url.pathname}${url.search}`,
        method: 'POST',
        headers: {
          'content-type': 'application/cloudevents+json; charset=utf-8',
          'user-agent': 'tugboat-server/0.1',
          'webhook-id': event.id,
          'webhook-timestamp': String(timestamp),
          'webhook-signature': signature(secret, event.id, timestamp, body),
        },
        body,
      });
      // The answer's body is not kept: a receiver's page is not ours to store.
      await res.body.dump({ limit: 64 * 1024 }).catch(() => undefined);
      delivery.statusCode = res.statusCode;
      delivery.ok = res.statusCode >= 200 && res.statusCode < 300;
      if (!delivery.ok) {
        const redirect = res.statusCode >= 300 && res.statusCode < 400;
        delivery.error = `answered ${res.statusCode}${redirect ? ' (redirects are not followed: give the final URL)' : ''}`;
        delivery.reason = redirect ? 'Redirected' : 'Answered';
      }
    } catch (err) {
      delivery.error = errorText(err);
      delivery.reason = failureReason(err);
    }
    delivery.durationMs = Date.now() - started;
    const delay = this.o.retryDelaysMs?.[attempt - 1] ?? RETRY_DELAYS_MS[attempt - 1];
    const again = retry && !delivery.ok && delay !== undefined && !this.closed;
    if (again) delivery.retryAt = new Date(Date.now() + delay).toISOString();
    await this.o.store.appendDelivery(namespace, name, delivery);
    if (again) {
      const timer = setTimeout(() => {
        this.timers.delete(timer);
        this.track(this.attempt(webhook, event, attempt + 1, true));
      }, delay);
      timer.unref?.();
      this.timers.add(timer);
    }
    return delivery;
  }
}
