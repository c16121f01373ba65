-- Messy SQLite data: what liteport.profile sees, the three `types` import modes, the
-- conversion-steering column options, and the SQL coercion helpers.
\set SHOW_CONTEXT never
\pset null '(null)'
SET TimeZone = 'UTC';
\! sqlite3 /tmp/liteport_regress/app.db "CREATE TABLE users(id INTEGER PRIMARY KEY, active BOOLEAN, created DATETIME, seen_ms DATETIME, born DATE, token TEXT, prefs JSON, age INTEGER, score REAL, note TEXT, avatar BLOB); INSERT INTO users VALUES (1, 'yes', '2024-01-01 10:00:00', 1700000000000, '1990-05-17', '6f9619ff-8b86-d011-b42d-00c04fc964ff', '{\"theme\": \"dark\"}', 31, 2.5, 'hello', x'00ff'); INSERT INTO users VALUES (2, 0, '2024-01-02T11:30:00', 1700000000123, '', '6F9619FF-8B86-D011-B42D-00C04FC964FE', '[1, 2]', '', 3, 42, NULL); INSERT INTO users VALUES (3, 't', 1704110400, 1700000001000, NULL, NULL, '{broken', 'unknown', -0.0, '', x'');"
CREATE SERVER app FOREIGN DATA WRAPPER liteport OPTIONS (database '/tmp/liteport_regress/app.db');
-- 1. What is really stored, and what would read it all.
SELECT column_name, declared_type, rows, nulls, integers, reals, texts, blobs, empty_strings,
       min_number, max_number, max_text_length, max_blob_length
  FROM liteport.profile('app', 'users') ORDER BY column_name;
SELECT column_name, boolean_share, iso_date_share, iso_timestamp_share, epoch_s_share, epoch_ms_share, uuid_text_share, json_share
  FROM liteport.profile('app', 'users') ORDER BY column_name;
SELECT column_name, suggested_type, suggested_options, reason
  FROM liteport.profile('app', 'users') ORDER BY column_name;
SELECT count(*) FROM liteport.profile('app', 'nosuch');
\echo :LAST_ERROR_SQLSTATE
-- 2. The three import modes.
CREATE SCHEMA declared; CREATE SCHEMA inferred; CREATE SCHEMA raw;
IMPORT FOREIGN SCHEMA main FROM SERVER app INTO declared;
IMPORT FOREIGN SCHEMA main FROM SERVER app INTO inferred OPTIONS (types 'inferred');
IMPORT FOREIGN SCHEMA main FROM SERVER app INTO raw OPTIONS (types 'text');
IMPORT FOREIGN SCHEMA main FROM SERVER app INTO raw OPTIONS (types 'guessed');
\echo :LAST_ERROR_SQLSTATE
IMPORT FOREIGN SCHEMA main FROM SERVER app INTO raw OPTIONS (kinds 'text');
\echo :LAST_ERROR_SQLSTATE
SELECT n.nspname, a.attname, format_type(a.atttypid, a.atttypmod) AS type, a.attnotnull, array_to_string(a.attfdwoptions, ', ') AS options
  FROM pg_attribute a JOIN pg_class c ON c.oid = a.attrelid JOIN pg_namespace n ON n.oid = c.relnamespace
 WHERE c.relname = 'users' AND a.attnum > 0 AND n.nspname IN ('inferred', 'raw') ORDER BY n.nspname, a.attnum;
-- The declared mapping fails on the messy values; inferred and raw read every row.
SELECT * FROM declared.users;
\echo :LAST_ERROR_SQLSTATE
SELECT * FROM inferred.users ORDER BY id;
SELECT * FROM raw.users ORDER BY id;
-- 3. Column options steer conversion.
CREATE FOREIGN TABLE seen (id bigint, seen_ms timestamptz OPTIONS (epoch_unit 'ms'), created timestamptz OPTIONS (timezone 'America/New_York'))
    SERVER app OPTIONS (table 'users');
