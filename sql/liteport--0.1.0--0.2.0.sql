-- liteport 0.1.0 -> 0.2.0 (ALTER EXTENSION liteport UPDATE TO '0.2.0').
--
-- What changes, and how each step carries the state over:
--  * Every function runs with a pinned search_path (pg_catalog, pg_temp): the C
--    functions are replaced with their 0.2.0 definitions; liteport.check, sync_run and
--    sync return new columns (integrity_check, problem, written_by, notes; note), so
--    they are dropped and created again (nothing in a database can depend on them).
--  * to_timestamptz / try_to_timestamptz read naive text as UTC, never the session's
--    TimeZone, so they are IMMUTABLE now.
--  * liteport.sync_state is keyed by (owner, foreign_table, target) and records the
--    watermark's type and the source it was read from; liteport.sync_log gets a note
--    column. Both tables are rebuilt in their 0.2.0 column order with every row (the
--    watermark's type is the foreign table column's; sync_log ids and the identity
--    sequence continue where they were), with their policies, grants and indexes.
--  * Resumable migrations: liteport.migrate_resumable, its state tables and progress view.
--  * COMMENTs on every function and table (psql's \df+, \dx+, \des+), and the tables
--    holding user data (liteport.rejects, sync_state, sync_log and their identity
--    sequences) marked for pg_dump.
-- tests/upgrade.sh proves that a database upgraded with this script has exactly the
-- objects of a fresh CREATE EXTENSION liteport, and that no state is lost.
\echo Use "ALTER EXTENSION liteport UPDATE TO '0.2.0'" to load this file. \quit

-- Functions whose result columns change.
DROP FUNCTION liteport.sync(pg_catalog.regclass, pg_catalog.regclass, pg_catalog.text[], pg_catalog.text, pg_catalog.jsonb);
DROP FUNCTION liteport.sync_run(pg_catalog.oid, pg_catalog.oid, pg_catalog.text[], pg_catalog.text, pg_catalog.jsonb);
DROP FUNCTION liteport."check"(pg_catalog.text);

-- The library's functions as 0.2.0 defines them.
CREATE OR REPLACE FUNCTION liteport."check"(
	"server" TEXT
) RETURNS TABLE (
	"source" TEXT,
	"sqlite_version" TEXT,
	"page_size" bigint,
	"page_count" bigint,
	"size_bytes" bigint,
	"journal_mode" TEXT,
	"tables" bigint,
	"integrity_check" TEXT,
	"ok" bool,
	"problem" TEXT,
	"written_by" TEXT,
	"notes" TEXT
)
STRICT VOLATILE PARALLEL UNSAFE
SET search_path TO pg_catalog, pg_temp
LANGUAGE c
AS 'MODULE_PATHNAME', 'check_wrapper';

CREATE OR REPLACE FUNCTION liteport."connections"() RETURNS TABLE (
	"server_name" TEXT,
	"database" TEXT,
	"in_transaction" bool
)
STRICT
SET search_path TO pg_catalog, pg_temp
LANGUAGE c
AS 'MODULE_PATHNAME', 'connections_wrapper';

CREATE OR REPLACE FUNCTION liteport."disconnect"() RETURNS INT
STRICT VOLATILE
SET search_path TO pg_catalog, pg_temp
LANGUAGE c
AS 'MODULE_PATHNAME', 'disconnect_wrapper';

CREATE OR REPLACE FUNCTION liteport."migrate"(
	"server" TEXT,
	"target_schema" TEXT DEFAULT 'public',
	"options" jsonb DEFAULT '{}'
) RETURNS TABLE (
	"table_name" TEXT,
	"rows_copied" bigint,
	"rows_rejected" bigint,
	"seconds" double precision,
	"status" TEXT
)
STRICT VOLATILE PARALLEL UNSAFE
SET search_path TO pg_catalog, pg_temp
LANGUAGE c
AS 'MODULE_PATHNAME', 'migrate_wrapper';

CREATE OR REPLACE FUNCTION liteport."plan"(
	"server" TEXT,
	"target_schema" TEXT DEFAULT 'public',
	"options" jsonb DEFAULT '{}'
) RETURNS TABLE (
	"step" INT,
	"kind" TEXT,
	"object" TEXT,
	"sql" TEXT,
	"note" TEXT
)
STRICT VOLATILE PARALLEL UNSAFE
SET search_path TO pg_catalog, pg_temp
LANGUAGE c
AS 'MODULE_PATHNAME', 'plan_wrapper';

CREATE OR REPLACE FUNCTION liteport."profile"(
	"server" TEXT,
	"table_name" TEXT DEFAULT NULL
) RETURNS TABLE (
	"table_name" TEXT,
	"column_name" TEXT,
	"declared_type" TEXT,
	"rows" bigint,
	"nulls" bigint,
	"integers" bigint,
	"reals" bigint,
	"texts" bigint,
	"blobs" bigint,
	"empty_strings" bigint,
	"min_number" NUMERIC,
	"max_number" NUMERIC,
	"max_text_length" bigint,
	"max_blob_length" bigint,
	"invalid_texts" bigint,
	"boolean_share" double precision,
	"iso_date_share" double precision,
	"iso_timestamp_share" double precision,
	"iso_timestamptz_share" double precision,
	"epoch_s_share" double precision,
	"epoch_ms_share" double precision,
	"epoch_us_share" double precision,
	"julian_day_share" double precision,
	"uuid_text_share" double precision,
	"uuid_blob_share" double precision,
	"json_share" double precision,
	"suggested_type" TEXT,
	"suggested_options" TEXT,
	"reason" TEXT
)
VOLATILE PARALLEL UNSAFE
SET search_path TO pg_catalog, pg_temp
LANGUAGE c
AS 'MODULE_PATHNAME', 'profile_wrapper';

CREATE OR REPLACE FUNCTION liteport."sync_run"(
	"foreign_table" oid,
	"target" oid,
	"key" TEXT[],
	"watermark" TEXT,
	"options" jsonb
) RETURNS TABLE (
	"status" TEXT,
	"rows_inserted" bigint,
	"rows_updated" bigint,
	"rows_deleted" bigint,
	"watermark_before" TEXT,
	"watermark_after" TEXT,
	"seconds" double precision,
	"note" TEXT
)
VOLATILE PARALLEL UNSAFE
SET search_path TO pg_catalog, pg_temp
LANGUAGE c
AS 'MODULE_PATHNAME', 'sync_run_wrapper';

CREATE OR REPLACE FUNCTION liteport."verify"(
	"server" TEXT,
	"target_schema" TEXT DEFAULT 'public',
	"options" jsonb DEFAULT '{}'
) RETURNS TABLE (
	"table_name" TEXT,
	"source_rows" bigint,
	"target_rows" bigint,
	"rejected_rows" bigint,
	"source_checksum" TEXT,
	"target_checksum" TEXT,
	"matches" bool,
	"note" TEXT
)
STRICT VOLATILE PARALLEL UNSAFE
SET search_path TO pg_catalog, pg_temp
LANGUAGE c
AS 'MODULE_PATHNAME', 'verify_wrapper';

CREATE FUNCTION liteport.sync(
    foreign_table pg_catalog.regclass,
    target pg_catalog.regclass,
    key pg_catalog.text[] DEFAULT NULL,
    watermark pg_catalog.text DEFAULT NULL,
    options pg_catalog.jsonb DEFAULT '{}'
) RETURNS TABLE (status pg_catalog.text, rows_inserted bigint, rows_updated bigint, rows_deleted bigint,
                 watermark_before pg_catalog.text, watermark_after pg_catalog.text, seconds double precision,
                 note pg_catalog.text)
LANGUAGE sql VOLATILE
SET search_path = pg_catalog, pg_temp
AS $$ SELECT * FROM liteport.sync_run($1::pg_catalog.oid, $2::pg_catalog.oid, $3, $4, $5) $$;

CREATE OR REPLACE FUNCTION liteport.upload(data pg_catalog.bytea) RETURNS pg_catalog.oid
LANGUAGE plpgsql VOLATILE STRICT
SET search_path = pg_catalog, pg_temp
AS $$
BEGIN
    -- decode(..., 'hex'), not a '\x...' literal: the same bytes whatever
    -- standard_conforming_strings says.
    IF pg_catalog.length(data) OPERATOR(pg_catalog.>) 0
       AND pg_catalog.substring(data, 1, 16) OPERATOR(pg_catalog.<>) pg_catalog.decode('53514c69746520666f726d6174203300', 'hex') THEN
        RAISE EXCEPTION 'liteport.upload: the data is not a SQLite database: it does not start with the SQLite header'
            USING ERRCODE = 'invalid_parameter_value',
                  HINT = 'Pass the bytes of the .db file, e.g. decode(:''content'', ''base64'') after \set content `base64 -w0 app.db`.';
    END IF;
    RETURN pg_catalog.lo_from_bytea(0, data);
END
$$;

-- liteport.sync_state in 0.2.0's shape, with every row.
ALTER TABLE liteport.sync_state RENAME TO sync_state_0_1;
ALTER TABLE liteport.sync_state_0_1 RENAME CONSTRAINT sync_state_pkey TO sync_state_0_1_pkey;
DROP POLICY sync_state_of_current_role ON liteport.sync_state_0_1;
CREATE TABLE liteport.sync_state (
    owner pg_catalog.name NOT NULL DEFAULT CURRENT_USER,
    foreign_table pg_catalog.regclass NOT NULL,
    target pg_catalog.regclass NOT NULL,
    watermark_column pg_catalog.text,
    watermark_type pg_catalog.regtype,
    watermark pg_catalog.text,
    source_identity pg_catalog.text,
    updated_at pg_catalog.timestamptz NOT NULL DEFAULT pg_catalog.now(),
    PRIMARY KEY (owner, foreign_table, target)
);
INSERT INTO liteport.sync_state (owner, foreign_table, target, watermark_column, watermark_type, watermark, source_identity, updated_at)
SELECT s.owner, s.foreign_table, s.target, s.watermark_column,
       (SELECT a.atttypid::pg_catalog.regtype FROM pg_catalog.pg_attribute a
         WHERE a.attrelid OPERATOR(pg_catalog.=) s.foreign_table AND a.attname OPERATOR(pg_catalog.=) s.watermark_column AND NOT a.attisdropped),
       s.watermark, NULL, s.updated_at
  FROM liteport.sync_state_0_1 s;
DROP TABLE liteport.sync_state_0_1;
ALTER TABLE liteport.sync_state ENABLE ROW LEVEL SECURITY;
CREATE POLICY sync_state_of_current_role ON liteport.sync_state
    USING (owner OPERATOR(pg_catalog.=) CURRENT_USER) WITH CHECK (owner OPERATOR(pg_catalog.=) CURRENT_USER);
GRANT SELECT, INSERT, UPDATE, DELETE ON liteport.sync_state TO PUBLIC;

-- liteport.sync_log with its note column, every row, ids and sequence as they were.
ALTER TABLE liteport.sync_log RENAME TO sync_log_0_1;
ALTER TABLE liteport.sync_log_0_1 RENAME CONSTRAINT sync_log_pkey TO sync_log_0_1_pkey;
ALTER INDEX liteport.sync_log_pair RENAME TO sync_log_0_1_pair;
ALTER SEQUENCE liteport.sync_log_id_seq RENAME TO sync_log_0_1_id_seq;
DROP POLICY sync_log_of_current_role ON liteport.sync_log_0_1;
CREATE TABLE liteport.sync_log (
    id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    foreign_table pg_catalog.regclass NOT NULL,
    target pg_catalog.regclass NOT NULL,
    started_at pg_catalog.timestamptz NOT NULL,
    finished_at pg_catalog.timestamptz NOT NULL,
    rows_inserted bigint NOT NULL,
    rows_updated bigint NOT NULL,
    rows_deleted bigint NOT NULL,
    watermark_before pg_catalog.text,
    watermark_after pg_catalog.text,
    status pg_catalog.text NOT NULL,
    error pg_catalog.text,
    note pg_catalog.text,
    run_by pg_catalog.name NOT NULL DEFAULT CURRENT_USER
);
CREATE INDEX sync_log_pair ON liteport.sync_log (foreign_table, target, id);
INSERT INTO liteport.sync_log (id, foreign_table, target, started_at, finished_at, rows_inserted, rows_updated, rows_deleted,
                               watermark_before, watermark_after, status, error, note, run_by)
    OVERRIDING SYSTEM VALUE
SELECT id, foreign_table, target, started_at, finished_at, rows_inserted, rows_updated, rows_deleted,
       watermark_before, watermark_after, status, error, NULL, run_by
  FROM liteport.sync_log_0_1;
SELECT pg_catalog.setval('liteport.sync_log_id_seq', s.last_value, s.is_called) FROM liteport.sync_log_0_1_id_seq s;
DROP TABLE liteport.sync_log_0_1;
ALTER TABLE liteport.sync_log ENABLE ROW LEVEL SECURITY;
CREATE POLICY sync_log_of_current_role ON liteport.sync_log
    USING (run_by OPERATOR(pg_catalog.=) CURRENT_USER) WITH CHECK (run_by OPERATOR(pg_catalog.=) CURRENT_USER);
GRANT SELECT, INSERT ON liteport.sync_log TO PUBLIC;

-- Coercion helpers that no longer read the session's TimeZone.
ALTER FUNCTION liteport.to_timestamptz(pg_catalog.text, pg_catalog.text) IMMUTABLE;
ALTER FUNCTION liteport.try_to_timestamptz(pg_catalog.text, pg_catalog.text) IMMUTABLE;

-- Resumable migrations (new in 0.2.0).
CREATE FUNCTION liteport."hold_source_state"(
	"server" TEXT
) RETURNS TEXT
STRICT VOLATILE PARALLEL UNSAFE
SET search_path TO pg_catalog, pg_temp
LANGUAGE c
AS 'MODULE_PATHNAME', 'hold_source_state_wrapper';

CREATE FUNCTION liteport."load_next_chunk"(
	"server" TEXT,
	"target_schema" TEXT,
	"wait" bool DEFAULT false
) RETURNS TABLE (
	"table_name" TEXT,
	"rows_inserted" bigint,
	"rows_read" bigint,
	"range_done" bool
)
STRICT VOLATILE PARALLEL UNSAFE
SET search_path TO pg_catalog, pg_temp
LANGUAGE c
AS 'MODULE_PATHNAME', 'load_next_chunk_wrapper';

CREATE FUNCTION liteport."release_source_state"(
	"server" TEXT
) RETURNS void
STRICT VOLATILE PARALLEL UNSAFE
SET search_path TO pg_catalog, pg_temp
LANGUAGE c
AS 'MODULE_PATHNAME', 'release_source_state_wrapper';

CREATE FUNCTION liteport."source_chunks"(
	"server" TEXT,
	"target_schema" TEXT DEFAULT 'public',
	"options" jsonb DEFAULT '{}',
	"chunk_rows" bigint DEFAULT 100000
) RETURNS TABLE (
	"load_order" INT,
	"table_name" TEXT,
	"source_rows" bigint,
	"chunked" bool,
	"chunks" INT,
	"chunk_no" INT,
	"after_rowid" bigint,
	"upto_rowid" bigint
)
STRICT VOLATILE PARALLEL UNSAFE
SET search_path TO pg_catalog, pg_temp
LANGUAGE c
AS 'MODULE_PATHNAME', 'source_chunks_wrapper';

CREATE FUNCTION liteport."source_version"(
	"server" TEXT
) RETURNS TEXT
STRICT VOLATILE PARALLEL UNSAFE
SET search_path TO pg_catalog, pg_temp
LANGUAGE c
AS 'MODULE_PATHNAME', 'source_version_wrapper';

CREATE FUNCTION liteport."start_load_workers"(
	"server" TEXT,
	"target_schema" TEXT,
	"workers" INT
) RETURNS INT
STRICT VOLATILE PARALLEL UNSAFE
SET search_path TO pg_catalog, pg_temp
LANGUAGE c
AS 'MODULE_PATHNAME', 'start_load_workers_wrapper';


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

DO $comments$
DECLARE
    c record;
    f regprocedure;
BEGIN
    FOR c IN SELECT * FROM (VALUES
        ('liteport_fdw_handler', 'Handler of the liteport foreign-data wrapper (planner and executor callbacks)'),
        ('liteport_fdw_validator', 'Validator of liteport options on the wrapper, servers, user mappings, foreign tables and columns'),
        ('connections', 'The SQLite files this backend has open: server_name, database, in_transaction'),
        ('disconnect', 'Close every SQLite file this backend has open; returns how many were closed (they reopen on use)'),
        ('check', 'Report what a server''s SQLite source is (version, pages, size, journal mode, tables) and whether PRAGMA integrity_check passes'),
        ('profile', 'Per column of a server''s SQLite tables: storage classes, patterns, and the suggested Postgres type and options'),
        ('plan', 'The ordered steps liteport.migrate(server, target_schema, options) would run, as SQL, without running anything'),
        ('migrate', 'Migrate a SQLite server''s tables into target_schema in one transaction and one snapshot; one row per table'),
        ('verify', 'Compare migrated tables with their SQLite source: row counts, rejected rows and order-independent checksums'),
        ('sync_run', 'Implementation of liteport.sync (call liteport.sync instead)'),
        ('sync', 'Upsert the rows of a liteport foreign table changed since the last run into a target table'),
        ('upload', 'Store a SQLite database as a large object owned by the caller; returns its oid'),
        ('to_boolean', 'Text to boolean by SQLite conventions (t/f, true/false, yes/no, y/n, on/off, 1/0); ERROR if it does not convert'),
        ('try_to_boolean', 'As liteport.to_boolean, but NULL when the value does not convert'),
        ('to_bigint', 'Text to bigint (integer literals, 42.000); a fraction or exponent is an ERROR, never rounded'),
        ('try_to_bigint', 'As liteport.to_bigint, but NULL when the value does not convert'),
        ('to_numeric', 'Text to numeric (decimal literals with optional exponent; not NaN or Infinity); ERROR if it does not convert'),
        ('try_to_numeric', 'As liteport.to_numeric, but NULL when the value does not convert'),
        ('to_timestamp', 'ISO text (an offset converts to UTC) or an epoch number in epoch_unit (s, ms, us, julian, auto) to timestamp'),
        ('try_to_timestamp', 'As liteport.to_timestamp, but NULL when the value does not convert'),
        ('to_timestamptz', 'ISO text (naive text is UTC; an offset gives that instant) or an epoch number in epoch_unit to timestamptz'),
        ('try_to_timestamptz', 'As liteport.to_timestamptz, but NULL when the value does not convert'),
        ('to_date', 'ISO date, or a timestamp or epoch number at midnight UTC, to date'),
        ('try_to_date', 'As liteport.to_date, but NULL when the value does not convert'),
        ('to_uuid', 'UUID text (8-4-4-4-12, any case) or exactly 16 bytes to uuid'),
        ('try_to_uuid', 'As liteport.to_uuid, but NULL when the value does not convert'),
        ('to_jsonb', 'Text to jsonb; ERROR if it is not valid JSON'),
        ('try_to_jsonb', 'As liteport.to_jsonb, but NULL when the value is not valid JSON'),
        ('migrate_resumable', 'Migrate a SQLite server''s tables committing as it goes (tables, rowid chunks); call it again to go on where it stopped'),
        ('source_chunks', 'The tables liteport.migrate would load, in load order, with their SQLite row counts, each cut into rowid ranges (for liteport.migrate_resumable)'),
        ('hold_source_state', 'Keep this session''s read of a server''s source across commits: every later read of it, here or by load workers, reads that state (for liteport.migrate_resumable)'),
        ('release_source_state', 'End liteport.hold_source_state: the read ends with the transaction'),
        ('load_next_chunk', 'Load the next part of a resumable migration that no other session is loading, through the bulk path, and record it (for liteport.migrate_resumable)'),
        ('start_load_workers', 'Start background workers loading a resumable migration''s parts as the current role, at the held state of the source (parallel in liteport.migrate_resumable)'),
        ('source_version', 'What identifies a server''s SQLite source and its state (file, size, times, change counter)')
    ) AS v(name, comment) LOOP
        FOR f IN SELECT p.oid FROM pg_catalog.pg_proc p
                  WHERE p.pronamespace = 'liteport'::regnamespace AND p.proname = c.name LOOP
            EXECUTE format('COMMENT ON ROUTINE %s IS %L', f, c.comment);
        END LOOP;
    END LOOP;
END
$comments$;

COMMENT ON FOREIGN DATA WRAPPER liteport IS 'SQLite files as foreign tables (server option database or large_object)';
COMMENT ON TABLE liteport.sync_state IS 'Where each role''s (foreign table, target) pair synced by liteport.sync has got to: the watermark of the last committed run';
COMMENT ON TABLE liteport.sync_log IS 'Every liteport.sync run: start, end, rows inserted, updated and deleted, watermarks, status and error';
COMMENT ON TABLE liteport.resumable_migrations IS 'Each role''s resumable migrations: options, the source state it began on, start and end';
COMMENT ON TABLE liteport.resumable_tables IS 'Per table of a resumable migration: rows loaded and read, rowid ranges loaded of how many, status';
COMMENT ON TABLE liteport.resumable_chunks IS 'Per rowid range of a table of a resumable migration: its bounds, how far it is loaded, rows, status, the backend that loaded it';
COMMENT ON VIEW liteport.migration_progress IS 'Progress of the current role''s resumable migrations: rows read of rows total, percent, rows per second, ranges loaded';

-- User data: pg_dump dumps these rows (and the identity sequences' positions) with
-- the database; the extension's own objects come back with CREATE EXTENSION.
SELECT pg_catalog.pg_extension_config_dump('liteport.rejects', '');
SELECT pg_catalog.pg_extension_config_dump('liteport.rejects_id_seq', '');
SELECT pg_catalog.pg_extension_config_dump('liteport.sync_state', '');
SELECT pg_catalog.pg_extension_config_dump('liteport.sync_log', '');
SELECT pg_catalog.pg_extension_config_dump('liteport.sync_log_id_seq', '');
SELECT pg_catalog.pg_extension_config_dump('liteport.resumable_migrations', '');
SELECT pg_catalog.pg_extension_config_dump('liteport.resumable_migrations_id_seq', '');
SELECT pg_catalog.pg_extension_config_dump('liteport.resumable_tables', '');
SELECT pg_catalog.pg_extension_config_dump('liteport.resumable_chunks', '');
