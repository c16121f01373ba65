-- liteport.migrate chooses each column's type from a survey of every stored value
-- (a declared INTEGER that holds 'abc' becomes text). Where a table takes the bulk
-- path, the load itself checks each value by the survey's rule instead of a pass
-- before it, and the first value that fails rolls the migration back and runs it
-- again on a full survey. Whichever way it goes, the tables are the ones
-- liteport.plan shows: these tests compare them, with read-ahead on and off, a value
-- the read-ahead thread leaves to the backend (over 1 MB), a large object, and a
-- failure after other tables were loaded.
\! sqlite3 /tmp/liteport_regress/survey.db "CREATE TABLE a_clean(id INTEGER PRIMARY KEY, n INTEGER, at DATETIME, s TEXT); WITH RECURSIVE r(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM r WHERE i < 3000) INSERT INTO a_clean SELECT i, i * 7, printf('2024-01-%02d 10:00:00', i % 28 + 1), 'row ' || i FROM r;"
\! sqlite3 /tmp/liteport_regress/survey.db "CREATE TABLE b_late(id INTEGER PRIMARY KEY, n INTEGER, at DATETIME, ok BOOLEAN); WITH RECURSIVE r(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM r WHERE i < 3000) INSERT INTO b_late SELECT i, CASE WHEN i = 2500 THEN 'abc' ELSE i END, CASE WHEN i = 1700 THEN '2024-13-45' ELSE printf('2024-02-%02d', i % 28 + 1) END, i % 2 FROM r;"
\! sqlite3 /tmp/liteport_regress/survey.db "CREATE TABLE c_direct(id INTEGER PRIMARY KEY, n REAL, big TEXT); WITH RECURSIVE r(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM r WHERE i < 2000) INSERT INTO c_direct SELECT i, i / 4.0, CASE WHEN i = 1200 THEN hex(zeroblob(700000)) ELSE 'x' END FROM r; UPDATE c_direct SET n = 'not a number' WHERE id = 1200;"
\! sqlite3 /tmp/liteport_regress/survey.db "CREATE TABLE d_text(id INTEGER PRIMARY KEY, t TEXT); INSERT INTO d_text VALUES (1, 'fine'), (2, CAST(x'6361fe' AS TEXT)), (3, 'also fine');"
CREATE SERVER survey FOREIGN DATA WRAPPER liteport OPTIONS (database '/tmp/liteport_regress/survey.db');
-- What the plan chooses (every value surveyed before anything runs).
SELECT object, regexp_replace(sql, '\s+', ' ', 'g') AS create_table FROM liteport.plan('survey', 'planned') WHERE kind = 'create table' ORDER BY object;
-- The migrations, each into its own schema; columns compared with the plan's.
CREATE SCHEMA ra_on; CREATE SCHEMA ra_off; CREATE SCHEMA one_table; CREATE SCHEMA clean_only;
SET client_min_messages = warning;
SELECT table_name, rows_copied, status FROM liteport.migrate('survey', 'ra_on') ORDER BY 1;
SET liteport.read_ahead = off;
SELECT table_name, rows_copied FROM liteport.migrate('survey', 'ra_off') ORDER BY 1;
RESET liteport.read_ahead;
SELECT table_name, rows_copied FROM liteport.migrate('survey', 'one_table', '{"tables": ["b_late"]}');
SELECT table_name, rows_copied FROM liteport.migrate('survey', 'clean_only', '{"tables": ["a_clean"]}');
RESET client_min_messages;
CREATE FUNCTION pg_temp.columns_of(s text) RETURNS TABLE (table_name text, columns text) LANGUAGE sql AS $$
  SELECT c.table_name::text, string_agg(c.column_name || ' ' || c.data_type, ', ' ORDER BY c.ordinal_position)
    FROM information_schema.columns c WHERE c.table_schema = s GROUP BY c.table_name $$;
SELECT * FROM pg_temp.columns_of('ra_on') ORDER BY 1;
-- Every schema holds the same tables as the first, with the plan's types.
SELECT s, count(*) AS tables, bool_and(o.columns = r.columns) AS same_columns
  FROM unnest(ARRAY['ra_off', 'one_table', 'clean_only']) s, pg_temp.columns_of(s) o JOIN pg_temp.columns_of('ra_on') r USING (table_name) GROUP BY s ORDER BY s;
