import type { Migration } from '../migrations.ts';

/** SQLite schema. Keep version numbers in step with postgres-migrations.ts. */
export const sqliteMigrations: readonly Migration[] = [
  {
    version: 1,
    name: 'initial schema',
    sql: `
      CREATE TABLE counters (name TEXT PRIMARY KEY, value INTEGER NOT NULL);
      INSERT INTO counters (name, value) VALUES ('resource_version', 0);

      CREATE TABLE objects (
        kind TEXT NOT NULL,
        namespace TEXT NOT NULL,
        name TEXT NOT NULL,
        uid TEXT NOT NULL,
        resource_version INTEGER NOT NULL,
        object TEXT NOT NULL,
        search TEXT NOT NULL,
        secret TEXT,
        next_sync_at INTEGER,
        lease_owner TEXT,
        lease_expires_at INTEGER,
        PRIMARY KEY (kind, namespace, name)
      );
      CREATE INDEX objects_due ON objects (kind, next_sync_at);
      CREATE INDEX objects_lease ON objects (lease_owner, lease_expires_at);

      CREATE TABLE runs (
        namespace TEXT NOT NULL,
        name TEXT NOT NULL,
        repository_name TEXT NOT NULL,
        seq INTEGER NOT NULL,
        phase TEXT NOT NULL,
        object TEXT NOT NULL,
        PRIMARY KEY (namespace, name)
      );
      CREATE INDEX runs_repository ON runs (namespace, repository_name, seq);
      CREATE INDEX runs_phase ON runs (phase);

      CREATE TABLE run_logs (
        id INTEGER PRIMARY KEY AUTOINCREMENT,
        namespace TEXT NOT NULL,
        run_name TEXT NOT NULL,
        line TEXT NOT NULL,
        FOREIGN KEY (namespace, run_name) REFERENCES runs (namespace, name) ON DELETE CASCADE
      );
      CREATE INDEX run_logs_run ON run_logs (namespace, run_name, id);

      CREATE TABLE tokens (id TEXT PRIMARY KEY, hash TEXT NOT NULL UNIQUE, token TEXT NOT NULL);

      CREATE TABLE audit (seq INTEGER PRIMARY KEY AUTOINCREMENT, entry TEXT NOT NULL);
    `,
  },
  {
    version: 2,
    name: 'unique token names',
    sql: `
      -- Token names are unique (issue 10): an older store may hold duplicates;
      -- all but the oldest of a name get their id appended.
      UPDATE tokens SET token = json_set(token, '$.name', json_extract(token, '$.name') || '-' || substr(id, 1, 8))
        WHERE id IN (
          SELECT id FROM (SELECT id, row_number() OVER (PARTITION BY json_extract(token, '$.name') ORDER BY json_extract(token, '$.createdAt'), id) AS n FROM tokens)
          WHERE n > 1
        );
      CREATE UNIQUE INDEX tokens_name ON tokens (json_extract(token, '$.name'));
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
        resource_version INTEGER PRIMARY KEY,
        kind TEXT NOT NULL,
        namespace TEXT NOT NULL,
        type TEXT NOT NULL,
        object TEXT NOT NULL
      );
    `,
  },
  {
    version: 4,
    name: 'health check schedule',
    sql: `
      -- When each Repository's next health check is due (src/scheduler/health.ts); NULL: never checked.
      ALTER TABLE objects ADD COLUMN next_health_at INTEGER;
      CREATE INDEX objects_health ON objects (kind, next_health_at);
    `,
  },
  {
    version: 5,
    name: 'webhooks',
    sql: `
      -- A namespace's webhooks (the signing secret sealed as Registry secrets are) and their delivery log.
      CREATE TABLE webhooks (namespace TEXT NOT NULL, name TEXT NOT NULL, webhook TEXT NOT NULL, secret TEXT NOT NULL, PRIMARY KEY (namespace, name));
      CREATE TABLE webhook_deliveries (
        seq INTEGER PRIMARY KEY AUTOINCREMENT,
        namespace TEXT NOT NULL,
        webhook TEXT NOT NULL,
        delivery TEXT NOT NULL
      );
      CREATE INDEX webhook_deliveries_webhook ON webhook_deliveries (namespace, webhook, seq);
    `,
  },
  {
    version: 6,
    name: 'namespace settings',
    sql: `
      -- Per-namespace settings (the storage warning threshold): a namespace is no object of its own.
      CREATE TABLE namespace_settings (namespace TEXT PRIMARY KEY, settings TEXT NOT NULL);
    `,
  },
  {
    version: 7,
    name: 'run figures',
    sql: `
      -- What the overview sums without parsing every run's JSON: when a run finished, how long it took, what it moved.
      ALTER TABLE runs ADD COLUMN finished_at INTEGER;
      ALTER TABLE runs ADD COLUMN duration_ms INTEGER;
      ALTER TABLE runs ADD COLUMN bytes_moved INTEGER;
      CREATE INDEX runs_finished ON runs (finished_at);
    `,
  },
  {
    version: 8,
    name: 'list, search and health indexes',
    sql: `
      -- Issue 15 "Scale": a page first picks its keys from this covering index
      -- (src/store/sql/sql-objects.ts), so a search (LIKE '%q%') or a count
      -- reads the narrow search text, never the row's JSON (which SQLite keeps
      -- in overflow pages the search column sits behind).
      CREATE INDEX objects_search ON objects (kind, namespace, name, search);
      -- claimHealthChecks orders by COALESCE(next_health_at, 0): the same
      -- expression indexed, so a claim reads the few due rows, not every row.
      DROP INDEX objects_health;
      CREATE INDEX objects_health_due ON objects (kind, COALESCE(next_health_at, 0), namespace, name);
      -- The leases recovery reads at start-up: with kind first, so they are
      -- not found by walking every Repository (3.5 s at 100,000).
      DROP INDEX objects_lease;
      CREATE INDEX objects_lease ON objects (kind, lease_owner, lease_expires_at);
      -- How many objects of each kind a namespace holds, kept by triggers in
      -- the writing transaction: a list's totalCount without a filter is a
      -- sum over namespaces, not a count of every row (100,000 at scale).
      CREATE TABLE object_counts (kind TEXT NOT NULL, namespace TEXT NOT NULL, n INTEGER NOT NULL, PRIMARY KEY (kind, namespace));
      INSERT INTO object_counts (kind, namespace, n) SELECT kind, namespace, count(*) FROM objects GROUP BY kind, namespace;
      CREATE TRIGGER objects_counted AFTER INSERT ON objects BEGIN
        INSERT INTO object_counts (kind, namespace, n) VALUES (NEW.kind, NEW.namespace, 1) ON CONFLICT (kind, namespace) DO UPDATE SET n = n + 1;
      END;
      CREATE TRIGGER objects_uncounted AFTER DELETE ON objects BEGIN
        UPDATE object_counts SET n = n - 1 WHERE kind = OLD.kind AND namespace = OLD.namespace;
      END;
    `,
  },
  {
    version: 9,
    name: 'trigram search',
    sql: `
      -- Issue 15 "Scale": a search (q=) read every row of objects_search and
      -- compared its text: 1 ms a query at 10,000 Repositories, a quarter of
      -- the server's CPU under the benchmark's load, and ten times that at
      -- 100,000. A trigram index (FTS5) names the few rows holding every
      -- three-character piece of q; sql-objects.ts still compares the text
      -- itself (instr), so the index only narrows, never decides.
      -- search_ids gives each object a key of its own: an INTEGER PRIMARY
      -- KEY, which VACUUM keeps, where it may renumber objects' rowids.
      CREATE TABLE search_ids (id INTEGER PRIMARY KEY, kind TEXT NOT NULL, namespace TEXT NOT NULL, name TEXT NOT NULL, UNIQUE (kind, namespace, name));
      CREATE VIRTUAL TABLE objects_trigram USING fts5(search, content='', contentless_delete=1, tokenize='trigram');
      -- Each create adds a segment; a query reads every segment, so merge
      -- them early (4 to a level, not 16): searches were 4x slower after
      -- 10,000 single creates than after one bulk load.
      INSERT INTO objects_trigram (objects_trigram, rank) VALUES ('crisismerge', 4);
      INSERT INTO search_ids (kind, namespace, name) SELECT kind, namespace, name FROM objects;
      INSERT INTO objects_trigram (rowid, search) SELECT s.id, o.search FROM search_ids s JOIN objects o ON o.kind = s.kind AND o.namespace = s.namespace AND o.name = s.name;
      CREATE TRIGGER objects_search_added AFTER INSERT ON objects BEGIN
        INSERT INTO search_ids (kind, namespace, name) VALUES (NEW.kind, NEW.namespace, NEW.name);
        INSERT INTO objects_trigram (rowid, search) VALUES ((SELECT id FROM search_ids WHERE kind = NEW.kind AND namespace = NEW.namespace AND name = NEW.name), NEW.search);
      END;
      CREATE TRIGGER objects_search_changed AFTER UPDATE OF search ON objects WHEN NEW.search IS NOT OLD.search BEGIN
        DELETE FROM objects_trigram WHERE rowid = (SELECT id FROM search_ids WHERE kind = NEW.kind AND namespace = NEW.namespace AND name = NEW.name);
        INSERT INTO objects_trigram (rowid, search) VALUES ((SELECT id FROM search_ids WHERE kind = NEW.kind AND namespace = NEW.namespace AND name = NEW.name), NEW.search);
      END;
      CREATE TRIGGER objects_search_removed AFTER DELETE ON objects BEGIN
        DELETE FROM objects_trigram WHERE rowid = (SELECT id FROM search_ids WHERE kind = OLD.kind AND namespace = OLD.namespace AND name = OLD.name);
        DELETE FROM search_ids WHERE kind = OLD.kind AND namespace = OLD.namespace AND name = OLD.name;
      END;
    `,
  },
  {
    version: 10,
    name: 'page keys from an index',
    sql: `
      -- Issue 15 "Scale": a page's keys come with their resource_version
      -- (the item cache's key), which objects_search lacked, so each of a
      -- page's 51 keys read its table row: a row holds the ~3 KB object, so
      -- almost a page each, and under load (GETs of random objects) most
      -- missed SQLite's page cache (0.29 ms a page of keys -> 0.07 ms with
      -- this index). It covers what objects_search did, which goes.
      CREATE INDEX objects_page ON objects (kind, namespace, name, resource_version, search);
      DROP INDEX objects_search;
    `,
  },
];
