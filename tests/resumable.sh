#!/usr/bin/env bash
# liteport.migrate_resumable: a migration that commits chunk by chunk survives a killed
# backend (called again, it goes on where it stopped and loads no row twice: the
# primary keys it adds at the end would fail otherwise), shows its progress to another
# session while it runs, and refuses to resume on a source that changed meanwhile.
# Usage: tests/resumable.sh SOCKET_DIR PORT  (a running cluster with liteport installed)
set -uo pipefail
host=$1 port=$2
work=/tmp/liteport_resumable
db=liteport_resumable
rm -rf "$work" && mkdir -p "$work" && chmod 755 "$work"
failures=0 passed=0
ok() { echo "ok $1"; passed=$((passed + 1)); }
not_ok() { echo "not ok $1: $2"; failures=$((failures + 1)); }
sql() { psql -X -h "$host" -p "$port" -U postgres -d "$db" -v ON_ERROR_STOP=1 -qAt "$@"; }
psql -X -q -h "$host" -p "$port" -U postgres -d postgres -c "DROP DATABASE IF EXISTS $db" -c "CREATE DATABASE $db" || exit 1

src=$work/big.db
sqlite3 "$src" "
    CREATE TABLE parent(id INTEGER PRIMARY KEY, name TEXT NOT NULL);
    CREATE TABLE child(id INTEGER PRIMARY KEY, parent_id INTEGER REFERENCES parent(id), amount REAL, note TEXT);
    CREATE TABLE tags(k TEXT PRIMARY KEY, v TEXT) WITHOUT ROWID;
    WITH RECURSIVE c(n) AS (SELECT 1 UNION ALL SELECT n + 1 FROM c WHERE n < 1000) INSERT INTO parent SELECT n, 'parent ' || n FROM c;
    WITH RECURSIVE c(n) AS (SELECT 1 UNION ALL SELECT n + 1 FROM c WHERE n < 400000)
        INSERT INTO child SELECT n * 3, 1 + n % 1000, n / 7.0, printf('note %d %s', n, hex(randomblob(20))) FROM c;
    INSERT INTO tags VALUES ('a', '1'), ('b', '2');"
chmod 644 "$src"
sql -c "SET client_min_messages = warning" -c "CREATE EXTENSION liteport" -c "CREATE SERVER rs FOREIGN DATA WRAPPER liteport OPTIONS (database '$src')" -c "CREATE SCHEMA rs_target"

# terminate_mid_load APP SCHEMA OPTIONS CHUNK_ROWS ROWS LOG: a migration into SCHEMA
# started in its own session (application_name APP), terminated once child has ROWS
# rows read.
terminate_mid_load() {
    local app=$1 schema=$2 options=$3 chunk=$4 rows=$5 log=$6 victim
    psql -X -h "$host" -p "$port" -U postgres -d "$db" -qAt -c "SET application_name = '$app'" \
        -c "CALL liteport.migrate_resumable('rs', '$schema', '$options', $chunk)" >"$log" 2>&1 &
    victim=$!
    for _ in $(seq 1 1200); do
        [[ -n $(sql -c "SELECT 1 FROM liteport.resumable_tables WHERE target_schema = '$schema' AND table_name = 'child' AND rows_read >= $rows") ]] && break
        sleep 0.05
    done
    sql -c "SELECT pg_catalog.pg_terminate_backend(pid) FROM pg_stat_activity WHERE application_name = '$app'" >/dev/null
    wait "$victim" 2>/dev/null
}

# 1. Start it, watch its progress from this session, kill it mid-way.
psql -X -h "$host" -p "$port" -U postgres -d "$db" -qAt -c "SET application_name = 'resumable_victim'" \
    -c "CALL liteport.migrate_resumable('rs', 'rs_target', '{}', 20000)" >"$work/first.log" 2>&1 &
