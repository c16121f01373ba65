#!/usr/bin/env bash
# liteport's benchmark harness: one command, run as root on Debian.
#
#   bench/run.sh            # full run, writes bench/results.md and the README table
#   REPEATS=3 bench/run.sh  # fewer repetitions (default 5; peers run 3 times)
#
# It builds a release build of the extension, writes deterministic SQLite files
# (1M and 4M rows of integer, bigint, real, short and long text, ISO timestamp text,
# 0/1 boolean and a 16-byte blob), starts its own PostgreSQL 15 cluster as shipped
# (fsync and synchronous_commit on; only parallel workers, JIT and autovacuum off so
# that every contender is one process and nothing runs in between), and measures:
#  - loads of the 1M-row table, every contender the same way: the whole command
#    (a fresh psql, python or pgloader process), in interleaved rounds, medians:
#    binary COPY of the same rows (the floor), native INSERT ... SELECT between two
#    tables, liteport's INSERT ... SELECT and liteport.migrate, DuckDB 1.4.4's
#    sqlite + postgres attach (PyPI wheels, extensions loaded offline), the
#    sqlite3 -csv | psql \copy pipeline, pgloader; and what each changed of the values;
#  - scans against SQLite stepping the same query by itself (in one session);
#  - profile, verify and sync.
# The machine's load average is reported with the results; ratios matter more than
# absolute times on a shared machine. sqlite_fdw is not a contender: its source is on
# GitHub and PGXN, which this machine cannot reach, and no registry packages it.
set -euo pipefail
cd "$(dirname "$0")/.."
root=$PWD
export PATH="$HOME/.cargo/bin:$PATH"
REPEATS=${REPEATS:-7}
PEER_REPEATS=${PEER_REPEATS:-3}
PG_CONFIG=${PG_CONFIG:-/usr/lib/postgresql/15/bin/pg_config}
export PGBIN=$(dirname "$PG_CONFIG")
data=/tmp/liteport-bench-data
dir=/tmp/liteport-bench port=5493
started=$(date +%s)

log() { printf '==> %s\n' "$*" >&2; }

scripts/setup.sh
if ! command -v pgloader >/dev/null; then
    log "installing pgloader (Debian package)"
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq pgloader >/dev/null
fi

bench_venv=/var/cache/liteport/bench-venv
if [[ ! -x $bench_venv/bin/python ]] || ! "$bench_venv/bin/python" -c 'import duckdb' 2>/dev/null; then
    log "DuckDB 1.4.4 with its sqlite and postgres extensions (PyPI) in $bench_venv"
    python3 -m venv "$bench_venv"
    "$bench_venv/bin/pip" install -q --disable-pip-version-check duckdb==1.4.4 duckdb-ext-sqlite==1.4.4.20260205 duckdb-ext-postgres==1.4.4.20260205
fi

log "building the release extension and the SQLite driver"
cargo pgrx install --release --pg-config "$PG_CONFIG" >/tmp/liteport-bench-install.log 2>&1 \
    || { tail -30 /tmp/liteport-bench-install.log; exit 1; }
(cd bench/driver && cargo build --release -q)
driver=$root/bench/driver/target/release/liteport-bench-driver

# The files are deterministic: build once, reuse while the driver is unchanged.
mkdir -p "$data" && chmod 755 "$data"
stamp=$(sha256sum bench/driver/src/main.rs | cut -c1-16)
for rows in 1000000 4000000; do
    f=$data/bench_$rows.db
    if [[ ! -f $f || "$(cat "$f.stamp" 2>/dev/null)" != "$stamp" ]]; then
        log "writing $f"
        "$driver" generate "$f" "$rows"
        echo "$stamp" >"$f.stamp"
    fi
    chmod 644 "$f"
done
db1m=$data/bench_1000000.db db4m=$data/bench_4000000.db

source scripts/cluster.sh
trap 'cluster_stop $dir' EXIT
# As shipped (fsync on), except: no parallel workers (every contender is one
# process), no JIT, no autovacuum, and checkpoints spaced so none lands inside a
# measurement (the WAL of every load is written and fsynced all the same).
cluster_start "$dir" "$port" \
    "fsync = on" "synchronous_commit = on" \
    "max_wal_size = '16GB'" "checkpoint_timeout = '1h'" \
    "autovacuum = off" "jit = off" "max_parallel_workers_per_gather = 0"
