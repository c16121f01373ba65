-- What must never happen quietly: a column read as its own name, a sync that skips
-- rows under another DateStyle, a comment that ends early, an ERROR caught and
-- ignored, a sequence that overflows, two tables on one name, a broken file reported
-- as fine. Each case below once did.
\set SHOW_CONTEXT never
\pset null '(null)'

-- A foreign column whose SQLite column does not exist is an error, never the text of
-- its name (SQLite's double-quoted-string fallback is off).
\! sqlite3 /tmp/liteport_regress/renamed.db "CREATE TABLE people(id INTEGER PRIMARY KEY, name TEXT, version INTEGER); INSERT INTO people VALUES (1, 'Ann', 1), (2, 'Bob', 2);"
CREATE SERVER renamed FOREIGN DATA WRAPPER liteport OPTIONS (database '/tmp/liteport_regress/renamed.db');
CREATE FOREIGN TABLE people_typo (id bigint, "Nmae" text) SERVER renamed OPTIONS (table 'people');
SELECT * FROM people_typo;
\echo :LAST_ERROR_SQLSTATE
-- After the application renames a column, sync refuses instead of copying garbage.
CREATE FOREIGN TABLE people_src (id bigint, name text, version bigint) SERVER renamed OPTIONS (table 'people');
CREATE TABLE people (id bigint PRIMARY KEY, name text, version bigint);
SELECT status, rows_inserted FROM liteport.sync('people_src', 'people', watermark => 'version');
\! sqlite3 /tmp/liteport_regress/renamed.db "ALTER TABLE people RENAME COLUMN name TO full_name; UPDATE people SET version = 3 WHERE id = 2;"
SELECT status, rows_updated, note FROM liteport.sync('people_src', 'people', watermark => 'version');
SELECT * FROM people ORDER BY id;

-- Watermarks are stored in a form no session setting changes: a run under another
-- DateStyle, or extra_float_digits, reads back exactly the same value.
\! sqlite3 /tmp/liteport_regress/stamps.db "CREATE TABLE ev(id INTEGER PRIMARY KEY, at TEXT, score REAL); INSERT INTO ev VALUES (1, '2024-01-05 10:00:00', 0.1), (2, '2024-05-01 09:30:00', 0.30000000000000004);"
CREATE SERVER stamps FOREIGN DATA WRAPPER liteport OPTIONS (database '/tmp/liteport_regress/stamps.db');
CREATE FOREIGN TABLE ev_src (id bigint, at timestamp, score float8) SERVER stamps OPTIONS (table 'ev');
CREATE TABLE ev_by_time (id bigint PRIMARY KEY, at timestamp, score float8);
CREATE TABLE ev_by_score (id bigint PRIMARY KEY, at timestamp, score float8);
SET DateStyle = 'SQL, DMY';
SET extra_float_digits = -3;
SELECT status, rows_inserted, watermark_after FROM liteport.sync('ev_src', 'ev_by_time', watermark => 'at');
SELECT status, rows_inserted, watermark_after FROM liteport.sync('ev_src', 'ev_by_score', watermark => 'score');
RESET DateStyle;
RESET extra_float_digits;
\! sqlite3 /tmp/liteport_regress/stamps.db "INSERT INTO ev VALUES (3, '2024-01-06 00:00:00', 0.2);"
-- 2024-01-06 is before the watermark 2024-05-01: such a late row is not read (the
-- watermark contract: it only grows); the one that shares the watermark is re-read.
SELECT status, rows_inserted, rows_updated, watermark_before, watermark_after FROM liteport.sync('ev_src', 'ev_by_time', watermark => 'at');
SELECT status, rows_inserted, rows_updated, watermark_before, watermark_after FROM liteport.sync('ev_src', 'ev_by_score', watermark => 'score');
-- ... and a full run reads everything.
SELECT status, rows_inserted, note FROM liteport.sync('ev_src', 'ev_by_time', watermark => 'at', options => '{"full": true}');

-- A state belongs to its watermark column: another column starts over.
SELECT status, rows_inserted, rows_updated, note FROM liteport.sync('ev_src', 'ev_by_time', watermark => 'id');
SELECT watermark_column, watermark_type, watermark FROM liteport.sync_state WHERE target = 'ev_by_time'::regclass;

-- Rows whose watermark is NULL are read on every run and compared by key and
-- content, never left out.
\! sqlite3 /tmp/liteport_regress/stamps.db "CREATE TABLE nv(id INTEGER PRIMARY KEY, v TEXT, version INTEGER); INSERT INTO nv VALUES (1, 'a', 1), (2, 'b', NULL);"
CREATE FOREIGN TABLE nv_src (id bigint, v text, version bigint) SERVER stamps OPTIONS (table 'nv');
CREATE TABLE nv (id bigint PRIMARY KEY, v text, version bigint);
SELECT status, rows_inserted, note FROM liteport.sync('nv_src', 'nv', watermark => 'version');
\! sqlite3 /tmp/liteport_regress/stamps.db "UPDATE nv SET v = 'b2' WHERE id = 2; INSERT INTO nv VALUES (3, 'c', NULL);"
SELECT status, rows_inserted, rows_updated, note FROM liteport.sync('nv_src', 'nv', watermark => 'version');
SELECT * FROM nv ORDER BY id;

-- Deletes against an emptied source are refused; the target keeps its rows.
\! sqlite3 /tmp/liteport_regress/stamps.db "DELETE FROM nv;"
SELECT status, rows_deleted, note FROM liteport.sync('nv_src', 'nv', options => '{"deletes": true}');
SELECT count(*) AS nv_rows_kept FROM nv;
SELECT status, rows_deleted FROM liteport.sync('nv_src', 'nv', options => '{"deletes": true, "max_delete_share": 1}');

-- Another role can neither block a sync nor plant a watermark for it.
CREATE ROLE sync_rival;
GRANT SELECT ON ev_src, ev_by_time TO sync_rival;
SET ROLE sync_rival;
INSERT INTO liteport.sync_state (foreign_table, target, watermark_column, watermark_type, watermark) VALUES ('ev_src', 'ev_by_time', 'at', 'timestamp', '9999-01-01 00:00:00');
SELECT count(*) AS states_rival_sees FROM liteport.sync_state;
RESET ROLE;
SELECT status, rows_inserted, rows_updated, watermark_before FROM liteport.sync('ev_src', 'ev_by_time', watermark => 'at', options => '{"full": true}');
SELECT owner, watermark FROM liteport.sync_state WHERE target = 'ev_by_time'::regclass ORDER BY owner;

-- A SQLite file at a path with non-ASCII characters.
\! mkdir -p '/tmp/liteport_regress/dïr ü' && chmod 755 '/tmp/liteport_regress/dïr ü' && sqlite3 '/tmp/liteport_regress/dïr ü/ü.db' "CREATE TABLE t(x); INSERT INTO t VALUES ('grüß');"
CREATE SERVER umlaut FOREIGN DATA WRAPPER liteport OPTIONS (database '/tmp/liteport_regress/dïr ü/ü.db');
CREATE FOREIGN TABLE umlaut_t (x text) SERVER umlaut OPTIONS (table 't');
SELECT x FROM umlaut_t;
\! ls '/tmp/liteport_regress/dïr ü'

-- Text from the SQLite file never ends a comment early in the plan: a carriage
-- return in a view's SQL stays inside the comment.
\! python3 -c "import sqlite3; db = sqlite3.connect('/tmp/liteport_regress/sneaky.db'); db.execute('CREATE TABLE t(x)'); db.execute('CREATE VIEW v AS SELECT x FROM t /*\rDROP TABLE victim; -- */'); db.commit()"
CREATE SERVER sneaky FOREIGN DATA WRAPPER liteport OPTIONS (database '/tmp/liteport_regress/sneaky.db');
CREATE SCHEMA sneaky;
CREATE TABLE victim (id int);
SELECT kind, replace(sql, E'\r', '<CR>') AS sql FROM liteport.plan('sneaky', 'sneaky') WHERE kind = 'view';
SELECT sql FROM liteport.plan('sneaky', 'sneaky') WHERE kind = 'view' \gexec
SELECT count(*) AS victim_still_there FROM victim;

-- A conversion error in reject mode is caught in a subtransaction: a domain whose
-- CHECK is a PL/pgSQL function (which leaves an SPI connection behind when it raises)
-- rejects the row and the load goes on.
CREATE FUNCTION positive_checked(v bigint) RETURNS boolean LANGUAGE plpgsql AS $$
BEGIN
    PERFORM 1 FROM pg_class LIMIT 1;
    IF v <= 0 THEN RAISE EXCEPTION 'not positive: %', v USING ERRCODE = '23514'; END IF;
    RETURN true;
END $$;
CREATE DOMAIN positive AS bigint CHECK (positive_checked(VALUE));
\! sqlite3 /tmp/liteport_regress/domain.db "CREATE TABLE t(id INTEGER PRIMARY KEY, v INTEGER); INSERT INTO t VALUES (1, 5), (2, -1), (3, 7);"
CREATE SERVER domain_src FOREIGN DATA WRAPPER liteport OPTIONS (database '/tmp/liteport_regress/domain.db');
CREATE FOREIGN TABLE domain_t (id bigint, v positive) SERVER domain_src OPTIONS (table 't', on_error 'reject', reject_target 'domain_t');
SELECT id, v FROM domain_t ORDER BY id;
SELECT rowid, column_name, sqlstate FROM liteport.rejects WHERE target = 'domain_t';
SELECT 1 AS still_fine;

-- An AUTOINCREMENT mark at bigint's maximum: the migration succeeds and the sequence
-- is exhausted, as SQLite's is.
\! sqlite3 /tmp/liteport_regress/maxid.db "CREATE TABLE t(id INTEGER PRIMARY KEY AUTOINCREMENT, v TEXT); INSERT INTO t VALUES (9223372036854775807, 'last');"
CREATE SERVER maxid FOREIGN DATA WRAPPER liteport OPTIONS (database '/tmp/liteport_regress/maxid.db');
CREATE SCHEMA maxid;
SET client_min_messages = warning;
SELECT table_name, rows_copied, status FROM liteport.migrate('maxid', 'maxid');
RESET client_min_messages;
INSERT INTO maxid.t (v) VALUES ('one more');
\echo :LAST_ERROR_SQLSTATE

-- Names that would collide are refused before anything runs; a staging name that is
-- taken gets another.
\! sqlite3 /tmp/liteport_regress/names.db "CREATE TABLE OrderDetails(a); CREATE TABLE \"Order Details\"(a); CREATE TABLE x(a); CREATE TABLE _liteport_x(b); INSERT INTO x VALUES (1); INSERT INTO _liteport_x VALUES (2);"
CREATE SERVER names FOREIGN DATA WRAPPER liteport OPTIONS (database '/tmp/liteport_regress/names.db');
CREATE SCHEMA names;
SELECT * FROM liteport.migrate('names', 'names', '{"identifier_case": "snake"}');
SET client_min_messages = warning;
SELECT table_name, rows_copied, status FROM liteport.migrate('names', 'names', '{"tables": ["x", "_liteport_x"]}');
RESET client_min_messages;
SELECT kind, object FROM liteport.plan('names', 'names', '{"tables": ["x", "_liteport_x"], "drop_existing": true}') WHERE kind = 'create staging';
-- Running it again says what to do about the tables that are there.
SELECT * FROM liteport.migrate('names', 'names', '{"tables": ["x"]}');

-- liteport.check reports, rather than raises, what is wrong with a source.
\! touch /tmp/liteport_regress/empty.db && head -c 4096 /dev/urandom > /tmp/liteport_regress/noise.db && printf 'SQLite format 3\000' > /tmp/liteport_regress/truncated.db && chmod 644 /tmp/liteport_regress/*.db
CREATE SERVER empty FOREIGN DATA WRAPPER liteport OPTIONS (database '/tmp/liteport_regress/empty.db');
CREATE SERVER noise FOREIGN DATA WRAPPER liteport OPTIONS (database '/tmp/liteport_regress/noise.db');
CREATE SERVER truncated FOREIGN DATA WRAPPER liteport OPTIONS (database '/tmp/liteport_regress/truncated.db');
CREATE SERVER missing FOREIGN DATA WRAPPER liteport OPTIONS (database '/tmp/liteport_regress/no such file.db');
SELECT s AS server, c.ok, c.problem FROM unnest(ARRAY['empty', 'noise', 'truncated', 'missing', 'renamed']) s, liteport.check(s) c;
