-- What goes down to SQLite (EXPLAIN VERBOSE shows it) and proof that the result is
-- the same as Postgres filtering and ordering a local copy of the same rows.
\set SHOW_CONTEXT never
\pset null '(null)'
\! sqlite3 /tmp/liteport_regress/pushdown.db < pg_test/data/pushdown.sql
CREATE SERVER pd FOREIGN DATA WRAPPER liteport OPTIONS (database '/tmp/liteport_regress/pushdown.db');
CREATE SCHEMA pd;
IMPORT FOREIGN SCHEMA main FROM SERVER pd INTO pd;
CREATE TABLE pd_local AS SELECT * FROM pd.m;
-- same(query over pd.m): true when the foreign table and the local copy give the same
-- rows (as multisets), with `m` replaced by the local copy.
CREATE FUNCTION same(q text) RETURNS boolean LANGUAGE plpgsql AS $$
DECLARE n bigint;
BEGIN
    EXECUTE format('SELECT count(*) FROM ((%s EXCEPT ALL %s) UNION ALL (%s EXCEPT ALL %s)) d',
                   q, replace(q, 'pd.m', 'pd_local'), replace(q, 'pd.m', 'pd_local'), q) INTO n;
    RETURN n = 0;
END $$;
CREATE FUNCTION remote(q text) RETURNS text LANGUAGE plpgsql AS $$
DECLARE line text; out text := '';
BEGIN
    FOR line IN EXECUTE 'EXPLAIN (VERBOSE, COSTS OFF) ' || q LOOP
        IF line ~ 'SQLite query|Filter' THEN out := out || trim(line) || E'\n'; END IF;
    END LOOP;
    RETURN rtrim(out, E'\n');
END $$;
SELECT q AS query, remote(q), same(q)
  FROM (VALUES
    ('SELECT id FROM pd.m WHERE n = 10'),
    ('SELECT id FROM pd.m WHERE n <> 10'),
    ('SELECT id FROM pd.m WHERE 30 <= n'),
    ('SELECT id FROM pd.m WHERE n BETWEEN -10 AND 30'),
    ('SELECT id FROM pd.m WHERE n > 9223372036854775806'),
    ('SELECT id FROM pd.m WHERE r < 2.5 OR n IS NULL'),
    ('SELECT id FROM pd.m WHERE r = 4'),
    ('SELECT id FROM pd.m WHERE n < 2.5'),
    ('SELECT id FROM pd.m WHERE n < 2.5::float8'),
    ('SELECT id FROM pd.m WHERE NOT (n = 30)'),
    ('SELECT id FROM pd.m WHERE n IN (10, 50, NULL)'),
    ('SELECT id FROM pd.m WHERE n IS NOT NULL AND r IS NULL'),
    ('SELECT id FROM pd.m WHERE s = ''apple'''),
    ('SELECT id FROM pd.m WHERE s <> ''apple'''),
    ('SELECT id FROM pd.m WHERE s COLLATE "C" >= ''a'''),
    ('SELECT id FROM pd.m WHERE s LIKE ''a%'''),
    ('SELECT id FROM pd.m WHERE s LIKE ''a\_b'''),
    ('SELECT id FROM pd.m WHERE s LIKE ''%*[x]?'''),
    ('SELECT id FROM pd.m WHERE s NOT LIKE ''%e%'''),
    ('SELECT id FROM pd.m WHERE s ILIKE ''A%'''),
    ('SELECT id FROM pd.m WHERE nc = ''apple'''),
    ('SELECT id FROM pd.m WHERE at > ''2024-01-01'''),
    ('SELECT id FROM pd.m WHERE at IS NULL'),
    ('SELECT id FROM pd.m WHERE abs(n) = 7')
  ) v(q);
-- ORDER BY keeps Postgres's NULL placement; LIMIT goes down with it.
CREATE FUNCTION ids(q text) RETURNS bigint[] LANGUAGE plpgsql AS $$
DECLARE r bigint[];
BEGIN
    EXECUTE 'SELECT array_agg(id) FROM (' || q || ') x' INTO r;
    RETURN r;
