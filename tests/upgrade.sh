#!/usr/bin/env bash
# Upgrade test: liteport 0.1.0 (built from the commit that released it) -> the current
# version, in a private copy of a PostgreSQL installation.
#   1. 0.1.0's library, control file and SQL (cached under $LITEPORT_CACHE, built once
#      with `cargo pgrx package` from `git archive` of the 0.1.0 commit) go into a fresh
#      tree; a cluster creates servers, foreign tables, a sync state with watermark and
#      log, and rejects under 0.1.0.
#   2. The current build replaces the files (0.1.0's SQL script removed, as a package
#      upgrade does), the server restarts, ALTER EXTENSION liteport UPDATE.
#   3. No state was lost (the same rows before and after), everything still works
#      (scan, sync from the watermark, migrate with rejects, verify), and the
#      extension's objects (tests/extension_objects.sql) equal those of a fresh
#      CREATE EXTENSION in another database; the diff is printed when not.
# Usage: tests/upgrade.sh [PG_CONFIG] [PORT]   (default: Debian's PostgreSQL 15, 5634)
set -uo pipefail
cd "$(dirname "$0")/.."
repo=$(pwd)
export PATH="$HOME/.cargo/bin:$PATH"
source tests/lib.sh
src_config=${1:-/usr/lib/postgresql/15/bin/pg_config}
port=${2:-5634}
old_version=0.1.0
old_commit=ccc9ca5
cache=${LITEPORT_CACHE:-/var/cache/liteport}
work=${LITEPORT_UPGRADE_WORK:-/tmp/liteport-upgrade}
new_version=$(sed -n 's/^version = "\(.*\)"/\1/p' Cargo.toml | head -1)
major=$("$src_config" --version | sed -E 's/^PostgreSQL ([0-9]+).*/\1/')

# 0.1.0 as it was released: built from its own source, cached by commit and major.
fixture=$cache/fixture-liteport-$old_version-$old_commit-pg$major
if [[ ! -f $fixture/liteport--$old_version.sql ]]; then
    echo "# building liteport $old_version from $old_commit (once; cached in $fixture)"
    build=$(mktemp -d /tmp/liteport-fixture.XXXXXX)
    git archive "$old_commit" | tar -x -C "$build"
    (cd "$build" && CARGO_TARGET_DIR=$cache/fixture-target cargo pgrx package --debug --pg-config "$src_config" --out-dir "$build/out") >"$build/build.log" 2>&1 \
        || { tail -30 "$build/build.log"; echo "not ok building $old_version"; exit 1; }
    rm -rf "$fixture.tmp" && mkdir -p "$fixture.tmp"
    cp "$(find "$build/out" -name liteport.so)" "$(find "$build/out" -name liteport.control)" "$(find "$build/out" -name "liteport--$old_version.sql")" "$fixture.tmp/"
    rm -rf "$fixture" && mv "$fixture.tmp" "$fixture" && rm -rf "$build"
fi

rm -rf "$work" && mkdir -p "$work"
pg_config=$(fresh_tree "$work/tree" "$src_config")
export PGBIN=$(dirname "$pg_config")
source scripts/cluster.sh
libdir=$("$pg_config" --pkglibdir) extdir=$("$pg_config" --sharedir)/extension
install -m 755 "$fixture/liteport.so" "$libdir/"
install -m 644 "$fixture/liteport.control" "$fixture/liteport--$old_version.sql" "$extdir/"

dir=$work/cluster
trap 'cluster_stop "$dir"' EXIT
cluster_start "$dir" "$port"
sql() { local db=$1; shift; cluster_psql "$dir" "$port" -d "$db" -qAt "$@"; }

data=$work/data && mkdir -p "$data" && chmod 755 "$data" "$work"
sqlite3 "$data/app.db" "
    CREATE TABLE items(id INTEGER PRIMARY KEY, name TEXT NOT NULL, version INTEGER NOT NULL);
    CREATE INDEX items_version ON items(version);
    INSERT INTO items VALUES (1, 'one', 1), (2, 'two', 2), (3, 'three', 3);
    CREATE TABLE readings(id INTEGER PRIMARY KEY, n INTEGER, at TEXT);
    INSERT INTO readings VALUES (1, 5, '2024-01-01 10:00:00'), (2, 'oops', '2024-01-02 11:00:00'), (3, 7, 'not a date');"
