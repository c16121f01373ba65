-- liteport.verify must catch a wrong conversion rule: it reads both sides on its own
-- (SQLite's stored values by the documented rules, Postgres's stored values as they
-- are), so each silent change that once slipped through (rounding, the session's
-- TimeZone, a duration's unit, float4 narrowing, Core Data's epoch) is reintroduced
-- here by hand and must make verify say matches = f, naming the column and a row.
\set SHOW_CONTEXT never
\pset null '(null)'
SET client_min_messages = warning;

-- A Django-written file (django_migrations): DurationField is a bigint of µs, naive
-- datetimes are UTC, DECIMAL holds unrounded values.
\! sqlite3 /tmp/liteport_regress/vi.db "CREATE TABLE django_migrations(id INTEGER PRIMARY KEY, app TEXT, name TEXT, applied DATETIME); CREATE TABLE m(id INTEGER PRIMARY KEY, amount DECIMAL(10,2), at DATETIME, dur BIGINT, temp REAL); INSERT INTO m VALUES (1, 19.999, '2024-03-31 01:30:00', 90000000, 0.1), (2, 1.005, '0001-01-01 00:00:00', 1, 0.123456789), (3, '3.14159', '2024-10-27 02:30:00.5', 0, 2.5);"
CREATE SERVER vi FOREIGN DATA WRAPPER liteport OPTIONS (database '/tmp/liteport_regress/vi.db');

-- The application's own schema, loaded by liteport: everything matches, under settings
-- that would change every conversion if any depended on them.
CREATE SCHEMA good;
CREATE TABLE good.m (id bigint PRIMARY KEY, amount numeric(12,5), at timestamptz, dur interval, temp double precision);
SET TimeZone = 'America/St_Johns';
SET DateStyle = 'SQL, DMY';
SET IntervalStyle = 'sql_standard';
SET extra_float_digits = -15;
SELECT table_name, rows_copied, status FROM liteport.migrate('vi', 'good', '{"data_only": true, "tables": ["m"]}');
SELECT table_name, matches, note FROM liteport.verify('vi', 'good', '{"tables": ["m"]}');
RESET TimeZone; RESET DateStyle; RESET IntervalStyle; RESET extra_float_digits;
SELECT id, amount, at AT TIME ZONE 'UTC' AS at_utc, dur, temp FROM good.m ORDER BY id;

-- The same table loaded by hand with plain casts, each rule wrong in its own way.
CREATE SCHEMA vi_raw;
IMPORT FOREIGN SCHEMA main LIMIT TO (m) FROM SERVER vi INTO vi_raw OPTIONS (types 'text');
CREATE SCHEMA wrong;
CREATE TABLE wrong.m (LIKE good.m INCLUDING ALL);
INSERT INTO wrong.m SELECT * FROM good.m;
SELECT matches FROM liteport.verify('vi', 'wrong', '{"tables": ["m"]}');
CREATE FUNCTION wrong.check(what text) RETURNS TABLE (what text, matches boolean, note text) LANGUAGE sql AS $$
    SELECT what, v.matches, v.note FROM liteport.verify('vi', 'wrong', '{"tables": ["m"]}') v
$$;
CREATE FUNCTION wrong.restore() RETURNS void LANGUAGE sql AS $$
    DELETE FROM wrong.m; INSERT INTO wrong.m SELECT * FROM good.m;
$$;

-- 1. DECIMAL(10,2)'s typmod rounds: 19.999 becomes 20.00.
UPDATE wrong.m w SET amount = r.amount::numeric(10,2) FROM vi_raw.m r WHERE r.id::bigint = w.id;
SELECT * FROM wrong.check('rounded to the declared scale');
SELECT wrong.restore();

-- 2. Naive text read in the session's TimeZone.
SET TimeZone = 'Europe/Berlin';
UPDATE wrong.m w SET at = r.at::timestamptz FROM vi_raw.m r WHERE r.id::bigint = w.id;
RESET TimeZone;
SELECT * FROM wrong.check('naive text in the session zone');
SELECT wrong.restore();

