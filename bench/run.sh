#!/usr/bin/env bash
# liteport's benchmark harness: one command, run as root on Debian.
#
#   bench/run.sh            # full run, writes bench/results.md and the README table
#   REPEATS=3 bench/run.sh  # fewer repetitions (default 5; peers run 3 times)
#
# It builds a release build of the extension, writes deterministic SQLite files
# (1M and 4M rows of integer, bigint, real, short and long text, ISO timestamp text,
# 0/1 boolean and a 16-byte blob), starts its own PostgreSQL 15 cluster with fixed
# settings, and measures liteport against the limits (SQLite stepping the same rows by
# itself; Postgres copying the same rows between two native tables) and against the
# tools users pick instead (sqlite3 -csv | psql \copy, pgloader). Every figure is the
# median of several runs; ratios matter more than absolute times on a shared machine.
set -euo pipefail
cd "$(dirname "$0")/.."
root=$PWD
export PATH="$HOME/.cargo/bin:$PATH"
REPEATS=${REPEATS:-5}
PEER_REPEATS=${PEER_REPEATS:-3}
PG_CONFIG=/usr/lib/postgresql/15/bin/pg_config
data=/tmp/liteport-bench-data
dir=/tmp/liteport-bench port=5493
started=$(date +%s)

log() { printf '==> %s\n' "$*" >&2; }

scripts/setup.sh
if ! command -v pgloader >/dev/null; then
    log "installing pgloader (Debian package)"
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq pgloader >/dev/null
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
# Fixed settings: no parallel workers (every contender is one process), no JIT, no
# autovacuum or checkpoints in the middle of a measurement, fsync off on both sides.
cluster_start "$dir" "$port" \
    "shared_buffers = '1GB'" "max_wal_size = '16GB'" "checkpoint_timeout = '1h'" \
    "synchronous_commit = off" "autovacuum = off" "jit = off" \
    "max_parallel_workers_per_gather = 0" "work_mem = '64MB'"
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

log "copies: liteport INSERT ... SELECT vs native INSERT ... SELECT"
R[copy_liteport]=$(time_sql "INSERT INTO target SELECT * FROM f1m.bench" "TRUNCATE target")
# The same with SQLite stepped on the backend's own thread (read-ahead off).
R[copy_direct]=$(time_sql "INSERT INTO target SELECT * FROM f1m.bench" "TRUNCATE target; SET liteport.read_ahead = off")
R[scan_all_direct]=$(time_sql "SELECT * FROM f1m.bench OFFSET 100000000" "SET liteport.read_ahead = off")
R[scan_narrow]=$(time_sql "SELECT sum(i) FROM f1m.bench")
R[scan_narrow_direct]=$(time_sql "SELECT sum(i) FROM f1m.bench" "SET liteport.read_ahead = off")
log "  read-ahead off: copy ${R[copy_direct]} ms, scan ${R[scan_all_direct]} ms; one int column: on ${R[scan_narrow]} ms, off ${R[scan_narrow_direct]} ms"
R[copy_native]=$(time_sql "INSERT INTO target SELECT * FROM native_source" "TRUNCATE target")
log "  liteport ${R[copy_liteport]} ms, native ${R[copy_native]} ms"
psql_bench -c "TRUNCATE target" -c "INSERT INTO target SELECT * FROM f1m.bench"

log "peer: sqlite3 -csv | psql \\copy"
csv_pipeline() {
    psql_bench -c "TRUNCATE csv_target"
    sqlite3 -csv "$db1m" "SELECT id, i, b, r, short, long, ts, flag, '\\x' || hex(raw) FROM bench" \
        | psql_bench -c "\\copy csv_target FROM STDIN (FORMAT csv)"
}
R[copy_csv]=$(time_cmd "$PEER_REPEATS" csv_pipeline)
log "  ${R[copy_csv]} ms"

log "peer: pgloader"
pgloader_run() {
    cluster_psql "$dir" "$port" -qc "DROP DATABASE IF EXISTS pgloader" -c "CREATE DATABASE pgloader"
    pgloader --quiet "sqlite://$db1m" "pgsql://postgres@unix:$dir:$port/pgloader"
}
R[copy_pgloader]=$(time_cmd "$PEER_REPEATS" pgloader_run)
log "  ${R[copy_pgloader]} ms"

