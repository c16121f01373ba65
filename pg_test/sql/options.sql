-- The validator: unknown options are refused with the list of valid ones, bad values
-- with the reason, and only privileged roles may name a file.
CREATE SERVER bad FOREIGN DATA WRAPPER liteport OPTIONS (filename '/tmp/x.db');
CREATE SERVER bad FOREIGN DATA WRAPPER liteport OPTIONS (database '/tmp/x.db', busy_timeout_ms '-5');
CREATE SERVER ok FOREIGN DATA WRAPPER liteport OPTIONS (database '/tmp/x.db', busy_timeout_ms '250');
CREATE FOREIGN TABLE t1 (a int) SERVER ok OPTIONS (tablename 'x');
CREATE USER MAPPING FOR CURRENT_USER SERVER ok OPTIONS (user 'x');
CREATE ROLE regress_plain;
GRANT USAGE ON FOREIGN DATA WRAPPER liteport TO regress_plain;
SET ROLE regress_plain;
CREATE SERVER mine FOREIGN DATA WRAPPER liteport OPTIONS (database '/etc/passwd');
RESET ROLE;
DROP SERVER ok;
REVOKE USAGE ON FOREIGN DATA WRAPPER liteport FROM regress_plain;
DROP ROLE regress_plain;
-- CREATE EXTENSION needs superuser (liteport.control: superuser = true, trusted = false).
CREATE ROLE regress_dba LOGIN;
CREATE DATABASE regress_noext OWNER regress_dba;
\c regress_noext regress_dba
CREATE EXTENSION liteport;
\c liteport_regress postgres
DROP DATABASE regress_noext;
DROP ROLE regress_dba;
