/**
 * PostgreSQL through `pg`'s Pool. Watch events travel by LISTEN/NOTIFY: a
 * writer calls pg_notify inside its transaction, so PostgreSQL delivers the
 * event only on commit and in commit order, to every replica's listening
 * connection including the writer's own.
 */
import pg from 'pg';
import type { PoolClient } from 'pg';
import { applyMigrations } from '../migrations.ts';
import type { Row, SqlDialect, SqlDriver, SqlExecutor, StoreEvent } from '../sql/driver.ts';
import { EventHub, fromJson, toInt } from '../sql/driver.ts';
import { postgresMigrations } from './postgres-migrations.ts';

export const postgresDialect: SqlDialect = {
  name: 'postgres',
  // `->>` is overloaded for text and integer: the cast picks the key form.
  labelValue: (placeholder) => `(object->'metadata'->'labels'->>${placeholder}::text)`,
  labelParam: (key) => key,
  fieldValue: (placeholder) => `COALESCE(object #>> ${placeholder}::text[], '')`,
  fieldParam: (path) => `{${path.join(',')}}`,
  withoutPaths: (column, placeholders) => `(${[column, ...placeholders.map((p) => `${p}::text[]`)].join(' #- ')})`,
  jsonText: (expr) => `(${expr})::text`,
  contains: (column, placeholder) => `strpos(${column}, ${placeholder}) > 0`,
  // LIKE is what migration 9's pg_trgm index answers (strpos it cannot); of
  // q's last six characters only, as on SQLite: the index intersects every
  // trigram's rows, and the start of a name (repo-0...) is shared by thousands.
  narrowSearch: (q, bind) => {
    const chars = [...q];
    if (chars.length < 3) return undefined;
    return `search LIKE ${bind(`%${chars.slice(-6).join('').replace(/[\\%_]/g, (c) => `\\${c}`)}%`)}`;
  },
  remote: true,
  versionSql: 'SELECT CASE WHEN is_called THEN last_value ELSE 0 END FROM resource_version_seq',
  forUpdate: ' FOR UPDATE',
  skipLocked: ' FOR UPDATE SKIP LOCKED',
};

/** The NOTIFY channel every replica listens on. */
export const WATCH_CHANNEL = 'tugboat_watch';
/** Where a token's removal is announced (no payload): every replica forgets the tokens it remembered. */
export const TOKENS_CHANNEL = 'tugboat_tokens';
/** Arbitrary constant naming the migration lock (pg_advisory_xact_lock). */
const MIGRATION_LOCK = 0x7475_6762; // "tugb"
/** NOTIFY payloads must stay under 8000 bytes; larger objects go through watch_events. */
const MAX_INLINE_PAYLOAD = 7000;

/** What a notification carries: the object inline, or the version to read it by. */
interface Payload {
  k: StoreEvent['kind'];
  t: StoreEvent['type'];
  rv: number;
  o?: StoreEvent['object'];
}

export interface PostgresDriverOptions {
  connectionString: string;
  /** Pool size (default 10). */
  poolSize?: number | undefined;
  /** Errors of idle pool connections and of the listener; the driver recovers by itself. */
  onError?: ((err: Error) => void) | undefined;
}

export class PostgresDriver implements SqlDriver {
  readonly dialect = postgresDialect;
  readonly #options: PostgresDriverOptions;
  readonly #pool: pg.Pool;
  readonly #events = new EventHub();
  #listener: pg.Client | undefined;
  #closed = false;
  #reconnectTimer: NodeJS.Timeout | undefined;
  /** Notifications are handled one at a time so events keep commit order. */
  #delivery: Promise<void> = Promise.resolve();
  /** Bumped by every token removal heard or made, and by every (re)connection of the listener. */
  #tokenGeneration = 0;

