/**
 * API tokens (`tokens`, looked up by the hash of the secret, never the
 * secret) and the audit log (`audit`, newest first).
 */
import type { AuditEntry } from '../../api/types.ts';
import { StoreConflict } from '../types.ts';
import type { AuditFilter, Page, Store, StoredToken } from '../types.ts';
import { fromJson, toInt } from './driver.ts';
import type { SqlDriver } from './driver.ts';
import { newestFirst } from './sql-pages.ts';

/** The token and audit methods of {@link Store}. */
export type SecurityStore = Pick<Store, 'createToken' | 'findToken' | 'listTokens' | 'deleteToken' | 'countTokens' | 'appendAudit' | 'listAudit'>;

/**
 * How long a token found stays remembered (PostgreSQL only, see
 * SqlDriver.tokenChanges): a removal ends it at once, on every replica that
 * hears the notification; this bounds it should one ever be missed.
 */
const TOKEN_MEMORY_MS = 60_000;
/** Tokens remembered at most (a replica serves a few hundred users, not more). */
const TOKEN_MEMORY_MAX = 1000;

export class SqlSecurity implements SecurityStore {
  readonly #db: SqlDriver;
  /**
   * Tokens found, by hash (issue 15, "Scale": on PostgreSQL the lookup was
   * one of a GET's two round trips). Only found tokens; an entry counts only
   * at the generation it was read in, so a removal anywhere ends it.
   */
  readonly #found = new Map<string, { token: StoredToken; generation: number; at: number }>();

  constructor(db: SqlDriver) {
    this.#db = db;
  }

  async createToken(token: StoredToken, hash: string): Promise<void> {
    await this.#db.transaction(async (tx) => {
      const rows = await tx.query('INSERT INTO tokens (id, hash, token) VALUES ($1, $2, $3) ON CONFLICT DO NOTHING RETURNING id', [token.id, hash, JSON.stringify(token)]);
      if (rows.length === 0) throw new StoreConflict('AlreadyExists', `token "${token.name}" already exists`);
    });
  }

  async findToken(hash: string): Promise<StoredToken | undefined> {
    // Read before the query: a removal heard meanwhile makes this entry stale at once.
    const generation = this.#db.tokenChanges?.generation();
    const known = this.#found.get(hash);
    if (known && generation !== undefined && known.generation === generation && Date.now() - known.at < TOKEN_MEMORY_MS) return structuredClone(known.token);
    const rows = await this.#db.query('SELECT token FROM tokens WHERE hash = $1', [hash]);
    const token = rows[0] ? fromJson<StoredToken>(rows[0]['token']) : undefined;
    if (token && generation !== undefined) {
      if (this.#found.size >= TOKEN_MEMORY_MAX) this.#found.clear();
      this.#found.set(hash, { token: structuredClone(token), generation, at: Date.now() });
    } else this.#found.delete(hash);
    return token;
  }

  async listTokens(): Promise<StoredToken[]> {
    const rows = await this.#db.query('SELECT token FROM tokens ORDER BY id');
    return rows.map((r) => fromJson<StoredToken>(r['token'])).sort((a, b) => a.name.localeCompare(b.name));
  }

  async deleteToken(id: string): Promise<boolean> {
    const changes = this.#db.tokenChanges;
    if (!changes) return (await this.#db.query('DELETE FROM tokens WHERE id = $1 RETURNING id', [id])).length > 0;
    const removed = await this.#db.transaction(async (tx) => {
      const rows = await tx.query('DELETE FROM tokens WHERE id = $1 RETURNING id', [id]);
      if (rows.length > 0) await changes.removed(tx);
      return rows.length > 0;
    });
    // After the commit: a lookup that read the token before it (and stores it now) is at an older generation.
    changes.forget();
    this.#found.clear();
    return removed;
  }

  async countTokens(): Promise<number> {
    const rows = await this.#db.query('SELECT count(*) AS n FROM tokens');
    return toInt(rows[0]?.['n']);
  }

  async appendAudit(entry: AuditEntry): Promise<void> {
    await this.#db.query('INSERT INTO audit (entry) VALUES ($1)', [JSON.stringify(entry)]);
  }

  listAudit(options: { limit?: number; continue?: string; namespaces?: readonly string[] | undefined; filter?: AuditFilter } = {}): Promise<Page<AuditEntry>> {
    const where: string[] = [];
    const params: unknown[] = [];
    const bind = (v: unknown) => {
      params.push(v);
      return `$${params.length}`;
    };
    // `->>` reads a JSON field on both dialects (SQLite >= 3.38: TEXT holding JSON; PostgreSQL: JSONB).
    const ns = options.namespaces;
    if (ns !== undefined) where.push(ns.length === 0 ? '1 = 0' : `entry ->> 'namespace' IN (${ns.map(bind).join(', ')})`);
    const f = options.filter ?? {};
    for (const field of ['user', 'kind', 'verb', 'namespace'] as const) {
      const value = f[field];
      if (value !== undefined) where.push(`entry ->> '${field}' = ${bind(value)}`);
    }
    // Entries carry `time` as toISOString() (UTC, fixed width): text order is time order.
    if (f.since !== undefined) where.push(`entry ->> 'time' >= ${bind(f.since)}`);
    if (f.until !== undefined) where.push(`entry ->> 'time' < ${bind(f.until)}`);
    return newestFirst<AuditEntry>(this.#db, 'audit', 'seq', 'entry', where.length ? where.join(' AND ') : '1 = 1', params, options);
  }
}