-- The plan's own CREATE TABLE statements, run: the same columns.
CREATE SCHEMA planned;
DO $$
DECLARE step record;
BEGIN
  FOR step IN SELECT sql FROM liteport.plan('survey', 'planned') WHERE kind = 'create table' LOOP
    EXECUTE step.sql;
  END LOOP;
END $$;
SELECT count(*) AS tables, bool_and(o.columns = r.columns) AS same_columns_as_planned FROM pg_temp.columns_of('planned') o JOIN pg_temp.columns_of('ra_on') r USING (table_name);
-- Every row once (the rolled-back first attempt left none), every value as stored.
SELECT (SELECT count(*) FROM ra_on.b_late) AS b_late_rows, (SELECT count(DISTINCT id) FROM ra_on.b_late) AS distinct_ids,
       (SELECT n FROM ra_on.b_late WHERE id = 2500) AS n_2500, (SELECT at FROM ra_on.b_late WHERE id = 1700) AS at_1700,
       (SELECT n FROM ra_on.c_direct WHERE id = 1200) AS n_1200, (SELECT length(big) FROM ra_on.c_direct WHERE id = 1200) AS big_1200;
SELECT table_name, source_rows, target_rows, matches FROM liteport.verify('survey', 'ra_on') ORDER BY 1;
SELECT table_name, matches FROM liteport.verify('survey', 'ra_off') ORDER BY 1;
-- The same file as a large object (read on the backend's own thread).
SELECT lo_from_bytea(0, pg_read_binary_file('/tmp/liteport_regress/survey.db')) AS survey_oid \gset
CREATE SERVER survey_lo FOREIGN DATA WRAPPER liteport OPTIONS (large_object :'survey_oid');
CREATE SCHEMA from_lo;
SET client_min_messages = warning;
SELECT count(*) AS tables FROM liteport.migrate('survey_lo', 'from_lo');
RESET client_min_messages;
SELECT bool_and(o.columns = r.columns) AS same_columns_as_the_file FROM pg_temp.columns_of('from_lo') o JOIN pg_temp.columns_of('ra_on') r USING (table_name);
SELECT bool_and(matches) AS all_match FROM liteport.verify('survey_lo', 'from_lo');
-- An ERROR inside the attempt comes out as it was raised (code, message, detail,
-- hint), nothing of the attempt is left, and the session goes on normally.
CREATE FUNCTION pg_temp.no_staging() RETURNS event_trigger LANGUAGE plpgsql AS $$
BEGIN
  RAISE EXCEPTION 'no foreign tables today' USING ERRCODE = 'check_violation', DETAIL = 'raised by an event trigger', HINT = 'drop the trigger';
END $$;
CREATE EVENT TRIGGER no_staging ON ddl_command_end WHEN TAG IN ('CREATE FOREIGN TABLE') EXECUTE FUNCTION pg_temp.no_staging();
CREATE SCHEMA refused;
SELECT count(*) FROM liteport.migrate('survey', 'refused');
\echo :LAST_ERROR_SQLSTATE
DROP EVENT TRIGGER no_staging;
SELECT count(*) AS tables_left_behind FROM pg_tables WHERE schemaname = 'refused';
BEGIN;
SAVEPOINT before;
SET LOCAL client_min_messages = warning;
SELECT count(*) AS tables FROM liteport.migrate('survey', 'refused');
ROLLBACK TO SAVEPOINT before;
SELECT count(*) AS tables_after_rollback_to FROM pg_tables WHERE schemaname = 'refused';
COMMIT;
-- Reject mode keeps the declared types (the survey does not look for such values)
-- and files the rows instead, as before.
CREATE SCHEMA rejecting;
SET client_min_messages = warning;
SELECT table_name, rows_copied, rows_rejected FROM liteport.migrate('survey', 'rejecting', '{"on_error": "reject"}') ORDER BY 1;
RESET client_min_messages;
SELECT * FROM pg_temp.columns_of('rejecting') ORDER BY 1;
SELECT source_table, rowid, sqlstate FROM liteport.rejects WHERE server = 'survey' ORDER BY 1, 2;
DELETE FROM liteport.rejects WHERE server = 'survey';
DROP SCHEMA planned, ra_on, ra_off, one_table, clean_only, from_lo, refused, rejecting CASCADE;
SELECT lo_unlink(:'survey_oid');
DROP SERVER survey, survey_lo CASCADE;
