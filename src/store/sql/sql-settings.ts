/** Per-namespace settings (`namespace_settings`: one JSON document per namespace that has any). */
import type { NamespaceSettings } from '../../api/types.ts';
import type { Store } from '../types.ts';
import { fromJson } from './driver.ts';
import type { SqlDriver } from './driver.ts';

/** The settings methods of {@link Store}. */
export type SettingsStore = Pick<Store, 'getNamespaceSettings' | 'putNamespaceSettings' | 'listNamespaceSettings'>;

export class SqlSettings implements SettingsStore {
  readonly #db: SqlDriver;

  constructor(db: SqlDriver) {
    this.#db = db;
  }

  async getNamespaceSettings(namespace: string): Promise<NamespaceSettings> {
    const rows = await this.#db.query('SELECT settings FROM namespace_settings WHERE namespace = $1', [namespace]);
    return rows[0] ? fromJson<NamespaceSettings>(rows[0]['settings']) : {};
  }

  async putNamespaceSettings(namespace: string, settings: NamespaceSettings): Promise<void> {
    await this.#db.query('INSERT INTO namespace_settings (namespace, settings) VALUES ($1, $2) ON CONFLICT (namespace) DO UPDATE SET settings = excluded.settings', [namespace, JSON.stringify(settings)]);
  }

  async listNamespaceSettings(): Promise<Map<string, NamespaceSettings>> {
    const rows = await this.#db.query('SELECT namespace, settings FROM namespace_settings ORDER BY namespace');
    return new Map(rows.map((r) => [String(r['namespace']), fromJson<NamespaceSettings>(r['settings'])]));
  }
}
