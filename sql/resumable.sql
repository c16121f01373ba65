-- Large files: a migration that commits as it goes (table by table, and in rowid
-- chunks inside a table), records how far it got, and on the next call goes on from
-- there without loading a row twice.

-- One row per role, server and target schema: the migration's options and the state
-- of the source it began on.
CREATE TABLE liteport.resumable_migrations (
    -- What a parallel worker is told (with the database, role and source state).
    id bigint GENERATED ALWAYS AS IDENTITY UNIQUE,
    owner pg_catalog.name NOT NULL DEFAULT CURRENT_USER,
    server pg_catalog.text NOT NULL,
    target_schema pg_catalog.text NOT NULL,
    options pg_catalog.jsonb NOT NULL,
    -- Rows per transaction (the chunks' rowid ranges were cut for it).
    chunk_rows bigint NOT NULL,
    -- liteport.source_version(server) when the migration began: it resumes only on that.
    source_version pg_catalog.text NOT NULL,
    started_at pg_catalog.timestamptz NOT NULL DEFAULT pg_catalog.now(),
    finished_at pg_catalog.timestamptz,
    PRIMARY KEY (owner, server, target_schema)
);

-- Per table: rows loaded and read so far, chunks loaded of how many, status.
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
    chunks_total integer NOT NULL,
    chunks_loaded integer NOT NULL DEFAULT 0,
    -- pending, loading, loaded
    status pg_catalog.text NOT NULL DEFAULT 'pending',
    started_at pg_catalog.timestamptz,
    updated_at pg_catalog.timestamptz,
    PRIMARY KEY (owner, server, target_schema, table_name),
    FOREIGN KEY (owner, server, target_schema) REFERENCES liteport.resumable_migrations ON DELETE CASCADE
);

-- Per rowid range of a table (a WITHOUT ROWID table is one range): loaded in
-- transactions of at most chunk_rows rows, next_rowid marking how far. A loader locks
-- the range it loads (FOR UPDATE SKIP LOCKED), so parallel workers never share one.
CREATE TABLE liteport.resumable_chunks (
    owner pg_catalog.name NOT NULL DEFAULT CURRENT_USER,
    server pg_catalog.text NOT NULL,
    target_schema pg_catalog.text NOT NULL,
    table_name pg_catalog.text NOT NULL,
    chunk_no integer NOT NULL,
    -- rows with after_rowid < rowid <= upto_rowid; loaded up to next_rowid
    after_rowid bigint NOT NULL,
    upto_rowid bigint NOT NULL,
    next_rowid bigint NOT NULL,
    rows_loaded bigint NOT NULL DEFAULT 0,
    rows_read bigint NOT NULL DEFAULT 0,
    -- pending, loaded
    status pg_catalog.text NOT NULL DEFAULT 'pending',
    -- the backend (leader or worker) that loaded its last part
    loaded_by integer,
    updated_at pg_catalog.timestamptz,
    PRIMARY KEY (owner, server, target_schema, table_name, chunk_no),
    FOREIGN KEY (owner, server, target_schema, table_name) REFERENCES liteport.resumable_tables ON DELETE CASCADE
);

ALTER TABLE liteport.resumable_migrations ENABLE ROW LEVEL SECURITY;
CREATE POLICY resumable_migrations_of_current_role ON liteport.resumable_migrations
    USING (owner OPERATOR(pg_catalog.=) CURRENT_USER) WITH CHECK (owner OPERATOR(pg_catalog.=) CURRENT_USER);
ALTER TABLE liteport.resumable_tables ENABLE ROW LEVEL SECURITY;
CREATE POLICY resumable_tables_of_current_role ON liteport.resumable_tables
    USING (owner OPERATOR(pg_catalog.=) CURRENT_USER) WITH CHECK (owner OPERATOR(pg_catalog.=) CURRENT_USER);
ALTER TABLE liteport.resumable_chunks ENABLE ROW LEVEL SECURITY;
CREATE POLICY resumable_chunks_of_current_role ON liteport.resumable_chunks
    USING (owner OPERATOR(pg_catalog.=) CURRENT_USER) WITH CHECK (owner OPERATOR(pg_catalog.=) CURRENT_USER);
GRANT SELECT, INSERT, UPDATE, DELETE ON liteport.resumable_migrations, liteport.resumable_tables, liteport.resumable_chunks TO PUBLIC;

-- While a migration runs (from another session): rows done, rows total, rate, chunks.
CREATE VIEW liteport.migration_progress WITH (security_barrier) AS
SELECT t.server, t.target_schema, t.table_name, t.status, t.rows_read, t.source_rows,
       pg_catalog.round(100.0 OPERATOR(pg_catalog.*) t.rows_read OPERATOR(pg_catalog./) GREATEST(t.source_rows, 1), 1) AS percent,
       CASE WHEN t.updated_at OPERATOR(pg_catalog.>) t.started_at
            THEN pg_catalog.round((t.rows_read OPERATOR(pg_catalog./) pg_catalog.date_part('epoch', t.updated_at OPERATOR(pg_catalog.-) t.started_at))::pg_catalog.numeric)
       END AS rows_per_second,
       t.chunks_loaded, t.chunks_total,
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
    step record;
    c record;
    version pg_catalog.text;
    workers integer := 1;
    -- The options that define the migration (parallel only says how to run this call).
    migration_options pg_catalog.jsonb := options OPERATOR(pg_catalog.-) 'parallel';
