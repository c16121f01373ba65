-- Managed Postgres hosts: no file on the server, no superuser. A role uploads the
-- SQLite file from the client as a large object it owns, and migrates from it.
\set SHOW_CONTEXT never
\pset null '(null)'
CREATE ROLE cloud_dba;
GRANT USAGE ON FOREIGN DATA WRAPPER liteport TO cloud_dba;
CREATE SCHEMA cloud AUTHORIZATION cloud_dba;
CREATE SCHEMA chinook_src AUTHORIZATION cloud_dba;
SET ROLE cloud_dba;
-- Path 1: psql's client-side \lo_import, then the oid psql remembers.
\lo_import ../shared/data/northwind.sqlite
CREATE SERVER nw_lo FOREIGN DATA WRAPPER liteport OPTIONS (large_object :'LASTOID');
SELECT sqlite_version, page_size, page_count, size_bytes, journal_mode, tables, integrity_check, ok FROM liteport.check('nw_lo');
SET client_min_messages = warning;
SELECT table_name, rows_copied, status FROM liteport.migrate('nw_lo', 'cloud');
RESET client_min_messages;
SELECT table_name, source_rows, target_rows, matches FROM liteport.verify('nw_lo', 'cloud');
-- Path 2: where \lo_import is awkward, the bytes as base64 through liteport.upload.
\set content `base64 -w0 ../shared/data/chinook.sqlite`
SELECT liteport.upload(decode(:'content', 'base64')) AS chinook_oid \gset
CREATE SERVER chinook_lo FOREIGN DATA WRAPPER liteport OPTIONS (large_object :'chinook_oid');
IMPORT FOREIGN SCHEMA main LIMIT TO ("Artist", "Album") FROM SERVER chinook_lo INTO chinook_src;
SELECT count(*) FROM chinook_src."Album" al JOIN chinook_src."Artist" ar USING ("ArtistId") WHERE ar."Name" = 'Queen';
-- The same role cannot read a server file, and bad large objects are clear errors.
CREATE SERVER sneaky FOREIGN DATA WRAPPER liteport OPTIONS (database '/etc/passwd');
\echo :LAST_ERROR_SQLSTATE
SELECT liteport.upload('\x00010203'::bytea);
\echo :LAST_ERROR_SQLSTATE
RESET ROLE;
DROP OWNED BY cloud_dba CASCADE;
DROP ROLE cloud_dba;
