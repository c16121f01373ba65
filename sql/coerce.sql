-- Coercion helpers for INSERT ... SELECT from raw (types 'text') foreign tables.
-- Each is strict (a value that does not coerce is an ERROR naming it) and has a
-- lenient twin, try_to_*, that returns NULL instead. Numeric text given to the
-- date/time helpers is a unix epoch number: epoch_unit 's', 'ms', 'us', 'julian', or
-- 'auto' (the default), which reads |value| < 1e11 as seconds, < 1e14 as
-- milliseconds, and larger as microseconds.

CREATE FUNCTION to_boolean(value text) RETURNS boolean
    AS 'MODULE_PATHNAME', 'liteport_to_boolean' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
CREATE FUNCTION try_to_boolean(value text) RETURNS boolean
    AS 'MODULE_PATHNAME', 'liteport_try_to_boolean' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;

CREATE FUNCTION to_bigint(value text) RETURNS bigint
    AS 'MODULE_PATHNAME', 'liteport_to_bigint' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
CREATE FUNCTION try_to_bigint(value text) RETURNS bigint
    AS 'MODULE_PATHNAME', 'liteport_try_to_bigint' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;

CREATE FUNCTION to_numeric(value text) RETURNS numeric
    AS 'MODULE_PATHNAME', 'liteport_to_numeric' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
CREATE FUNCTION try_to_numeric(value text) RETURNS numeric
    AS 'MODULE_PATHNAME', 'liteport_try_to_numeric' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;

CREATE FUNCTION to_timestamp(value text, epoch_unit text DEFAULT 'auto') RETURNS timestamp
    AS 'MODULE_PATHNAME', 'liteport_to_timestamp' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
CREATE FUNCTION try_to_timestamp(value text, epoch_unit text DEFAULT 'auto') RETURNS timestamp
    AS 'MODULE_PATHNAME', 'liteport_try_to_timestamp' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;

-- Naive text (no offset) is UTC, as SQLite's own date functions mean it; no session
-- setting changes the result. For another zone: liteport.to_timestamp(x) AT TIME ZONE 'zone'.
CREATE FUNCTION to_timestamptz(value text, epoch_unit text DEFAULT 'auto') RETURNS timestamptz
    AS 'MODULE_PATHNAME', 'liteport_to_timestamptz' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
CREATE FUNCTION try_to_timestamptz(value text, epoch_unit text DEFAULT 'auto') RETURNS timestamptz
    AS 'MODULE_PATHNAME', 'liteport_try_to_timestamptz' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;

CREATE FUNCTION to_date(value text, epoch_unit text DEFAULT 'auto') RETURNS date
    AS 'MODULE_PATHNAME', 'liteport_to_date' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
CREATE FUNCTION try_to_date(value text, epoch_unit text DEFAULT 'auto') RETURNS date
    AS 'MODULE_PATHNAME', 'liteport_try_to_date' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;

CREATE FUNCTION to_uuid(value text) RETURNS uuid
    AS 'MODULE_PATHNAME', 'liteport_to_uuid' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
CREATE FUNCTION try_to_uuid(value text) RETURNS uuid
    AS 'MODULE_PATHNAME', 'liteport_try_to_uuid' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
CREATE FUNCTION to_uuid(value bytea) RETURNS uuid
    AS 'MODULE_PATHNAME', 'liteport_to_uuid_bytea' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
CREATE FUNCTION try_to_uuid(value bytea) RETURNS uuid
    AS 'MODULE_PATHNAME', 'liteport_try_to_uuid_bytea' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;

CREATE FUNCTION to_jsonb(value text) RETURNS jsonb
    AS 'MODULE_PATHNAME', 'liteport_to_jsonb' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
CREATE FUNCTION try_to_jsonb(value text) RETURNS jsonb
    AS 'MODULE_PATHNAME', 'liteport_try_to_jsonb' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