# Fidelity: does each path load the values SQLite holds? The REAL column is the
# telling one (the CLI prints 15 significant digits; a double needs up to 17).
fingerprint() { # DB TABLE
    cluster_psql "$dir" "$port" -d "$1" -qAt -c "SELECT count(*), md5(string_agg(r::text, ',' ORDER BY id)), md5(string_agg(encode(raw, 'hex'), ',' ORDER BY id)), md5(string_agg(ts::timestamp::text, ',' ORDER BY id)) FROM $2"
}
reference=$(fingerprint bench f1m.bench)
compare() { # DB TABLE -> which of the fingerprinted columns differ
    local got out=""
    got=$(fingerprint "$1" "$2" 2>/dev/null || echo "error")
    IFS='|' read -r rc rr rraw rts <<<"$reference"
    IFS='|' read -r gc gr graw gts <<<"$got"
    [[ $rc == "$gc" ]] || out+="row count $gc (expected $rc); "
    [[ $rr == "$gr" ]] || out+="REAL values differ; "
    [[ $rraw == "$graw" ]] || out+="blobs differ; "
    [[ $rts == "$gts" ]] || out+="timestamps differ; "
    out=${out%; }
    echo "${out:-identical}"
}
R[fid_liteport]=$(compare bench target)
R[fid_csv]=$(compare bench csv_target)
R[fid_pgloader]=$(compare pgloader bench)

log "liteport.profile of the 1M-row table"
R[profile]=$(REPEATS=3 time_sql "SELECT count(*) FROM liteport.profile('s1m', 'bench')")
log "  ${R[profile]} ms"

log "backend peak memory (VmHWM) by rows scanned"
vmhwm() {
    psql_bench -c "$1" -c "SELECT (regexp_match(pg_read_file('/proc/self/status'), 'VmHWM:\\s+(\\d+)'))[1]" | tail -1
}
R[mem_1k]=$(vmhwm "SELECT * FROM f4m.bench LIMIT 1000")
R[mem_1m]=$(vmhwm "SELECT * FROM f1m.bench OFFSET 100000000")
R[mem_4m]=$(vmhwm "SELECT * FROM f4m.bench OFFSET 100000000")

log "liteport.migrate + liteport.verify of the 1M-row file"
psql_bench -c "CREATE SCHEMA migrated"
# Each run recreates the table (drop_existing): create, load, primary key, identity.
R[migrate]=$(REPEATS=3 time_sql "SELECT count(*) FROM liteport.migrate('s1m', 'migrated', '{\"drop_existing\": true}')" "SET client_min_messages = warning")
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