psql_bench() { cluster_psql "$dir" "$port" -d bench -qAt "$@"; }
cluster_psql "$dir" "$port" -qc "CREATE DATABASE bench"

psql_bench >/dev/null <<SQL
CREATE EXTENSION liteport;
CREATE SERVER s1m FOREIGN DATA WRAPPER liteport OPTIONS (database '$db1m');
CREATE SERVER s4m FOREIGN DATA WRAPPER liteport OPTIONS (database '$db4m');
CREATE SCHEMA f1m; CREATE SCHEMA f4m;
IMPORT FOREIGN SCHEMA main FROM SERVER s1m INTO f1m;
IMPORT FOREIGN SCHEMA main FROM SERVER s4m INTO f4m;
-- i holds int4-range values: read it as integer, so narrowing is part of the work.
ALTER FOREIGN TABLE f1m.bench ALTER COLUMN i TYPE integer;
ALTER FOREIGN TABLE f4m.bench ALTER COLUMN i TYPE integer;
-- One target DDL for every contender that lets us choose it.
CREATE TABLE target (LIKE f1m.bench);
CREATE TABLE native_source (LIKE f1m.bench);
CREATE TABLE csv_target (LIKE f1m.bench);
INSERT INTO native_source SELECT * FROM f1m.bench;
VACUUM (FREEZE, ANALYZE) native_source;
CREATE FUNCTION elapsed_ms(statement text) RETURNS float8 LANGUAGE plpgsql AS \$\$
DECLARE started timestamptz := clock_timestamp();
BEGIN
    EXECUTE statement;
    RETURN extract(epoch FROM clock_timestamp() - started) * 1000;
END \$\$;
SQL

median() { sort -n | awk '{v[NR] = $1} END {printf "%.1f", v[int((NR + 1) / 2)]}'; }

