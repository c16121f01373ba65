-- A plain role must never gain a superuser's rights through liteport. Here the role
-- mallory owns a schema that a superuser puts first on the search_path, ahead of
-- pg_catalog, and fills it with look-alikes of every function, operator, aggregate
-- and type liteport's SQL uses; each records that it ran and tries to make mallory a
-- superuser. Then the superuser uses every liteport feature, including running the
-- plan's SQL by hand. Nothing of mallory's may run.
\set SHOW_CONTEXT never
\pset null '(null)'
CREATE ROLE mallory;
CREATE SCHEMA evil AUTHORIZATION mallory;
CREATE TABLE evil.calls (what text);
GRANT INSERT ON evil.calls TO PUBLIC;
SET ROLE mallory;
CREATE FUNCTION evil.hijacked(what text) RETURNS boolean LANGUAGE plpgsql AS $$
BEGIN
    INSERT INTO evil.calls VALUES (what);
    BEGIN EXECUTE 'ALTER ROLE mallory SUPERUSER'; EXCEPTION WHEN OTHERS THEN NULL; END;
    RETURN true;
END $$;
-- Functions liteport's SQL calls, with the same signatures as pg_catalog's (which win
-- over pg_catalog's when pg_catalog comes later on the path) and better-matching ones.
CREATE FUNCTION evil.setval(regclass, bigint, boolean) RETURNS bigint LANGUAGE sql AS $$ SELECT CASE WHEN evil.hijacked('setval') THEN pg_catalog.setval($1, $2, $3) END $$;
CREATE FUNCTION evil.setval(text, bigint, boolean) RETURNS bigint LANGUAGE sql AS $$ SELECT CASE WHEN evil.hijacked('setval(text)') THEN pg_catalog.setval($1::regclass, $2, $3) END $$;
CREATE FUNCTION evil.pg_get_serial_sequence(text, text) RETURNS text LANGUAGE sql AS $$ SELECT CASE WHEN evil.hijacked('pg_get_serial_sequence') THEN pg_catalog.pg_get_serial_sequence($1, $2) END $$;
CREATE FUNCTION evil.array_position(smallint[], smallint) RETURNS integer LANGUAGE sql AS $$ SELECT CASE WHEN evil.hijacked('array_position') THEN pg_catalog.array_position($1, $2) END $$;
CREATE FUNCTION evil.to_regclass(text) RETURNS regclass LANGUAGE sql AS $$ SELECT CASE WHEN evil.hijacked('to_regclass') THEN pg_catalog.to_regclass($1) END $$;
CREATE FUNCTION evil.format_type(oid, integer) RETURNS text LANGUAGE sql AS $$ SELECT CASE WHEN evil.hijacked('format_type') THEN pg_catalog.format_type($1, $2) END $$;
CREATE FUNCTION evil.quote_ident(text) RETURNS text LANGUAGE sql AS $$ SELECT CASE WHEN evil.hijacked('quote_ident') THEN pg_catalog.quote_ident($1) END $$;
CREATE FUNCTION evil.now() RETURNS timestamptz LANGUAGE sql AS $$ SELECT CASE WHEN evil.hijacked('now') THEN pg_catalog.now() END $$;
CREATE FUNCTION evil.clock_timestamp() RETURNS timestamptz LANGUAGE sql AS $$ SELECT CASE WHEN evil.hijacked('clock_timestamp') THEN pg_catalog.clock_timestamp() END $$;
CREATE FUNCTION evil.lower(text) RETURNS text LANGUAGE sql AS $$ SELECT CASE WHEN evil.hijacked('lower') THEN pg_catalog.lower($1) END $$;
CREATE FUNCTION evil.upper(text) RETURNS text LANGUAGE sql AS $$ SELECT CASE WHEN evil.hijacked('upper') THEN pg_catalog.upper($1) END $$;
CREATE FUNCTION evil.length(text) RETURNS integer LANGUAGE sql AS $$ SELECT CASE WHEN evil.hijacked('length') THEN pg_catalog.length($1) END $$;
CREATE FUNCTION evil.length(bytea) RETURNS integer LANGUAGE sql AS $$ SELECT CASE WHEN evil.hijacked('length(bytea)') THEN pg_catalog.length($1) END $$;
CREATE FUNCTION evil.substr(text, integer, integer) RETURNS text LANGUAGE sql AS $$ SELECT CASE WHEN evil.hijacked('substr') THEN pg_catalog.substr($1, $2, $3) END $$;
CREATE FUNCTION evil.date_trunc(text, timestamp) RETURNS timestamp LANGUAGE sql AS $$ SELECT CASE WHEN evil.hijacked('date_trunc') THEN pg_catalog.date_trunc($1, $2) END $$;
CREATE FUNCTION evil.decode(text, text) RETURNS bytea LANGUAGE sql AS $$ SELECT CASE WHEN evil.hijacked('decode') THEN pg_catalog.decode($1, $2) END $$;
CREATE FUNCTION evil.lo_from_bytea(oid, bytea) RETURNS oid LANGUAGE sql AS $$ SELECT CASE WHEN evil.hijacked('lo_from_bytea') THEN pg_catalog.lo_from_bytea($1, $2) END $$;
CREATE FUNCTION evil.count_step(bigint) RETURNS bigint LANGUAGE sql AS $$ SELECT CASE WHEN evil.hijacked('count') THEN $1 + 1 END $$;
CREATE AGGREGATE evil.count(*) (sfunc = evil.count_step, stype = bigint, initcond = '0');
CREATE FUNCTION evil.max_step(bigint, bigint) RETURNS bigint LANGUAGE sql AS $$ SELECT CASE WHEN evil.hijacked('max') THEN greatest($1, $2) END $$;
CREATE AGGREGATE evil.max(bigint) (sfunc = evil.max_step, stype = bigint);
-- Operators.
CREATE FUNCTION evil.eq_regclass_oid(regclass, oid) RETURNS boolean LANGUAGE sql AS $$ SELECT evil.hijacked('=(regclass,oid)') AND $1::oid OPERATOR(pg_catalog.=) $2 $$;
CREATE OPERATOR evil.= (LEFTARG = regclass, RIGHTARG = oid, FUNCTION = evil.eq_regclass_oid);
CREATE FUNCTION evil.eq_oid(oid, oid) RETURNS boolean LANGUAGE sql AS $$ SELECT evil.hijacked('=(oid)') AND $1 OPERATOR(pg_catalog.=) $2 $$;
CREATE OPERATOR evil.= (LEFTARG = oid, RIGHTARG = oid, FUNCTION = evil.eq_oid);
CREATE FUNCTION evil.eq_text(text, text) RETURNS boolean LANGUAGE sql AS $$ SELECT evil.hijacked('=(text)') AND $1 OPERATOR(pg_catalog.=) $2 $$;
CREATE OPERATOR evil.= (LEFTARG = text, RIGHTARG = text, FUNCTION = evil.eq_text);
CREATE FUNCTION evil.eq_name(name, name) RETURNS boolean LANGUAGE sql AS $$ SELECT evil.hijacked('=(name)') AND $1 OPERATOR(pg_catalog.=) $2 $$;
CREATE OPERATOR evil.= (LEFTARG = name, RIGHTARG = name, FUNCTION = evil.eq_name);
CREATE FUNCTION evil.eq_int8(bigint, bigint) RETURNS boolean LANGUAGE sql AS $$ SELECT evil.hijacked('=(bigint)') AND $1 OPERATOR(pg_catalog.=) $2 $$;
CREATE OPERATOR evil.= (LEFTARG = bigint, RIGHTARG = bigint, FUNCTION = evil.eq_int8);
CREATE FUNCTION evil.ge_int8(bigint, bigint) RETURNS boolean LANGUAGE sql AS $$ SELECT evil.hijacked('>=(bigint)') AND $1 OPERATOR(pg_catalog.>=) $2 $$;
CREATE OPERATOR evil.>= (LEFTARG = bigint, RIGHTARG = bigint, FUNCTION = evil.ge_int8);
CREATE FUNCTION evil.ge_float8_int4(double precision, integer) RETURNS boolean LANGUAGE sql AS $$ SELECT evil.hijacked('>=(float8,int4)') AND $1 OPERATOR(pg_catalog.>=) $2 $$;
CREATE OPERATOR evil.>= (LEFTARG = double precision, RIGHTARG = integer, FUNCTION = evil.ge_float8_int4);
CREATE FUNCTION evil.gt_int8_int4(bigint, integer) RETURNS boolean LANGUAGE sql AS $$ SELECT evil.hijacked('>(int8,int4)') AND $1 OPERATOR(pg_catalog.>) $2 $$;
CREATE OPERATOR evil.> (LEFTARG = bigint, RIGHTARG = integer, FUNCTION = evil.gt_int8_int4);
CREATE FUNCTION evil.gt_int4(integer, integer) RETURNS boolean LANGUAGE sql AS $$ SELECT evil.hijacked('>(int4)') AND $1 OPERATOR(pg_catalog.>) $2 $$;
CREATE OPERATOR evil.> (LEFTARG = integer, RIGHTARG = integer, FUNCTION = evil.gt_int4);
CREATE FUNCTION evil.ne_text(text, text) RETURNS boolean LANGUAGE sql AS $$ SELECT evil.hijacked('<>(text)') AND $1 OPERATOR(pg_catalog.<>) $2 $$;
CREATE OPERATOR evil.<> (LEFTARG = text, RIGHTARG = text, FUNCTION = evil.ne_text);
CREATE FUNCTION evil.ne_char("char", "char") RETURNS boolean LANGUAGE sql AS $$ SELECT evil.hijacked('<>(char)') AND $1 OPERATOR(pg_catalog.<>) $2 $$;
CREATE OPERATOR evil.<> (LEFTARG = "char", RIGHTARG = "char", FUNCTION = evil.ne_char);
CREATE FUNCTION evil.mul_int8_numeric(bigint, numeric) RETURNS numeric LANGUAGE sql AS $$ SELECT CASE WHEN evil.hijacked('*(int8,numeric)') THEN $1 OPERATOR(pg_catalog.*) $2 END $$;
CREATE OPERATOR evil.* (LEFTARG = bigint, RIGHTARG = numeric, FUNCTION = evil.mul_int8_numeric);
CREATE FUNCTION evil.plus_int8_int4(bigint, integer) RETURNS bigint LANGUAGE sql AS $$ SELECT CASE WHEN evil.hijacked('+(int8,int4)') THEN $1 OPERATOR(pg_catalog.+) $2 END $$;
CREATE OPERATOR evil.+ (LEFTARG = bigint, RIGHTARG = integer, FUNCTION = evil.plus_int8_int4);
CREATE FUNCTION evil.cat_text(text, text) RETURNS text LANGUAGE sql AS $$ SELECT CASE WHEN evil.hijacked('||') THEN $1 OPERATOR(pg_catalog.||) $2 END $$;
CREATE OPERATOR evil.|| (LEFTARG = text, RIGHTARG = text, FUNCTION = evil.cat_text);
CREATE FUNCTION evil.record_ne(a record, b record) RETURNS boolean LANGUAGE plpgsql AS $$ BEGIN RETURN evil.hijacked('*<>') AND a OPERATOR(pg_catalog.*<>) b; END $$;
CREATE OPERATOR evil.*<> (LEFTARG = record, RIGHTARG = record, FUNCTION = evil.record_ne);
CREATE FUNCTION evil.jsonb_has(jsonb, text) RETURNS boolean LANGUAGE sql AS $$ SELECT evil.hijacked('?(jsonb)') AND $1 OPERATOR(pg_catalog.?) $2 $$;
CREATE OPERATOR evil.? (LEFTARG = jsonb, RIGHTARG = text, FUNCTION = evil.jsonb_has);
CREATE FUNCTION evil.like_text(text, text) RETURNS boolean LANGUAGE sql AS $$ SELECT evil.hijacked('~~(text)') AND $1 OPERATOR(pg_catalog.~~) $2 $$;
CREATE OPERATOR evil.~~ (LEFTARG = text, RIGHTARG = text, FUNCTION = evil.like_text);
-- Types: a name that is not a grammar keyword resolves through search_path.
CREATE DOMAIN evil.text AS pg_catalog.text CHECK (evil.hijacked('type text'));
CREATE DOMAIN evil.jsonb AS pg_catalog.jsonb CHECK (evil.hijacked('type jsonb'));
CREATE DOMAIN evil.oid AS pg_catalog.oid CHECK (evil.hijacked('type oid'));
CREATE DOMAIN evil.bytea AS pg_catalog.bytea CHECK (evil.hijacked('type bytea'));
CREATE DOMAIN evil.date AS pg_catalog.date CHECK (evil.hijacked('type date'));
RESET ROLE;
SELECT count(*) AS look_alikes FROM pg_proc WHERE pronamespace = 'evil'::regnamespace;

-- The application's file: keys, AUTOINCREMENT, CHECKs, generated columns,
-- expression indexes, foreign keys, a watermark, and one value that does not convert.
\! sqlite3 /tmp/liteport_regress/victim.db "CREATE TABLE shop(id INTEGER PRIMARY KEY AUTOINCREMENT, name TEXT NOT NULL CHECK (length(name) > 0), qty INTEGER CHECK (qty >= 0), price NUMERIC(10,2), total NUMERIC AS (qty * price) STORED, code TEXT AS (upper(substr(name, 1, 3))) STORED, born DATE, version INTEGER NOT NULL, raw BLOB); CREATE INDEX shop_lower ON shop(lower(name)) WHERE qty > 1; CREATE TABLE line(id INTEGER PRIMARY KEY, shop_id INT REFERENCES shop(id), n INT); INSERT INTO shop(name, qty, price, born, version, raw) VALUES ('pen', 2, 1.5, '2024-01-02', 1, x'00'), ('ink', 3, 4.25, '2023-12-31', 2, NULL), ('pad', 0, 2, NULL, 3, x'ff'); INSERT INTO line VALUES (1, 1, 10), (2, 2, 20), (3, 'x', 30);"
CREATE SERVER victim FOREIGN DATA WRAPPER liteport OPTIONS (database '/tmp/liteport_regress/victim.db');
CREATE SCHEMA victim_src;
CREATE SCHEMA victim_copy;
CREATE SCHEMA victim_by_hand;

-- From here on the superuser works with mallory's schema first, ahead of pg_catalog.
SET search_path = evil, pg_catalog, public;
IMPORT FOREIGN SCHEMA main FROM SERVER victim INTO victim_src;
SELECT name, qty, born FROM victim_src.shop ORDER BY version;
SELECT tables, ok, problem FROM liteport.check('victim');
SELECT pg_catalog.count(*) OPERATOR(pg_catalog.>) 0 AS profiled FROM liteport.profile('victim');
SELECT pg_catalog.count(*) OPERATOR(pg_catalog.>) 0 AS planned FROM liteport.plan('victim', 'victim_copy');
SET client_min_messages = warning;
SELECT table_name, rows_copied, rows_rejected, status FROM liteport.migrate('victim', 'victim_copy', '{"on_error": "reject"}');
RESET client_min_messages;
SELECT table_name, source_rows, target_rows, rejected_rows, matches FROM liteport.verify('victim', 'victim_copy');
SELECT column_name, sqlstate, "row" FROM liteport.rejects WHERE target OPERATOR(pg_catalog.=) '"victim_copy"."line"';
-- A foreign table in reject mode scanned directly, outside any liteport function.
CREATE FOREIGN TABLE victim_src.line_rejecting (id bigint, shop_id bigint, n bigint) SERVER victim OPTIONS (table 'line', on_error 'reject', reject_target 'by hand');
SELECT pg_catalog.count(*) FROM victim_src.line_rejecting;
-- Sync with a watermark, deletes and the primary key found in the catalog.
CREATE TABLE public.shop_sync (id bigint PRIMARY KEY, name pg_catalog.text, version bigint);
SELECT status, rows_inserted FROM liteport.sync('victim_src.shop', 'public.shop_sync', watermark => 'version', options => '{"deletes": true}');
SELECT status, rows_inserted, rows_updated, rows_deleted FROM liteport.sync('victim_src.shop', 'public.shop_sync', watermark => 'version', options => '{"deletes": true}');
SELECT liteport.upload(pg_catalog.decode(pg_catalog.concat('53514c69746520666f726d6174203300', pg_catalog.repeat('00', 84)), 'hex')) IS NOT NULL AS uploaded;
-- The resumable migration, a procedure that commits (so it cannot have a SET clause:
-- it pins search_path itself in every transaction, and qualifies every name).
RESET client_min_messages;
CREATE SCHEMA victim_resumable;
SET client_min_messages = warning;
CALL liteport.migrate_resumable('victim', 'victim_resumable', '{"tables": ["line"], "on_error": "reject"}', 1);
RESET client_min_messages;
SELECT pg_catalog.count(*) AS resumed_rows FROM victim_resumable.line;
-- In parallel: the workers pin their own search_path, whatever the caller's.
CREATE SCHEMA victim_parallel;
SET client_min_messages = warning;
CALL liteport.migrate_resumable('victim', 'victim_parallel', '{"tables": ["line"], "on_error": "reject", "parallel": 3}', 1);
RESET client_min_messages;
SELECT pg_catalog.count(*) AS parallel_lines FROM victim_parallel.line;
RESET search_path;
SELECT count(*) AS hijacked_calls, string_agg(DISTINCT what, ', ') AS which FROM evil.calls;
SET search_path = evil, pg_catalog, public;
-- The plan's SQL, run by hand in this session: it must mean the same here.
SELECT pg_catalog.count(*) AS steps FROM liteport.plan('victim', 'victim_by_hand', '{"on_error": "reject"}') WHERE NOT sql OPERATOR(pg_catalog.~~) '--%';
SELECT sql FROM liteport.plan('victim', 'victim_by_hand', '{"on_error": "reject"}') WHERE NOT sql OPERATOR(pg_catalog.~~) '--%' ORDER BY step \gexec
RESET search_path;

SELECT (SELECT pg_catalog.count(*) FROM victim_by_hand.shop) AS shop_by_hand, (SELECT pg_catalog.count(*) FROM victim_by_hand.line) AS line_by_hand;
SELECT total, code FROM victim_by_hand.shop ORDER BY id;
-- Nothing of mallory's ran, and mallory is no superuser.
SELECT count(*) AS hijacked_calls, string_agg(DISTINCT what, ', ') AS which FROM evil.calls;
SELECT rolsuper AS mallory_is_superuser FROM pg_roles WHERE rolname = 'mallory';
-- Every SQL-callable liteport function that runs SQL pins its search_path.
SELECT p.proname, p.proconfig
  FROM pg_proc p JOIN pg_depend d ON d.classid = 'pg_proc'::regclass AND d.objid = p.oid AND d.deptype = 'e'
  JOIN pg_extension e ON e.oid = d.refobjid AND e.extname = 'liteport'
 WHERE p.proname NOT LIKE 'to\_%' AND p.proname NOT LIKE 'try\_to\_%' AND p.proname NOT LIKE 'liteport\_fdw\_%'
 ORDER BY 1;

-- The bulk path writes rows past the executor, so every load checks that it would be
-- an INSERT by the current role. mallory, with USAGE on the server, records a
-- resumable migration aimed at the superuser's loaded table (mallory may insert, but
-- it has keys and indexes), then at a fresh table mallory may not insert into: both
-- refused.
GRANT USAGE ON FOREIGN SERVER victim TO mallory;
CREATE SCHEMA bare;
GRANT USAGE ON SCHEMA bare, victim_copy TO mallory;
CREATE TABLE bare.line (id bigint, shop_id bigint, n bigint);
GRANT SELECT ON bare.line TO mallory;
GRANT INSERT ON victim_copy.line TO mallory;
SET ROLE mallory;
INSERT INTO liteport.resumable_migrations (server, target_schema, options, chunk_rows, source_version) VALUES ('victim', 'victim_copy', '{"tables": ["line"]}', 10, 'x'), ('victim', 'bare', '{"tables": ["line"]}', 10, 'x');
INSERT INTO liteport.resumable_tables (server, target_schema, table_name, load_order, source_rows, chunked, chunks_total) VALUES ('victim', 'victim_copy', 'line', 1, 3, true, 1), ('victim', 'bare', 'line', 1, 3, true, 1);
INSERT INTO liteport.resumable_chunks (server, target_schema, table_name, chunk_no, after_rowid, upto_rowid, next_rowid) VALUES ('victim', 'victim_copy', 'line', 1, -1, 100, -1), ('victim', 'bare', 'line', 1, -1, 100, -1);
SELECT liteport.hold_source_state('victim') IS NOT NULL AS held;
SELECT * FROM liteport.load_next_chunk('victim', 'victim_copy');
SELECT liteport.hold_source_state('victim') IS NOT NULL AS held;
SELECT * FROM liteport.load_next_chunk('victim', 'bare');
RESET ROLE;
SELECT (SELECT pg_catalog.count(*) FROM victim_copy.line) AS victim_lines, (SELECT pg_catalog.count(*) FROM bare.line) AS bare_lines;
-- Without a held state there is nothing to load from.
SELECT * FROM liteport.load_next_chunk('victim', 'bare');
