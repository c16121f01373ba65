#!/usr/bin/env bash
# pg_dump / pg_restore of a database that uses liteport, into a fresh cluster: servers
# (a file and a large object), user mappings, foreign tables with table and column
# options, the sync state with its watermark and log, and rejects (the extension's
# configuration tables, marked with pg_extension_config_dump), owned by a role that is
# not superuser. After pg_restore the same state is there and everything works: scans,
# sync from the restored watermark, new log and reject ids after the restored ones.
# Usage: tests/dump_restore.sh [PGBIN] [PORT]  (an installation with liteport installed;
# default Debian's PostgreSQL 15; PORT and PORT+1 are used)
set -uo pipefail
cd "$(dirname "$0")/.."
source tests/lib.sh
export PGBIN=${1:-/usr/lib/postgresql/15/bin}
port=${2:-5635}
source scripts/cluster.sh
work=/tmp/liteport-dump-$port
rm -rf "$work" && mkdir -p "$work/data" && chmod 755 "$work" "$work/data"
a=$work/a b=$work/b
trap 'cluster_stop "$a"; cluster_stop "$b"' EXIT
cluster_start "$a" "$port"
cluster_start "$b" "$((port + 1))"
sqla() { cluster_psql "$a" "$port" -d "${DB:-app}" -qAt "$@"; }
sqlb() { cluster_psql "$b" "$((port + 1))" -d "${DB:-app}" -qAt "$@"; }

sqlite3 "$work/data/app.db" "
    CREATE TABLE items(id INTEGER PRIMARY KEY, name TEXT NOT NULL, version INTEGER NOT NULL);
    CREATE INDEX items_version ON items(version);
    INSERT INTO items VALUES (1, 'one', 1), (2, 'two', 2), (3, 'three', 3);
    CREATE TABLE readings(id INTEGER PRIMARY KEY, n INTEGER, at TEXT);
    INSERT INTO readings VALUES (1, 5, '2024-01-01 10:00:00'), (2, 'oops', '2024-01-02 11:00:00'), (3, 7, 'not a date');"
chmod 644 "$work/data/app.db"

DB=postgres sqla -c "CREATE DATABASE app" -c "CREATE ROLE app_owner LOGIN"
sqla <<SQL >"$work/setup.log" 2>&1 || { cat "$work/setup.log"; echo "not ok setup"; exit 1; }
SET client_min_messages = warning;
CREATE EXTENSION liteport;
GRANT USAGE ON FOREIGN DATA WRAPPER liteport TO app_owner;
CREATE SERVER app FOREIGN DATA WRAPPER liteport OPTIONS (database '$work/data/app.db', busy_timeout_ms '1500');
GRANT USAGE ON FOREIGN SERVER app TO app_owner;
CREATE USER MAPPING FOR app_owner SERVER app;
CREATE SCHEMA src AUTHORIZATION app_owner;
CREATE SCHEMA mig AUTHORIZATION app_owner;
GRANT CREATE ON SCHEMA public TO app_owner;
SET ROLE app_owner;
IMPORT FOREIGN SCHEMA main LIMIT TO (items) FROM SERVER app INTO src;
CREATE FOREIGN TABLE src.readings_raw (id bigint, value text OPTIONS (column_name 'n'), at timestamp OPTIONS (epoch_unit 's', empty_as_null 'true'))
    SERVER app OPTIONS (table 'readings', on_error 'reject', reject_target 'raw');
CREATE TABLE public.items (id bigint PRIMARY KEY, name text NOT NULL, version bigint NOT NULL);
SELECT status FROM liteport.sync('src.items', 'public.items', watermark => 'version');
SELECT count(*) FROM liteport.migrate('app', 'mig', '{"on_error": "reject"}');
SELECT count(at) FROM src.readings_raw;
-- A database uploaded as a large object, and its server.
RESET ROLE;
SELECT liteport.upload(pg_read_binary_file('$work/data/app.db')) AS lo \gset
GRANT SELECT ON LARGE OBJECT :lo TO app_owner;
CREATE SERVER uploaded FOREIGN DATA WRAPPER liteport OPTIONS (large_object :'lo');
GRANT USAGE ON FOREIGN SERVER uploaded TO app_owner;
SQL

