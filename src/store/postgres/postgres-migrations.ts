import type { Migration } from '../migrations.ts';

/**
 * PostgreSQL schema. Keep version numbers in step with sqlite-migrations.ts.
 * Keys use the "C" collation so pages sort byte-wise, as on SQLite, and the
 * keyset comparison agrees with the index order.
 */
export const postgresMigrations: readonly Migration[] = [
  {
    version: 1,
    name: 'initial schema',
    sql: `
      CREATE SEQUENCE resource_version_seq;

      CREATE TABLE objects (
        kind TEXT COLLATE "C" NOT NULL,
        namespace TEXT COLLATE "C" NOT NULL,
        name TEXT COLLATE "C" NOT NULL,
        uid TEXT NOT NULL,
        resource_version BIGINT NOT NULL,
        object JSONB NOT NULL,
        search TEXT NOT NULL,
        secret TEXT,
        next_sync_at BIGINT,
        lease_owner TEXT,
        lease_expires_at BIGINT,
        PRIMARY KEY (kind, namespace, name)
      );
      CREATE INDEX objects_due ON objects (kind, next_sync_at);
      CREATE INDEX objects_lease ON objects (lease_owner, lease_expires_at);

      CREATE TABLE runs (
        namespace TEXT COLLATE "C" NOT NULL,
        name TEXT COLLATE "C" NOT NULL,
        repository_name TEXT COLLATE "C" NOT NULL,
        seq BIGINT NOT NULL,
        phase TEXT NOT NULL,
        object JSONB NOT NULL,
        PRIMARY KEY (namespace, name)
      );
      CREATE INDEX runs_repository ON runs (namespace, repository_name, seq);
      CREATE INDEX runs_phase ON runs (phase);

      CREATE TABLE run_logs (
        id BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
        namespace TEXT COLLATE "C" NOT NULL,
        run_name TEXT COLLATE "C" NOT NULL,
        line JSONB NOT NULL,
        FOREIGN KEY (namespace, run_name) REFERENCES runs (namespace, name) ON DELETE CASCADE
      );
      CREATE INDEX run_logs_run ON run_logs (namespace, run_name, id);

      CREATE TABLE tokens (id TEXT PRIMARY KEY, hash TEXT NOT NULL UNIQUE, token JSONB NOT NULL);

      CREATE TABLE audit (seq BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY, entry JSONB NOT NULL);

      -- Watch events too large for a NOTIFY payload (8000 bytes): the
      -- notification carries the resourceVersion, listeners read the object here.
      CREATE TABLE watch_events (
        resource_version BIGINT PRIMARY KEY,
        object JSONB NOT NULL,
        created_at TIMESTAMPTZ NOT NULL DEFAULT now()
      );
    `,
  },
  {
    version: 2,
    name: 'unique token names',
    sql: `
      -- Token names are unique (issue 10): an older store may hold duplicates;
      -- all but the oldest of a name get their id appended.
      UPDATE tokens SET token = jsonb_set(token, '{name}', to_jsonb((token ->> 'name') || '-' || left(id, 8)))
        WHERE id IN (
          SELECT id FROM (SELECT id, row_number() OVER (PARTITION BY token ->> 'name' ORDER BY token ->> 'createdAt', id) AS n FROM tokens) AS ranked
          WHERE n > 1
        );
      CREATE UNIQUE INDEX tokens_name ON tokens ((token ->> 'name'));
    `,
  },
  {
    version: 3,
    name: 'watch event log',
    sql: `
      -- Every committed change of a Registry or Repository, newest kept for
      -- EVENT_RETENTION versions (src/store/sql/sql-objects.ts): a watch that
      -- reconnects with ?resourceVersion=N resumes from here, or gets 410.
      CREATE TABLE events (
        resource_version BIGINT PRIMARY KEY,
        kind TEXT NOT NULL,
        namespace TEXT NOT NULL,
        type TEXT NOT NULL,
        object JSONB NOT NULL
      );
    `,
  },
  {
    version: 4,
    name: 'health check schedule',
    sql: `
      -- When each Repository's next health check is due (src/scheduler/health.ts); NULL: never checked.
      ALTER TABLE objects ADD COLUMN next_health_at BIGINT;
      CREATE INDEX objects_health ON objects (kind, next_health_at);
    `,
  },
  {
    version: 5,
    name: 'webhooks',
    sql: `
      -- A namespace's webhooks (the signing secret sealed as Registry secrets are) and their delivery log.
      CREATE TABLE webhooks (namespace TEXT NOT NULL, name TEXT NOT NULL, webhook JSONB NOT NULL, secret TEXT NOT NULL, PRIMARY KEY (namespace, name));
      CREATE TABLE webhook_deliveries (
        seq BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
        namespace TEXT NOT NULL,
        webhook TEXT NOT NULL,
        delivery JSONB NOT NULL
      );
      CREATE INDEX webhook_deliveries_webhook ON webhook_deliveries (namespace, webhook, seq);
    `,
  },
  {
    version: 6,
    name: 'namespace settings',
    sql: `
      -- Per-namespace settings (the storage warning threshold): a namespace is no object of its own.
      CREATE TABLE namespace_settings (namespace TEXT PRIMARY KEY, settings JSONB NOT NULL);
    `,
  },
  {
    version: 7,
    name: 'run figures',
    sql: `
      -- What the overview sums without parsing every run's JSON: when a run finished, how long it took, what it moved.
      ALTER TABLE runs ADD COLUMN finished_at BIGINT;
      ALTER TABLE runs ADD COLUMN duration_ms BIGINT;
      ALTER TABLE runs ADD COLUMN bytes_moved BIGINT;
      CREATE INDEX runs_finished ON runs (finished_at);
    `,
  },
  {
    version: 8,
    name: 'list, search and health indexes',
    sql: `
      -- Issue 15 "Scale": a page first picks its keys from this index
      -- (src/store/sql/sql-objects.ts); the search text rides along, so a
      -- search or a count can be answered from the index (and the visibility
      -- map) instead of the table's rows.
      CREATE INDEX objects_search ON objects (kind, namespace, name) INCLUDE (search);
      -- claimHealthChecks orders by COALESCE(next_health_at, 0): the same expression indexed.
      DROP INDEX objects_health;
      CREATE INDEX objects_health_due ON objects (kind, (COALESCE(next_health_at, 0)), namespace, name);
      -- The leases recovery reads at start-up, with kind first.
      DROP INDEX objects_lease;
      CREATE INDEX objects_lease ON objects (kind, lease_owner, lease_expires_at);
      -- How many objects of each kind a namespace holds, kept by a trigger in
      -- the writing transaction: a list's totalCount without a filter is a
      -- sum over namespaces, not a count of every row (100,000 at scale).
      CREATE TABLE object_counts (kind TEXT COLLATE "C" NOT NULL, namespace TEXT COLLATE "C" NOT NULL, n BIGINT NOT NULL, PRIMARY KEY (kind, namespace));
      INSERT INTO object_counts (kind, namespace, n) SELECT kind, namespace, count(*) FROM objects GROUP BY kind, namespace;
      CREATE FUNCTION objects_count() RETURNS trigger LANGUAGE plpgsql AS $$
      BEGIN
        IF TG_OP = 'INSERT' THEN
          INSERT INTO object_counts (kind, namespace, n) VALUES (NEW.kind, NEW.namespace, 1)
            ON CONFLICT (kind, namespace) DO UPDATE SET n = object_counts.n + 1;
        ELSE
          UPDATE object_counts SET n = n - 1 WHERE kind = OLD.kind AND namespace = OLD.namespace;
        END IF;
        RETURN NULL;
      END $$;
      CREATE TRIGGER objects_counted AFTER INSERT OR DELETE ON objects FOR EACH ROW EXECUTE FUNCTION objects_count();
    `,
  },
  {
    version: 9,
    name: 'trigram search',
    sql: `
      -- Issue 15 "Scale": a search (q=) compared the text of every row (a
      -- scan of objects_search: 785 ms p99 at 100,000 under load). pg_trgm's
      -- GIN index names the rows holding every three-character piece of q
      -- (sql-objects.ts asks with LIKE, which it can answer). pg_trgm ships
      -- with PostgreSQL and is a trusted extension (13+): a database owner
      -- may create it. Where it cannot be created, searches scan as before.
      DO $$
      BEGIN
        CREATE EXTENSION IF NOT EXISTS pg_trgm;
      EXCEPTION WHEN OTHERS THEN
        RAISE NOTICE 'pg_trgm is not available (%): searches scan every row', SQLERRM;
      END $$;
      DO $$
      BEGIN
        IF EXISTS (SELECT 1 FROM pg_extension WHERE extname = 'pg_trgm') THEN
          -- Qualified: the extension may live in a schema off the search_path.
          EXECUTE format('CREATE INDEX objects_trigram ON objects USING gin (search %s.gin_trgm_ops)', (SELECT extnamespace::regnamespace::text FROM pg_extension WHERE extname = 'pg_trgm'));
        END IF;
      END $$;
    `,
  },
  {
    version: 10,
    name: 'page keys from an index',
    sql: `
      -- Issue 15 "Scale": a page's keys come with their resource_version (the
      -- item cache's key): with it in the index they can come from an
      -- index-only scan, as SQLite's migration 10 does. It covers what
      -- objects_search did, which goes.
      CREATE INDEX objects_page ON objects (kind, namespace, name) INCLUDE (resource_version, search);
      DROP INDEX objects_search;
    `,
  },
];