victim=$!
seen=""
for _ in $(seq 1 600); do
    seen=$(sql -c "SELECT rows_read || ' of ' || source_rows || ' rows, ' || coalesce(rows_per_second::text, '?') || ' rows/s' FROM liteport.migration_progress WHERE table_name = 'child' AND status = 'loading' AND rows_read >= 100000")
    [[ -n $seen ]] && break
    sleep 0.1
done
killed=$(sql -c "SELECT count(pg_catalog.pg_terminate_backend(pid)) FROM pg_stat_activity WHERE application_name = 'resumable_victim'")
wait "$victim" 2>/dev/null
[[ -n $seen ]] && ok "progress visible from another session while it runs ($seen)" || not_ok "progress visible" "nothing seen"
[[ $killed == 1 ]] && ok "backend killed mid-way" || not_ok "backend killed mid-way" "$killed"
state=$(sql -F' ' -c "SELECT status, rows_loaded FROM liteport.resumable_tables WHERE table_name = 'child'")
loaded=$(sql -c "SELECT count(*) FROM rs_target.child")
rows_loaded=${state#* }
[[ ${state% *} == loading && $loaded == "$rows_loaded" && $loaded -gt 0 && $loaded -lt 400000 ]] \
    && ok "after the kill: child partly loaded ($loaded rows), exactly the committed chunks the state records" \
    || not_ok "state after the kill" "state '$state', rows in target $loaded"

# 2. Call again: it goes on and finishes; nothing twice; verify matches.
t0=$(date +%s%N)
if sql -c "SET client_min_messages = warning" -c "CALL liteport.migrate_resumable('rs', 'rs_target', '{}', 20000)" >"$work/second.log" 2>&1; then
    t1=$(date +%s%N)
    rest=$((400000 - loaded))
    ok "the second call finishes ($rest rows in $(((t1 - t0) / 1000000)) ms: $((rest * 1000000000 / (t1 - t0 + 1))) rows/s)"
else
    not_ok "the second call finishes" "$(tail -3 "$work/second.log")"
fi
r=$(sql -F' ' -c "SELECT (SELECT count(*) FROM rs_target.parent), (SELECT count(*) FROM rs_target.child), (SELECT count(DISTINCT id) FROM rs_target.child), (SELECT count(*) FROM rs_target.tags)")
[[ $r == "1000 400000 400000 2" ]] && ok "every row once (1000 + 400000 + 2)" || not_ok "every row once" "$r"
r=$(sql -c "SELECT count(*) FROM pg_constraint WHERE conrelid IN ('rs_target.child'::regclass, 'rs_target.parent'::regclass) AND contype IN ('p', 'f')")
[[ $r == 3 ]] && ok "keys and the foreign key added after the loads" || not_ok "constraints" "$r"
r=$(sql -c "SELECT string_agg(table_name || ':' || matches, ',' ORDER BY table_name) FROM liteport.verify('rs', 'rs_target')")
[[ $r == "child:true,parent:true,tags:true" || $r == "child:t,parent:t,tags:t" ]] && ok "verify matches every table" || not_ok "verify" "$r"
r=$(sql -c "INSERT INTO rs_target.parent (name) VALUES ('new') RETURNING id")
[[ $r == 1001 ]] && ok "identity continues after the loaded ids" || not_ok "identity" "$r"
r=$(sql -c "SET client_min_messages = notice" -c "CALL liteport.migrate_resumable('rs', 'rs_target', '{}', 20000)" 2>&1)
[[ $r == *finished* ]] && ok "a finished migration says so when called again" || not_ok "called again when finished" "$r"

# 3. A source that changed between calls: refused, nothing mixed.
sql -c "CREATE SCHEMA rs_changed"
terminate_mid_load resumable_victim2 rs_changed '{}' 20000 60000 "$work/third.log"
sqlite3 "$src" "INSERT INTO child VALUES (1200003, 1, 0.5, 'written meanwhile');"
r=$(sql -c "CALL liteport.migrate_resumable('rs', 'rs_changed', '{}', 20000)" 2>&1)
[[ $r == *"the source changed since the migration began"* ]] && ok "a source changed between calls is refused (SQLSTATE 40001)" || not_ok "changed source refused" "$r"


# 4. parallel: N - 1 background workers take rowid ranges alongside the caller. The
#    same file with N = 1 and N = 2 (rows/s of the load, on this machine), every row
#    once, verify matching, and the ranges loaded by more than one backend.
rm -f "$work/big.db-journal"
for n in 1 2; do
    sql -c "CREATE SCHEMA rs_p$n"
    t0=$(date +%s%N)
    if out=$(sql -c "SET client_min_messages = warning" -c "CALL liteport.migrate_resumable('rs', 'rs_p$n', '{\"parallel\": $n}', 20000)" 2>&1); then
        t1=$(date +%s%N)
        ok "parallel $n: 401003 rows in $(((t1 - t0) / 1000000)) ms ($((401003 * 1000000000 / (t1 - t0 + 1))) rows/s, constraints included)"
    else
        not_ok "parallel $n" "$out"
    fi
    r=$(sql -F' ' -c "SELECT (SELECT count(*) FROM rs_p$n.child), (SELECT count(DISTINCT id) FROM rs_p$n.child), (SELECT count(*) FROM rs_p$n.parent)")
    [[ $r == "400001 400001 1000" ]] && ok "parallel $n: every row once" || not_ok "parallel $n: every row once" "$r"
    r=$(sql -c "SELECT string_agg(table_name || ':' || matches, ',' ORDER BY table_name) FROM liteport.verify('rs', 'rs_p$n')")
    [[ $r == "child:t,parent:t,tags:t" || $r == "child:true,parent:true,tags:true" ]] && ok "parallel $n: verify matches" || not_ok "parallel $n: verify" "$r"
    loaders=$(sql -c "SELECT count(DISTINCT loaded_by) FROM liteport.resumable_chunks WHERE target_schema = 'rs_p$n'")
    if [[ $n == 1 ]]; then
        [[ $loaders == 1 ]] && ok "parallel 1: one backend loads" || not_ok "parallel 1 loaders" "$loaders"
    else
        [[ $loaders -ge 2 ]] && ok "parallel $n: ranges loaded by $loaders backends" || not_ok "parallel $n loaders" "$loaders"
    fi
done
r=$(sql -c "CALL liteport.migrate_resumable('rs', 'rs_bad', '{\"parallel\": 0}')" 2>&1)
[[ $r == *"parallel must be a whole number from 1 to 32"* ]] && ok "parallel 0 is refused" || not_ok "parallel 0" "$r"

# 5. A writer commits to two tables in one transaction the whole time (WAL mode, and a
#    rollback journal, where it waits for the readers): the parallel load still reads
#    one state of the file — both tables hold the same rows, a prefix of the writer's.
writer() {  # writer FILE STOPFILE: one row into a and b per transaction until STOPFILE exists
    python3 - "$1" "$2" <<'PY'
import os, sqlite3, sys, time
db = sqlite3.connect(sys.argv[1], timeout=0.05, isolation_level=None)
n = db.execute("SELECT max(id) FROM a").fetchone()[0]
while not os.path.exists(sys.argv[2]):
    try:
        db.execute("BEGIN IMMEDIATE")
        db.execute("INSERT INTO a VALUES (?, ?)", (n + 1, "v%d" % (n + 1)))
        db.execute("INSERT INTO b VALUES (?, ?)", (n + 1, "v%d" % (n + 1)))
        db.execute("COMMIT")
        n += 1
    except sqlite3.OperationalError:
        try:
            db.execute("ROLLBACK")
        except sqlite3.OperationalError:
            pass
        time.sleep(0.01)
print(n)
PY
}
for mode in wal delete; do
    live=$work/live_$mode.db
    rm -f "$live" "$live-wal" "$live-shm" "$work/stop_$mode"
    sqlite3 "$live" "PRAGMA journal_mode = $mode;
        CREATE TABLE a(id INTEGER PRIMARY KEY, v TEXT NOT NULL); CREATE TABLE b(id INTEGER PRIMARY KEY, v TEXT NOT NULL);
        WITH RECURSIVE c(n) AS (SELECT 1 UNION ALL SELECT n + 1 FROM c WHERE n < 150000) INSERT INTO a SELECT n, 'v' || n FROM c;
        INSERT INTO b SELECT * FROM a;" >/dev/null
    chmod 666 "$live"; chmod 777 "$work"
    writer "$live" "$work/stop_$mode" >"$work/writer_$mode.out" 2>&1 &
    wpid=$!
    sleep 0.3
    before=$(sqlite3 -cmd ".timeout 5000" "$live" "SELECT max(id) FROM a")
    sql -c "CREATE SERVER live_$mode FOREIGN DATA WRAPPER liteport OPTIONS (database '$live')" -c "CREATE SCHEMA live_$mode"
    out=$(sql -c "SET client_min_messages = warning" -c "CALL liteport.migrate_resumable('live_$mode', 'live_$mode', '{\"parallel\": 3}', 5000)" 2>&1)
    rc=$?
    touch "$work/stop_$mode"; wait "$wpid"
    written=$(cat "$work/writer_$mode.out")
    r=$(sql -F' ' -c "SELECT (SELECT count(*) FROM live_$mode.a), (SELECT count(*) FROM live_$mode.b), (SELECT max(id) FROM live_$mode.a), (SELECT max(id) FROM live_$mode.b),
                              (SELECT count(*) FROM live_$mode.a WHERE v <> 'v' || id), (SELECT count(*) FROM live_$mode.a x FULL JOIN live_$mode.b y USING (id) WHERE x.v IS DISTINCT FROM y.v)")
    read -r ca cb ma mb bad mismatch <<<"$r"
    loaders=$(sql -c "SELECT count(DISTINCT loaded_by) FROM liteport.resumable_chunks WHERE server = 'live_$mode'")
    if [[ $rc == 0 && $ca == "$cb" && $ca == "$ma" && $mb == "$ma" && $bad == 0 && $mismatch == 0 && $ca -ge $before && $ca -le $written ]]; then
        ok "$mode: a live writer meanwhile, the parallel load read one state ($ca rows in a and b; the writer had $before when it began and $written at the end; $loaders backends loaded)"
    else
        not_ok "$mode: one state under a live writer" "rc=$rc '$out' counts $r, before $before, written $written"
    fi
    [[ $loaders -ge 2 ]] || not_ok "$mode: workers took part" "$loaders backends"
done

# 6. A migration whose caller is terminated stops its workers; called again (parallel
#    2), it finishes and matches.
sql -c "CREATE SCHEMA rs_kill"
terminate_mid_load resumable_victim3 rs_kill '{"parallel": 3}' 5000 50000 "$work/kill.log"
left=1
for _ in $(seq 1 100); do
    left=$(sql -c "SELECT count(*) FROM pg_stat_activity WHERE backend_type = 'liteport load worker'")
    [[ $left == 0 ]] && break
    sleep 0.05
done
[[ $left == 0 ]] && ok "the terminated caller's workers stop too" || not_ok "workers stop with the caller" "$left still running"
if out=$(sql -c "SET client_min_messages = warning" -c "CALL liteport.migrate_resumable('rs', 'rs_kill', '{\"parallel\": 2}', 5000)" 2>&1); then
    r=$(sql -F' ' -c "SELECT (SELECT count(*) FROM rs_kill.child), (SELECT count(DISTINCT id) FROM rs_kill.child)")
    m=$(sql -c "SELECT bool_and(matches) FROM liteport.verify('rs', 'rs_kill')")
    [[ $r == "400001 400001" && $m == t ]] && ok "resumed in parallel after the kill: every row once, verify matches" || not_ok "resumed in parallel" "$r $m"
else
    not_ok "resumed in parallel" "$out"
fi

psql -X -q -h "$host" -p "$port" -U postgres -d postgres -c "DROP DATABASE IF EXISTS $db" >/dev/null
echo "# resumable: $passed passed, $failures failed"
[[ $failures -eq 0 ]]