# time_sql STATEMENT [SETUP]: median server-side milliseconds of STATEMENT over
# REPEATS runs in one session (after one warm-up run), SETUP before each run.
time_sql() {
    local statement=$1 setup=${2:-} script="" REPEATS=${REPEATS}
    local quoted=${statement//\'/\'\'}
    for ((n = 0; n <= REPEATS; n++)); do
        [[ -n $setup ]] && script+="$setup;"$'\n'
        script+="SELECT elapsed_ms('$quoted');"$'\n'
    done
    psql_bench <<<"$script" | tail -n "$REPEATS" | median
}

# time_cmd N COMMAND...: median wall-clock milliseconds of a shell command.
time_cmd() {
    local n=$1; shift
    for ((k = 0; k < n; k++)); do
        local t0 t1
        t0=$(date +%s%N)
        "$@" >/dev/null 2>>/tmp/liteport-bench-peer.log
        t1=$(date +%s%N)
        echo $(((t1 - t0) / 1000000))
    done | median
}

remote_sql() { psql_bench -c "EXPLAIN (VERBOSE, COSTS OFF) $1" | sed -n 's/^ *SQLite query: //p'; }

declare -A R
log "scans: liteport vs SQLite stepping by itself"
for size in 1m 4m; do
    file=$db1m; [[ $size == 4m ]] && file=$db4m
    for kind in count all; do
        if [[ $kind == count ]]; then q="SELECT count(*) FROM f$size.bench"; else q="SELECT * FROM f$size.bench OFFSET 100000000"; fi
        R[scan_${kind}_$size]=$(time_sql "$q")
        sqlite_sql=$(remote_sql "$q")
        R[step_${kind}_$size]=$("$driver" step "$file" "$sqlite_sql" "$REPEATS" | cut -d' ' -f1)
        log "  $size $kind: liteport ${R[scan_${kind}_$size]} ms, SQLite ${R[step_${kind}_$size]} ms ($sqlite_sql)"
    done
done
R[native_scan_1m]=$(time_sql "SELECT * FROM native_source OFFSET 100000000")

log "read-ahead thread on and off (in one session)"
R[copy_direct]=$(time_sql "INSERT INTO target SELECT * FROM f1m.bench" "TRUNCATE target; SET liteport.read_ahead = off")
R[copy_session]=$(time_sql "INSERT INTO target SELECT * FROM f1m.bench" "TRUNCATE target")
R[scan_all_direct]=$(time_sql "SELECT * FROM f1m.bench OFFSET 100000000" "SET liteport.read_ahead = off")
R[scan_narrow]=$(time_sql "SELECT sum(i) FROM f1m.bench")
R[scan_narrow_direct]=$(time_sql "SELECT sum(i) FROM f1m.bench" "SET liteport.read_ahead = off")
log "  copy on ${R[copy_session]} ms, off ${R[copy_direct]} ms; scan off ${R[scan_all_direct]} ms; one int column: on ${R[scan_narrow]} ms, off ${R[scan_narrow_direct]} ms"

# ---- loads, end to end: every contender a whole command, interleaved rounds ----
binfile=$data/bench_1m.bin
psql_bench -c "\\copy native_source TO '$binfile' (FORMAT binary)"
chmod 644 "$binfile"
duck_ext=$("$bench_venv/bin/python" -c 'import duckdb_ext, os; print(os.path.join(os.path.dirname(duckdb_ext.__path__[0] if hasattr(duckdb_ext, "__path__") else duckdb_ext.__file__), "duckdb_ext", "extensions", "v1.4.4", "linux_amd64"))' 2>/dev/null || true)
[[ -d $duck_ext ]] || duck_ext=$(find "$bench_venv" -path '*duckdb_ext/extensions/v1.4.4/linux_amd64' -type d | head -1)
cat >/tmp/liteport-bench-duckdb.py <<PY
import duckdb, sys
c = duckdb.connect()
c.execute("LOAD '$duck_ext/sqlite_scanner.duckdb_extension'")
c.execute("LOAD '$duck_ext/postgres_scanner.duckdb_extension'")
c.execute("ATTACH '$db1m' AS s (TYPE sqlite)")
c.execute("ATTACH 'dbname=bench host=$dir port=$port user=postgres' AS p (TYPE postgres)")
c.execute("DROP TABLE IF EXISTS p.public.duck_target")
c.execute("CREATE TABLE p.public.duck_target AS SELECT * FROM s.bench")
PY
contender_cmd() { # NAME: run the contender's whole command
    case $1 in
        copy_binary) psql_bench -c "COPY target FROM '$binfile' (FORMAT binary)" ;;
        copy_binary_pk) psql_bench -1 -c "CREATE TABLE target_pk (LIKE native_source)" -c "COPY target_pk FROM '$binfile' (FORMAT binary, FREEZE)" -c "ALTER TABLE target_pk ADD PRIMARY KEY (id)" ;;
        native) psql_bench -c "INSERT INTO target SELECT * FROM native_source" ;;
        liteport_insert) psql_bench -c "INSERT INTO target SELECT * FROM f1m.bench" ;;
        liteport_migrate) psql_bench -c "SET client_min_messages = warning" -c "SELECT count(*) FROM liteport.migrate('s1m', 'migrated')" ;;
        liteport_migrate_ordinary) psql_bench -c "SET client_min_messages = warning" -c "SELECT count(*) FROM liteport.migrate('s1m', 'migrated_ordinary', '{\"bulk\": false}')" ;;
        liteport_resumable_1 | liteport_resumable_2) psql_bench -c "SET client_min_messages = warning" -c "CALL liteport.migrate_resumable('s1m', 'resumed_${1##*_}', '{\"parallel\": ${1##*_}}', 100000)" ;;
        duckdb) "$bench_venv/bin/python" /tmp/liteport-bench-duckdb.py ;;
        csv) sqlite3 -csv "$db1m" "SELECT id, i, b, r, short, long, ts, flag, '\\x' || hex(raw) FROM bench" | psql_bench -c "\\copy csv_target FROM STDIN (FORMAT csv)" ;;
        pgloader) pgloader --quiet "sqlite://$db1m" "pgsql://postgres@unix:$dir:$port/pgloader" ;;
    esac
}
contender_reset() { # NAME: empty its target (not timed)
    case $1 in
        copy_binary | native | liteport_insert) psql_bench -c "TRUNCATE target" ;;
        csv) psql_bench -c "TRUNCATE csv_target" ;;
        copy_binary_pk) psql_bench -c "DROP TABLE IF EXISTS target_pk" ;;
        liteport_migrate) psql_bench -c "DROP TABLE IF EXISTS migrated.bench" ;;
        liteport_migrate_ordinary) psql_bench -c "DROP TABLE IF EXISTS migrated_ordinary.bench" ;;
        pgloader) cluster_psql "$dir" "$port" -qc "DROP DATABASE IF EXISTS pgloader" -c "CREATE DATABASE pgloader" ;;
        liteport_resumable_*) psql_bench -c "DROP SCHEMA IF EXISTS resumed_${1##*_} CASCADE" -c "DELETE FROM liteport.resumable_migrations WHERE target_schema = 'resumed_${1##*_}'" -c "CREATE SCHEMA resumed_${1##*_}" ;;
        *) ;;
    esac
}
psql_bench -c "CREATE SCHEMA migrated" -c "CREATE SCHEMA migrated_ordinary"
contenders=(copy_binary copy_binary_pk native liteport_insert liteport_migrate liteport_migrate_ordinary liteport_resumable_1 liteport_resumable_2 duckdb csv pgloader)
declare -A T
load_before=$(cut -d' ' -f1-3 /proc/loadavg)
log "loads of the 1M-row table, end to end, $REPEATS interleaved rounds"
# Round 0 warms every contender up alike (the page cache holds the SQLite file and the
# COPY file, the cluster has made its WAL segments) and is not counted.
for ((round = 0; round <= REPEATS; round++)); do
    for c in "${contenders[@]}"; do
        contender_reset "$c" >/dev/null 2>&1
        sync
        t0=$(date +%s%N)
        contender_cmd "$c" >/dev/null 2>>/tmp/liteport-bench-peer.log || echo "# $c failed in round $round" >&2
        t1=$(date +%s%N)
        if ((round > 0)); then T[$c]+="$(((t1 - t0) / 1000000)) "; fi
    done
    ((round > 0)) || { log "  warm-up round done"; continue; }
    log "  round $round: $(for c in "${contenders[@]}"; do printf '%s %s ms, ' "$c" "$(echo "${T[$c]}" | awk '{print $NF}')"; done)"