chmod 644 "$data/app.db"

sql postgres -c "CREATE DATABASE up" -c "CREATE DATABASE fresh"
echo "# state under $old_version"
sql up <<SQL >"$work/setup.log" 2>&1 || { cat "$work/setup.log"; echo "not ok state under $old_version"; exit 1; }
SET client_min_messages = warning;
CREATE EXTENSION liteport VERSION '$old_version';
CREATE SERVER app FOREIGN DATA WRAPPER liteport OPTIONS (database '$data/app.db', busy_timeout_ms '2000');
CREATE SERVER other FOREIGN DATA WRAPPER liteport OPTIONS (database '$data/app.db');
CREATE SCHEMA src;
IMPORT FOREIGN SCHEMA main LIMIT TO (items) FROM SERVER app INTO src;
CREATE FOREIGN TABLE src.readings_raw (id bigint, n text OPTIONS (column_name 'n'), at timestamp OPTIONS (epoch_unit 's'))
    SERVER other OPTIONS (table 'readings', on_error 'reject', reject_target 'raw');
CREATE TABLE public.items (id bigint PRIMARY KEY, name text NOT NULL, version bigint NOT NULL);
SELECT status, rows_inserted FROM liteport.sync('src.items', 'public.items', watermark => 'version');
CREATE SCHEMA mig;
SELECT table_name, rows_copied, rows_rejected FROM liteport.migrate('app', 'mig', '{"on_error": "reject"}');
SQL
grep -q "CREATE EXTENSION" "$work/setup.log" || true
[[ $(sql up -c "SELECT extversion FROM pg_extension WHERE extname = 'liteport'") == "$old_version" ]] && ok "installed $old_version" || not_ok "installed $old_version"

state() {
    sql up <<SQL
SELECT 'server', srvname, srvoptions FROM pg_foreign_server ORDER BY srvname;
$FOREIGN_TABLES_SQL
SELECT 'sync_state', foreign_table, target, watermark_column, watermark, updated_at, owner FROM liteport.sync_state ORDER BY foreign_table::text COLLATE "C";
SELECT 'sync_log', id, foreign_table, target, started_at, finished_at, rows_inserted, rows_updated, rows_deleted, watermark_before, watermark_after, status, error, run_by FROM liteport.sync_log ORDER BY id;
SELECT 'rejects', * FROM liteport.rejects ORDER BY id;
SELECT 'items', * FROM public.items ORDER BY id;
SELECT 'mig tables', string_agg(table_name, ',' ORDER BY table_name) FROM information_schema.tables WHERE table_schema = 'mig';
SQL
}
state >"$work/before.txt"
[[ $(grep -c '^sync_log' "$work/before.txt") -ge 1 && $(grep -c '^rejects' "$work/before.txt") -ge 1 && $(grep -c '^sync_state|src.items|items|version|3|' "$work/before.txt") -eq 1 ]] \
    && ok "$old_version state: servers, foreign tables, sync state with watermark 3, sync log, rejects" || { not_ok "$old_version state"; cat "$work/before.txt"; }

echo "# installing $new_version over $old_version and updating"
rm -f "$extdir/liteport--$old_version.sql"
cargo pgrx install --pg-config "$pg_config" >"$work/install.log" 2>&1 || { tail -20 "$work/install.log"; not_ok "install $new_version"; }
sudo -u postgres "$PGBIN/pg_ctl" -D "$dir/data" -w restart -l "$dir/server.log" >/dev/null
available=$(sql up -c "SELECT string_agg(version, ',' ORDER BY version) FROM pg_available_extension_versions WHERE name = 'liteport'")
echo "# available versions: $available"
if sql up -c "ALTER EXTENSION liteport UPDATE" >"$work/update.log" 2>&1; then ok "ALTER EXTENSION liteport UPDATE"; else cat "$work/update.log"; not_ok "ALTER EXTENSION liteport UPDATE"; fi
v=$(sql up -c "SELECT extversion FROM pg_extension WHERE extname = 'liteport'")
[[ $v == "$new_version" ]] && ok "extension version is $new_version" || not_ok "extension version is $new_version" "$v"

