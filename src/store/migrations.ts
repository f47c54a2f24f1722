/**
 * Numbered schema migrations. Each dialect keeps its own list
 * (`sqlite/sqlite-migrations.ts`, `postgres/postgres-migrations.ts`) with the
 * same version numbers for the same change; {@link applyMigrations} records
 * what ran in `schema_migrations`.
 *
 * The caller holds a lock that serialises concurrent starts (SQLite
 * `BEGIN IMMEDIATE`, PostgreSQL `pg_advisory_xact_lock`) and runs this inside
 * that transaction, so a replica that waited sees the versions the first one
 * recorded and applies nothing twice.
 */
import { TugError } from '../errors/index.ts';
import type { Row } from './sql/driver.ts';

export interface Migration {
  /** 1, 2, 3...: never renumber or edit one that has shipped; add a new one. */
  version: number;
  name: string;
  /** One or more statements, run as one script. */
  sql: string;
}

export interface MigrationExecutor {
  /** Runs a script of several statements without parameters. */
  exec(sql: string): Promise<void>;
  query(sql: string, params?: readonly unknown[]): Promise<Row[]>;
}

/** Applies the migrations not yet recorded; returns the versions it applied. */
export async function applyMigrations(db: MigrationExecutor, migrations: readonly Migration[]): Promise<number[]> {
  await db.exec('CREATE TABLE IF NOT EXISTS schema_migrations (version INTEGER PRIMARY KEY, name TEXT NOT NULL, applied_at TEXT NOT NULL)');
  const rows = await db.query('SELECT version FROM schema_migrations');
  const applied = new Set(rows.map((r) => Number(r['version'])));
  const known = Math.max(0, ...migrations.map((m) => m.version));
  const newest = Math.max(0, ...applied);
  if (newest > known) {
    throw new TugError('UNSUPPORTED', `the database schema is at version ${newest}, newer than this tugboat knows (${known})`, { hint: 'upgrade tugboat, or point it at another database' });
  }
  const done: number[] = [];
  for (const m of [...migrations].sort((a, b) => a.version - b.version)) {
    if (applied.has(m.version)) continue;
    await db.exec(m.sql);
    await db.query('INSERT INTO schema_migrations (version, name, applied_at) VALUES ($1, $2, $3)', [m.version, m.name, new Date().toISOString()]);
    done.push(m.version);
  }
  return done;
}
