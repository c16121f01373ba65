-- A whole SQLite database into Postgres in psql: review the plan, migrate in one
-- call, verify. Every translation rule of liteport.plan appears once.
\set SHOW_CONTEXT never
\pset null '(null)'
SET TimeZone = 'UTC';
\! sqlite3 /tmp/liteport_regress/store.db < pg_test/data/store.sql
CREATE SERVER store FOREIGN DATA WRAPPER liteport OPTIONS (database '/tmp/liteport_regress/store.db');
CREATE SCHEMA store;
-- 1. The plan: ordered steps, nothing executed.
SELECT step, kind, object, note FROM liteport.plan('store', 'store');
SELECT sql FROM liteport.plan('store', 'store') WHERE kind IN ('create table', 'restart identity', 'index', 'unique', 'check', 'foreign key') AND sql NOT LIKE '--%';
SELECT count(*) AS tables_created_by_plan FROM pg_tables WHERE schemaname = 'store';
-- 2. By default every column gets a type that holds what it stores: 'n/a' in an
-- INTEGER column makes it text, and the status says so (the plan above too).
SET client_min_messages = warning;  -- the per-table NOTICEs carry timings
BEGIN;
SELECT table_name, rows_copied, status FROM liteport.migrate('store', 'store') WHERE table_name = 'readings';
SELECT format_type(atttypid, atttypmod) AS readings_value FROM pg_attribute WHERE attrelid = 'store.readings'::regclass AND attname = 'value';
ROLLBACK;
-- Into a table whose type cannot hold it, a value that does not convert fails the
-- whole migration, naming it (and leaves nothing behind).
CREATE SCHEMA store_strict;
CREATE TABLE store_strict.readings (id bigint PRIMARY KEY, value bigint);
SELECT * FROM liteport.migrate('store', 'store_strict', '{"data_only": true, "tables": ["readings"]}');
\echo :LAST_ERROR_SQLSTATE
SELECT count(*) AS rows_after_failed_migration FROM store_strict.readings;
DROP SCHEMA store_strict CASCADE;
-- 3. on_error 'reject': the declared type is kept; the row is skipped, kept verbatim,
-- and counted.
SELECT table_name, rows_copied, rows_rejected, status FROM liteport.migrate('store', 'store', '{"on_error": "reject"}');
RESET client_min_messages;
SELECT server, source_table, target, rowid, column_name, sqlstate, "row" FROM liteport.rejects;
-- 4. Verification: counts and checksums on both sides; rejects accounted for.
SELECT table_name, source_rows, target_rows, rejected_rows, source_checksum = target_checksum AS same_checksum, matches, note
  FROM liteport.verify('store', 'store');
