/**
 * Webhooks (`webhooks`: the object as JSON beside its sealed signing secret)
 * and their delivery log (`webhook_deliveries`, the newest
 * {@link DELIVERIES_KEPT} per webhook).
 */
import type { Webhook, WebhookDelivery } from '../../api/types.ts';
import { StoreConflict } from '../types.ts';
import type { Store } from '../types.ts';
import { fromJson } from './driver.ts';
import type { SqlDriver } from './driver.ts';

export const DELIVERIES_KEPT = 100;

/** The webhook methods of {@link Store}. */
export type WebhookStore = Pick<Store, 'createWebhook' | 'getWebhook' | 'listWebhooks' | 'deleteWebhook' | 'appendDelivery' | 'listDeliveries'>;

export class SqlWebhooks implements WebhookStore {
  readonly #db: SqlDriver;

  constructor(db: SqlDriver) {
    this.#db = db;
  }

  async createWebhook(webhook: Webhook, sealedSecret: string): Promise<void> {
    const { namespace, name } = webhook.metadata;
    const rows = await this.#db.query('INSERT INTO webhooks (namespace, name, webhook, secret) VALUES ($1, $2, $3, $4) ON CONFLICT DO NOTHING RETURNING name', [namespace, name, JSON.stringify(webhook), sealedSecret]);
    if (rows.length === 0) throw new StoreConflict('AlreadyExists', `webhook "${namespace}/${name}" already exists`);
  }

  async getWebhook(namespace: string, name: string): Promise<{ webhook: Webhook; sealedSecret: string } | undefined> {
    const rows = await this.#db.query('SELECT webhook, secret FROM webhooks WHERE namespace = $1 AND name = $2', [namespace, name]);
    const r = rows[0];
    return r ? { webhook: fromJson<Webhook>(r['webhook']), sealedSecret: String(r['secret']) } : undefined;
  }

  async listWebhooks(namespace: string): Promise<Webhook[]> {
    const rows = await this.#db.query('SELECT webhook FROM webhooks WHERE namespace = $1 ORDER BY name', [namespace]);
    return rows.map((r) => fromJson<Webhook>(r['webhook']));
  }

  async deleteWebhook(namespace: string, name: string): Promise<boolean> {
    return this.#db.transaction(async (tx) => {
      const rows = await tx.query('DELETE FROM webhooks WHERE namespace = $1 AND name = $2 RETURNING name', [namespace, name]);
      await tx.query('DELETE FROM webhook_deliveries WHERE namespace = $1 AND webhook = $2', [namespace, name]);
      return rows.length > 0;
    });
  }

  async appendDelivery(namespace: string, webhook: string, delivery: WebhookDelivery): Promise<void> {
    await this.#db.transaction(async (tx) => {
      await tx.query('INSERT INTO webhook_deliveries (namespace, webhook, delivery) VALUES ($1, $2, $3)', [namespace, webhook, JSON.stringify(delivery)]);
      // Bounded: a webhook that fails for a month keeps its newest attempts only.
      await tx.query(
        `DELETE FROM webhook_deliveries WHERE namespace = $1 AND webhook = $2 AND seq <= (
           SELECT seq FROM webhook_deliveries WHERE namespace = $1 AND webhook = $2 ORDER BY seq DESC LIMIT 1 OFFSET ${DELIVERIES_KEPT})`,
        [namespace, webhook],
      );
    });
  }

  async listDeliveries(namespace: string, webhook: string, limit = DELIVERIES_KEPT): Promise<WebhookDelivery[]> {
    const rows = await this.#db.query(`SELECT delivery FROM webhook_deliveries WHERE namespace = $1 AND webhook = $2 ORDER BY seq DESC LIMIT ${Math.max(1, Math.min(DELIVERIES_KEPT, Math.floor(limit)))}`, [namespace, webhook]);
    return rows.map((r) => fromJson<WebhookDelivery>(r['delivery']));
  }
}