state() {
    "$@" <<SQL
SELECT 'extension', extname, extversion FROM pg_extension WHERE extname = 'liteport';
SELECT 'server', srvname, srvowner::regrole, (SELECT array_agg(o ORDER BY o) FROM unnest(srvoptions) o), srvacl FROM pg_foreign_server ORDER BY srvname;
SELECT 'user mapping', usename, srvname, umoptions FROM pg_user_mappings ORDER BY 2, 3;
$FOREIGN_TABLES_SQL
SELECT 'wrapper acl', fdwacl FROM pg_foreign_data_wrapper WHERE fdwname = 'liteport';
SELECT 'sync_state', foreign_table, target, watermark_column, watermark, updated_at, owner FROM liteport.sync_state ORDER BY foreign_table::text COLLATE "C";
SELECT 'sync_log', * FROM liteport.sync_log ORDER BY id;
SELECT 'rejects', * FROM liteport.rejects ORDER BY id;
SELECT 'items', * FROM public.items ORDER BY id;
SELECT 'mig', table_name FROM information_schema.tables WHERE table_schema = 'mig' ORDER BY 2;
SELECT 'large object', count(*) FROM pg_largeobject_metadata;
SQL
}
state sqla >"$work/before.txt"
[[ $(grep -c '^sync_state|src.items|items|version|3|' "$work/before.txt") -eq 1 && $(grep -c '^rejects|' "$work/before.txt") -eq 2 ]] \
    && ok "state to dump: servers, mapping, foreign tables, watermark 3, sync log, 2 rejects, a large object" || { not_ok "state to dump"; cat "$work/before.txt"; }

"$PGBIN/pg_dump" -h "$a" -p "$port" -U postgres -Fc -f "$work/app.dump" app && ok "pg_dump -Fc" || not_ok "pg_dump -Fc"
"$PGBIN/pg_dumpall" -h "$a" -p "$port" -U postgres --globals-only >"$work/globals.sql" 2>"$work/dumpall.err" || not_ok "pg_dumpall --globals-only"
DB=postgres sqlb -f "$work/globals.sql" >/dev/null 2>&1
DB=postgres sqlb -c "CREATE DATABASE app"
if "$PGBIN/pg_restore" -h "$b" -p "$((port + 1))" -U postgres -d app --exit-on-error "$work/app.dump" >"$work/restore.log" 2>&1; then
    ok "pg_restore into a fresh cluster"
else
    cat "$work/restore.log"; not_ok "pg_restore into a fresh cluster"
fi

state sqlb >"$work/after.txt"
if diff -u "$work/before.txt" "$work/after.txt"; then ok "restored the same servers, mapping, foreign tables, sync state and log, rejects, large object"; else not_ok "restored state differs (diff above)"; fi

r=$(sqlb -c "SET ROLE app_owner" -c "SELECT bool_and(matches) FROM liteport.verify('app', 'mig')")
[[ $r == t ]] && ok "verify of the restored migration" || not_ok "verify of the restored migration" "$r"
sqlite3 "$work/data/app.db" "INSERT INTO items VALUES (4, 'four', 4); UPDATE items SET name = 'TWO', version = 5 WHERE id = 2;"
r=$(sqlb -c "SET ROLE app_owner" -c "SELECT count(*) FROM src.items")
[[ $r == 4 ]] && ok "restored foreign table scans (as app_owner)" || not_ok "restored foreign table scans" "$r"
r=$(sqlb -F' ' -c "SET ROLE app_owner" -c "SELECT status, rows_inserted, rows_updated, watermark_before, watermark_after FROM liteport.sync('src.items', 'public.items', watermark => 'version')")
[[ $r == "ok 1 1 3 5" ]] && ok "sync continues from the restored watermark (3 -> 5)" || not_ok "sync from the restored watermark" "$r"
r=$(sqlb -c "SELECT count(DISTINCT id) = count(*) AND max(id) > 1 FROM liteport.sync_log")
[[ $r == t ]] && ok "sync_log ids continue after the restored ones" || not_ok "sync_log ids continue" "$r"
r=$(sqlb -c "SET ROLE app_owner" -c "SET client_min_messages = warning" -c "SELECT count(at) FROM src.readings_raw" -c "RESET ROLE" -c "SELECT count(*) FROM liteport.rejects WHERE id > 2")
[[ $r == $'2\n1' ]] && ok "a restored reject-mode foreign table files new rejects after the restored ones" || not_ok "rejects after restore" "$r"
r=$(sqlb -c "SET ROLE app_owner" -c "SELECT ok FROM liteport.check('uploaded')")
[[ $r == t ]] && ok "restored large-object server reads the restored large object" || not_ok "large-object server after restore" "$r"

echo "dump_restore: $passes passed, $failures failed"
exit $((failures > 0))
