-- The foreign-data wrapper itself. The handler and validator are C-language entry
-- points in the liteport library; the wrapper is created with the extension.

CREATE FUNCTION liteport_fdw_handler() RETURNS fdw_handler
    AS 'MODULE_PATHNAME', 'liteport_fdw_handler' LANGUAGE C STRICT;

CREATE FUNCTION liteport_fdw_validator(text[], oid) RETURNS void
    AS 'MODULE_PATHNAME', 'liteport_fdw_validator' LANGUAGE C STRICT;

CREATE FOREIGN DATA WRAPPER liteport
    HANDLER liteport.liteport_fdw_handler
    VALIDATOR liteport.liteport_fdw_validator;

COMMENT ON FOREIGN DATA WRAPPER liteport IS 'SQLite files as foreign tables';
