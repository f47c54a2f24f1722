/**
 * A webhook delivery's failure in the user's language, from the delivery's
 * reason code (src/server/webhooks.ts); the server's English (`error`:
 * "answered 500", "egress policy refuses ...", a socket error) stays the
 * detail. Deliveries recorded before the server gave a code are sorted by
 * the stable parts of that English instead.
 */
import type { WebhookDeliveryReason } from '../../../../src/api/types.ts';
import type { ErrorText } from '../../api/errorText.ts';
import type { WebhookDelivery } from '../../api/webhooks.ts';
import type { MessageKey, Translate } from '../../i18n.tsx';

/** Each reason's words; `code` is filled from the delivery's status code. */
const REASONS: Readonly<Record<WebhookDeliveryReason, MessageKey>> = {
  Deleted: 'admin.delivery.deleted',
  Answered: 'admin.delivery.answered',
  Redirected: 'admin.delivery.redirect',
  EgressRefused: 'admin.delivery.egress',
  ConnectionRefused: 'admin.delivery.refused',
  DNSFailed: 'admin.delivery.dns',
  Timeout: 'admin.delivery.timeout',
  TLS: 'admin.delivery.tls',
  Other: 'admin.delivery.other',
};

/** Deliveries without a reason code (recorded by an older server): first match wins. */
const FAILURES: readonly (readonly [RegExp, MessageKey])[] = [
  [/egress policy refuses/i, 'admin.delivery.egress'],
  [/^answered 3\d\d/, 'admin.delivery.redirect'],
  [/^answered \d+/, 'admin.delivery.answered'],
  [/ECONNREFUSED/, 'admin.delivery.refused'],
  [/ENOTFOUND|EAI_AGAIN/, 'admin.delivery.dns'],
  [/timeout|ETIMEDOUT/i, 'admin.delivery.timeout'],
  [/certificate|TLS|SSL/i, 'admin.delivery.tls'],
  [/was deleted/, 'admin.delivery.deleted'],
];

/** Why `d` failed (undefined when it was delivered). */
export function describeDelivery(d: WebhookDelivery, t: Translate): ErrorText | undefined {
  if (d.ok) return undefined;
  const error = d.error ?? '';
  const key = (d.reason && REASONS[d.reason]) ?? FAILURES.find(([re]) => re.test(error))?.[1] ?? 'admin.delivery.other';
  return { text: t(key, { code: d.statusCode ?? '' }), ...(error ? { detail: error } : {}) };
}

const EVENT_LABEL: Readonly<Record<string, MessageKey>> = {
  'io.tugboat.syncrun.finished': 'admin.event.syncFinished',
  'io.tugboat.repository.health.changed': 'admin.event.healthChanged',
  'io.tugboat.webhook.test': 'admin.event.test',
};

/** An event type's name in the user's language (an unknown one as it is). */
export function eventLabel(type: string, t: Translate): string {
  const key = EVENT_LABEL[type];
  return key ? t(key) : type;
}
