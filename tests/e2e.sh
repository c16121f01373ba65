#!/usr/bin/env bash
# End-to-end tests that need real servers and processes: cancel and statement_timeout
# (inside SQLite and between rows), flat memory from 100k to 2M rows, one snapshot per
# transaction under a live WAL writer (for scans and for liteport.migrate), and the
# source file left untouched.
# Usage: tests/e2e.sh SOCKET_DIR PORT  (a running cluster with liteport installed)
set -uo pipefail
host=$1 port=$2
work=/tmp/liteport_e2e
rm -rf "$work" && mkdir -p "$work" && chmod 755 "$work"
failures=0

ok() { echo "ok $1"; }
not_ok() { echo "not ok $1: $2"; failures=$((failures + 1)); }
sql() { psql -X -h "$host" -p "$port" -U postgres -d liteport_e2e -v ON_ERROR_STOP=1 -qAt "$@"; }
now_ms() { date +%s%3N; }

psql -X -h "$host" -p "$port" -U postgres -qc "SET client_min_messages = warning" -c "DROP DATABASE IF EXISTS liteport_e2e" -c "CREATE DATABASE liteport_e2e"

echo "# building fixtures"
sqlite3 "$work/slow.db" "
    CREATE TABLE n(x INTEGER);
    WITH RECURSIVE c(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM c WHERE i < 3000) INSERT INTO n SELECT i FROM c;
    CREATE VIEW sorted_pairs AS SELECT a.x * b.x AS p FROM n a, n b ORDER BY (a.x * 7919 + b.x * 104729) % 1000003;
    CREATE VIEW endless AS SELECT a.x FROM n a, n b, n c;"
sqlite3 "$work/big.db" "
    CREATE TABLE big(id INTEGER PRIMARY KEY, i INTEGER, r REAL, short TEXT, long TEXT, ts TEXT, flag INTEGER, raw BLOB);
    WITH RECURSIVE c(k) AS (SELECT 1 UNION ALL SELECT k + 1 FROM c WHERE k < 2000000)
    INSERT INTO big SELECT k, k * 7, k / 3.0, printf('short-%014d', k), printf('%0100d', k),
        strftime('%Y-%m-%d %H:%M:%S', 1600000000 + k, 'unixepoch'), k % 2, randomblob(16) FROM c;
    CREATE TABLE small AS SELECT * FROM big WHERE id <= 100000;"
big_md5=$(md5sum "$work/big.db" | cut -d' ' -f1)
big_mtime=$(stat -c %Y "$work/big.db")

sql >/dev/null <<SQL
CREATE EXTENSION liteport;
CREATE SERVER slow FOREIGN DATA WRAPPER liteport OPTIONS (database '$work/slow.db');
CREATE SERVER big FOREIGN DATA WRAPPER liteport OPTIONS (database '$work/big.db');
IMPORT FOREIGN SCHEMA main FROM SERVER slow INTO public;
IMPORT FOREIGN SCHEMA main FROM SERVER big INTO public;
ALTER FOREIGN TABLE big ALTER COLUMN ts TYPE timestamp, ALTER COLUMN flag TYPE boolean;
ALTER FOREIGN TABLE small ALTER COLUMN ts TYPE timestamp, ALTER COLUMN flag TYPE boolean;
SQL

# 1. statement_timeout while SQLite is inside one long step (a 9M-row sort before the
#    first row): only the progress handler can stop it.
# 2. pg_cancel_backend from a second session stops a scan that streams rows forever.
# Both with SQLite stepped by the backend (read_ahead off) and by a read-ahead thread
# (the thread steps SQLite while the backend waits for batches).
for ra in off on; do
    start=$(now_ms)
    out=$(PGOPTIONS="-c liteport.read_ahead=$ra" sql -c "SET statement_timeout = '300ms'" -c "SELECT p FROM sorted_pairs LIMIT 1" 2>&1)
    elapsed=$(( $(now_ms) - start ))
    if [[ $out == *"canceling statement due to statement timeout"* && $elapsed -lt 3000 ]]; then
        ok "statement_timeout stops a single slow SQLite step, read_ahead $ra (${elapsed} ms)"
    else
        not_ok "statement_timeout inside SQLite, read_ahead $ra" "after ${elapsed} ms: $out"
    fi

    PGOPTIONS="-c liteport.read_ahead=$ra" sql -c "SELECT count(x) FROM endless" >"$work/cancel.out" 2>&1 &
    bg=$!
    sleep 1
    sql -c "SELECT pg_cancel_backend(pid) FROM pg_stat_activity WHERE query LIKE '%count(x) FROM endless%' AND pid <> pg_backend_pid()" >/dev/null
    start=$(now_ms)
    wait $bg
    elapsed=$(( $(now_ms) - start ))
    if grep -q "canceling statement due to user request" "$work/cancel.out" && [[ $elapsed -lt 2000 ]]; then
        ok "cancel from another session stops a streaming scan, read_ahead $ra (${elapsed} ms after the request)"
    else
        not_ok "cancel from another session, read_ahead $ra" "$(cat "$work/cancel.out")"
    fi
