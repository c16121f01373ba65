-- psql conventions: a COMMENT on every function (each overload of a name gets that
-- name's comment), so \dx+ liteport, \df+ liteport.* and \des+ explain themselves;
-- and the tables that hold user data are marked for pg_dump. Runs last (finalize).
-- The same statements are in the upgrade script from 0.1.0; tests/upgrade.sh proves
-- that an upgraded database has exactly the objects of a fresh install.

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