SELECT * FROM seen ORDER BY id;
-- Without the option, numbers are read by magnitude (auto): milliseconds stay 2023,
-- not the year 55,840 that reading them as seconds would give.
CREATE FOREIGN TABLE seen_auto (seen_ms timestamp) SERVER app OPTIONS (table 'users');
SELECT * FROM seen_auto;
CREATE FOREIGN TABLE seen_seconds (seen_ms timestamp OPTIONS (epoch_unit 's')) SERVER app OPTIONS (table 'users');
SELECT * FROM seen_seconds;
CREATE FOREIGN TABLE ages (id bigint, age text OPTIONS (empty_as_null 'true'), note text OPTIONS (empty_as_null 'yes')) SERVER app OPTIONS (table 'users');
SELECT * FROM ages ORDER BY id;
-- empty_as_null hides nothing else: 'unknown' in an integer column is still an error.
CREATE FOREIGN TABLE ages_int (id bigint, age integer OPTIONS (empty_as_null 'true')) SERVER app OPTIONS (table 'users');
SELECT * FROM ages_int ORDER BY id;
\echo :LAST_ERROR_SQLSTATE
CREATE FOREIGN TABLE bad_opt (a int OPTIONS (epoch_unit 'hours')) SERVER app;
\echo :LAST_ERROR_SQLSTATE
CREATE FOREIGN TABLE bad_opt (a int OPTIONS (empty_as_null 'maybe')) SERVER app;
\echo :LAST_ERROR_SQLSTATE
CREATE FOREIGN TABLE bad_opt (a timestamptz OPTIONS (timezone 'Mars/Olympus')) SERVER app;
\echo :LAST_ERROR_SQLSTATE
CREATE FOREIGN TABLE julian (d timestamp OPTIONS (epoch_unit 'julian')) SERVER app OPTIONS (table 'j');
\! sqlite3 /tmp/liteport_regress/app.db "CREATE TABLE j(d REAL); INSERT INTO j VALUES (julianday('2024-01-01 12:00:00')), (2460311.25), ('2460311.5');"
SELECT * FROM julian;
-- 4. Coercion helpers: strict, lenient, and the epoch units.
SELECT v, liteport.to_boolean(v) FROM unnest(ARRAY['t', ' YES ', 'off', '0']) v;
SELECT v, liteport.try_to_boolean(v) FROM unnest(ARRAY['n', 'maybe', '']) v;
SELECT liteport.to_boolean('maybe');
\echo :LAST_ERROR_SQLSTATE
SELECT v, liteport.to_timestamptz(v) FROM unnest(ARRAY['1700000000', '1700000000000', '1700000000000000', '1700000000.5', '2024-01-01 10:00', '2024-01-01T10:00:00+02:00']) v;
SELECT liteport.to_timestamp('2460311.0', 'julian'), liteport.to_timestamp('1700000000000', 'ms'), liteport.to_timestamp('2024-01-01T10:00:00Z');
SELECT liteport.to_timestamp('0000-00-00');
\echo :LAST_ERROR_SQLSTATE
SELECT liteport.try_to_timestamp('0000-00-00'), liteport.try_to_date('2024-02-30'), liteport.try_to_timestamptz('9999999999999999999');
SELECT liteport.to_date('2024-02-30');
\echo :LAST_ERROR_SQLSTATE
SELECT liteport.to_date('1704067200'), liteport.to_date('2024-02-29'), liteport.to_date('2024-02-29 00:00:00');
SELECT liteport.to_date('1704110400');
\echo :LAST_ERROR_SQLSTATE
SELECT liteport.to_timestamp('1', 'hours');
\echo :LAST_ERROR_SQLSTATE
SELECT liteport.to_uuid('6F9619FF-8B86-D011-B42D-00C04FC964FF'), liteport.to_uuid('\x6f9619ff8b86d011b42d00c04fc964ff'::bytea);
SELECT liteport.to_uuid('\x00ff'::bytea);
\echo :LAST_ERROR_SQLSTATE
SELECT liteport.try_to_uuid('not-a-uuid'), liteport.try_to_uuid('\x00'::bytea);
SELECT liteport.to_jsonb('{"b": 1, "a": [1.50, 12345678901234567890]}'), liteport.try_to_jsonb('{broken');
SELECT liteport.to_jsonb('{broken');
\echo :LAST_ERROR_SQLSTATE
SELECT liteport.to_numeric(' 1.50 '), liteport.to_numeric('-1e-3'), liteport.try_to_numeric('abc'), liteport.try_to_numeric('1e999999');
SELECT liteport.to_numeric('NaN');
\echo :LAST_ERROR_SQLSTATE
SELECT liteport.to_bigint('9223372036854775807'), liteport.to_bigint(' -42.000 '), liteport.try_to_bigint('42.5'), liteport.try_to_bigint('9223372036854775808');
SELECT liteport.to_bigint('9223372036854775808');
\echo :LAST_ERROR_SQLSTATE
SELECT liteport.to_bigint('1e3');
\echo :LAST_ERROR_SQLSTATE
-- NULL in, NULL out (the functions are STRICT).
SELECT liteport.to_date(NULL), liteport.to_boolean(NULL);
-- 5. The staging pattern: raw text in, coerced in INSERT ... SELECT, bad values kept visible.
CREATE TABLE users_clean (id bigint PRIMARY KEY, active boolean, created timestamp, seen timestamptz, age int, prefs jsonb);
INSERT INTO users_clean
SELECT liteport.to_bigint(id), liteport.to_boolean(active), liteport.to_timestamp(created), liteport.to_timestamptz(seen_ms, 'ms'),
       liteport.try_to_bigint(nullif(age, '')), liteport.try_to_jsonb(prefs)
  FROM raw.users;
SELECT * FROM users_clean ORDER BY id;
SELECT id, prefs FROM raw.users WHERE liteport.try_to_jsonb(prefs) IS NULL AND prefs IS NOT NULL;
