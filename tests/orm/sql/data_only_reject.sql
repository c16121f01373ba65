-- Diagnostic variant of the one liteport call (LITEPORT_ORM_CALL=@tests/orm/sql/data_only_reject.sql):
-- the default data_only load, but rows whose values do not convert are filed in
-- liteport.rejects instead of aborting, and foreign-key triggers are off for this
-- transaction (the rejected parents would fail the deferred checks at commit), so the
-- dumpdata comparison shows what liteport's conversions did to every other value.
-- Not a migration anyone should run: it exists to see past the first ERROR.
\set ON_ERROR_STOP 1
BEGIN;
SET LOCAL session_replication_role = replica;
SELECT * FROM liteport.migrate(:'server', 'public', '{"data_only": true, "truncate": true, "on_error": "reject"}');
SELECT source_table, column_name, sqlstate, count(*) AS rows, min(error) AS first_error
  FROM liteport.rejects WHERE server = :'server' GROUP BY 1, 2, 3 ORDER BY 1, 2;
COMMIT;
