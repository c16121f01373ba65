#!/usr/bin/env bash
# ORM fixtures and round trips for liteport (see tests/orm/README.md).
#
# Usage: tests/orm/run.sh [--host SOCKET_DIR --port PORT | --pg-bin DIR] [--out DIR]
#   --host/--port  a running PostgreSQL 15 cluster with liteport installed (as in CI)
#   --pg-bin DIR   start a private cluster with this bin dir (default
#                  /usr/lib/postgresql/15/bin) on $ORM_PG_PORT (default 5621)
#   --out DIR      where the SQLite fixtures and logs go (default /tmp/liteport-orm);
#                  must be readable by the postgres OS user
# Environment:
#   LITEPORT_ORM_CALL    the ONE liteport statement that moves an ORM's SQLite data into
#                        the schema the ORM created on Postgres; psql variable :'server'
#                        is the foreign server. "@FILE" runs FILE instead.
#   LITEPORT_ORM_VERIFY  the verification statement (must return table_name, matches)
#   ORM_CACHE            cache dir for the Python venv (default /var/cache/liteport)
#   ORM_PG_PORT          port of the private cluster (default 5621)
#   ORM_KEEP_CLUSTER=1   leave the private cluster (/tmp/orm-pg) running for inspection
# Prints TAP-like "ok ..." / "not ok ..." lines and "N passed, N failed"; exits 1 on failure.
set -uo pipefail

LITEPORT_ORM_CALL=${LITEPORT_ORM_CALL:-"SELECT * FROM liteport.migrate(:'server', 'public', '{\"data_only\": true, \"truncate\": true}');"}
LITEPORT_ORM_VERIFY=${LITEPORT_ORM_VERIFY:-"SELECT table_name, source_rows, target_rows, rejected_rows, matches, note FROM liteport.verify(:'server', 'public');"}
# Sequelize: its DECIMAL(10,2) cannot hold what the app stored in SQLite (19.999): the
# call says how to round it, and verify checks that rounding.
SEQUELIZE_CALL=${SEQUELIZE_CALL:-"SELECT * FROM liteport.migrate(:'server', 'public', '{\"data_only\": true, \"truncate\": true, \"numeric_rounding\": \"half_up\"}');"}
SEQUELIZE_VERIFY=${SEQUELIZE_VERIFY:-"SELECT table_name, source_rows, target_rows, rejected_rows, matches, note FROM liteport.verify(:'server', 'public', '{\"numeric_rounding\": \"half_up\"}');"}

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
pg_bin=/usr/lib/postgresql/15/bin
host='' port=''
out=/tmp/liteport-orm
while [[ $# -gt 0 ]]; do
    case $1 in
        --pg-bin) pg_bin=$2; shift 2 ;;
        --host) host=$2; shift 2 ;;
        --port) port=$2; shift 2 ;;
        --out) out=$2; shift 2 ;;
        *) echo "unknown argument $1" >&2; exit 2 ;;
    esac
done
cache=${ORM_CACHE:-/var/cache/liteport}
venv=$cache/venv
py=$venv/bin/python
export PGTZ=Europe/Berlin   # every psql session: nothing may depend on the session zone

passed=0 failed=0
ok() { echo "ok $1"; passed=$((passed + 1)); }
not_ok() { echo "not ok $1${2:+: $2}"; failed=$((failed + 1)); }
now_ms() { date +%s%3N; }
secs() { awk -v a="$1" -v b="$(now_ms)" 'BEGIN { printf "%.1f", (b - a) / 1000 }'; }
# check NAME LOG CMD...: run CMD with output to LOG; ok/not ok with the time taken
check() {
    local name=$1 log=$2; shift 2
    local t0; t0=$(now_ms)
    if "$@" >"$log" 2>&1; then
        ok "$name ($(secs "$t0") s)"
        return 0
    fi
    not_ok "$name ($(secs "$t0") s)" "see $log"
    sed 's/^/#   /' "$log" | head -40
    return 1
}