done
load_after=$(cut -d' ' -f1-3 /proc/loadavg)
for c in "${contenders[@]}"; do R[load_$c]=$(echo "${T[$c]}" | tr ' ' '\n' | grep . | median); done
R[copy_liteport]=${R[load_liteport_insert]} R[copy_native]=${R[load_native]} R[migrate]=${R[load_liteport_migrate]} R[copy_pgloader]=${R[load_pgloader]}

# Fidelity: does each path load the values SQLite holds? The REAL column is the
# telling one (the CLI prints 15 significant digits; a double needs up to 17).
fingerprint() { # DB TABLE
    cluster_psql "$dir" "$port" -d "$1" -qAt -c "SELECT count(*), md5(string_agg(r::text, ',' ORDER BY id)), md5(string_agg(encode(raw, 'hex'), ',' ORDER BY id)), md5(string_agg(ts::timestamp::text, ',' ORDER BY id)) FROM $2"
}
reference=$(fingerprint bench f1m.bench)
compare() { # DB TABLE -> which of the fingerprinted columns differ
    local got out=""
    got=$(fingerprint "$1" "$2" 2>/dev/null || echo "error")
    [[ $got == error ]] && { echo "cannot be compared (the columns' types differ)"; return; }
    IFS='|' read -r rc rr rraw rts <<<"$reference"
    IFS='|' read -r gc gr graw gts <<<"$got"
    [[ $rc == "$gc" ]] || out+="row count $gc (expected $rc); "
    [[ $rr == "$gr" ]] || out+="REAL values differ; "
    [[ $rraw == "$graw" ]] || out+="blobs differ; "
    [[ $rts == "$gts" ]] || out+="timestamps differ; "
    out=${out%; }
    echo "${out:-identical}"
}
psql_bench -c "TRUNCATE target" -c "INSERT INTO target SELECT * FROM f1m.bench" >/dev/null
R[fid_liteport]=$(compare bench target)
R[fid_migrate]=$(compare bench migrated.bench)
R[fid_csv]=$(compare bench csv_target)
R[fid_pgloader]=$(compare pgloader bench)
R[fid_duckdb]=$(compare bench duck_target)
psql_bench -c "TRUNCATE target" -c "COPY target FROM '$binfile' (FORMAT binary)" >/dev/null
R[fid_copy]=$(compare bench target)

