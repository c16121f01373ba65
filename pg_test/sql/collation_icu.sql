-- Pushdown under ICU collations (needs a PostgreSQL built with ICU; without it the
-- file is skipped, which the alternative output collation_icu_1.out shows).
\set SHOW_CONTEXT never
\pset null '(null)'
-- (initdb imports the "-x-icu" collations only when built with ICU; "unicode" exists regardless)
SELECT EXISTS (SELECT FROM pg_catalog.pg_collation WHERE collprovider = 'i' AND collname LIKE '%-x-icu') AS has_icu \gset
\if :has_icu
CREATE SCHEMA pxi;
CREATE FUNCTION pxi.same(query text) RETURNS text LANGUAGE plpgsql AS $$
DECLARE foreign_rows text; local_rows text;
BEGIN
    EXECUTE format('SELECT string_agg(x::text, '','') FROM (%s) AS q(x)', query) INTO foreign_rows;
    EXECUTE format('SELECT string_agg(x::text, '','') FROM (%s) AS q(x)', replace(query, 'pxi.f_', 'pxi.l_')) INTO local_rows;
    RETURN CASE WHEN foreign_rows IS NOT DISTINCT FROM local_rows THEN 'same: ' || coalesce(foreign_rows, '(none)')
                ELSE 'DIFFERENT: foreign ' || coalesce(foreign_rows, '(none)') || ' local ' || coalesce(local_rows, '(none)') END;
END $$;
CREATE SERVER pxi FOREIGN DATA WRAPPER liteport OPTIONS (database '/tmp/liteport_regress/pxi.db');
-- 5. A database whose default collation is ICU (its LC_COLLATE may still say C.UTF-8):
-- shown here with an ICU collation on the column.
CREATE COLLATION pxi.en_icu (provider = icu, locale = 'en-US');
\! sqlite3 /tmp/liteport_regress/pxi.db "CREATE TABLE c(id INTEGER PRIMARY KEY, s TEXT) STRICT; INSERT INTO c VALUES (1, 'a'), (2, 'B'), (3, 'b');"
CREATE FOREIGN TABLE pxi.f_c (id bigint, s text COLLATE pxi.en_icu) SERVER pxi OPTIONS (table 'c');
CREATE TABLE pxi.l_c (id bigint, s text COLLATE pxi.en_icu);
INSERT INTO pxi.l_c SELECT * FROM pxi.f_c;
SELECT q, pxi.same(q) FROM (VALUES
    ($$SELECT id FROM pxi.f_c WHERE s < 'b' ORDER BY id$$),
    ($$SELECT id FROM pxi.f_c ORDER BY s LIMIT 1$$)
  ) v(q);
EXPLAIN (VERBOSE, COSTS OFF) SELECT id FROM pxi.f_c ORDER BY s LIMIT 1;

-- 6. LIKE under a nondeterministic collation: Postgres refuses it, so must the foreign table.
CREATE FOREIGN TABLE pxi.f_nocase (id bigint, s text COLLATE liteport.nocase) SERVER pxi OPTIONS (table 'c');
SELECT id FROM pxi.f_nocase WHERE s LIKE 'a%';
\echo :LAST_ERROR_SQLSTATE

-- 5 again, exactly as reported: a database created with an ICU default collation and
-- LC_COLLATE C.UTF-8. Its default collation is not byte order: nothing is sorted or
-- range-compared by SQLite.
CREATE DATABASE px_icu TEMPLATE template0 LOCALE_PROVIDER icu ICU_LOCALE 'en-US' LOCALE 'C.UTF-8';
\c px_icu
SET client_min_messages = warning;
CREATE EXTENSION liteport;
RESET client_min_messages;
CREATE SERVER pxi FOREIGN DATA WRAPPER liteport OPTIONS (database '/tmp/liteport_regress/pxi.db');
CREATE FOREIGN TABLE f_c (id bigint, s text) SERVER pxi OPTIONS (table 'c');
CREATE TABLE l_c AS SELECT * FROM f_c;
SELECT (SELECT string_agg(id::text, ',' ORDER BY id) FROM f_c WHERE s < 'b') AS foreign_rows,
       (SELECT string_agg(id::text, ',' ORDER BY id) FROM l_c WHERE s < 'b') AS local_rows;
SELECT (SELECT id FROM f_c ORDER BY s LIMIT 1) AS foreign_first, (SELECT id FROM l_c ORDER BY s LIMIT 1) AS local_first;
EXPLAIN (VERBOSE, COSTS OFF) SELECT id FROM f_c WHERE s < 'b';
\c liteport_regress
DROP DATABASE px_icu;
\else
\echo 'this PostgreSQL is built without ICU: nothing to test'
\endif