BEGIN
    PERFORM pg_catalog.set_config('search_path', 'pg_catalog, pg_temp', true);
    IF options OPERATOR(pg_catalog.?) 'data_only' OR options OPERATOR(pg_catalog.?) 'schema_only' THEN
        RAISE EXCEPTION 'liteport.migrate_resumable: the options data_only and schema_only are not supported (use liteport.migrate)'
            USING ERRCODE = 'feature_not_supported';
    END IF;
    IF options OPERATOR(pg_catalog.?) 'parallel' THEN
        IF pg_catalog.jsonb_typeof(options OPERATOR(pg_catalog.->) 'parallel') OPERATOR(pg_catalog.<>) 'number'
           OR (options OPERATOR(pg_catalog.->>) 'parallel') OPERATOR(pg_catalog.!~) '^[0-9]{1,2}$'
           OR (options OPERATOR(pg_catalog.->>) 'parallel')::integer NOT BETWEEN 1 AND 32 THEN
            RAISE EXCEPTION 'liteport.migrate_resumable: parallel must be a whole number from 1 to 32, not %', options OPERATOR(pg_catalog.->) 'parallel'
                USING ERRCODE = 'invalid_parameter_value';
        END IF;
        workers := (options OPERATOR(pg_catalog.->>) 'parallel')::integer;
    END IF;
    IF chunk_rows OPERATOR(pg_catalog.<) 1 THEN
        RAISE EXCEPTION 'liteport.migrate_resumable: chunk_rows must be at least 1' USING ERRCODE = 'invalid_parameter_value';
    END IF;
    -- One state of the source for the whole call: this backend keeps its read
    -- transaction across the commits below, and every chunk and worker reads that state.
    PERFORM liteport.hold_source_state(server);
    version := liteport.source_version(server);
    SELECT * INTO state FROM liteport.resumable_migrations m
     WHERE m.owner OPERATOR(pg_catalog.=) CURRENT_USER AND m.server OPERATOR(pg_catalog.=) migrate_resumable.server
       AND m.target_schema OPERATOR(pg_catalog.=) migrate_resumable.target_schema;
    IF NOT FOUND THEN
        -- First call: the tables (no constraints yet), and what is to be loaded.
        FOR step IN SELECT p.kind, p.sql FROM liteport.plan(server, target_schema, migration_options) p
                     WHERE p.kind OPERATOR(pg_catalog.=) ANY ('{drop table,create table}') ORDER BY p.step LOOP
            EXECUTE step.sql;
        END LOOP;
        INSERT INTO liteport.resumable_migrations (server, target_schema, options, chunk_rows, source_version)
            VALUES (server, target_schema, migration_options, chunk_rows, version);
        FOR c IN SELECT * FROM liteport.source_chunks(server, target_schema, migration_options, chunk_rows) LOOP
            IF c.chunk_no OPERATOR(pg_catalog.=) 1 THEN
                INSERT INTO liteport.resumable_tables (server, target_schema, table_name, load_order, source_rows, chunked, chunks_total)
                    VALUES (server, target_schema, c.table_name, c.load_order, c.source_rows, c.chunked, c.chunks);
            END IF;
            INSERT INTO liteport.resumable_chunks (server, target_schema, table_name, chunk_no, after_rowid, upto_rowid, next_rowid)
                VALUES (server, target_schema, c.table_name, c.chunk_no, c.after_rowid, c.upto_rowid, c.after_rowid);
        END LOOP;
        COMMIT;
        PERFORM pg_catalog.set_config('search_path', 'pg_catalog, pg_temp', true);
    ELSE
        IF state.finished_at IS NOT NULL THEN
            PERFORM liteport.release_source_state(server);
            RAISE NOTICE 'liteport.migrate_resumable: the migration of server % into % finished at %', server, target_schema, state.finished_at;
            RETURN;
        END IF;
        IF state.options OPERATOR(pg_catalog.<>) migration_options THEN
            RAISE EXCEPTION 'liteport.migrate_resumable: this migration began with the options %, not %', state.options, migration_options
                USING ERRCODE = 'invalid_parameter_value',
                      HINT = 'Call it again with the same options (parallel may differ), or DELETE its row from liteport.resumable_migrations to start over.';
        END IF;
        IF state.source_version OPERATOR(pg_catalog.<>) version THEN
            RAISE EXCEPTION 'liteport.migrate_resumable: the source changed since the migration began (% then, % now): resuming would mix two states of it', state.source_version, version
                USING ERRCODE = 'serialization_failure',
                      HINT = 'Stop the application''s writes or migrate a copy of the file; to start over, drop the target tables and DELETE the row from liteport.resumable_migrations.';
        END IF;
    END IF;

    -- The loads: one committed transaction per chunk, with its progress; parallel N
    -- adds N - 1 background workers taking chunks from the same list. When none is
    -- left to take, this backend waits for the ones the workers hold.
    IF workers OPERATOR(pg_catalog.>) 1 THEN
        PERFORM liteport.start_load_workers(server, target_schema, workers OPERATOR(pg_catalog.-) 1);
    END IF;
    LOOP
        PERFORM pg_catalog.set_config('search_path', 'pg_catalog, pg_temp', true);
        SELECT * INTO c FROM liteport.load_next_chunk(server, target_schema, true);
        EXIT WHEN c.table_name IS NULL;
        COMMIT;
    END LOOP;

    -- Every table loaded: identities, keys, indexes, CHECKs, foreign keys (a
    -- constraint the data refuses is a WARNING, as in liteport.migrate).
    PERFORM pg_catalog.set_config('search_path', 'pg_catalog, pg_temp', true);
    FOR step IN SELECT p.kind, p.object, p.sql FROM liteport.plan(server, target_schema, migration_options OPERATOR(pg_catalog.||) '{"drop_existing": true}') p
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
    PERFORM liteport.release_source_state(server);
    COMMIT;
END
$procedure$;
