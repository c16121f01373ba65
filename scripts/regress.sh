#!/usr/bin/env bash
# Runs the SQL regression suite in pg_test/ with pg_regress against a running
# cluster: regress.sh SOCKET_DIR PORT. (cargo pgrx regress cannot run as root.)
# PGBIN selects the installation whose psql and pg_regress are used (default: Debian's
# PostgreSQL 15); PG_REGRESS overrides the pg_regress binary.
set -euo pipefail
cd "$(dirname "$0")/.."
host=$1 port=$2
PGBIN=${PGBIN:-/usr/lib/postgresql/15/bin}
PG_REGRESS=${PG_REGRESS:-$("$PGBIN/pg_config" --pkglibdir)/pgxs/src/test/regress/pg_regress}
rm -rf /tmp/liteport_regress && mkdir -p /tmp/liteport_regress && chmod 755 /tmp/liteport_regress
"$PGBIN/psql" -X -h "$host" -p "$port" -U postgres -q -c "DROP DATABASE IF EXISTS liteport_regress" -c "CREATE DATABASE liteport_regress"
out=${REGRESS_OUT:-/tmp/liteport_regress_out}
rm -rf "$out" && mkdir -p "$out"
status=0
"$PG_REGRESS" --use-existing --bindir="$PGBIN" --host="$host" --port="$port" --user=postgres --dbname=liteport_regress \
    --inputdir=pg_test --outputdir="$out" $(cat pg_test/schedule_list) || status=$?
if [[ $status -ne 0 && -f "$out/regression.diffs" ]]; then cat "$out/regression.diffs"; fi
exit $status