state >"$work/after.txt"
if diff -u "$work/before.txt" "$work/after.txt"; then ok "no state lost: servers, foreign tables, sync_state, sync_log, rejects, targets unchanged"; else not_ok "state changed by the update"; fi

echo "# everything still works after the update"
sqlite3 "$data/app.db" "INSERT INTO items VALUES (4, 'four', 4); UPDATE items SET name = 'THREE', version = 5 WHERE id = 3;"
r=$(sql up -c "SELECT count(*) FROM src.items")
[[ $r == 4 ]] && ok "scan of a 0.1.0 foreign table" || not_ok "scan of a 0.1.0 foreign table" "$r"
r=$(sql up -F' ' -c "SELECT status, rows_inserted, rows_updated, watermark_before, watermark_after FROM liteport.sync('src.items', 'public.items', watermark => 'version')")
[[ $r == "ok 1 1 3 5" ]] && ok "sync continues from the 0.1.0 watermark (3 -> 5: 1 inserted, 1 updated)" || not_ok "sync from the old watermark" "$r"
r=$(sql up -F' ' -c "SELECT count(*), min(id) > (SELECT max(id) FROM liteport.sync_log WHERE status = 'ok' AND watermark_after = '3') FROM liteport.sync_log WHERE watermark_before = '3'")
[[ $r == "1 t" ]] && ok "sync log continues (identity sequence kept)" || not_ok "sync log continues" "$r"
r=$(sql up -c "SELECT string_agg(id || ':' || name, ',' ORDER BY id) FROM public.items")
[[ $r == "1:one,2:two,3:THREE,4:four" ]] && ok "target converged" || not_ok "target converged" "$r"
before_rejects=$(sql up -c "SELECT count(*) FROM liteport.rejects")
r=$(sql up -F' ' -c "SET client_min_messages = warning" -c "CREATE SCHEMA mig2" -c "SELECT sum(rows_copied), sum(rows_rejected) FROM liteport.migrate('app', 'mig2', '{\"on_error\": \"reject\"}')")
after_rejects=$(sql up -c "SELECT count(*) FROM liteport.rejects")
[[ $r == "6 1" && $after_rejects -eq $((before_rejects + 1)) ]] && ok "migrate with rejects (old rejects kept: $before_rejects -> $after_rejects)" || not_ok "migrate with rejects" "$r, rejects $before_rejects -> $after_rejects"
r=$(sql up -c "SELECT bool_and(matches) FROM liteport.verify('app', 'mig2')")
[[ $r == t ]] && ok "verify" || not_ok "verify" "$r"
r=$(sql up -c "SET client_min_messages = warning" -c "SELECT count(at) FROM src.readings_raw")
[[ $r == 2 ]] && ok "reject-mode foreign table of 0.1.0 (1 row filed)" || not_ok "reject-mode foreign table" "$r"

echo "# the upgraded extension equals a fresh CREATE EXTENSION liteport VERSION '$new_version'"
sql fresh -c "SET client_min_messages = warning" -c "CREATE EXTENSION liteport VERSION '$new_version'"
sql up -f tests/extension_objects.sql >"$work/objects_upgraded.txt"
sql fresh -f tests/extension_objects.sql >"$work/objects_fresh.txt"
n=$(wc -l <"$work/objects_fresh.txt")
if diff -u "$work/objects_fresh.txt" "$work/objects_upgraded.txt"; then
    ok "upgraded objects equal a fresh install ($n lines: functions, tables, columns, policies, grants, collations, comments, dump marks)"
else
    not_ok "upgraded objects differ from a fresh install (diff above: - fresh, + upgraded)"
fi

echo "upgrade: $passes passed, $failures failed"
exit $((failures > 0))