END $$;
SELECT q AS query, remote(q), ids(q), ids(q) = ids(replace(q, 'pd.m', 'pd_local')) AS same_order
  FROM (VALUES
    ('SELECT id FROM pd.m ORDER BY n, id'),
    ('SELECT id FROM pd.m ORDER BY n DESC, id'),
    ('SELECT id FROM pd.m ORDER BY n NULLS FIRST, r DESC NULLS LAST, id LIMIT 4'),
    ('SELECT id FROM pd.m WHERE n > 0 ORDER BY r DESC, id LIMIT 2 OFFSET 1'),
    ('SELECT id FROM pd.m ORDER BY s COLLATE "C", id LIMIT 3'),
    ('SELECT id FROM pd.m ORDER BY at, id LIMIT 3'),
    ('SELECT id FROM pd.m WHERE at IS NOT NULL ORDER BY id LIMIT 2')
  ) v(q);
-- Query parameters, in custom and generic plans.
PREPARE by_n(int) AS SELECT id FROM pd.m WHERE n = $1 ORDER BY id;
EXECUTE by_n(30);
SET plan_cache_mode = force_generic_plan;
EXPLAIN (VERBOSE, COSTS OFF) EXECUTE by_n(30);
EXECUTE by_n(10);
EXECUTE by_n(NULL);
-- A value computed from parameters (no column, nothing volatile) is bound once per
-- scan like a parameter: generic plans of PL/pgSQL lookups go down too.
PREPARE by_expr(int, text) AS SELECT id FROM pd.m WHERE n = $1 * 10 + 0 AND s >= $2 || 'a' ORDER BY id;
EXPLAIN (VERBOSE, COSTS OFF) EXECUTE by_expr(3, '');
EXECUTE by_expr(3, '');
EXECUTE by_expr(NULL, '');
SELECT id FROM pd_local WHERE n = 3 * 10 + 0 AND s >= '' || 'a' ORDER BY id;
CREATE FUNCTION pd_lookups(ks int[]) RETURNS TABLE (foreign_ids text, local_ids text) LANGUAGE plpgsql AS $$
DECLARE k int; r record;
BEGIN
  foreign_ids := ''; local_ids := '';
  FOREACH k IN ARRAY ks LOOP
    FOR r IN SELECT id FROM pd.m WHERE n = (k * 10)::bigint ORDER BY id LOOP foreign_ids := foreign_ids || r.id || ' '; END LOOP;
    FOR r IN SELECT id FROM pd_local WHERE n = (k * 10)::bigint ORDER BY id LOOP local_ids := local_ids || r.id || ' '; END LOOP;
  END LOOP;
  RETURN NEXT;
END $$;
-- Eleven lookups by one cached plan: after the first five, PL/pgSQL's generic plan,
-- with the computed value bound.
SELECT foreign_ids, foreign_ids = local_ids AS same FROM pd_lookups(ARRAY[1, 3, 5, 1, 3, 5, 1, 3, 5, 7, NULL]);
-- Volatile, or a column on both sides: Postgres filters.
EXPLAIN (VERBOSE, COSTS OFF) SELECT id FROM pd.m WHERE n < random() * 100;
RESET plan_cache_mode;
EXPLAIN (VERBOSE, COSTS OFF) SELECT id FROM pd.m WHERE n = id * 10;
-- Values from the outer side of a nested loop, looked up through SQLite's index.
SET enable_hashjoin = off;
SET enable_mergejoin = off;
CREATE TABLE wanted(k int);
INSERT INTO wanted VALUES (10), (30), (99);
ANALYZE wanted;
EXPLAIN (VERBOSE, COSTS OFF) SELECT k, id FROM wanted JOIN pd.m ON m.n = wanted.k;
SELECT k, id FROM wanted JOIN pd.m ON m.n = wanted.k ORDER BY k, id;
SELECT count(*) FROM (SELECT k, id FROM wanted JOIN pd.m ON m.n = wanted.k EXCEPT SELECT k, id FROM wanted JOIN pd_local m ON m.n = wanted.k) d;
RESET enable_hashjoin;
RESET enable_mergejoin;
-- Planner statistics: SQLite's own row counts, and ANALYZE of the foreign table.
ANALYZE pd.m;
SELECT attname, null_frac, n_distinct FROM pg_stats WHERE schemaname = 'pd' AND tablename = 'm' AND attname IN ('id', 'n', 's') ORDER BY attname;
SELECT reltuples FROM pg_class WHERE oid = 'pd.m'::regclass;
