-- liteport's regression suite. Each file shows one feature as a DBA would use it
-- in psql. Fixture SQLite files are built with the sqlite3 CLI under
-- /tmp/liteport_regress, which the test runner creates empty.
CREATE EXTENSION liteport;
\dx liteport
SELECT fdwname, fdwhandler::regproc, fdwvalidator::regproc FROM pg_foreign_data_wrapper;