table=$(cat <<EOF
| Measurement (1M rows unless noted) | liteport | Reference | liteport / reference | liteport rows/s |
|---|---:|---:|---:|---:|
| Scan, \`count(*)\` vs SQLite stepping the same query | ${R[scan_count_1m]} ms | ${R[step_count_1m]} ms | $(ratio "${R[scan_count_1m]}" "${R[step_count_1m]}") | $(rate 1000000 "${R[scan_count_1m]}") |
| Scan, every column converted vs SQLite reading every column | ${R[scan_all_1m]} ms | ${R[step_all_1m]} ms | $(ratio "${R[scan_all_1m]}" "${R[step_all_1m]}") | $(rate 1000000 "${R[scan_all_1m]}") |
| Scan, 4M rows, \`count(*)\` | ${R[scan_count_4m]} ms | ${R[step_count_4m]} ms | $(ratio "${R[scan_count_4m]}" "${R[step_count_4m]}") | $(rate 4000000 "${R[scan_count_4m]}") |
| Scan, 4M rows, every column | ${R[scan_all_4m]} ms | ${R[step_all_4m]} ms | $(ratio "${R[scan_all_4m]}" "${R[step_all_4m]}") | $(rate 4000000 "${R[scan_all_4m]}") |
| Scan, every column vs Postgres scanning a native table | ${R[scan_all_1m]} ms | ${R[native_scan_1m]} ms | $(ratio "${R[scan_all_1m]}" "${R[native_scan_1m]}") | |
| Copy, \`INSERT INTO target SELECT * FROM foreign\` vs the same from a native table | ${R[copy_liteport]} ms | ${R[copy_native]} ms | $(ratio "${R[copy_liteport]}" "${R[copy_native]}") | $(rate 1000000 "${R[copy_liteport]}") |
| Read-ahead thread (default) vs \`liteport.read_ahead = off\`: copy | ${R[copy_liteport]} ms | ${R[copy_direct]} ms | $(ratio "${R[copy_liteport]}" "${R[copy_direct]}") | |
| Read-ahead thread vs off: scan, every column | ${R[scan_all_1m]} ms | ${R[scan_all_direct]} ms | $(ratio "${R[scan_all_1m]}" "${R[scan_all_direct]}") | |
| Read-ahead thread vs off: scan of one integer column (\`sum(i)\`) | ${R[scan_narrow]} ms | ${R[scan_narrow_direct]} ms | $(ratio "${R[scan_narrow]}" "${R[scan_narrow_direct]}") | |
| Copy vs \`sqlite3 -csv \| psql \\\\copy\` (end to end) | ${R[copy_liteport]} ms | ${R[copy_csv]} ms | $(ratio "${R[copy_liteport]}" "${R[copy_csv]}") | |
| Copy vs pgloader (end to end, creates its own table) | ${R[copy_liteport]} ms | ${R[copy_pgloader]} ms | $(ratio "${R[copy_liteport]}" "${R[copy_pgloader]}") | |
| \`liteport.profile\` of the 1M-row table (9 columns, one pass) | ${R[profile]} ms | | | $(rate 1000000 "${R[profile]}") |
| \`liteport.migrate\` (create, load, primary key, identity) vs pgloader (end to end) | ${R[migrate]} ms | ${R[copy_pgloader]} ms | $(ratio "${R[migrate]}" "${R[copy_pgloader]}") | $(rate 1000000 "${R[migrate]}") |
| \`liteport.verify\`: counts and checksums on both sides (${R[verify_ok]}) vs the migration | ${R[verify]} ms | ${R[migrate]} ms | $(ratio "${R[verify]}" "${R[migrate]}") | $(rate 1000000 "${R[verify]}") |
| \`liteport.verify\`, counts only | ${R[verify_counts]} ms | | | |
| \`liteport.sync\` of 1,000 changed rows (indexed watermark; ${R[sync_check]}) vs the first, full sync | $(printf '%.1f' "${R[sync_incr]}") ms | $(printf '%.1f' "${R[sync_full]}") ms | $(ratio "${R[sync_incr]}" "${R[sync_full]}") | |

| Backend peak memory (VmHWM) after scanning | 1,000 rows | 1M rows | 4M rows |
|---|---:|---:|---:|
| every column converted | ${R[mem_1k]} kB | ${R[mem_1m]} kB | ${R[mem_4m]} kB |

| Values loaded, compared with what liteport reads (REAL, blob, timestamp columns) | Result |
|---|---|
| liteport \`INSERT ... SELECT\` | ${R[fid_liteport]} |
| \`sqlite3 -csv \| psql \\\\copy\` | ${R[fid_csv]} |
| pgloader | ${R[fid_pgloader]} |
EOF
)

cat >bench/results.md <<EOF
# liteport benchmark results

Written by \`bench/run.sh\` on $(date -u +%Y-%m-%d) in ${elapsed} s. Machine: $machine; SQLite $sqlite_version (liteport and the stepping driver use the same bundled build).
Medians of $REPEATS runs (peers: $PEER_REPEATS runs). Postgres settings: shared_buffers 1GB, fsync and synchronous_commit off,
no parallel workers, no JIT, no autovacuum; the copy target has the same columns and no indexes for every contender.

$table

Notes:
- "SQLite stepping" runs the exact query liteport sends (from EXPLAIN VERBOSE) in a small Rust program over the same SQLite, reading each column with the accessor its storage class needs: the least any reader can do.
- The scan "every column converted" is \`SELECT * FROM t OFFSET 100000000\`: every value is converted into the slot, nothing is returned.
- The pipeline and pgloader times are wall-clock for the whole command; liteport and native times are measured inside the server.
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