# ---------------------------------------------------------------- dependencies
install_deps() {
    local apt=()
    command -v sqlite3 >/dev/null || apt+=(sqlite3)
    command -v psql >/dev/null || apt+=(postgresql-client-15)
    command -v sudo >/dev/null || apt+=(sudo)
    command -v python3 >/dev/null || apt+=(python3)
    python3 -c 'import venv, ensurepip' 2>/dev/null || apt+=(python3-venv)
    command -v node >/dev/null || apt+=(nodejs)
    command -v npm >/dev/null || apt+=(npm)
    [[ -f /usr/include/node/node_api.h ]] || apt+=(libnode-dev)
    command -v g++ >/dev/null || apt+=(g++ make)
    if [[ ${#apt[@]} -gt 0 ]]; then
        echo "# apt-get install ${apt[*]}"
        (apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${apt[@]}") >/dev/null || return 1
    fi
    local req=$here/python/requirements.txt stamp
    stamp=$(sha256sum "$req" | cut -c1-16)
    if [[ ! -x $py || $(cat "$venv/.stamp" 2>/dev/null) != "$stamp" ]]; then
        echo "# python venv $venv"
        mkdir -p "$cache"
        rm -rf "$venv"
        python3 -m venv "$venv" && "$venv/bin/pip" install -q --disable-pip-version-check -r "$req" || return 1
        echo "$stamp" >"$venv/.stamp"
    fi
    stamp=$(cat "$here/node/package.json" "$here/node/package-lock.json" | sha256sum | cut -c1-16)
    if [[ $(cat "$here/node/node_modules/.stamp" 2>/dev/null) != "$stamp" ]]; then
        echo "# npm ci (sqlite3 built from source, a few minutes)"
        (cd "$here/node" && npm ci --no-audit --no-fund --build-from-source --nodedir=/usr) || return 1
        echo "$stamp" >"$here/node/node_modules/.stamp"
    fi
}

# ---------------------------------------------------------------- Postgres
own_cluster=''
cleanup() {
    if [[ -n $own_cluster && -z ${ORM_KEEP_CLUSTER:-} ]]; then
        sudo -u postgres "$pg_bin/pg_ctl" -D "$own_cluster/data" -m fast -w stop >/dev/null 2>&1 || true
    fi
}
trap cleanup EXIT
start_cluster() {
    local dir=/tmp/orm-pg
    port=${ORM_PG_PORT:-5621}
    if [[ -f $dir/data/postmaster.pid ]]; then
        sudo -u postgres "$pg_bin/pg_ctl" -D "$dir/data" -m fast -w stop >/dev/null 2>&1 || true
    fi
    rm -rf "$dir" && mkdir -p "$dir" && chown postgres: "$dir"
    sudo -u postgres "$pg_bin/initdb" -D "$dir/data" -A trust -U postgres -E UTF8 --locale=C.UTF-8 >"$dir/initdb.log" 2>&1 || return 1
    printf "port = %s\nlisten_addresses = ''\nunix_socket_directories = '%s'\nfsync = off\n" "$port" "$dir" >>"$dir/data/postgresql.conf"
    sudo -u postgres "$pg_bin/pg_ctl" -D "$dir/data" -l "$dir/server.log" -w start >/dev/null || return 1
    own_cluster=$dir host=$dir
}
psql_db() { local db=$1; shift; psql -X -h "$host" -p "$port" -U postgres -d "$db" -v ON_ERROR_STOP=1 "$@"; }
fresh_db() {
    local db=$1
    psql_db postgres -q -c "SET client_min_messages = warning" -c "DROP DATABASE IF EXISTS $db" -c "CREATE DATABASE $db" \
        -c "ALTER DATABASE $db SET TimeZone = 'Europe/Berlin'" || return 1
}
# liteport_call DB SERVER: the one liteport statement (LITEPORT_ORM_CALL)
liteport_call() {
    local db=$1 server=$2
    if [[ $LITEPORT_ORM_CALL == @* ]]; then
        psql_db "$db" -v server="$server" -f "${LITEPORT_ORM_CALL#@}"
    else
        printf '%s\n' "$LITEPORT_ORM_CALL" | psql_db "$db" -v server="$server"
    fi
}
# liteport_verify DB SERVER: every row of the verify statement must say matches = t
liteport_verify() {
    local db=$1 server=$2 res
    res=$(printf '%s\n' "$LITEPORT_ORM_VERIFY" | psql_db "$db" -v server="$server" --csv) || { echo "$res"; return 1; }
    echo "$res"
    echo "$res" | python3 -c '
import csv, sys
rows = list(csv.DictReader(sys.stdin))
bad = [r["table_name"] for r in rows if r["matches"] != "t"]
print(f"# {len(rows)} tables, {len(bad)} not matching: {bad}")
sys.exit(1 if bad or not rows else 0)'
}
sequelize_call() { LITEPORT_ORM_CALL=$SEQUELIZE_CALL liteport_call "$@"; }
sequelize_verify() { LITEPORT_ORM_VERIFY=$SEQUELIZE_VERIFY liteport_verify "$@"; }
# refuses_rounding DB SERVER: the default call fails, naming the column and numeric_rounding
refuses_rounding() {
    local db=$1 server=$2 res
    res=$(printf '%s\n' "$LITEPORT_ORM_CALL" | psql_db "$db" -v server="$server" 2>&1) && { echo "the call succeeded: $res"; return 1; }
    echo "$res"
    echo "$res" | grep -q 'column "balance".*numeric_rounding'
}
create_server() {
    local db=$1 server=$2 file=$3
    psql_db "$db" -q -c "SET client_min_messages = warning" -c "CREATE EXTENSION IF NOT EXISTS liteport" \
        -c "DROP SERVER IF EXISTS $server CASCADE" \
        -c "CREATE SERVER $server FOREIGN DATA WRAPPER liteport OPTIONS (database '$file')"
}

# ---------------------------------------------------------------- part (a): fixture files
# fixture_check NAME FILE: liteport.check, liteport.profile, a fresh migrate + verify
fixture_check() {
    local name=$1 file=$2 db=orm_fx_$1
    fresh_db "$db" && create_server "$db" "fx_$name" "$file" || { not_ok "fixture $name: set up"; return; }
    check "fixture $name: liteport.check" "$out/logs/fx_$name.check.log" \
        psql_db "$db" -c "SELECT * FROM liteport.check('fx_$name')"
    check "fixture $name: liteport.profile" "$out/logs/fx_$name.profile.log" \
        psql_db "$db" -c "SELECT table_name, column_name, declared_type, suggested_type, suggested_options, reason FROM liteport.profile('fx_$name')"
    check "fixture $name: liteport.migrate into a new schema" "$out/logs/fx_$name.migrate.log" \
        psql_db "$db" -c "CREATE SCHEMA fx" -c "SELECT * FROM liteport.migrate('fx_$name', 'fx')" &&
        check "fixture $name: liteport.verify" "$out/logs/fx_$name.verify.log" \
            liteport_verify_schema "$db" "fx_$name" fx
    check "fixture $name: liteport.migrate with types inferred" "$out/logs/fx_$name.migrate-inferred.log" \
        psql_db "$db" -c "CREATE SCHEMA fx_inferred" -c "SELECT * FROM liteport.migrate('fx_$name', 'fx_inferred', '{\"types\": \"inferred\"}')" &&
        check "fixture $name: liteport.verify with types inferred" "$out/logs/fx_$name.verify-inferred.log" \
            liteport_verify_schema "$db" "fx_$name" fx_inferred '{"types": "inferred"}'
}
liteport_verify_schema() {
    local db=$1 server=$2 schema=$3 opts=${4:-'{}'}
    LITEPORT_ORM_VERIFY="SELECT table_name, source_rows, target_rows, rejected_rows, matches, note FROM liteport.verify(:'server', '$schema', '$opts');" \
        liteport_verify "$db" "$server"
}

# ---------------------------------------------------------------- part (b): Django
django_roundtrip() {
    local dj=$here/django db=orm_django sq=$out/django.sqlite3 step_ok=1
    local -a sqlite_env=(env ORM_DB=sqlite "ORM_SQLITE=$sq")
    local -a pg_env=(env ORM_DB=postgres "ORM_PG_HOST=$host" "ORM_PG_PORT=$port" "ORM_PG_DB=$db")
    rm -f "$sq"
    echo "# Django round trip"
    cd "$dj" || return
    check "django 1: manage.py migrate + fill through the ORM on SQLite" "$out/logs/django.1.log" \
        bash -c '"$@" migrate -v0 && "$@" fill_fidelity' _ "${sqlite_env[@]}" "$py" manage.py || return
    chmod 644 "$sq"
    fresh_db "$db" || { not_ok "django: create database"; return; }
    check "django 2: manage.py migrate on Postgres (the ORM creates the schema)" "$out/logs/django.2.log" \
        "${pg_env[@]}" "$py" manage.py migrate -v0 || return
    create_server "$db" django_app "$sq" || { not_ok "django: create server"; return; }
    check "django 3: one liteport call moves the data (LITEPORT_ORM_CALL)" "$out/logs/django.3.log" \
        liteport_call "$db" django_app || step_ok=0
    check "django 4a: dumpdata from SQLite" "$out/logs/django.4a.log" \
        "${sqlite_env[@]}" "$py" manage.py dumpdata -o "$out/django.sqlite.json"
    check "django 4b: dumpdata from Postgres" "$out/logs/django.4b.log" \
        "${pg_env[@]}" "$py" manage.py dumpdata -o "$out/django.postgres.json" ||
        {   # to see past a value Django cannot read: each model, else each object, alone
            echo "# dumpdata failed: comparing the objects that can be read (dump_models)"
            "${pg_env[@]}" "$py" manage.py dump_models "$out/django.postgres.json" 2>&1 | tee "$out/logs/django.4b-fallback.log" |
                awk '{ print "#   " $0 } NR == 20 { print "#   ..."; exit }'
        }
    check "django 4: dumpdata identical from both databases" "$out/logs/django.4.log" \
        "$py" compare_dumps.py "$out/django.sqlite.json" "$out/django.postgres.json" --canonical-out "$out/django.canonical"
    check "django 5: one new object of every model through the ORM on Postgres" "$out/logs/django.5.log" \
        "${pg_env[@]}" "$py" manage.py create_one_each
    check "django 6: liteport.verify: every table matches" "$out/logs/django.6.log" \
        liteport_verify "$db" django_app
    cd - >/dev/null || true
}

# ---------------------------------------------------------------- part (b): Sequelize
sequelize_roundtrip() {
    local db=orm_sequelize sq=$out/sequelize.sqlite3 js=$here/node/sequelize_roundtrip.js
    local -a pg_env=(env "ORM_PG_HOST=$host" "ORM_PG_PORT=$port" "ORM_PG_DB=$db")
    rm -f "$sq"
    echo "# Sequelize round trip"
    check "sequelize 1: sync() + fill through the ORM on SQLite" "$out/logs/sequelize.1.log" \
        node "$js" fill-sqlite "$sq" || return
    chmod 644 "$sq"
    fresh_db "$db" || { not_ok "sequelize: create database"; return; }
    check "sequelize 2: sync() on Postgres (the ORM creates the schema)" "$out/logs/sequelize.2.log" \
        "${pg_env[@]}" node "$js" sync-pg || return
    create_server "$db" sequelize_app "$sq" || { not_ok "sequelize: create server"; return; }
    # DECIMAL(10,2) holds 19.999 in SQLite, which the schema Sequelize made on Postgres
    # cannot hold: liteport refuses by default, naming the column and the option ...
    check "sequelize 3a: the default call refuses to round 19.999 into DECIMAL(10,2), naming column and option" "$out/logs/sequelize.3a.log" \
        refuses_rounding "$db" sequelize_app
    # ... and rounds on purpose when asked (as Postgres rounds a value the app writes).
    check "sequelize 3: one liteport call moves the data (SEQUELIZE_CALL)" "$out/logs/sequelize.3.log" \
        sequelize_call "$db" sequelize_app
    check "sequelize 4: findAll ordered by pk identical from both databases (DECIMALs read from SQLite rounded as the call asked)" "$out/logs/sequelize.4.log" \
        "${pg_env[@]}" LITEPORT_NUMERIC_ROUNDING=half_up node "$js" compare "$sq" "$out/sequelize"
    check "sequelize 5: one new row per model through the ORM on Postgres" "$out/logs/sequelize.5.log" \
        "${pg_env[@]}" node "$js" create-one
    check "sequelize 6: liteport.verify: every table matches" "$out/logs/sequelize.6.log" \
        sequelize_verify "$db" sequelize_app
}

# ---------------------------------------------------------------- main
mkdir -p "$out/logs" && chmod 755 "$out"
t_all=$(now_ms)
check "dependencies installed" "$out/logs/install.log" install_deps || { echo "$passed passed, $failed failed"; exit 1; }
if [[ -z $host ]]; then
    check "private cluster started ($pg_bin)" "$out/logs/cluster.log" start_cluster || { echo "$passed passed, $failed failed"; exit 1; }
fi
[[ -n $port ]] || { echo "--host needs --port" >&2; exit 2; }
psql_db postgres -qAtc "SELECT 'server ' || version()" | sed 's/^/# /'

t0=$(now_ms); django_roundtrip; echo "# Django round trip: $(secs "$t0") s"
t0=$(now_ms); sequelize_roundtrip; echo "# Sequelize round trip: $(secs "$t0") s"

echo "# fixture files (a)"
t0=$(now_ms)
check "fixture writer: SQLAlchemy" "$out/logs/write.sqlalchemy.log" "$py" "$here/python/sqlalchemy_fixture.py" "$out/sqlalchemy.sqlite3"
check "fixture writer: peewee" "$out/logs/write.peewee.log" "$py" "$here/python/peewee_fixture.py" "$out/peewee.sqlite3"
check "fixture writer: Knex" "$out/logs/write.knex.log" node "$here/node/knex_fixture.js" "$out/knex.sqlite3"
echo "# fixture writers: $(secs "$t0") s"
chmod 644 "$out"/*.sqlite3 2>/dev/null
t0=$(now_ms)
for name in django sequelize sqlalchemy peewee knex; do
    if [[ -f $out/$name.sqlite3 ]]; then fixture_check "$name" "$out/$name.sqlite3"; else not_ok "fixture $name: file missing"; fi
done
echo "# fixture checks: $(secs "$t0") s"
echo "# total: $(secs "$t_all") s; fixtures and logs in $out"
echo "$passed passed, $failed failed"
[[ $failed -eq 0 ]]
