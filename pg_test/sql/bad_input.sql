-- Values that do not fit their column are errors naming server, table, column and
-- row, with Postgres's SQLSTATE for the same failure. Nothing is silently altered.
\set SHOW_CONTEXT never
\! sqlite3 /tmp/liteport_regress/messy.db "CREATE TABLE m(n INTEGER, d DATE, t TEXT, u UUID); INSERT INTO m VALUES (1, '2024-02-29', 'ok', 'a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11'); INSERT INTO m VALUES (3000000000, '2024-02-30', CAST(x'c328' AS TEXT), x'0102');"
CREATE SERVER messy FOREIGN DATA WRAPPER liteport OPTIONS (database '/tmp/liteport_regress/messy.db');
CREATE FOREIGN TABLE m_int (n integer) SERVER messy OPTIONS (table 'm');
SELECT * FROM m_int;
\echo :LAST_ERROR_SQLSTATE
CREATE FOREIGN TABLE m_date (d date) SERVER messy OPTIONS (table 'm');
SELECT * FROM m_date;
\echo :LAST_ERROR_SQLSTATE
CREATE FOREIGN TABLE m_text (t text) SERVER messy OPTIONS (table 'm');
SELECT * FROM m_text;
\echo :LAST_ERROR_SQLSTATE
-- The raw bytes stay reachable through bytea.
CREATE FOREIGN TABLE m_raw (t bytea) SERVER messy OPTIONS (table 'm');
SELECT * FROM m_raw;
CREATE FOREIGN TABLE m_uuid (u uuid) SERVER messy OPTIONS (table 'm');
SELECT * FROM m_uuid;
\echo :LAST_ERROR_SQLSTATE
-- Wider types read what narrower ones refuse.
CREATE FOREIGN TABLE m_wide (n bigint) SERVER messy OPTIONS (table 'm');
SELECT * FROM m_wide;
-- Files that cannot be read.
\! printf 'plain text, not a database, and long enough to fill a SQLite header of a hundred bytes...........' > /tmp/liteport_regress/notes.txt
CREATE SERVER notes FOREIGN DATA WRAPPER liteport OPTIONS (database '/tmp/liteport_regress/notes.txt');
CREATE FOREIGN TABLE notes_t (a int) SERVER notes OPTIONS (table 't');
SELECT * FROM notes_t;
\echo :LAST_ERROR_SQLSTATE
CREATE SERVER gone FOREIGN DATA WRAPPER liteport OPTIONS (database '/tmp/liteport_regress/missing.db');
CREATE FOREIGN TABLE gone_t (a int) SERVER gone OPTIONS (table 't');
SELECT * FROM gone_t;
\echo :LAST_ERROR_SQLSTATE
CREATE FOREIGN TABLE no_such (a int) SERVER messy OPTIONS (table 'nope');
SELECT * FROM no_such;
\echo :LAST_ERROR_SQLSTATE
-- A NULL in a column the file declares NOT NULL (a damaged or hand-edited schema;
-- SQLite enforces NOT NULL on write): the bulk load names server, table, column, rowid.
\! sqlite3 /tmp/liteport_regress/notnull.db "CREATE TABLE t(id INTEGER PRIMARY KEY, n TEXT); INSERT INTO t VALUES (1, 'a'), (2, NULL); PRAGMA writable_schema = ON; UPDATE sqlite_schema SET sql = 'CREATE TABLE t(id INTEGER PRIMARY KEY, n TEXT NOT NULL)' WHERE name = 't';"
CREATE SERVER damaged_nn FOREIGN DATA WRAPPER liteport OPTIONS (database '/tmp/liteport_regress/notnull.db');
CREATE SCHEMA notnull_target;
SELECT * FROM liteport.migrate('damaged_nn', 'notnull_target');
\echo :LAST_ERROR_SQLSTATE
DROP SCHEMA notnull_target CASCADE;
DROP SERVER damaged_nn CASCADE;