# Backend private memory of liteport's load, at 1M and 4M rows: the whole load, then
# the backend's own anonymous memory and peak resident set.
load_memory() { # FOREIGN_TABLE
    psql_bench -c "TRUNCATE target" -c "INSERT INTO target SELECT * FROM $1" \
        -c "SELECT (regexp_match(pg_read_file('/proc/self/status'), 'RssAnon:\\s+(\\d+)'))[1] || ' kB private, ' || (regexp_match(pg_read_file('/proc/self/status'), 'VmHWM:\\s+(\\d+)'))[1] || ' kB peak resident'" | tail -1
}
psql_bench -c "CREATE TABLE target4m (LIKE f4m.bench)" >/dev/null
R[loadmem_1m]=$(load_memory f1m.bench)
R[loadmem_4m]=$(psql_bench -c "INSERT INTO target4m SELECT * FROM f4m.bench" -c "SELECT (regexp_match(pg_read_file('/proc/self/status'), 'RssAnon:\\s+(\\d+)'))[1] || ' kB private, ' || (regexp_match(pg_read_file('/proc/self/status'), 'VmHWM:\\s+(\\d+)'))[1] || ' kB peak resident'" | tail -1)
psql_bench -c "DROP TABLE target4m" >/dev/null

log "liteport.profile of the 1M-row table"
R[profile]=$(REPEATS=3 time_sql "SELECT count(*) FROM liteport.profile('s1m', 'bench')")
# The part of every migrate before its first row: the schema, and the survey of every
# value that chooses types holding them all.
R[plan]=$(REPEATS=3 time_sql "SELECT count(*) FROM liteport.plan('s1m', 'planned')")
log "  ${R[profile]} ms"

log "backend peak memory (VmHWM) by rows scanned"
vmhwm() {
    psql_bench -c "$1" -c "SELECT (regexp_match(pg_read_file('/proc/self/status'), 'VmHWM:\\s+(\\d+)'))[1]" | tail -1
}
R[mem_1k]=$(vmhwm "SELECT * FROM f4m.bench LIMIT 1000")
R[mem_1m]=$(vmhwm "SELECT * FROM f1m.bench OFFSET 100000000")
R[mem_4m]=$(vmhwm "SELECT * FROM f4m.bench OFFSET 100000000")

log "liteport.migrate + liteport.verify of the 1M-row file"
R[verify]=$(REPEATS=3 time_sql "SELECT count(*) FROM liteport.verify('s1m', 'migrated')")
R[verify_counts]=$(REPEATS=3 time_sql "SELECT count(*) FROM liteport.verify('s1m', 'migrated', '{\"checksum\": false}')")
R[verify_ok]=$(psql_bench -c "SELECT CASE WHEN bool_and(matches) THEN 'every table matches' ELSE 'MISMATCH' END FROM liteport.verify('s1m', 'migrated')")
log "  migrate ${R[migrate]} ms, verify ${R[verify]} ms (${R[verify_ok]}), counts only ${R[verify_counts]} ms"
log "incremental sync: 1,000 changed rows of the 1M-row table, indexed watermark"
sync_db=$data/bench_sync.db
cp "$db1m" "$sync_db" && chmod 644 "$sync_db"
sqlite3 "$sync_db" "ALTER TABLE bench ADD COLUMN version INTEGER NOT NULL DEFAULT 0; UPDATE bench SET version = id; CREATE INDEX bench_version ON bench(version);"
psql_bench >/dev/null <<SQL
CREATE SERVER ssync FOREIGN DATA WRAPPER liteport OPTIONS (database '$sync_db');
CREATE SCHEMA ssync;
IMPORT FOREIGN SCHEMA main LIMIT TO (bench) FROM SERVER ssync INTO ssync;
CREATE TABLE sync_target (LIKE ssync.bench);
ALTER TABLE sync_target ADD PRIMARY KEY (id);
SQL
sync_once() { psql_bench -c "SELECT elapsed_ms(\$q\$SELECT * FROM liteport.sync('ssync.bench', 'sync_target', watermark => 'version')\$q\$)"; }
R[sync_full]=$(sync_once)
sqlite3 "$sync_db" "UPDATE bench SET r = r + 1, version = 1000000 + id WHERE id IN (SELECT id FROM bench ORDER BY random() LIMIT 1000);"
R[sync_incr]=$(sync_once)
R[sync_check]=$(psql_bench -c "SELECT rows_inserted || ' inserted, ' || rows_updated || ' updated' FROM liteport.sync_log ORDER BY id DESC LIMIT 1")
log "  first (full) sync ${R[sync_full]} ms, incremental ${R[sync_incr]} ms (${R[sync_check]})"