-- 3. Django's µs read by interval input, which counts seconds.
UPDATE wrong.m w SET dur = r.dur::interval FROM vi_raw.m r WHERE r.id::bigint = w.id;
SELECT * FROM wrong.check('microseconds read as seconds');
SELECT wrong.restore();

-- 4. A double narrowed to real.
ALTER TABLE wrong.m ALTER COLUMN temp TYPE real;
SELECT * FROM wrong.check('double narrowed to real');
ALTER TABLE wrong.m ALTER COLUMN temp TYPE double precision;
SELECT wrong.restore();
SELECT matches FROM liteport.verify('vi', 'wrong', '{"tables": ["m"]}');

-- liteport itself refuses the lossy ones when the target cannot hold the value.
CREATE SCHEMA narrow;
CREATE TABLE narrow.m (id bigint PRIMARY KEY, amount numeric(10,2), at timestamptz, dur interval, temp real);
SELECT table_name, rows_copied FROM liteport.migrate('vi', 'narrow', '{"data_only": true, "tables": ["m"]}');
\echo :LAST_ERROR_SQLSTATE
ALTER TABLE narrow.m ALTER COLUMN amount TYPE numeric;
SELECT table_name, rows_copied FROM liteport.migrate('vi', 'narrow', '{"data_only": true, "tables": ["m"]}');
\echo :LAST_ERROR_SQLSTATE
ALTER TABLE narrow.m ALTER COLUMN temp TYPE double precision, ALTER COLUMN at TYPE timestamptz(0);
SELECT table_name, rows_copied FROM liteport.migrate('vi', 'narrow', '{"data_only": true, "tables": ["m"]}');
\echo :LAST_ERROR_SQLSTATE

-- Django's DecimalField (declared `decimal`): Django shows a stored REAL to 15
-- significant digits, rounded to the field's decimal_places with ties to even; into
-- the numeric(10,2) Django made, liteport stores exactly that, and verify checks it.
\! sqlite3 /tmp/liteport_regress/vi.db "CREATE TABLE dj(id INTEGER PRIMARY KEY, price decimal); INSERT INTO dj VALUES (1, 19.999), (2, 19.985), (3, 0.125), (4, 0.135), (5, 7);"
CREATE TABLE good.dj (id bigint PRIMARY KEY, price numeric(10,2));
SELECT table_name, rows_copied FROM liteport.migrate('vi', 'good', '{"data_only": true, "tables": ["dj"]}');
SELECT id, price FROM good.dj ORDER BY id;
SELECT table_name, matches, note FROM liteport.verify('vi', 'good', '{"tables": ["dj"]}');
-- Rounded half up instead (19.985 -> 19.99): verify sees it.
UPDATE good.dj SET price = 19.99 WHERE id = 2;
SELECT table_name, matches, note FROM liteport.verify('vi', 'good', '{"tables": ["dj"]}');
-- Outside Django's conventions a value the target would round is an error, unless the
-- call says how to round it.
CREATE TABLE narrow.dj2 (id bigint PRIMARY KEY, amount numeric(10,2));
\! sqlite3 /tmp/liteport_regress/vi_plain.db "CREATE TABLE dj2(id INTEGER PRIMARY KEY, amount DECIMAL(10,2)); INSERT INTO dj2 VALUES (1, 19.985), (2, -0.005);"
CREATE SERVER vi_plain FOREIGN DATA WRAPPER liteport OPTIONS (database '/tmp/liteport_regress/vi_plain.db');
SELECT table_name, rows_copied FROM liteport.migrate('vi_plain', 'narrow', '{"data_only": true}');
\echo :LAST_ERROR_SQLSTATE
SELECT table_name, rows_copied, status FROM liteport.migrate('vi_plain', 'narrow', '{"data_only": true, "numeric_rounding": "half_up"}');
SELECT id, amount FROM narrow.dj2 ORDER BY id;
SELECT table_name, matches FROM liteport.verify('vi_plain', 'narrow', '{"numeric_rounding": "half_up"}');
SELECT table_name, matches, note FROM liteport.verify('vi_plain', 'narrow', '{"numeric_rounding": "half_even"}');

