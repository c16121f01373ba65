-- Incremental re-sync: where each (foreign table, target) pair has got to, a log of
-- every run, and the SQL signature of liteport.sync.

CREATE TABLE liteport.sync_state (
    foreign_table regclass NOT NULL,
    target regclass NOT NULL,
    watermark_column text NOT NULL,
    -- The highest watermark value a committed run has read, as text.
    watermark text,
    updated_at timestamptz NOT NULL DEFAULT now(),
    owner name NOT NULL DEFAULT current_user,
    PRIMARY KEY (foreign_table, target)
);

CREATE TABLE liteport.sync_log (
    id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    foreign_table regclass NOT NULL,
    target regclass NOT NULL,
    started_at timestamptz NOT NULL,
    finished_at timestamptz NOT NULL,
    rows_inserted bigint NOT NULL,
    rows_updated bigint NOT NULL,
    rows_deleted bigint NOT NULL,
    watermark_before text,
    watermark_after text,
    -- ok, error (nothing changed) or skipped (another run held the lock).
    status text NOT NULL,
    error text,
    run_by name NOT NULL DEFAULT current_user
);
CREATE INDEX sync_log_pair ON liteport.sync_log (foreign_table, target, id);

-- Each role sees and advances only its own syncs.
ALTER TABLE liteport.sync_state ENABLE ROW LEVEL SECURITY;
CREATE POLICY sync_state_of_current_role ON liteport.sync_state
    USING (owner = current_user) WITH CHECK (owner = current_user);
ALTER TABLE liteport.sync_log ENABLE ROW LEVEL SECURITY;
CREATE POLICY sync_log_of_current_role ON liteport.sync_log
    USING (run_by = current_user) WITH CHECK (run_by = current_user);
GRANT SELECT, INSERT, UPDATE, DELETE ON liteport.sync_state TO PUBLIC;
GRANT SELECT, INSERT ON liteport.sync_log TO PUBLIC;

CREATE FUNCTION liteport.sync(
    foreign_table regclass,
    target regclass,
    key text[] DEFAULT NULL,
    watermark text DEFAULT NULL,
    options jsonb DEFAULT '{}'
) RETURNS TABLE (status text, rows_inserted bigint, rows_updated bigint, rows_deleted bigint,
                 watermark_before text, watermark_after text, seconds float8)
LANGUAGE sql VOLATILE
AS $$ SELECT * FROM liteport.sync_run($1::oid, $2::oid, $3, $4, $5) $$;
COMMENT ON FUNCTION liteport.sync(regclass, regclass, text[], text, jsonb) IS
    'Upsert the rows of a liteport foreign table changed since the last run into a target table';