# ---- report ----
rate() { awk -v rows="$1" -v ms="$2" 'BEGIN {printf "%.2fM", rows / ms / 1000}'; }
ratio() { awk -v a="$1" -v b="$2" 'BEGIN {printf "%.2f×", a / b}'; }
sqlite_version=$("$driver" version)
machine="$(nproc) cores ($(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | xargs)), $(free -g | awk '/Mem:/ {print $2}') GiB RAM, $(psql_bench -c 'SHOW server_version' | cut -d' ' -f1), Debian $(cat /etc/debian_version)"
elapsed=$(($(date +%s) - started))

load_row() { # NAME LABEL FIDELITY
    printf '| %s | %s ms | %s | %s | %s | %s |\n' "$2" "${R[load_$1]}" "$(ratio "${R[load_$1]}" "${R[load_copy_binary]}")" "$(ratio "${R[load_$1]}" "${R[load_native]}")" "$(rate 1000000 "${R[load_$1]}")" "$3"
}
table=$(cat <<EOF
Loading the 1M-row table into Postgres, end to end (the whole command, a fresh process each time; fsync on; medians of $REPEATS interleaved rounds after one warm-up round; load average ${load_before} before, ${load_after} after):

| Contender | Time | vs binary COPY | vs native INSERT ... SELECT | rows/s | Values, compared with what liteport reads |
|---|---:|---:|---:|---:|---|
$(load_row copy_binary "\`COPY target FROM 'file' (FORMAT binary)\` of the same rows (the floor)" "${R[fid_copy]}")
$(load_row copy_binary_pk "\`CREATE TABLE\`, \`COPY ... (FORMAT binary, FREEZE)\`, \`ADD PRIMARY KEY\` in one transaction (the work migrate does, by COPY)" "${R[fid_copy]}")
$(load_row native "\`INSERT INTO target SELECT * FROM native_source\` (native table to native table)" "identical")
$(load_row liteport_migrate "\`liteport.migrate\` (create, bulk load, primary key, identity restart)" "${R[fid_migrate]}")
$(load_row liteport_migrate_ordinary "\`liteport.migrate\` with \`\"bulk\": false\` (ordinary INSERT ... SELECT inside)" "${R[fid_migrate]}")
$(load_row liteport_resumable_1 "\`liteport.migrate_resumable\`, chunks of 100,000 rows, each committed (parallel 1)" "${R[fid_migrate]}")
$(load_row liteport_resumable_2 "\`liteport.migrate_resumable\`, parallel 2 (the caller and one background worker)" "${R[fid_migrate]}")
$(load_row liteport_insert "liteport \`INSERT INTO target SELECT * FROM foreign_table\`" "${R[fid_liteport]}")
$(load_row duckdb "DuckDB 1.4.4: \`ATTACH\` sqlite and postgres, \`CREATE TABLE ... AS SELECT\`" "${R[fid_duckdb]}")
$(load_row csv "\`sqlite3 -csv \\| psql \\\\copy\`" "${R[fid_csv]}")
$(load_row pgloader "pgloader (creates its own table)" "${R[fid_pgloader]}")

Backend memory of liteport's \`INSERT ... SELECT\`: ${R[loadmem_1m]} after 1M rows; ${R[loadmem_4m]} after 4M rows.

Scans and the other functions, measured inside one session (medians of $REPEATS):

| Measurement (1M rows unless noted) | liteport | Reference | liteport / reference | liteport rows/s |
|---|---:|---:|---:|---:|
| Scan, \`count(*)\` vs SQLite stepping the same query | ${R[scan_count_1m]} ms | ${R[step_count_1m]} ms | $(ratio "${R[scan_count_1m]}" "${R[step_count_1m]}") | $(rate 1000000 "${R[scan_count_1m]}") |
| Scan, every column converted vs SQLite reading every column | ${R[scan_all_1m]} ms | ${R[step_all_1m]} ms | $(ratio "${R[scan_all_1m]}" "${R[step_all_1m]}") | $(rate 1000000 "${R[scan_all_1m]}") |
| Scan, 4M rows, \`count(*)\` | ${R[scan_count_4m]} ms | ${R[step_count_4m]} ms | $(ratio "${R[scan_count_4m]}" "${R[step_count_4m]}") | $(rate 4000000 "${R[scan_count_4m]}") |
| Scan, 4M rows, every column | ${R[scan_all_4m]} ms | ${R[step_all_4m]} ms | $(ratio "${R[scan_all_4m]}" "${R[step_all_4m]}") | $(rate 4000000 "${R[scan_all_4m]}") |
| Scan, every column vs Postgres scanning a native table | ${R[scan_all_1m]} ms | ${R[native_scan_1m]} ms | $(ratio "${R[scan_all_1m]}" "${R[native_scan_1m]}") | |
| Read-ahead thread (default) vs \`liteport.read_ahead = off\`: \`INSERT ... SELECT\` | ${R[copy_session]} ms | ${R[copy_direct]} ms | $(ratio "${R[copy_session]}" "${R[copy_direct]}") | |
| Read-ahead thread vs off: scan, every column | ${R[scan_all_1m]} ms | ${R[scan_all_direct]} ms | $(ratio "${R[scan_all_1m]}" "${R[scan_all_direct]}") | |
| Read-ahead thread vs off: scan of one integer column (\`sum(i)\`) | ${R[scan_narrow]} ms | ${R[scan_narrow_direct]} ms | $(ratio "${R[scan_narrow]}" "${R[scan_narrow_direct]}") | |
| \`liteport.profile\` of the 1M-row table (9 columns, one pass) | ${R[profile]} ms | | | $(rate 1000000 "${R[profile]}") |
| \`liteport.verify\` (every value, both sides; ${R[verify_ok]}) vs the migration (end to end) | ${R[verify]} ms | ${R[migrate]} ms | $(ratio "${R[verify]}" "${R[migrate]}") | $(rate 1000000 "${R[verify]}") |
| \`liteport.plan\` (the schema and the survey of every value that chooses the types; the first part of every migrate) vs the migration | ${R[plan]} ms | ${R[migrate]} ms | $(ratio "${R[plan]}" "${R[migrate]}") | $(rate 1000000 "${R[plan]}") |
| \`liteport.verify\`, counts only | ${R[verify_counts]} ms | | | |
| \`liteport.sync\` of 1,000 changed rows (indexed watermark; ${R[sync_check]}) vs the first, full sync | $(printf '%.1f' "${R[sync_incr]}") ms | $(printf '%.1f' "${R[sync_full]}") ms | $(ratio "${R[sync_incr]}" "${R[sync_full]}") | |

| Backend peak memory (VmHWM) after scanning | 1,000 rows | 1M rows | 4M rows |
|---|---:|---:|---:|
| every column converted | ${R[mem_1k]} kB | ${R[mem_1m]} kB | ${R[mem_4m]} kB |
EOF
)

cat >bench/results.md <<EOF
# liteport benchmark results

Written by \`bench/run.sh\` on $(date -u +%Y-%m-%d) in ${elapsed} s. Machine: $machine; SQLite $sqlite_version (liteport and the stepping driver use the same bundled build).
Postgres as shipped (fsync and synchronous_commit on, shared_buffers 128MB) but for no parallel workers, no JIT, no
autovacuum and checkpoints spaced out; every load target has the same columns and no indexes (pgloader, DuckDB and
liteport.migrate create their own; migrate adds its primary key after the load, inside the timed command).

$table

Notes:
- "SQLite stepping" runs the exact query liteport sends (from EXPLAIN VERBOSE) in a small Rust program over the same SQLite, reading each column with the accessor its storage class needs: the least any reader can do.
- The scan "every column converted" is \`SELECT * FROM t OFFSET 100000000\`: every value is converted into the slot, nothing is returned.
- Load times are wall-clock for the whole command (process start, connection, the load, COMMIT with its WAL fsync), for every contender alike, in rounds that take each contender in turn; the target is emptied (TRUNCATE, DROP) before each run, outside the timing.
- sqlite_fdw is not measured: its source is on GitHub and PGXN, which this machine cannot reach, and no package registry it can reach carries it.
EOF

# The README keeps the latest table between its markers.
python3 - "$table" "$machine" <<'PY'
import re, sys
table, machine = sys.argv[1], sys.argv[2]
readme = open("README.md").read()
block = f"<!-- bench:start -->\nMachine: {machine}. Full report: [bench/results.md](bench/results.md).\n\n{table}\n<!-- bench:end -->"
if "<!-- bench:start -->" in readme:
    readme = re.sub(r"<!-- bench:start -->.*?<!-- bench:end -->", lambda m: block, readme, flags=re.S)
    open("README.md", "w").write(readme)
PY
cat bench/results.md
log "benchmark finished in ${elapsed} s"
