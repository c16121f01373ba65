#!/usr/bin/env bash
# Every SQLite file we have, migrated with each `types` mode and verified: a default
# liteport.migrate followed by liteport.verify must report every table matching, in a
# session whose TimeZone, DateStyle, IntervalStyle and extra_float_digits are unusual
# (nothing may depend on them). Also: the source file is byte-for-byte unchanged and
# nothing appears beside it.
# Usage: tests/migrate_all.sh SOCKET_DIR PORT [FILE_OR_DIR...]
#   (default: ../shared/data/*.sqlite and, when tests/orm/run.sh has run, its fixtures)
set -uo pipefail
host=$1 port=$2
shift 2
root=$(cd "$(dirname "$0")/.." && pwd)
work=/tmp/liteport_migrate_all
rm -rf "$work" && mkdir -p "$work" && chmod 755 "$work"
files=()
sources=("$@")
[[ ${#sources[@]} -eq 0 ]] && sources=("$root"/../shared/data /tmp/liteport-orm)
for s in "${sources[@]}"; do
    if [[ -d $s ]]; then
        for f in "$s"/*.sqlite "$s"/*.sqlite3 "$s"/*.db; do [[ -f $f ]] && files+=("$f"); done
    elif [[ -f $s ]]; then
        files+=("$s")
    fi
done
failures=0 passed=0
ok() { echo "ok $1"; passed=$((passed + 1)); }
not_ok() { echo "not ok $1: $2"; failures=$((failures + 1)); }
db=liteport_migrate_all
psql -X -q -h "$host" -p "$port" -U postgres -d postgres -c "DROP DATABASE IF EXISTS $db" -c "CREATE DATABASE $db" || exit 1
psql -X -q -h "$host" -p "$port" -U postgres -d "$db" -c "CREATE EXTENSION liteport" || exit 1
n=0
for f in "${files[@]}"; do
    n=$((n + 1))
    name=$(basename "$f")
    # a private copy the postgres user can read; the original is compared afterwards
    copy=$work/f$n.sqlite
    cp "$f" "$copy" && chmod 644 "$copy"
    before=$(sha256sum "$copy" | cut -c1-64)
    # declared twice: the bulk load path and the ordinary INSERT must give the same rows
    for mode in declared declared:ordinary inferred text; do
        types=${mode%%:*}
        bulk=true; [[ $mode == *:ordinary ]] && bulk=false
        schema="m${n}_${types}_$bulk"
        out=$(psql -X -h "$host" -p "$port" -U postgres -d "$db" -v ON_ERROR_STOP=1 -At -F '|' 2>&1 <<SQL
SET client_min_messages = warning;
SET TimeZone = 'Pacific/Chatham'; SET DateStyle = 'SQL, DMY'; SET IntervalStyle = 'iso_8601'; SET extra_float_digits = -15;
DROP SERVER IF EXISTS s$n CASCADE;
CREATE SERVER s$n FOREIGN DATA WRAPPER liteport OPTIONS (database '$copy');
DROP SCHEMA IF EXISTS $schema CASCADE;
CREATE SCHEMA $schema;
SELECT 'migrated', count(*), sum(rows_copied) FROM liteport.migrate('s$n', '$schema', '{"types": "$types", "bulk": $bulk}');
SELECT 'table', table_name, matches, coalesce(note, '') FROM liteport.verify('s$n', '$schema', '{"types": "$types"}');
DROP SCHEMA $schema CASCADE;
SQL
        )
        rc=$?
        if [[ $rc -ne 0 ]]; then
            not_ok "$name, types $mode: migrate + verify" "$(echo "$out" | grep -m3 -E 'ERROR|DETAIL|HINT' | tr '\n' ' ')"
            continue
        fi
        tables=$(echo "$out" | grep -c '^table|')
        bad=$(echo "$out" | grep '^table|' | grep -v '^table|[^|]*|t|' || true)
        if [[ -n $bad ]]; then
            not_ok "$name, types $mode: verify" "$(echo "$bad" | head -3 | tr '\n' ' ')"
        else
            ok "$name, types $mode: $tables tables migrated and verified ($(echo "$out" | grep '^migrated|' | cut -d'|' -f3) rows)"
        fi
    done
    after=$(sha256sum "$copy" | cut -c1-64)
    beside=$(ls -A "$work" | grep -c "^f$n\.sqlite-" || true)
    if [[ $before == "$after" && $beside -eq 0 ]]; then ok "$name: source unchanged, nothing created beside it"; else not_ok "$name: source untouched" "sha256 $before -> $after, $beside files beside it"; fi
done
psql -X -q -h "$host" -p "$port" -U postgres -d postgres -c "DROP DATABASE IF EXISTS $db"
echo "# migrate_all: $passed passed, $failures failed"
[[ $failures -eq 0 ]]