  readonly tokenChanges = {
    generation: (): number | undefined => (this.#listener ? this.#tokenGeneration : undefined),
    removed: async (tx: SqlExecutor): Promise<void> => {
      // Delivered on commit, to every replica (this one too).
      await tx.query('SELECT pg_notify($1, $2)', [TOKENS_CHANNEL, '']);
    },
    // This replica forgets at once, once the removal has committed, without waiting for its own notification.
    forget: (): void => {
      this.#tokenGeneration++;
    },
  };

  constructor(options: PostgresDriverOptions) {
    this.#options = options;
    this.#pool = new pg.Pool({ connectionString: options.connectionString, max: options.poolSize ?? 10 });
    // An idle client's error (server restart) must not crash the process; the
    // pool drops that client and makes a new one on demand.
    this.#pool.on('error', (err) => this.#options.onError?.(err));
  }

  /** Connects the listening connection; called once by the store's opener. */
  async listen(): Promise<void> {
    const client = new pg.Client({ connectionString: this.#options.connectionString });
    client.on('notification', (msg) => {
      if (msg.channel === TOKENS_CHANNEL) this.#tokenGeneration++;
      if (msg.channel !== WATCH_CHANNEL || !msg.payload) return;
      const payload = msg.payload;
      this.#delivery = this.#delivery.then(() => this.#deliver(payload)).catch((err: unknown) => this.#options.onError?.(asError(err)));
    });
    const lost = (err?: Error) => {
      if (this.#listener !== client) return;
      this.#listener = undefined;
      // Removals announced while nobody listened are not replayed: forget everything.
      this.#tokenGeneration++;
      if (err) this.#options.onError?.(err);
      client.end().catch(() => undefined);
      this.#scheduleReconnect();
    };
    client.on('error', lost);
    client.on('end', () => lost());
    await client.connect();
    try {
      await client.query(`LISTEN ${WATCH_CHANNEL}; LISTEN ${TOKENS_CHANNEL}`);
    } catch (err) {
      await client.end().catch(() => undefined);
      throw err;
    }
    if (this.#closed) {
      await client.end().catch(() => undefined);
      return;
    }
    this.#tokenGeneration++;
    this.#listener = client;
  }

  #scheduleReconnect(): void {
    if (this.#closed || this.#reconnectTimer) return;
    // Events committed while the listener is down are not replayed: watchers
    // see a gap and should re-list (as Kubernetes clients do after a 410).
    this.#reconnectTimer = setTimeout(() => {
      this.#reconnectTimer = undefined;
      this.listen().catch((err: unknown) => {
        this.#options.onError?.(asError(err));
        this.#scheduleReconnect();
      });
    }, 1000);
    this.#reconnectTimer.unref();
  }

  async #deliver(raw: string): Promise<void> {
    const p = JSON.parse(raw) as Payload;
    let object = p.o;
    if (!object) {
      const rows = await this.#pool.query('SELECT object FROM watch_events WHERE resource_version = $1', [p.rv]);
      if (!rows.rows[0]) return; // pruned: a listener that far behind lost the event anyway
      object = fromJson<StoreEvent['object']>(rows.rows[0]['object']);
    }
    this.#events.emit({ kind: p.k, type: p.t, object } satisfies StoreEvent);
  }

  async query(sql: string, params: readonly unknown[] = []): Promise<Row[]> {
    return (await this.#pool.query(sql, params as unknown[])).rows as Row[];
  }

  async transaction<T>(fn: (tx: SqlExecutor) => Promise<T>, options: { readOnly?: boolean } = {}): Promise<T> {
    const client = await this.#pool.connect();
    const query = async (sql: string, params: readonly unknown[] = []): Promise<Row[]> => (await client.query(sql, params as unknown[])).rows as Row[];
    const tx: SqlExecutor = {
      query,
      nextVersion: async () => toInt((await query(`SELECT nextval('resource_version_seq') AS v`))[0]?.['v']),
      publish: async (event) => {
        const rv = toInt(event.object.metadata.resourceVersion);
        let payload = JSON.stringify({ k: event.kind, t: event.type, rv, o: event.object } satisfies Payload);
        if (Buffer.byteLength(payload) > MAX_INLINE_PAYLOAD) {
          await query(`DELETE FROM watch_events WHERE created_at < now() - interval '10 minutes'`);
          await query('INSERT INTO watch_events (resource_version, object) VALUES ($1, $2)', [rv, JSON.stringify(event.object)]);
          payload = JSON.stringify({ k: event.kind, t: event.type, rv } satisfies Payload);
        }
        await query('SELECT pg_notify($1, $2)', [WATCH_CHANNEL, payload]);
      },
    };
    try {
      await client.query(options.readOnly ? 'BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY' : 'BEGIN');
      const result = await fn(tx);
      await client.query('COMMIT');
      client.release();
      return result;
    } catch (err) {
      await rollback(client, err);
      throw err;
    }
  }

  async currentVersion(tx: SqlExecutor): Promise<number> {
    const rows = await tx.query('SELECT last_value, is_called FROM resource_version_seq');
    return rows[0]?.['is_called'] ? toInt(rows[0]['last_value']) : 0;
  }

  async migrate(): Promise<void> {
    const client = await this.#pool.connect();
    try {
      await client.query('BEGIN');
      // Replicas starting together queue here; the lock ends with the transaction.
      await client.query('SELECT pg_advisory_xact_lock($1)', [MIGRATION_LOCK]);
      await applyMigrations(
        {
          exec: async (sql) => {
            await client.query(sql);
          },
          query: async (sql, params) => (await client.query(sql, params as unknown[])).rows as Row[],
        },
        postgresMigrations,
      );
      await client.query('COMMIT');
      client.release();
    } catch (err) {
      await rollback(client, err);
      throw err;
    }
  }

  subscribe(listener: (event: StoreEvent) => void): () => void {
    return this.#events.subscribe(listener);
  }

  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    clearTimeout(this.#reconnectTimer);
    const listener = this.#listener;
    this.#listener = undefined;
    await listener?.end().catch(() => undefined);
    await this.#delivery;
    this.#events.clear();
    await this.#pool.end();
  }
}

/** Rolls back and releases; a client whose rollback failed is destroyed, not reused. */
async function rollback(client: PoolClient, cause: unknown): Promise<void> {
  try {
    await client.query('ROLLBACK');
    client.release();
  } catch {
    client.release(asError(cause));
  }
}

function asError(err: unknown): Error {
  return err instanceof Error ? err : new Error(String(err));
}