SELECT table_name, source_rows, target_rows, source_checksum, matches FROM liteport.verify('store', 'store', '{"checksum": false, "tables": ["orders"]}');
-- 5. The application runs on the result.
-- Identity continues above SQLite's AUTOINCREMENT mark (5), not max(id) (3).
INSERT INTO store.customers (email) VALUES ('new@example.com') RETURNING id, name, active, created IS NOT NULL AS has_created;
-- Without AUTOINCREMENT: max(id) + 1.
INSERT INTO store.orders (customer_id, qty, price) VALUES (1, 2, 1.50) RETURNING id, total;
-- COLLATE NOCASE: case-insensitive equality and uniqueness.
SELECT id FROM store.customers WHERE email = 'ADA@EXAMPLE.COM';
INSERT INTO store.customers (email) VALUES ('Ada@Example.com');
\echo :LAST_ERROR_SQLSTATE
-- Foreign keys, with their actions; a self-reference.
INSERT INTO store.orders (customer_id, qty) VALUES (99, 1);
\echo :LAST_ERROR_SQLSTATE
INSERT INTO store.orders (customer_id, parent_id, qty) VALUES (1, 1000, 1);
\echo :LAST_ERROR_SQLSTATE
DELETE FROM store.customers WHERE id = 2;
SELECT count(*) AS orders_of_customer_2 FROM store.orders WHERE customer_id = 2;
-- CHECK constraints and the composite key of the WITHOUT ROWID table.
INSERT INTO store.customers (email, score, created) VALUES ('neg@example.com', -1, '2024-06-01');
\echo :LAST_ERROR_SQLSTATE
INSERT INTO store.tags VALUES (1, 'gift');
\echo :LAST_ERROR_SQLSTATE
-- Indexes as translated (the GLOB one is reported in the plan instead).
SELECT indexname, indexdef FROM pg_indexes WHERE schemaname = 'store' ORDER BY indexname;
-- 6. A changed value is caught by the checksum, with the counts still equal.
UPDATE store.tags SET tag = 'GIFT' WHERE tag = 'gift';
SELECT table_name, source_rows, target_rows, matches, note FROM liteport.verify('store', 'store', '{"tables": ["tags"]}');
-- 7. Reload into the existing tables: data_only + truncate, snake_case names elsewhere.
SET client_min_messages = warning;
SELECT table_name, rows_copied, rows_rejected, status FROM liteport.migrate('store', 'store', '{"data_only": true, "truncate": true, "on_error": "reject"}');
-- drop_existing: recreate chosen tables from scratch (here one, with an include list).
SELECT table_name, rows_copied, status FROM liteport.migrate('store', 'store', '{"drop_existing": true, "tables": ["tags"]}');
RESET client_min_messages;
SELECT bool_and(matches) AS all_match FROM liteport.verify('store', 'store');
SELECT table_name FROM liteport.verify('store', 'store', '{"exclude": ["readings", "orders", "OrderLines"]}');
CREATE SCHEMA snake;
SELECT sql FROM liteport.plan('store', 'snake', '{"identifier_case": "snake", "tables": ["OrderLines"]}') WHERE kind IN ('create table', 'load');
-- 8. Bad arguments.
SELECT * FROM liteport.plan('store', 'store', '{"tabels": ["x"]}');
\echo :LAST_ERROR_SQLSTATE
SELECT * FROM liteport.plan('store', 'store', '{"tables": ["nosuch"]}');
\echo :LAST_ERROR_SQLSTATE
SELECT * FROM liteport.migrate('store', 'store', '{"data_only": true, "schema_only": true}');
\echo :LAST_ERROR_SQLSTATE
SELECT * FROM liteport.plan('store', 'nosuch', '{"data_only": true}');
\echo :LAST_ERROR_SQLSTATE
-- 9. The bulk path writes rows frozen only where COPY FREEZE would: a table this
-- transaction created, no older snapshot, no open cursor; "freeze": false never.
CREATE EXTENSION IF NOT EXISTS pg_visibility;
CREATE SCHEMA frozen;
SET client_min_messages = warning;
SELECT rows_copied FROM liteport.migrate('store', 'frozen', '{"tables": ["readings"]}');
SELECT all_frozen > 0 AND all_frozen = all_visible AS frozen FROM pg_visibility_map_summary('frozen.readings');
SELECT rows_copied FROM liteport.migrate('store', 'frozen', '{"tables": ["readings"], "drop_existing": true, "freeze": false}');
SELECT all_frozen AS frozen_pages FROM pg_visibility_map_summary('frozen.readings');
BEGIN;
DECLARE open_cursor CURSOR FOR SELECT 1;
SELECT rows_copied FROM liteport.migrate('store', 'frozen', '{"tables": ["readings"], "drop_existing": true}');
SELECT all_frozen AS frozen_pages_with_a_cursor_open FROM pg_visibility_map_summary('frozen.readings');
COMMIT;
BEGIN ISOLATION LEVEL REPEATABLE READ;
SELECT count(*) > 0 AS took_a_snapshot FROM store.tags;
SELECT rows_copied FROM liteport.migrate('store', 'frozen', '{"tables": ["readings"], "drop_existing": true}');
SELECT all_frozen AS frozen_pages_under_an_older_snapshot FROM pg_visibility_map_summary('frozen.readings');
COMMIT;
-- The frozen rows are the rows: verify compares every value.
SELECT rows_copied FROM liteport.migrate('store', 'frozen', '{"tables": ["readings"], "drop_existing": true}');
SELECT table_name, matches FROM liteport.verify('store', 'frozen', '{"tables": ["readings"]}');
RESET client_min_messages;
DROP SCHEMA frozen CASCADE;