done

# 3. The server is usable after both cancels, and reads the right count.
if [[ $(sql -c "SELECT count(*) FROM n") == 3000 ]]; then ok "scans work after a cancel"; else not_ok "scans after cancel" "wrong count"; fi

# 4. Memory stays flat from 100k to 2M rows. Every column is converted (count(t) needs
#    whole rows); the backend's peak RSS (VmHWM) is read after the scan.
peak_kb() {
    sql <<SQL
SELECT count(t) FROM $1 t \g /dev/null
SELECT (regexp_match(pg_read_file('/proc/self/status'), 'VmHWM:\s+(\d+)'))[1];
SQL
}
for ra in off on; do
    small_kb=$(PGOPTIONS="-c liteport.read_ahead=$ra" peak_kb small)
    big_kb=$(PGOPTIONS="-c liteport.read_ahead=$ra" peak_kb big)
    growth=$(( big_kb - small_kb ))
    echo "# backend peak RSS, read_ahead $ra: 100k rows ${small_kb} kB, 2M rows ${big_kb} kB (growth ${growth} kB)"
    if [[ $growth -lt 8192 ]]; then ok "scan memory is flat, read_ahead $ra (100k: ${small_kb} kB, 2M: ${big_kb} kB)"; else not_ok "flat memory, read_ahead $ra" "grew ${growth} kB"; fi
done

# 5. Full-scan speed, for the record (the benchmark harness measures properly).
start=$(now_ms)
sql -c "SELECT count(t) FROM big t" >/dev/null
elapsed=$(( $(now_ms) - start ))
echo "# full scan of 2M rows, every column converted: ${elapsed} ms ($(( 2000000 * 1000 / (elapsed + 1) )) rows/s)"
ok "2M-row scan completes"

# 6. One SQLite snapshot per Postgres transaction while the application writes in WAL
#    mode: tables a and b are written together, so any one snapshot has equal counts.
sqlite3 "$work/live.db" "PRAGMA journal_mode = WAL; CREATE TABLE a(x); CREATE TABLE b(x);" >/dev/null
sql -c "CREATE SERVER live FOREIGN DATA WRAPPER liteport OPTIONS (database '$work/live.db')" \
    -c "CREATE SCHEMA live" -c "IMPORT FOREIGN SCHEMA main FROM SERVER live INTO live"
python3 - "$work/live.db" <<'PY' &
import sqlite3, sys, time
db = sqlite3.connect(sys.argv[1], isolation_level=None)
db.execute("PRAGMA busy_timeout = 5000")
end = time.time() + 8
i = 0
while time.time() < end:
    db.execute("BEGIN IMMEDIATE")
    db.execute("INSERT INTO a VALUES (?)", (i,))
    db.execute("INSERT INTO b VALUES (?)", (i,))
    db.execute("COMMIT")
    i += 1
    time.sleep(0.002)
PY
writer=$!
sleep 1
consistent=1 seen=""
for _ in 1 2 3; do
    counts=$(sql <<SQL
BEGIN;
SELECT count(*) FROM live.a;
SELECT pg_sleep(0.4) \g /dev/null
SELECT count(*) FROM live.b;
SELECT pg_sleep(0.4) \g /dev/null
SELECT count(*) FROM live.a;
COMMIT;
SQL
)
    read -r c1 c2 c3 <<<"$(echo $counts)"
    [[ -n $c1 && $c1 == "$c2" && $c2 == "$c3" ]] || consistent=0
    seen="$seen $c1/$c2/$c3"
