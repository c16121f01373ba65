-- What it takes today, by hand, to load an ORM's SQLite file into the schema the ORM
-- created on Postgres (LITEPORT_ORM_CALL=@tests/orm/sql/today.sql). liteport supplies the
-- raw values (IMPORT FOREIGN SCHEMA ... types 'text': every column as text, blobs as
-- bytea); the casts that liteport's data_only load does not do are written out here:
--   uuid         32 hex digits without dashes (Django, SQLAlchemy, peewee): Postgres's uuid
--                input accepts them, liteport's conversion does not
--   interval     bigint microseconds (Django DurationField) -> days + microseconds
--   timestamptz  naive text is UTC (Django USE_TZ, SQLAlchemy, peewee), not the session
--                TimeZone; text with an offset (Sequelize) is that instant
-- then every table in foreign-key order (parents first; non-deferrable constraints are
-- checked per statement), and every identity/serial sequence restarted past max(id).
\set ON_ERROR_STOP 1
BEGIN;
DROP SCHEMA IF EXISTS liteport_raw CASCADE;
CREATE SCHEMA liteport_raw;
IMPORT FOREIGN SCHEMA main FROM SERVER :"server" INTO liteport_raw OPTIONS (types 'text');
DO $do$
DECLARE
    t record;
    c record;
    s record;
    done text[] := '{}';
    progress boolean;
    cols text;
    exprs text;
    expr text;
    n bigint;
BEGIN
    EXECUTE (
        SELECT 'TRUNCATE ' || string_agg(format('public.%I', p.relname), ', ')
          FROM pg_class f
          JOIN pg_namespace fn ON fn.oid = f.relnamespace AND fn.nspname = 'liteport_raw'
          JOIN pg_class p ON p.relname = f.relname AND p.relkind IN ('r', 'p')
          JOIN pg_namespace pn ON pn.oid = p.relnamespace AND pn.nspname = 'public'
         WHERE f.relkind = 'f');
    LOOP
        progress := false;
        FOR t IN
            SELECT p.oid, p.relname
              FROM pg_class f
              JOIN pg_namespace fn ON fn.oid = f.relnamespace AND fn.nspname = 'liteport_raw'
              JOIN pg_class p ON p.relname = f.relname AND p.relkind IN ('r', 'p')
              JOIN pg_namespace pn ON pn.oid = p.relnamespace AND pn.nspname = 'public'
             WHERE f.relkind = 'f' AND p.relname <> ALL (done)
             ORDER BY p.relname
        LOOP
            CONTINUE WHEN EXISTS (
                SELECT 1 FROM pg_constraint k JOIN pg_class r ON r.oid = k.confrelid
                 WHERE k.conrelid = t.oid AND k.contype = 'f' AND k.confrelid <> t.oid
                   AND r.relname <> ALL (done));
            cols := NULL; exprs := NULL;
            FOR c IN
                SELECT a.attname, format_type(a.atttypid, a.atttypmod) AS typ, fa.atttypid AS src
                  FROM pg_attribute a
                  JOIN pg_attribute fa ON fa.attrelid = format('liteport_raw.%I', t.relname)::regclass
                                      AND fa.attname = a.attname AND fa.attnum > 0 AND NOT fa.attisdropped
                 WHERE a.attrelid = t.oid AND a.attnum > 0 AND NOT a.attisdropped AND a.attgenerated = ''
                 ORDER BY a.attnum
            LOOP
                IF c.src = 'bytea'::regtype THEN
                    expr := format('%I', c.attname);
                ELSIF c.typ = 'uuid' THEN
                    expr := format('%I::uuid', c.attname);
                ELSIF c.typ = 'interval' THEN
                    expr := format($e$CASE WHEN %1$I ~ '^-?[0-9]+$'
                        THEN (%1$I::bigint / 86400000000) * interval '1 day' + (%1$I::bigint %% 86400000000) * interval '1 microsecond'
                        ELSE %1$I::interval END$e$, c.attname);
                ELSIF c.typ = 'timestamp with time zone' THEN
                    expr := format($e$CASE WHEN %1$I ~ '[0-9]:[0-9][0-9](:[0-9][0-9](\.[0-9]+)?)? *(Z|[+-][0-9][0-9](:?[0-9][0-9])?)$'
                        THEN %1$I::timestamptz ELSE %1$I::timestamp AT TIME ZONE 'UTC' END$e$, c.attname);
                ELSE
                    expr := format('%I::%s', c.attname, c.typ);
                END IF;
                cols := concat_ws(', ', cols, format('%I', c.attname));
                exprs := concat_ws(', ', exprs, expr);
            END LOOP;
            EXECUTE format('INSERT INTO public.%I (%s) OVERRIDING SYSTEM VALUE SELECT %s FROM liteport_raw.%I',
                           t.relname, cols, exprs, t.relname);
            GET DIAGNOSTICS n = ROW_COUNT;
            RAISE NOTICE 'today.sql: %: % rows', t.relname, n;
            done := done || t.relname::text;
            progress := true;
        END LOOP;
        EXIT WHEN NOT progress;
    END LOOP;
    FOR s IN
        SELECT a.attrelid::regclass AS tbl, a.attname, pg_get_serial_sequence(a.attrelid::regclass::text, a.attname) AS seq
          FROM pg_attribute a JOIN pg_class p ON p.oid = a.attrelid
          JOIN pg_namespace pn ON pn.oid = p.relnamespace AND pn.nspname = 'public'
         WHERE p.relname = ANY (done) AND a.attnum > 0 AND NOT a.attisdropped
           AND pg_get_serial_sequence(a.attrelid::regclass::text, a.attname) IS NOT NULL
    LOOP
        EXECUTE format('SELECT setval(%L, coalesce((SELECT max(%I) FROM %s), 0) + 1, false)', s.seq, s.attname, s.tbl);
    END LOOP;
END
$do$;
DROP SCHEMA liteport_raw CASCADE;
COMMIT;