-- 5. Core Data: seconds since 2001 read as unix seconds (31 years early).
\! sqlite3 /tmp/liteport_regress/vi_cd.db "CREATE TABLE Z_METADATA(Z_VERSION INTEGER PRIMARY KEY, Z_UUID VARCHAR(255), Z_PLIST BLOB); CREATE TABLE Z_PRIMARYKEY(Z_ENT INTEGER PRIMARY KEY, Z_NAME VARCHAR, Z_SUPER INTEGER, Z_MAX INTEGER); CREATE TABLE ZEVENT(Z_PK INTEGER PRIMARY KEY, ZTITLE VARCHAR, ZDATE TIMESTAMP); INSERT INTO ZEVENT VALUES (1, 'launch', 733622400.5), (2, 'epoch', 0);"
CREATE SERVER vi_cd FOREIGN DATA WRAPPER liteport OPTIONS (database '/tmp/liteport_regress/vi_cd.db');
CREATE SCHEMA cd;
SELECT table_name, rows_copied FROM liteport.migrate('vi_cd', 'cd', '{"tables": ["ZEVENT"]}');
SELECT "Z_PK", "ZDATE" FROM cd."ZEVENT" ORDER BY 1;
SELECT table_name, matches, note FROM liteport.verify('vi_cd', 'cd', '{"tables": ["ZEVENT"]}');
CREATE SCHEMA cd_raw;
IMPORT FOREIGN SCHEMA main LIMIT TO ("ZEVENT") FROM SERVER vi_cd INTO cd_raw OPTIONS (types 'text');
UPDATE cd."ZEVENT" e SET "ZDATE" = pg_catalog.to_timestamp(r."ZDATE"::float8) FROM cd_raw."ZEVENT" r WHERE r."Z_PK"::bigint = e."Z_PK";
SELECT table_name, matches, note FROM liteport.verify('vi_cd', 'cd', '{"tables": ["ZEVENT"]}');

-- 6. A missing row and an extra one are named by rowid and by value.
DELETE FROM good.m WHERE id = 2;
SELECT table_name, source_rows, target_rows, matches, note FROM liteport.verify('vi', 'good', '{"tables": ["m"]}');
INSERT INTO good.m VALUES (2, 1.005, '0001-01-01 00:00:00+00', '00:00:00.000001', 0.123456789), (4, 1, NULL, NULL, NULL);
SELECT table_name, source_rows, target_rows, matches, note FROM liteport.verify('vi', 'good', '{"tables": ["m"]}');
DELETE FROM good.m WHERE id = 4;
SELECT table_name, matches FROM liteport.verify('vi', 'good', '{"tables": ["m"]}');

-- 7. A table without a primary key is compared value by value all the same.
\! sqlite3 /tmp/liteport_regress/vi_log.db "CREATE TABLE log(at TEXT, level TEXT, n REAL); INSERT INTO log VALUES ('2024-01-01 00:00:00', 'info', 1.5), ('2024-01-01 00:00:00', 'info', 1.5), ('2024-01-02 10:00:00', 'warn', 0.1);"
CREATE SERVER vi_log FOREIGN DATA WRAPPER liteport OPTIONS (database '/tmp/liteport_regress/vi_log.db');
CREATE SCHEMA logs;
SELECT table_name, rows_copied FROM liteport.migrate('vi_log', 'logs');
SELECT table_name, matches, note FROM liteport.verify('vi_log', 'logs');
UPDATE logs.log SET n = 0.1000001 WHERE level = 'warn';
SELECT table_name, matches, note FROM liteport.verify('vi_log', 'logs');
DELETE FROM logs.log WHERE level = 'warn';
INSERT INTO logs.log SELECT * FROM logs.log WHERE level = 'info' LIMIT 1;
SELECT table_name, source_rows, target_rows, matches, note FROM liteport.verify('vi_log', 'logs');

RESET client_min_messages;
DROP SCHEMA good, vi_raw, wrong, narrow, cd, cd_raw, logs CASCADE;
DROP SERVER vi, vi_cd, vi_log, vi_plain CASCADE;