done
# 6b. liteport.migrate reads the snapshot of its transaction, for every table, while
#     the writer goes on: the copies of a and b hold the count seen before the pause.
sql -c "CREATE SCHEMA live_copy"
migrated=$(sql <<SQL
SET client_min_messages = warning;
BEGIN;
SELECT count(*) FROM live.a;
SELECT pg_sleep(0.5) \g /dev/null
SELECT count(*) FROM liteport.migrate('live', 'live_copy') \g /dev/null
SELECT count(*) FROM live_copy.a;
SELECT count(*) FROM live_copy.b;
SELECT bool_and(matches) FROM liteport.verify('live', 'live_copy');
COMMIT;
SQL
)
read -r m_before m_a m_b m_verified <<<"$(echo $migrated)"
now_a=$(sqlite3 "$work/live.db" "SELECT count(*) FROM a")
if [[ -n $m_before && $m_before == "$m_a" && $m_a == "$m_b" && $m_verified == t && $now_a -gt $m_a ]]; then
    ok "migrate copies one snapshot of every table under a live writer (a=$m_a b=$m_b, SQLite now $now_a, verify in the same transaction matches)"
else
    not_ok "migrate snapshot" "before=$m_before a=$m_a b=$m_b verified=$m_verified sqlite now $now_a"
fi
wait $writer
final_a=$(sql -c "SELECT count(*) FROM live.a")
sqlite_a=$(sqlite3 "$work/live.db" "SELECT count(*) FROM a")
first=$(echo $seen | awk '{split($1, x, "/"); print x[1]}')
if [[ $consistent == 1 && $final_a == "$sqlite_a" && $first != "$final_a" ]]; then
    ok "one snapshot per transaction under a live WAL writer (a/b/a:$seen; final $final_a)"
else
    not_ok "snapshot consistency" "a/b/a:$seen final $final_a sqlite $sqlite_a"
fi

# 6c. A 200 MB database uploaded as a large object: read page by page through the
#     VFS, so the backend's memory stays far below the file's size.
sqlite3 "$work/huge.db" "
    CREATE TABLE h(id INTEGER PRIMARY KEY, payload BLOB, note TEXT);
    WITH RECURSIVE c(k) AS (SELECT 1 UNION ALL SELECT k + 1 FROM c WHERE k < 190000)
    INSERT INTO h SELECT k, randomblob(1000), printf('row %d', k) FROM c;"
huge_bytes=$(stat -c %s "$work/huge.db")
oid=$(sql -c "SELECT lo_import('$work/huge.db')")
sql -c "CREATE SERVER huge FOREIGN DATA WRAPPER liteport OPTIONS (large_object '$oid')" \
    -c "CREATE SCHEMA huge" -c "IMPORT FOREIGN SCHEMA main FROM SERVER huge INTO huge"
# Private memory (RssAnon) is read inside the same statement, after every row went
# through; VmHWM also counts the shared buffers the scan touched (shared_buffers is
# 128MB here), which any scan of that much data touches.
status_field() { echo "(regexp_match(pg_read_file('/proc/self/status'), '$1:\\s+(\\d+)'))[1]"; }
start=$(now_ms)
lo_result=$(sql -F ' ' <<SQL
WITH s AS MATERIALIZED (SELECT count(t) AS n, sum(length(t.payload)) AS bytes FROM huge.h t)
SELECT n || '|' || bytes, $(status_field RssAnon), $(status_field RssShmem), $(status_field VmHWM) FROM s;
SQL
)
elapsed=$(( $(now_ms) - start ))
read -r lo_counts lo_anon lo_shmem lo_hwm <<<"$lo_result"
huge_kb=$(( huge_bytes / 1024 ))
echo "# large object of ${huge_kb} kB scanned in ${elapsed} ms: backend private memory (RssAnon) ${lo_anon} kB; peak RSS ${lo_hwm} kB, of which shared buffers ${lo_shmem} kB"
if [[ $lo_counts == "190000|190000000" && $lo_anon -lt 32768 ]]; then
    ok "a ${huge_kb} kB large-object database scans in ${lo_anon} kB of private backend memory"
else
    not_ok "large-object memory" "counts $lo_counts, private ${lo_anon} kB for ${huge_kb} kB"
fi

# 8. liteport.sync from two sessions at once: the second is skipped while the first
#    holds the pair's lock, or waits for it with {"wait": true}.
sqlite3 "$work/app.db" "PRAGMA journal_mode = WAL;
    CREATE TABLE items(id INTEGER PRIMARY KEY, name TEXT NOT NULL, version INTEGER NOT NULL);
    CREATE INDEX items_version ON items(version);
    WITH RECURSIVE c(k) AS (SELECT 1 UNION ALL SELECT k + 1 FROM c WHERE k < 100) INSERT INTO items SELECT k, 'item ' || k, k FROM c;" >/dev/null
