-- Large files: a migration that commits as it goes (table by table, and in rowid
-- chunks inside a table), records how far it got, and on the next call goes on from
-- there without loading a row twice.

-- One row per role, server and target schema: the migration's options and the state
-- of the source it began on.
CREATE TABLE liteport.resumable_migrations (
    owner pg_catalog.name NOT NULL DEFAULT CURRENT_USER,
    server pg_catalog.text NOT NULL,
    target_schema pg_catalog.text NOT NULL,
    options pg_catalog.jsonb NOT NULL,
    -- liteport.source_version(server) when the migration began: it resumes only on that.
    source_version pg_catalog.text NOT NULL,
    started_at pg_catalog.timestamptz NOT NULL DEFAULT pg_catalog.now(),
    finished_at pg_catalog.timestamptz,
    PRIMARY KEY (owner, server, target_schema)
);

-- Per table: rows loaded, the last rowid read (the next chunk starts after it), status.
CREATE TABLE liteport.resumable_tables (
    owner pg_catalog.name NOT NULL DEFAULT CURRENT_USER,
    server pg_catalog.text NOT NULL,
    target_schema pg_catalog.text NOT NULL,
    table_name pg_catalog.text NOT NULL,
    load_order integer NOT NULL,
    source_rows bigint NOT NULL,
    chunked boolean NOT NULL,
    rows_loaded bigint NOT NULL DEFAULT 0,
    rows_read bigint NOT NULL DEFAULT 0,
    last_rowid bigint,
    -- pending, loading, loaded
    status pg_catalog.text NOT NULL DEFAULT 'pending',
    started_at pg_catalog.timestamptz,
    updated_at pg_catalog.timestamptz,
    PRIMARY KEY (owner, server, target_schema, table_name),
    FOREIGN KEY (owner, server, target_schema) REFERENCES liteport.resumable_migrations ON DELETE CASCADE
);

ALTER TABLE liteport.resumable_migrations ENABLE ROW LEVEL SECURITY;
CREATE POLICY resumable_migrations_of_current_role ON liteport.resumable_migrations
    USING (owner OPERATOR(pg_catalog.=) CURRENT_USER) WITH CHECK (owner OPERATOR(pg_catalog.=) CURRENT_USER);
ALTER TABLE liteport.resumable_tables ENABLE ROW LEVEL SECURITY;
CREATE POLICY resumable_tables_of_current_role ON liteport.resumable_tables
    USING (owner OPERATOR(pg_catalog.=) CURRENT_USER) WITH CHECK (owner OPERATOR(pg_catalog.=) CURRENT_USER);
GRANT SELECT, INSERT, UPDATE, DELETE ON liteport.resumable_migrations, liteport.resumable_tables TO PUBLIC;

-- While a migration runs (from another session): rows done, rows total, rate.
CREATE VIEW liteport.migration_progress WITH (security_barrier) AS
SELECT t.server, t.target_schema, t.table_name, t.status, t.rows_read, t.source_rows,
       pg_catalog.round(100.0 OPERATOR(pg_catalog.*) t.rows_read OPERATOR(pg_catalog./) GREATEST(t.source_rows, 1), 1) AS percent,
       CASE WHEN t.updated_at OPERATOR(pg_catalog.>) t.started_at
            THEN pg_catalog.round((t.rows_read OPERATOR(pg_catalog./) pg_catalog.date_part('epoch', t.updated_at OPERATOR(pg_catalog.-) t.started_at))::pg_catalog.numeric)
       END AS rows_per_second,
       t.updated_at
  FROM liteport.resumable_tables t;
GRANT SELECT ON liteport.migration_progress TO PUBLIC;

-- A procedure commits between its steps (a SET clause would forbid that): every name
-- is qualified, and each transaction pins the search_path itself.
CREATE PROCEDURE liteport.migrate_resumable(
    server pg_catalog.text,
    target_schema pg_catalog.text DEFAULT 'public',
    options pg_catalog.jsonb DEFAULT '{}',
    chunk_rows bigint DEFAULT 100000
)
LANGUAGE plpgsql
AS $procedure$
DECLARE
    state record;
    t record;
    step record;
    c record;
    version pg_catalog.text;
