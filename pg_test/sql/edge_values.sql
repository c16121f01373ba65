-- Edge values, read through foreign tables: the extremes of each type are exact, what
-- does not fit is an ERROR that says why, and nothing is truncated or turned into NULL.
\set SHOW_CONTEXT never
\pset null '(null)'
SET extra_float_digits = 1;
\! sqlite3 /tmp/liteport_regress/edge.db "CREATE TABLE n(k TEXT, i INTEGER, r REAL); INSERT INTO n VALUES ('int8 max', 9223372036854775807, NULL), ('int8 min', -9223372036854775808, NULL), ('past int4', 2147483648, NULL), ('+inf', NULL, 9e999), ('-inf', NULL, -9e999), ('-0.0', NULL, -0.0), ('1e308', NULL, 1e308), ('denormal', NULL, 4.9e-324), ('pi', NULL, 3.141592653589793);"
\! sqlite3 /tmp/liteport_regress/edge.db "CREATE TABLE s(k TEXT, t TEXT); INSERT INTO s VALUES ('nul', CAST(x'61006263' AS TEXT)), ('latin1', CAST(x'6361fe' AS TEXT)), ('ok', 'fine'), ('2MB', hex(zeroblob(1048576)));"
\! sqlite3 /tmp/liteport_regress/edge.db "CREATE TABLE b(k TEXT, b BLOB); INSERT INTO b VALUES ('3MB', zeroblob(3145728)), ('empty', x'');"
\! sqlite3 /tmp/liteport_regress/edge.db "CREATE TABLE d(k TEXT, d TEXT); INSERT INTO d VALUES ('leap', '2024-02-29'), ('impossible', '2024-02-30'), ('zero', '0000-00-00');"
-- No filter is pushed down yet, so each case reads its own SQLite view of the rows.
\! sqlite3 /tmp/liteport_regress/edge.db "CREATE VIEW n_finite AS SELECT * FROM n WHERE k IN ('pi', '-0.0', 'denormal', '1e308'); CREATE VIEW n_inf AS SELECT * FROM n WHERE k = '+inf'; CREATE VIEW n_huge AS SELECT * FROM n WHERE k = '1e308'; CREATE VIEW s_latin AS SELECT * FROM s WHERE k = 'latin1'; CREATE VIEW s_2mb AS SELECT * FROM s WHERE k = '2MB'; CREATE VIEW d_leap AS SELECT * FROM d WHERE k = 'leap'; CREATE VIEW d_zero AS SELECT * FROM d WHERE k = 'zero';"
CREATE SERVER edge FOREIGN DATA WRAPPER liteport OPTIONS (database '/tmp/liteport_regress/edge.db');
-- Integers: bigint holds int8's extremes exactly; int4 refuses what is past it.
CREATE FOREIGN TABLE n_big (k text, i bigint) SERVER edge OPTIONS (table 'n');
SELECT k, i FROM n_big WHERE i IS NOT NULL;
CREATE FOREIGN TABLE n_int (k text, i integer) SERVER edge OPTIONS (table 'n');
SELECT k, i FROM n_int;
\echo :LAST_ERROR_SQLSTATE
-- Reals: double precision holds ±Infinity, -0, 1e308 and denormals bit for bit.
CREATE FOREIGN TABLE n_float (k text, r double precision) SERVER edge OPTIONS (table 'n');
SELECT k, r, r::text AS as_text FROM n_float WHERE r IS NOT NULL;
-- real (float4) refuses what does not fit rather than rounding to Infinity or 0.
CREATE FOREIGN TABLE n_float4 (k text, r real) SERVER edge OPTIONS (table 'n_huge');
SELECT k, r FROM n_float4;
\echo :LAST_ERROR_SQLSTATE
-- numeric holds every finite real exactly (shortest round-trip digits); Infinity is refused.
CREATE FOREIGN TABLE n_num (k text, r numeric) SERVER edge OPTIONS (table 'n_finite');
-- (SQLite itself stores -0.0 in a REAL column as the integer 0: the sign is gone before we read it.)
SELECT k, r::float8 AS back_to_double, r::float8::text::numeric = r AS round_trips, length(r::text) AS digits FROM n_num;
CREATE FOREIGN TABLE n_num_inf (k text, r numeric) SERVER edge OPTIONS (table 'n_inf');
SELECT k, r FROM n_num_inf;
\echo :LAST_ERROR_SQLSTATE
-- The same through the coercion helpers.
SELECT liteport.to_bigint('-9223372036854775808') AS min, liteport.to_bigint('9223372036854775807') AS max;
SELECT liteport.to_numeric('1e308') = 1e308::numeric AS exact, liteport.try_to_numeric('Infinity') AS inf;
-- Text: a NUL byte or invalid UTF-8 is an ERROR that says so ...
CREATE FOREIGN TABLE s_text (k text, t text) SERVER edge OPTIONS (table 's');
SELECT k, length(t) FROM s_text;
\echo :LAST_ERROR_SQLSTATE
CREATE FOREIGN TABLE s_latin (k text, t text) SERVER edge OPTIONS (table 's_latin');
SELECT k, t FROM s_latin;
\echo :LAST_ERROR_SQLSTATE
-- ... and the raw bytes are readable through bytea: the `text` staging mode makes such
-- a column bytea by itself.
CREATE SCHEMA raw_edge;
IMPORT FOREIGN SCHEMA main LIMIT TO (s) FROM SERVER edge INTO raw_edge OPTIONS (types 'text');
SELECT format_type(atttypid, atttypmod) FROM pg_attribute WHERE attrelid = 'raw_edge.s'::regclass AND attname = 't';
SELECT k, length(t) AS bytes, CASE WHEN length(t) < 10 THEN t END AS raw FROM raw_edge.s ORDER BY k;
SELECT liteport.to_boolean(convert_from('\x74'::bytea, 'UTF8'));
-- Large values arrive whole: a 2 MB text and a 3 MB blob.
CREATE FOREIGN TABLE s_big (k text, t text) SERVER edge OPTIONS (table 's_2mb');
SELECT length(t), t = repeat('0', 2097152) AS exact FROM s_big;
CREATE FOREIGN TABLE b_big (k text, b bytea) SERVER edge OPTIONS (table 'b');
SELECT k, length(b), CASE WHEN k = '3MB' THEN md5(b) = md5(decode(repeat('00', 3145728), 'hex')) END AS exact FROM b_big ORDER BY k;
-- Dates: leap days are dates, impossible ones are errors, never guesses.
CREATE FOREIGN TABLE d_leap (k text, d date) SERVER edge OPTIONS (table 'd_leap');
SELECT k, d FROM d_leap;
CREATE FOREIGN TABLE d_date (k text, d date) SERVER edge OPTIONS (table 'd');
SELECT k, d FROM d_date;
\echo :LAST_ERROR_SQLSTATE
CREATE FOREIGN TABLE d_zero (k text, d timestamp) SERVER edge OPTIONS (table 'd_zero');
SELECT k, d FROM d_zero;
\echo :LAST_ERROR_SQLSTATE
SELECT d, liteport.try_to_date(d) FROM (VALUES ('0000-00-00'), ('2024-02-30'), ('2024-02-29')) v(d);
-- SQLite's binary JSON (jsonb(), SQLite 3.45+) in a JSON column reads as the JSON it
-- encodes (decoded by SQLite itself); a blob that is not JSONB is an error.
\! sqlite3 /tmp/liteport_regress/jsonb.db "CREATE TABLE docs(id INTEGER PRIMARY KEY, doc JSON); INSERT INTO docs VALUES (1, X'4C17611331'), (2, '{\"b\": [true, null]}'), (3, X'00ff');"
CREATE SERVER jb FOREIGN DATA WRAPPER liteport OPTIONS (database '/tmp/liteport_regress/jsonb.db');
CREATE FOREIGN TABLE docs_jsonb (id bigint, doc jsonb) SERVER jb OPTIONS (table 'docs');
SELECT id, doc FROM docs_jsonb WHERE id < 3 ORDER BY id;
SELECT id, doc FROM docs_jsonb ORDER BY id;
\echo :LAST_ERROR_SQLSTATE
SELECT column_name, json_share FROM liteport.profile('jb') WHERE column_name = 'doc';
-- types 'text' reads every value: a column holding blobs (or text that is not UTF-8)
-- is bytea, so nothing fails to read.
CREATE SCHEMA jb_text;
IMPORT FOREIGN SCHEMA main FROM SERVER jb INTO jb_text OPTIONS (types 'text');
SELECT attname, format_type(atttypid, atttypmod) FROM pg_attribute WHERE attrelid = 'jb_text.docs'::regclass AND attnum > 0 ORDER BY attnum;
SELECT id, doc FROM jb_text.docs ORDER BY id;
DROP SCHEMA jb_text CASCADE;
DROP SERVER jb CASCADE;
-- money is an integer of cents, read by liteport itself: the same amount whatever the
-- session's lc_monetary (money's input would read '12.34' as 1234 under de_DE), a third
-- fraction digit that is not zero an error (money's input would round it), and a session
-- whose lc_monetary has no cents (ja_JP: the integer would count yen) refused.
\! sqlite3 /tmp/liteport_regress/money.db "CREATE TABLE p(id INTEGER PRIMARY KEY, price); INSERT INTO p VALUES (1, '12.34'), (2, -0.5), (3, 7), (4, 19.99), (5, '\$1,234.50'), (6, '1.2300'), (7, '(3.10)'), (8, '1.235');"
CREATE SERVER mo FOREIGN DATA WRAPPER liteport OPTIONS (database '/tmp/liteport_regress/money.db');
CREATE FOREIGN TABLE p_money (id bigint, price money) SERVER mo OPTIONS (table 'p');
SELECT id, price, price::numeric FROM p_money WHERE id < 8 ORDER BY id;
SET lc_monetary = 'de_DE.UTF-8';
SELECT id, price, price::numeric FROM p_money WHERE id < 8 ORDER BY id;
SELECT id, price FROM p_money ORDER BY id;
\echo :LAST_ERROR_SQLSTATE
SET lc_monetary = 'ja_JP.UTF-8';
SELECT id, price FROM p_money ORDER BY id;
\echo :LAST_ERROR_SQLSTATE
CREATE SCHEMA mo_app;
CREATE TABLE mo_app.p (id bigint PRIMARY KEY, price money);
SELECT table_name, rows_copied FROM liteport.migrate('mo', 'mo_app', '{"data_only": true}');
\echo :LAST_ERROR_SQLSTATE
RESET lc_monetary;
SELECT table_name, rows_copied, rows_rejected FROM liteport.migrate('mo', 'mo_app', '{"data_only": true, "on_error": "reject"}');
SELECT rowid, column_name, sqlstate, error FROM liteport.rejects WHERE server = 'mo' ORDER BY rowid;
SELECT table_name, matches FROM liteport.verify('mo', 'mo_app');
-- Loaded by hand with money's own input, 1.235 became 1.24: verify says so.
DELETE FROM liteport.rejects WHERE server = 'mo';
INSERT INTO mo_app.p VALUES (8, '1.235');
SELECT table_name, matches, note FROM liteport.verify('mo', 'mo_app');
DROP SCHEMA mo_app CASCADE;
DROP SERVER mo CASCADE;