sql -c "CREATE SERVER app FOREIGN DATA WRAPPER liteport OPTIONS (database '$work/app.db')" \
    -c "CREATE FOREIGN TABLE src_items (id bigint, name text, version bigint) SERVER app OPTIONS (table 'items')" \
    -c "CREATE TABLE items (id bigint PRIMARY KEY, name text, version bigint)"
sync_sql="SELECT status FROM liteport.sync('src_items', 'items', watermark => 'version', options => '{\"deletes\": true}')"
sql -c "BEGIN" -c "$sync_sql" -c "SELECT pg_sleep(2)" -c "COMMIT" >"$work/lock_a.out" 2>&1 &
holder=$!
sleep 0.7
second=$(sql -c "$sync_sql" 2>&1)
start=$(now_ms)
waited=$(sql -c "SELECT status FROM liteport.sync('src_items', 'items', watermark => 'version', options => '{\"wait\": true}')" 2>&1)
waited_ms=$(( $(now_ms) - start ))
wait $holder
if [[ $second == skipped && $waited == ok && $waited_ms -ge 800 ]] && grep -q '^ok$' "$work/lock_a.out"; then
    ok "overlapping syncs: the second is skipped, or waits ${waited_ms} ms for the first to commit"
else
    not_ok "sync lock" "second=$second waited=$waited after ${waited_ms} ms; first: $(cat "$work/lock_a.out")"
fi

# 9. pg_cron runs liteport.sync every minute while the application inserts, updates
#    and deletes; the target converges to SQLite's rows, and both cron's and
#    liteport's logs record the runs.
psql -X -h "$host" -p "$port" -U postgres -d postgres -qAt -c "CREATE EXTENSION IF NOT EXISTS pg_cron" >/dev/null
jobid=$(psql -X -h "$host" -p "$port" -U postgres -d postgres -qAt \
    -c "SELECT cron.schedule_in_database('liteport-e2e-sync', '* * * * *', \$\$$sync_sql\$\$, 'liteport_e2e')")
python3 - "$work/app.db" <<'PY' &
import random, sqlite3, sys, time
db = sqlite3.connect(sys.argv[1], isolation_level=None)
db.execute("PRAGMA busy_timeout = 5000")
version = 1000
next_id = 101
end = time.time() + 65
while time.time() < end:
    version += 1
    db.execute("BEGIN IMMEDIATE")
    choice = random.random()
    if choice < 0.5:
        db.execute("INSERT INTO items VALUES (?, ?, ?)", (next_id, "item %d" % next_id, version))
        next_id += 1
    elif choice < 0.9:
        db.execute("UPDATE items SET name = name || '+', version = ? WHERE id = (SELECT id FROM items ORDER BY random() LIMIT 1)", (version,))
    else:
        db.execute("DELETE FROM items WHERE id = (SELECT id FROM items ORDER BY random() LIMIT 1)")
    db.execute("COMMIT")
    time.sleep(0.05)
PY
writer=$!
wait $writer
writer_done=$(sql -c "SELECT clock_timestamp()")
# The next scheduled run after the writer stopped brings the target up to date.
for _ in $(seq 1 90); do
    [[ $(sql -c "SELECT count(*) FROM liteport.sync_log WHERE status = 'ok' AND started_at > '$writer_done'") -ge 1 ]] && break
    sleep 1
done
pg_rows=$(sql -c "SELECT count(*) || ':' || md5(string_agg(id || '|' || name || '|' || version, ',' ORDER BY id)) FROM items")
sqlite_rows=$(sqlite3 "$work/app.db" "SELECT count(*) || ':' FROM items")$(sqlite3 "$work/app.db" "SELECT group_concat(id || '|' || name || '|' || version, ',') FROM (SELECT * FROM items ORDER BY id)" | tr -d '\n' | md5sum | cut -d' ' -f1)
cron_ok=$(psql -X -h "$host" -p "$port" -U postgres -d postgres -qAt -c "SELECT count(*) FROM cron.job_run_details WHERE jobid = $jobid AND status = 'succeeded'")
log_summary=$(sql -c "SELECT count(*) FILTER (WHERE status = 'ok') || ' ok runs, ' || sum(rows_inserted) || ' inserted, ' || sum(rows_updated) || ' updated, ' || sum(rows_deleted) || ' deleted' FROM liteport.sync_log WHERE target = 'items'::regclass")
log_runs=$(sql -c "SELECT count(*) FROM liteport.sync_log WHERE target = 'items'::regclass AND status = 'ok' AND rows_updated > 0")
psql -X -h "$host" -p "$port" -U postgres -d postgres -qAt -c "SELECT cron.unschedule($jobid)" >/dev/null
echo "# pg_cron sync: SQLite $sqlite_rows, Postgres $pg_rows; cron runs succeeded: $cron_ok; liteport.sync_log: $log_summary"
if [[ $pg_rows == "$sqlite_rows" && $cron_ok -ge 2 && $log_runs -ge 1 ]]; then
    ok "pg_cron keeps the target in sync with a live SQLite writer ($cron_ok cron runs; $log_summary)"
