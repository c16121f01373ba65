-- Incremental re-sync while the application keeps writing to SQLite: only rows at or
-- above the last watermark are read (the filter goes down to SQLite's index), runs
-- are idempotent, deletes are detected on request, a failed run changes nothing and
-- is logged, and the watermark only moves when a run commits.
\set SHOW_CONTEXT never
\pset null '(null)'
\! sqlite3 /tmp/liteport_regress/shop_sync.db "CREATE TABLE items(id INTEGER PRIMARY KEY, name TEXT, price REAL, version INTEGER NOT NULL); CREATE INDEX items_version ON items(version); INSERT INTO items VALUES (1, 'pen', 1.5, 1), (2, 'ink', 4.0, 2), (3, 'pad', 2.25, 3);"
CREATE SERVER shop_sync FOREIGN DATA WRAPPER liteport OPTIONS (database '/tmp/liteport_regress/shop_sync.db');
CREATE FOREIGN TABLE items_src (id bigint, name text, price float8, version bigint) SERVER shop_sync OPTIONS (table 'items');
CREATE TABLE items (id bigint PRIMARY KEY, name text, price float8, version bigint);
-- First run: everything. Second run: nothing new, nothing changed.
SELECT status, rows_inserted, rows_updated, rows_deleted, watermark_before, watermark_after FROM liteport.sync('items_src', 'items', watermark => 'version');
SELECT status, rows_inserted, rows_updated, rows_deleted, watermark_before, watermark_after FROM liteport.sync('items_src', 'items', watermark => 'version');
-- The read a run makes: from the watermark, in SQLite.
EXPLAIN (VERBOSE, COSTS OFF) SELECT id, name, price, version FROM items_src WHERE version >= '3'::bigint;
-- The application changes a row, adds one and deletes one.
\! sqlite3 /tmp/liteport_regress/shop_sync.db "UPDATE items SET price = 4.5, version = 4 WHERE id = 2; INSERT INTO items VALUES (4, 'clip', 0.1, 5); DELETE FROM items WHERE id = 1;"
SELECT status, rows_inserted, rows_updated, rows_deleted, watermark_before, watermark_after FROM liteport.sync('items_src', 'items', watermark => 'version', options => '{"deletes": true}');
SELECT * FROM items ORDER BY id;
-- A run rolled back with its transaction leaves the watermark where it was.
\! sqlite3 /tmp/liteport_regress/shop_sync.db "INSERT INTO items VALUES (5, 'tape', 3.0, 6);"
BEGIN;
SELECT status, rows_inserted, watermark_after FROM liteport.sync('items_src', 'items', watermark => 'version');
ROLLBACK;
SELECT watermark FROM liteport.sync_state WHERE target = 'items'::regclass;
SELECT count(*) AS items_after_rollback FROM items;
-- A value that does not convert fails the run: nothing changes, the error is logged.
\! sqlite3 /tmp/liteport_regress/shop_sync.db "INSERT INTO items VALUES (6, 'glue', 'cheap', 7);"
SELECT status, rows_inserted, rows_updated, watermark_before, watermark_after FROM liteport.sync('items_src', 'items', watermark => 'version');
SELECT count(*) AS items_after_failure FROM items;
SELECT watermark FROM liteport.sync_state WHERE target = 'items'::regclass;
\! sqlite3 /tmp/liteport_regress/shop_sync.db "UPDATE items SET price = 0.5 WHERE id = 6;"
SELECT status, rows_inserted, rows_updated, watermark_before, watermark_after FROM liteport.sync('items_src', 'items', watermark => 'version');
-- Every run is in the log.
SELECT status, rows_inserted, rows_updated, rows_deleted, watermark_before, watermark_after, error
  FROM liteport.sync_log WHERE target = 'items'::regclass ORDER BY id;
-- Without a watermark every row is read (still idempotent); explicit key columns.
CREATE TABLE items_by_name (name text PRIMARY KEY, price float8);
SELECT status, rows_inserted, rows_updated FROM liteport.sync('items_src', 'items_by_name');
SELECT status, rows_inserted, rows_updated FROM liteport.sync('items_src', 'items_by_name', key => ARRAY['name']);
-- Bad arguments.
CREATE TABLE no_key (id bigint);
SELECT * FROM liteport.sync('items_src', 'no_key');
\echo :LAST_ERROR_SQLSTATE
SELECT * FROM liteport.sync('items', 'items');
\echo :LAST_ERROR_SQLSTATE
SELECT * FROM liteport.sync('items_src', 'items', watermark => 'nosuch');
\echo :LAST_ERROR_SQLSTATE
SELECT * FROM liteport.sync('items_src', 'items', options => '{"delete": true}');
\echo :LAST_ERROR_SQLSTATE
