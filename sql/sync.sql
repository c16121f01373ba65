-- Incremental re-sync: where each role's (foreign table, target) pair has got to, a
-- log of every run, and the SQL signature of liteport.sync.

-- One row per role and pair: a role's state is its own (another role can neither
-- block it nor plant a watermark for it), and the row is the run's lock.
CREATE TABLE liteport.sync_state (
    owner pg_catalog.name NOT NULL DEFAULT CURRENT_USER,
    foreign_table pg_catalog.regclass NOT NULL,
    target pg_catalog.regclass NOT NULL,
    -- The watermark column and its type the state belongs to: another column or
    -- type starts over from the first row.
    watermark_column pg_catalog.text,
    watermark_type pg_catalog.regtype,
    -- The highest watermark a committed run has read, in the type's text form under
    -- fixed settings (ISO dates, exact floats), so no session setting changes it.
    watermark pg_catalog.text,
    -- The SQLite file (device:inode) or large object the state was read from.
    source_identity pg_catalog.text,
    updated_at pg_catalog.timestamptz NOT NULL DEFAULT pg_catalog.now(),
    PRIMARY KEY (owner, foreign_table, target)
);

CREATE TABLE liteport.sync_log (
    id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    foreign_table pg_catalog.regclass NOT NULL,
    target pg_catalog.regclass NOT NULL,
    started_at pg_catalog.timestamptz NOT NULL,
    finished_at pg_catalog.timestamptz NOT NULL,
    rows_inserted bigint NOT NULL,
    rows_updated bigint NOT NULL,
    rows_deleted bigint NOT NULL,
    watermark_before pg_catalog.text,
    watermark_after pg_catalog.text,
    -- ok, error (nothing changed) or skipped (another run held the lock).
    status pg_catalog.text NOT NULL,
    error pg_catalog.text,
    -- What the run did beyond the counts (every row read because ..., rows with a
    -- NULL watermark compared by content).
    note pg_catalog.text,
    run_by pg_catalog.name NOT NULL DEFAULT CURRENT_USER
);
CREATE INDEX sync_log_pair ON liteport.sync_log (foreign_table, target, id);

-- Each role sees and advances only its own syncs.
ALTER TABLE liteport.sync_state ENABLE ROW LEVEL SECURITY;
CREATE POLICY sync_state_of_current_role ON liteport.sync_state
    USING (owner OPERATOR(pg_catalog.=) CURRENT_USER) WITH CHECK (owner OPERATOR(pg_catalog.=) CURRENT_USER);
ALTER TABLE liteport.sync_log ENABLE ROW LEVEL SECURITY;
CREATE POLICY sync_log_of_current_role ON liteport.sync_log
    USING (run_by OPERATOR(pg_catalog.=) CURRENT_USER) WITH CHECK (run_by OPERATOR(pg_catalog.=) CURRENT_USER);
GRANT SELECT, INSERT, UPDATE, DELETE ON liteport.sync_state TO PUBLIC;
GRANT SELECT, INSERT ON liteport.sync_log TO PUBLIC;

CREATE FUNCTION liteport.sync(
    foreign_table pg_catalog.regclass,
    target pg_catalog.regclass,
    key pg_catalog.text[] DEFAULT NULL,
    watermark pg_catalog.text DEFAULT NULL,
    options pg_catalog.jsonb DEFAULT '{}'
) RETURNS TABLE (status pg_catalog.text, rows_inserted bigint, rows_updated bigint, rows_deleted bigint,
                 watermark_before pg_catalog.text, watermark_after pg_catalog.text, seconds double precision,
                 note pg_catalog.text)
LANGUAGE sql VOLATILE
SET search_path = pg_catalog, pg_temp
AS $$ SELECT * FROM liteport.sync_run($1::pg_catalog.oid, $2::pg_catalog.oid, $3, $4, $5) $$;
COMMENT ON FUNCTION liteport.sync(regclass, regclass, text[], text, jsonb) IS
    'Upsert the rows of a liteport foreign table changed since the last run into a target table';
