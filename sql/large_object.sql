-- Uploading a SQLite database as a large object, for hosts where no file can be put
-- on the server: the caller owns the new large object, and a liteport server with
-- OPTIONS (large_object '<oid>') reads it.
CREATE FUNCTION liteport.upload(data pg_catalog.bytea) RETURNS pg_catalog.oid
LANGUAGE plpgsql VOLATILE STRICT
SET search_path = pg_catalog, pg_temp
AS $$
BEGIN
    -- decode(..., 'hex'), not a '\x...' literal: the same bytes whatever
    -- standard_conforming_strings says.
    IF pg_catalog.length(data) OPERATOR(pg_catalog.>) 0
       AND pg_catalog.substring(data, 1, 16) OPERATOR(pg_catalog.<>) pg_catalog.decode('53514c69746520666f726d6174203300', 'hex') THEN
        RAISE EXCEPTION 'liteport.upload: the data is not a SQLite database: it does not start with the SQLite header'
            USING ERRCODE = 'invalid_parameter_value',
                  HINT = 'Pass the bytes of the .db file, e.g. decode(:''content'', ''base64'') after \set content `base64 -w0 app.db`.';
    END IF;
    RETURN pg_catalog.lo_from_bytea(0, data);
END
$$;
COMMENT ON FUNCTION liteport.upload(bytea) IS 'Store a SQLite database as a large object owned by the caller; returns its oid';