else
    not_ok "pg_cron sync" "SQLite $sqlite_rows vs Postgres $pg_rows, cron runs $cron_ok, log: $log_summary"
fi

# 7. liteport.migrate leaves the survey of every value to the bulk load: a clean table
#    is read once (no survey before), a value its declared type does not read makes it
#    survey and start again, and both end with the plan's types.
sqlite3 "$work/survey.db" "
    CREATE TABLE clean(id INTEGER PRIMARY KEY, n INTEGER, at DATETIME);
    CREATE TABLE late(id INTEGER PRIMARY KEY, n INTEGER, at DATETIME);
    WITH RECURSIVE c(k) AS (SELECT 1 UNION ALL SELECT k + 1 FROM c WHERE k < 50000)
    INSERT INTO clean SELECT k, k, strftime('%Y-%m-%d %H:%M:%S', 1600000000 + k, 'unixepoch') FROM c;
    INSERT INTO late SELECT id, CASE WHEN id = 40000 THEN 'forty thousand' ELSE n END, at FROM clean;"
chmod 644 "$work/survey.db"
sql -c "CREATE SERVER survey FOREIGN DATA WRAPPER liteport OPTIONS (database '$work/survey.db')" -c "CREATE SCHEMA s_clean" -c "CREATE SCHEMA s_late"
plan_log=$(sql -c "SET client_min_messages = debug1" -c "SELECT count(*) FROM liteport.plan('survey', 'x')" 2>&1)
clean_log=$(sql -c "SET client_min_messages = debug1" -c "SELECT count(*) FROM liteport.migrate('survey', 's_clean', '{\"tables\": [\"clean\"]}')" 2>&1)
late_log=$(sql -c "SET client_min_messages = debug1" -c "SELECT count(*) FROM liteport.migrate('survey', 's_late', '{\"tables\": [\"late\"]}')" 2>&1)
late_type=$(sql -c "SELECT data_type FROM information_schema.columns WHERE table_schema = 's_late' AND table_name = 'late' AND column_name = 'n'")
clean_type=$(sql -c "SELECT data_type FROM information_schema.columns WHERE table_schema = 's_clean' AND table_name = 'clean' AND column_name = 'n'")
survey_verified=$(sql -c "SELECT bool_and(matches) FROM (SELECT matches FROM liteport.verify('survey', 's_clean', '{\"tables\": [\"clean\"]}') UNION ALL SELECT matches FROM liteport.verify('survey', 's_late', '{\"tables\": [\"late\"]}')) v")
if grep -q 'surveying every value of "clean"' <<<"$plan_log" && ! grep -q 'surveying every value' <<<"$clean_log" \
    && ! grep -q 'starting again' <<<"$clean_log" && [[ $clean_type == bigint ]] \
    && [[ $(grep -c 'holds a value its declared type does not read: surveying every value to choose the types and starting again' <<<"$late_log") == 1 ]] \
    && grep -q 'surveying every value of "late"' <<<"$late_log" && [[ $late_type == text ]] && [[ $survey_verified == t ]]; then
    ok "migrate reads a clean table once (the load checks every value); a value the declared type cannot read makes it survey and start again (n: $clean_type, $late_type; verify matches)"
else
    not_ok "survey left to the load" "clean=$clean_type late=$late_type verified=$survey_verified; plan: $(grep -c surveying <<<"$plan_log"), clean: $clean_log; late: $late_log"
fi

# 8. The source file is byte-for-byte and mtime unchanged after all of the above, and
#    no journal files were created beside it.
if [[ $(md5sum "$work/big.db" | cut -d' ' -f1) == "$big_md5" && $(stat -c %Y "$work/big.db") == "$big_mtime" ]] \
    && ! ls "$work"/big.db-* >/dev/null 2>&1; then
    ok "source file unchanged, no journal files"
else
    not_ok "source unchanged" "$(ls -la "$work")"
fi

echo "# e2e: $failures failed"
exit $((failures > 0))
