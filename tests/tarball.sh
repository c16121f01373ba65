#!/usr/bin/env bash
# The plain tarball of scripts/package.sh on a layout other than Debian's: unpack it,
# run its install.sh with PG_CONFIG of a fresh private PostgreSQL tree, CREATE
# EXTENSION liteport and read a SQLite file through it.
# Usage: tests/tarball.sh TARBALL [PG_CONFIG] [PORT]
set -uo pipefail
cd "$(dirname "$0")/.."
source tests/lib.sh
tarball=$(realpath "$1")
src_config=${2:-/usr/lib/postgresql/15/bin/pg_config}
port=${3:-5639}
work=/tmp/liteport-tarball-$port
rm -rf "$work" && mkdir -p "$work/data" && chmod 755 "$work" "$work/data"
pg_config=$(fresh_tree "$work/tree" "$src_config")
tar -xzf "$tarball" -C "$work"
if PG_CONFIG=$pg_config "$work"/liteport-*/install.sh >"$work/install.log" 2>&1; then ok "install.sh $(basename "$tarball")"; else cat "$work/install.log"; not_ok "install.sh"; fi
export PGBIN=$(dirname "$pg_config")
source scripts/cluster.sh
trap 'cluster_stop "$work/cluster"' EXIT
cluster_start "$work/cluster" "$port"
sqlite3 "$work/data/t.db" "CREATE TABLE t(id INTEGER PRIMARY KEY, name TEXT); INSERT INTO t VALUES (1, 'a'), (2, 'b');"
chmod 644 "$work/data/t.db"
r=$(cluster_psql "$work/cluster" "$port" -qAt -c "SET client_min_messages = error" -c "CREATE EXTENSION liteport" \
    -c "CREATE SERVER s FOREIGN DATA WRAPPER liteport OPTIONS (database '$work/data/t.db')" \
    -c "IMPORT FOREIGN SCHEMA main FROM SERVER s INTO public" -c "SELECT string_agg(name, ',' ORDER BY id) FROM t" 2>&1)
[[ $r == "a,b" ]] && ok "CREATE EXTENSION and a scan from the tarball's files" || not_ok "CREATE EXTENSION and a scan" "$r"
echo "tarball: $passes passed, $failures failed"
exit $((failures > 0))
