-- What liteport.migrate needs besides functions: the collation that keeps SQLite's
-- COLLATE NOCASE semantics, and the table where rejected rows are kept.

-- Case-insensitive comparison and uniqueness, as SQLite's NOCASE. ICU's level-2
-- strength ignores case (for all of Unicode, where NOCASE folds only ASCII) and keeps
-- accents significant. Nondeterministic: '=' and UNIQUE ignore case, ORDER BY is
-- stable. Postgres 15 does not run LIKE on such columns; use ILIKE, or
-- `col COLLATE "C" LIKE ...`.
-- A PostgreSQL built without ICU cannot have it: the extension then installs without
-- it (WARNING), and liteport.migrate reports COLLATE NOCASE columns as not kept.
DO $$
BEGIN
    CREATE COLLATION liteport.nocase (provider = icu, locale = 'und-u-ks-level2', deterministic = false);
EXCEPTION WHEN feature_not_supported THEN
    RAISE WARNING 'liteport: this PostgreSQL is built without ICU: no collation liteport.nocase, so liteport.migrate does not keep COLLATE NOCASE';
END
$$;

-- Rows a load skipped under on_error 'reject', verbatim: nothing is lost.
CREATE TABLE liteport.rejects (
    id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    rejected_at pg_catalog.timestamptz NOT NULL DEFAULT pg_catalog.now(),
    rejected_by pg_catalog.name NOT NULL DEFAULT CURRENT_USER,
    server pg_catalog.text NOT NULL,
    source_table pg_catalog.text NOT NULL,
    -- The Postgres table the row was meant for (schema-qualified, quoted).
    target pg_catalog.text NOT NULL,
    -- SQLite's rowid (NULL for WITHOUT ROWID tables and views).
    rowid bigint,
    column_name pg_catalog.text NOT NULL,
    sqlstate pg_catalog.text NOT NULL,
    error pg_catalog.text NOT NULL,
    -- The SQLite values: integers and reals as numbers, text as strings,
    -- {"blob_hex": ...} for blobs, {"text_hex": ...} for text that is not UTF-8.
    "row" pg_catalog.jsonb NOT NULL
);
CREATE INDEX rejects_target ON liteport.rejects (target);
COMMENT ON TABLE liteport.rejects IS 'Rows liteport.migrate (on_error reject) could not convert, kept verbatim';

-- Every role migrates with its own rights and sees only the rejects it filed.
ALTER TABLE liteport.rejects ENABLE ROW LEVEL SECURITY;
CREATE POLICY rejects_of_current_role ON liteport.rejects
    USING (rejected_by OPERATOR(pg_catalog.=) CURRENT_USER) WITH CHECK (rejected_by OPERATOR(pg_catalog.=) CURRENT_USER);
GRANT USAGE ON SCHEMA liteport TO PUBLIC;
GRANT SELECT, INSERT, DELETE ON liteport.rejects TO PUBLIC;
