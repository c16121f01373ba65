-- Pushdown returns exactly Postgres's result whatever SQLite stores: each case below
-- once returned other rows than the same query over a local copy. The foreign table
-- and its copy must agree.
\set SHOW_CONTEXT never
\pset null '(null)'
CREATE SCHEMA px;
CREATE FUNCTION px.same(query text) RETURNS text LANGUAGE plpgsql AS $$
DECLARE foreign_rows text; local_rows text;
BEGIN
    EXECUTE format('SELECT string_agg(x::text, '','') FROM (%s) AS q(x)', query) INTO foreign_rows;
    EXECUTE format('SELECT string_agg(x::text, '','') FROM (%s) AS q(x)', replace(query, 'px.f_', 'px.l_')) INTO local_rows;
    RETURN CASE WHEN foreign_rows IS NOT DISTINCT FROM local_rows THEN 'same: ' || coalesce(foreign_rows, '(none)')
                ELSE 'DIFFERENT: foreign ' || coalesce(foreign_rows, '(none)') || ' local ' || coalesce(local_rows, '(none)') END;
END $$;

-- 1. NaN as a value (SQLite would bind it as NULL).
\! sqlite3 /tmp/liteport_regress/px.db "CREATE TABLE r(id INTEGER PRIMARY KEY, r REAL); INSERT INTO r VALUES (1, 1.5), (2, -3.0), (3, NULL);"
CREATE SERVER px FOREIGN DATA WRAPPER liteport OPTIONS (database '/tmp/liteport_regress/px.db');
CREATE FOREIGN TABLE px.f_r (id bigint, r float8) SERVER px OPTIONS (table 'r');
CREATE TABLE px.l_r AS SELECT * FROM px.f_r;
SELECT q, px.same(q) FROM (VALUES
    ($$SELECT id FROM px.f_r WHERE r <> 'NaN'::float8 ORDER BY id$$),
    ($$SELECT id FROM px.f_r WHERE r < 'NaN'::float8 ORDER BY id$$),
    ($$SELECT id FROM px.f_r WHERE r >= 'NaN'::float8 ORDER BY id$$),
    ($$SELECT id FROM px.f_r WHERE NOT (r = 'NaN'::float8) ORDER BY id$$),
    ($$SELECT id FROM px.f_r WHERE r NOT IN ('NaN'::float8, 7) ORDER BY id$$),
    ($$SELECT id FROM px.f_r WHERE r < 'NaN'::real ORDER BY id$$)
  ) v(q);
PREPARE nan_param(float8) AS SELECT id FROM px.f_r WHERE r <> $1 ORDER BY id;
SET plan_cache_mode = force_generic_plan;
EXECUTE nan_param('NaN');
SET plan_cache_mode = force_custom_plan;
EXECUTE nan_param('NaN');
RESET plan_cache_mode;
-- ... and as the outer value of a parameterized nested loop.
CREATE TABLE px.nans (v float8);
INSERT INTO px.nans VALUES ('NaN'), (1.5);
SET enable_hashjoin = off;
SET enable_mergejoin = off;
SELECT n.v, f.id FROM px.nans n JOIN px.f_r f ON f.r < n.v ORDER BY 1, 2;
SELECT n.v, l.id FROM px.nans n JOIN px.l_r l ON l.r < n.v ORDER BY 1, 2;
RESET enable_hashjoin;
RESET enable_mergejoin;

-- 2. Infinity and NaN stored as TEXT in a REAL column (SQLite compares text above
-- every number; Postgres reads them as floats).
\! sqlite3 /tmp/liteport_regress/px.db "CREATE TABLE t(id INTEGER PRIMARY KEY, r REAL); INSERT INTO t VALUES (1, '-Infinity'), (2, 'NaN'), (3, 1.5), (4, 'inf');"
CREATE FOREIGN TABLE px.f_t (id bigint, r float8) SERVER px OPTIONS (table 't');
CREATE TABLE px.l_t AS SELECT * FROM px.f_t;
SELECT q, px.same(q) FROM (VALUES
    ($$SELECT id FROM px.f_t WHERE r < 0$$),
    ($$SELECT id FROM px.f_t WHERE r = 'Infinity'::float8$$),
    ($$SELECT id FROM px.f_t ORDER BY r$$)
  ) v(q);

