-- Uploading a SQLite database as a large object, for hosts where no file can be put
-- on the server: the caller owns the new large object, and a liteport server with
-- OPTIONS (large_object '<oid>') reads it.
CREATE FUNCTION liteport.upload(data bytea) RETURNS oid
LANGUAGE plpgsql VOLATILE STRICT AS $$
BEGIN
    IF length(data) > 0 AND substring(data FROM 1 FOR 16) IS DISTINCT FROM '\x53514c69746520666f726d6174203300'::bytea THEN
        RAISE EXCEPTION 'liteport.upload: the data is not a SQLite database: it does not start with the SQLite header'
            USING ERRCODE = 'invalid_parameter_value',
                  HINT = 'Pass the bytes of the .db file, e.g. decode(:''content'', ''base64'') after \set content `base64 -w0 app.db`.';
    END IF;
    RETURN pg_catalog.lo_from_bytea(0, data);
END
$$;
COMMENT ON FUNCTION liteport.upload(bytea) IS 'Store a SQLite database as a large object owned by the caller; returns its oid';