BEGIN
    PERFORM pg_catalog.set_config('search_path', 'pg_catalog, pg_temp', true);
    IF options OPERATOR(pg_catalog.?) 'data_only' OR options OPERATOR(pg_catalog.?) 'schema_only' OR options OPERATOR(pg_catalog.?) 'parallel' THEN
        RAISE EXCEPTION 'liteport.migrate_resumable: the options data_only, schema_only and parallel are not supported (use liteport.migrate)'
            USING ERRCODE = 'feature_not_supported';
    END IF;
    IF chunk_rows OPERATOR(pg_catalog.<) 1 THEN
        RAISE EXCEPTION 'liteport.migrate_resumable: chunk_rows must be at least 1' USING ERRCODE = 'invalid_parameter_value';
    END IF;
    version := liteport.source_version(server);
    SELECT * INTO state FROM liteport.resumable_migrations m
     WHERE m.owner OPERATOR(pg_catalog.=) CURRENT_USER AND m.server OPERATOR(pg_catalog.=) migrate_resumable.server
       AND m.target_schema OPERATOR(pg_catalog.=) migrate_resumable.target_schema;
    IF NOT FOUND THEN
        -- First call: the tables (no constraints yet), and what is to be loaded.
        FOR step IN SELECT p.kind, p.sql FROM liteport.plan(server, target_schema, options) p
                     WHERE p.kind OPERATOR(pg_catalog.=) ANY ('{drop table,create table}') ORDER BY p.step LOOP
            EXECUTE step.sql;
        END LOOP;
        INSERT INTO liteport.resumable_migrations (server, target_schema, options, source_version)
            VALUES (server, target_schema, options, version);
        INSERT INTO liteport.resumable_tables (server, target_schema, table_name, load_order, source_rows, chunked)
            SELECT migrate_resumable.server, migrate_resumable.target_schema, s.table_name, s.load_order, s.source_rows, s.chunked
              FROM liteport.source_tables(server, target_schema, options) s;
        COMMIT;
        PERFORM pg_catalog.set_config('search_path', 'pg_catalog, pg_temp', true);
    ELSE
        IF state.finished_at IS NOT NULL THEN
            RAISE NOTICE 'liteport.migrate_resumable: the migration of server % into % finished at %', server, target_schema, state.finished_at;
            RETURN;
        END IF;
        IF state.options OPERATOR(pg_catalog.<>) options THEN
            RAISE EXCEPTION 'liteport.migrate_resumable: this migration began with the options %, not %', state.options, options
                USING ERRCODE = 'invalid_parameter_value',
                      HINT = 'Call it again with the same options, or DELETE its row from liteport.resumable_migrations to start over.';
        END IF;
        IF state.source_version OPERATOR(pg_catalog.<>) version THEN
            RAISE EXCEPTION 'liteport.migrate_resumable: the source changed since the migration began (% then, % now): resuming would mix two states of it', state.source_version, version
                USING ERRCODE = 'serialization_failure',
                      HINT = 'Stop the application''s writes or migrate a copy of the file; to start over, drop the target tables and DELETE the row from liteport.resumable_migrations.';
        END IF;
    END IF;

    -- The loads, parents first: one committed transaction per chunk, with its progress.
    FOR t IN SELECT * FROM liteport.resumable_tables r
              WHERE r.owner OPERATOR(pg_catalog.=) CURRENT_USER AND r.server OPERATOR(pg_catalog.=) migrate_resumable.server
                AND r.target_schema OPERATOR(pg_catalog.=) migrate_resumable.target_schema AND r.status OPERATOR(pg_catalog.<>) 'loaded'
              ORDER BY r.load_order LOOP
        LOOP
            PERFORM pg_catalog.set_config('search_path', 'pg_catalog, pg_temp', true);
            SELECT * INTO c FROM liteport.load_chunk(server, target_schema, t.table_name, COALESCE(t.last_rowid, -9223372036854775808), chunk_rows, options);
            UPDATE liteport.resumable_tables r
               SET rows_loaded = r.rows_loaded OPERATOR(pg_catalog.+) c.rows_inserted,
                   rows_read = r.rows_read OPERATOR(pg_catalog.+) c.rows_read,
                   last_rowid = c.last_rowid,
                   status = CASE WHEN c.done THEN 'loaded' ELSE 'loading' END,
                   started_at = COALESCE(r.started_at, pg_catalog.clock_timestamp()),
                   updated_at = pg_catalog.clock_timestamp()
             WHERE r.owner OPERATOR(pg_catalog.=) CURRENT_USER AND r.server OPERATOR(pg_catalog.=) migrate_resumable.server
               AND r.target_schema OPERATOR(pg_catalog.=) migrate_resumable.target_schema AND r.table_name OPERATOR(pg_catalog.=) t.table_name
            RETURNING r.last_rowid INTO t.last_rowid;
            COMMIT;
            EXIT WHEN c.done;
        END LOOP;
    END LOOP;

    -- Every table loaded: identities, keys, indexes, CHECKs, foreign keys (a
    -- constraint the data refuses is a WARNING, as in liteport.migrate).
    PERFORM pg_catalog.set_config('search_path', 'pg_catalog, pg_temp', true);
    FOR step IN SELECT p.kind, p.object, p.sql FROM liteport.plan(server, target_schema, options OPERATOR(pg_catalog.||) '{"drop_existing": true}') p
                 WHERE p.kind OPERATOR(pg_catalog.=) ANY ('{restart identity,primary key,unique,index,check,foreign key}')
                   AND NOT p.sql OPERATOR(pg_catalog.~~) '--%' ORDER BY p.step LOOP
        BEGIN
            EXECUTE step.sql;
        EXCEPTION WHEN OTHERS THEN
            RAISE WARNING 'liteport: % % not created: %', step.kind, step.object, SQLERRM;
        END;
    END LOOP;
    UPDATE liteport.resumable_migrations m SET finished_at = pg_catalog.now()
     WHERE m.owner OPERATOR(pg_catalog.=) CURRENT_USER AND m.server OPERATOR(pg_catalog.=) migrate_resumable.server
       AND m.target_schema OPERATOR(pg_catalog.=) migrate_resumable.target_schema;
    COMMIT;
END
$procedure$;