-- 3. A blob in a TEXT column (SQLite never equals a blob to text; Postgres reads its bytes).
\! sqlite3 /tmp/liteport_regress/px.db "CREATE TABLE b(id INTEGER PRIMARY KEY, s TEXT); INSERT INTO b VALUES (1, 'abc'), (2, X'616263'), (3, 'b'); CREATE INDEX b_s ON b(s);"
CREATE FOREIGN TABLE px.f_b (id bigint, s text) SERVER px OPTIONS (table 'b');
CREATE TABLE px.l_b AS SELECT * FROM px.f_b;
SELECT q, px.same(q) FROM (VALUES
    ($$SELECT id FROM px.f_b WHERE s = 'abc' ORDER BY id$$),
    ($$SELECT id FROM px.f_b WHERE s COLLATE "C" < 'b' ORDER BY id$$),
    ($$SELECT id FROM px.f_b WHERE s LIKE 'ab%' ORDER BY id$$),
    ($$SELECT id FROM px.f_b ORDER BY s COLLATE "C", id$$)
  ) v(q);

-- 4. An ANY column of a STRICT table keeps text as text.
\! sqlite3 /tmp/liteport_regress/px.db "CREATE TABLE a(id INTEGER PRIMARY KEY, a ANY) STRICT; INSERT INTO a VALUES (1, 8), (2, '8'), (3, ' 8'), (4, '10');"
CREATE FOREIGN TABLE px.f_a (id bigint, a bigint) SERVER px OPTIONS (table 'a');
CREATE TABLE px.l_a AS SELECT * FROM px.f_a;
SELECT q, px.same(q) FROM (VALUES
    ($$SELECT id FROM px.f_a WHERE a = 8 ORDER BY id$$),
    ($$SELECT id FROM px.f_a ORDER BY a, id$$),
    ($$SELECT a || ':' || count(*) FROM px.f_a GROUP BY a ORDER BY a$$)
  ) v(q);

-- 7. FETCH FIRST ... WITH TIES needs every tied row.
\! sqlite3 /tmp/liteport_regress/px.db "CREATE TABLE w(id INTEGER PRIMARY KEY, a INTEGER, b INTEGER) STRICT; INSERT INTO w VALUES (1, 1, 0), (2, 2, 0), (3, 3, 0), (4, 4, 1);"
CREATE FOREIGN TABLE px.f_w (id bigint, a bigint, b bigint) SERVER px OPTIONS (table 'w');
CREATE TABLE px.l_w AS SELECT * FROM px.f_w;
SELECT q, px.same(q) FROM (VALUES
    ($$SELECT id FROM (SELECT id FROM px.f_w ORDER BY b FETCH FIRST 1 ROW WITH TIES) s ORDER BY id$$),
    ($$SELECT id FROM px.f_w ORDER BY a LIMIT 2$$)
  ) v(q);
EXPLAIN (VERBOSE, COSTS OFF) SELECT id FROM px.f_w ORDER BY a FETCH FIRST 1 ROW WITH TIES;
EXPLAIN (VERBOSE, COSTS OFF) SELECT id FROM px.f_w ORDER BY a LIMIT 2;

-- A merge join fed by a foreign scan: never out of order.
SET enable_hashjoin = off;
SET enable_nestloop = off;
SELECT f.id, l.id FROM px.f_t f JOIN px.l_t l ON f.r = l.r ORDER BY 1;
RESET enable_hashjoin;
RESET enable_nestloop;

-- Cases 5 (ICU collations) and 6 (liteport.nocase, an ICU collation) are in
-- collation_icu.sql: a PostgreSQL built without ICU cannot run them.

-- count(*) with every filter evaluated by SQLite is SQLite's count: the rows are never
-- read. It equals the count over a local copy; a filter Postgres must check (a guarded
-- LIKE, a column holding other storage classes) keeps the count in Postgres.
\! sqlite3 /tmp/liteport_regress/cnt.db "CREATE TABLE t(id INTEGER PRIMARY KEY, n INTEGER, s TEXT); WITH RECURSIVE c(k) AS (SELECT 1 UNION ALL SELECT k+1 FROM c WHERE k < 1000) INSERT INTO t SELECT k, k % 10, 'x' || k FROM c; INSERT INTO t VALUES (1001, 'abc', NULL);"
CREATE SERVER cnt FOREIGN DATA WRAPPER liteport OPTIONS (database '/tmp/liteport_regress/cnt.db');
CREATE FOREIGN TABLE cnt_t (id bigint, n text, s text) SERVER cnt OPTIONS (table 't');
CREATE TABLE cnt_local AS SELECT * FROM cnt_t;
EXPLAIN (VERBOSE, COSTS OFF) SELECT count(*) FROM cnt_t WHERE id > 500;
SELECT (SELECT count(*) FROM cnt_t) AS foreign_all, (SELECT count(*) FROM cnt_local) AS local_all,
       (SELECT count(*) FROM cnt_t WHERE id > 500) AS foreign_half, (SELECT count(*) FROM cnt_local WHERE id > 500) AS local_half,
       (SELECT count(*) FROM cnt_t WHERE id IS NULL) AS foreign_none, (SELECT count(*) FROM cnt_local WHERE id IS NULL) AS local_none;
EXPLAIN (VERBOSE, COSTS OFF) SELECT count(*) FROM cnt_t WHERE s LIKE 'x1%';
SELECT (SELECT count(*) FROM cnt_t WHERE s LIKE 'x1%') AS foreign_like, (SELECT count(*) FROM cnt_local WHERE s LIKE 'x1%') AS local_like;
PREPARE cnt_q(bigint) AS SELECT count(*) FROM cnt_t WHERE id < $1;
EXECUTE cnt_q(10); EXECUTE cnt_q(20); EXECUTE cnt_q(30); EXECUTE cnt_q(40); EXECUTE cnt_q(50); EXECUTE cnt_q(60);
EXPLAIN (VERBOSE, COSTS OFF) EXECUTE cnt_q(70);
DEALLOCATE cnt_q;
-- min and max of a column that holds only integers (the rowid alias; a STRICT
-- table's INTEGER) or only REALs go to SQLite too; of any other column they do not.
\! sqlite3 /tmp/liteport_regress/cnt.db "CREATE TABLE s(id INTEGER PRIMARY KEY, n INTEGER, r REAL, any_n ANY) STRICT; INSERT INTO s VALUES (5, -7, 2.5, 1), (9, 40, -0.125, 'x'), (12, NULL, NULL, 3);"
CREATE FOREIGN TABLE cnt_s (id bigint, n bigint, r float8, any_n text) SERVER cnt OPTIONS (table 's');
CREATE TABLE cnt_s_local AS SELECT * FROM cnt_s;
EXPLAIN (VERBOSE, COSTS OFF) SELECT min(id), max(id), min(n), max(r), count(*) FROM cnt_s WHERE id > 6;
SELECT (SELECT row(min(id), max(id), min(n), max(n), min(r), max(r), count(*))::text FROM cnt_s WHERE id > 6) AS foreign_rows,
       (SELECT row(min(id), max(id), min(n), max(n), min(r), max(r), count(*))::text FROM cnt_s_local WHERE id > 6) AS local_rows;
SELECT (SELECT row(max(id), min(r))::text FROM cnt_s WHERE id > 100) AS foreign_empty, (SELECT row(max(id), min(r))::text FROM cnt_s_local WHERE id > 100) AS local_empty;
EXPLAIN (VERBOSE, COSTS OFF) SELECT max(any_n) FROM cnt_s;
EXPLAIN (VERBOSE, COSTS OFF) SELECT max(id) FROM cnt_t;
SELECT (SELECT max(id) FROM cnt_t) AS foreign_max, (SELECT max(id) FROM cnt_local) AS local_max;
DROP TABLE cnt_local, cnt_s_local;
DROP SERVER cnt CASCADE;
