#!/usr/bin/env bash
# End-to-end tests of what liteport promises under hostile conditions:
#  1. privileges are those of the current role, on every use (SECURITY DEFINER, SET ROLE,
#     cursors, REVOKE between transactions) for large-object servers;
#  2. no allocation failure kills the backend (3 GB rows, 100 MB and 1e9-byte values);
#  3. no torn reads of a WAL file opened immutable while an application rewrites it;
#  4. a replaced file is noticed (scans and liteport.sync's guards);
#  5. cancel, statement_timeout and terminate end a wait for a writer's lock;
#  6. large-object descriptors reused after ROLLBACK TO SAVEPOINT never mix sources;
#  7. SQLite's memory is bounded by liteport.sqlite_memory_limit;
#  8. non-ASCII and URI-special paths;
#  9. an unreadable -wal file is named in the error.
# Usage: tests/hardening.sh SOCKET_DIR PORT  (a running cluster with liteport installed;
# run as root, like scripts/test.sh: fixtures are handed to the postgres OS user).
# Helpers: tests/hardening/*.py (python3's sqlite3 module plays the application).
set -uo pipefail
host=$1 port=$2
dbname=liteport_hardening
work=/tmp/liteport_hardening
helpers=$(cd "$(dirname "$0")" && pwd)/hardening
rm -rf "$work" && mkdir -p "$work" && chmod 755 "$work"
failures=0
script_start=$(date +%s)

ok() { echo "ok $1"; }
not_ok() { echo "not ok $1: $2"; failures=$((failures + 1)); }
psql_as() { local user=$1; shift; psql -X -h "$host" -p "$port" -U "$user" -d "$dbname" "$@"; }
sql() { psql_as postgres -v ON_ERROR_STOP=1 -qAt "$@"; }
now_ms() { date +%s%3N; }
# session NAME [USER] < script: one psql session that goes on after errors. Its stdout
# ($work/NAME.out) holds "tag|value" lines: query results written as SELECT 'tag|' || ...,
# and "\echo tag|:SQLSTATE|:LAST_ERROR_MESSAGE" after a statement whose outcome matters.
session() { psql_as "${2:-postgres}" -qAt -v VERBOSITY=verbose >"$work/$1.out" 2>"$work/$1.err"; }
# get NAME TAG: what follows "TAG|" on the first such line of NAME's output.
get() { grep -m1 "^$2|" "$work/$1.out" | cut -d'|' -f2-; }
state() { get "$1" "$2" | cut -d'|' -f1; }
message() { get "$1" "$2" | cut -d'|' -f2-; }
# An SQL expression: a field of the backend's /proc/self/status, in kB.
status_kb() { echo "(regexp_match(pg_read_file('/proc/self/status'), '$1:\\s+(\\d+)'))[1]"; }

if [[ $(id -u) != 0 ]]; then
    echo "not ok hardening.sh runs as root: fixtures are chowned to the postgres OS user"
    echo "# hardening: 1 failed"
    exit 1
fi

psql -X -h "$host" -p "$port" -U postgres -qAt -v ON_ERROR_STOP=1 -d postgres >/dev/null <<SQL
SET client_min_messages = warning;
DROP DATABASE IF EXISTS $dbname WITH (FORCE);
DROP ROLE IF EXISTS hardening_alice;
DROP ROLE IF EXISTS hardening_bob;
CREATE DATABASE $dbname;
CREATE ROLE hardening_alice LOGIN;
CREATE ROLE hardening_bob LOGIN;
SQL
sql -c "CREATE EXTENSION liteport" >/dev/null

# A backend that dies (a signal, an abort in Rust, the OOM killer) makes the postmaster
# log "terminated by signal" and restart every backend. The server log is the
# postmaster's stderr (pg_ctl -l); SOCKET_DIR/server.log is where scripts/cluster.sh puts it.
pm_start=$(sql -c "SELECT pg_postmaster_start_time()")
pm_pid=$(sql -c "SELECT split_part(pg_read_file('postmaster.pid'), E'\n', 1)")
server_log=$(readlink "/proc/$pm_pid/fd/2" 2>/dev/null)
[[ -f $server_log ]] || server_log=$host/server.log
if [[ -f $server_log ]]; then
    log_offset=$(stat -c %s "$server_log")
    echo "# server log: $server_log"
else
    server_log="" log_offset=0
    echo "# server log not found: crashes are detected by backend pids and pg_postmaster_start_time() only"
fi
crashes() {
    [[ -n $server_log ]] || return 0
    tail -c +$((log_offset + 1)) "$server_log" | grep -E "terminated by signal|terminating any other active server processes|all server processes terminated" | head -5
}
backend_survived() { # NAME PID_TAG_BEFORE PID_TAG_AFTER: "" when fine, else why not
    local before after
    before=$(get "$1" "$2") after=$(get "$1" "$3")
    if [[ -z $before || $before != "$after" ]]; then echo "backend pid $before before, '${after}' after"; return; fi
    if [[ $(sql -c "SELECT pg_postmaster_start_time()") != "$pm_start" ]]; then echo "the postmaster restarted"; return; fi
    local c; c=$(crashes)
    [[ -z $c ]] || echo "server log: $c"
}

echo "# building fixtures"
mkdir -p "$work/alice"
sqlite3 "$work/alice/alice.db" "
    CREATE TABLE t(id INTEGER PRIMARY KEY, v TEXT, pad TEXT);
    WITH RECURSIVE c(k) AS (SELECT 1 UNION ALL SELECT k + 1 FROM c WHERE k < 2000) INSERT INTO t SELECT k, 'a' || k, printf('%040d', k) FROM c;"
sqlite3 "$work/huge.db" "
    CREATE TABLE unused(x);
    CREATE VIEW huge AS SELECT zeroblob(1e9) a, zeroblob(1e9) b, zeroblob(1e9) c;
    CREATE VIEW one AS SELECT zeroblob(1e9) a;
    CREATE VIEW one_text AS SELECT CAST(zeroblob(1e9) AS TEXT) a;
    CREATE VIEW too_big AS SELECT zeroblob(2e9) a;"
sqlite3 "$work/blob.db" "CREATE TABLE t(id INTEGER PRIMARY KEY, b BLOB); INSERT INTO t VALUES (1, randomblob(100000000));"
# WAL-mode files live in a directory the postgres OS user may write: had liteport not
# opened them immutable, SQLite would create -wal/-shm files there.
mkdir -p "$work/wal" && chown postgres: "$work/wal"
sqlite3 "$work/wal/static.db" "PRAGMA journal_mode = WAL;
    CREATE TABLE t(id INTEGER PRIMARY KEY, v INTEGER NOT NULL);
    WITH RECURSIVE c(k) AS (SELECT 1 UNION ALL SELECT k + 1 FROM c WHERE k < 10000) INSERT INTO t SELECT k, 0 FROM c;" >/dev/null
sqlite3 "$work/wal/torn.db" "PRAGMA journal_mode = WAL;
    CREATE TABLE t(id INTEGER PRIMARY KEY, v INTEGER NOT NULL);
    WITH RECURSIVE c(k) AS (SELECT 1 UNION ALL SELECT k + 1 FROM c WHERE k < 300000) INSERT INTO t SELECT k, 0 FROM c;" >/dev/null
chown postgres: "$work"/wal/*.db
items_db() { # FILE ROWS PREFIX [WAL]
    sqlite3 "$1" "${4:+PRAGMA journal_mode = WAL;}
        CREATE TABLE items(id INTEGER PRIMARY KEY, name TEXT NOT NULL, version INTEGER NOT NULL);
        WITH RECURSIVE c(k) AS (SELECT 1 UNION ALL SELECT k + 1 FROM c WHERE k < $2) INSERT INTO items SELECT k, '$3 ' || k, k FROM c;" >/dev/null
}
items_db "$work/app.db" 10 old; items_db "$work/app_new.db" 7 new; items_db "$work/app_third.db" 5 third
items_db "$work/wal/wapp.db" 10 old wal; items_db "$work/wal/wapp_new.db" 7 new wal
items_db "$work/sync.db" 10 old; items_db "$work/sync_new.db" 7 new
chown postgres: "$work"/wal/*.db
sqlite3 "$work/lock.db" "CREATE TABLE t(x INTEGER); INSERT INTO t VALUES (1), (2), (3);"
sqlite3 "$work/lo_a.db" "CREATE TABLE t(id INTEGER PRIMARY KEY, v TEXT); INSERT INTO t VALUES (1, 'a1'), (2, 'a2'), (3, 'a3');
    CREATE TABLE bad(id INTEGER PRIMARY KEY, n); INSERT INTO bad VALUES (1, 1), (2, 'not a number');"
sqlite3 "$work/lo_b.db" "CREATE TABLE t(id INTEGER PRIMARY KEY, v TEXT); INSERT INTO t VALUES (1, 'b1'), (2, 'b2'), (3, 'b3'), (4, 'b4'), (5, 'b5');"
sqlite3 "$work/sortbig.db" "
    CREATE TABLE big(id INTEGER PRIMARY KEY, pad TEXT);
    WITH RECURSIVE c(k) AS (SELECT 1 UNION ALL SELECT k + 1 FROM c WHERE k < 2000000) INSERT INTO big SELECT k, printf('%0100d', k) FROM c;
    CREATE VIEW shuffled AS SELECT * FROM big ORDER BY random();"
udir="$work/ü dir"
mkdir -p "$udir" && chmod 755 "$udir"
sqlite3 "$udir/ü.db" "CREATE TABLE t(id INTEGER PRIMARY KEY, name TEXT); INSERT INTO t VALUES (1, 'grüße'), (2, '日本語');"
sqlite3 "$udir/wal ü 100%#?.db" "PRAGMA journal_mode = WAL; CREATE TABLE t(id INTEGER PRIMARY KEY, name TEXT); INSERT INTO t VALUES (1, 'naïve');" >/dev/null
mkdir -p "$work/uwal" && chown postgres: "$work/uwal"
python3 "$helpers/wal_leftover.py" "$work/uwal/app.db"
chown postgres: "$work/uwal/app.db" "$work/uwal/app.db-shm"
chmod 000 "$work/uwal/app.db-wal"

lo_a=$(sql -c "SELECT lo_import('$work/lo_a.db')")
lo_b=$(sql -c "SELECT lo_import('$work/lo_b.db')")
lo_sort=$(sql -c "SELECT lo_import('$work/sortbig.db')")
sql >/dev/null <<SQL
GRANT USAGE ON FOREIGN DATA WRAPPER liteport TO hardening_alice;
CREATE SCHEMA alice AUTHORIZATION hardening_alice;
CREATE SCHEMA bob AUTHORIZATION hardening_bob;
CREATE SERVER huge FOREIGN DATA WRAPPER liteport OPTIONS (database '$work/huge.db');
CREATE SCHEMA huge;
IMPORT FOREIGN SCHEMA main LIMIT TO (huge) FROM SERVER huge INTO huge;
CREATE FOREIGN TABLE huge.huge_b (a bytea, b bytea, c bytea) SERVER huge OPTIONS (table 'huge');
CREATE FOREIGN TABLE huge.one (a bytea) SERVER huge;
CREATE FOREIGN TABLE huge.one_text (a text) SERVER huge;
CREATE FOREIGN TABLE huge.too_big (a bytea) SERVER huge;
CREATE SERVER blob FOREIGN DATA WRAPPER liteport OPTIONS (database '$work/blob.db');
CREATE FOREIGN TABLE blob_t (id bigint, b bytea) SERVER blob OPTIONS (table 't');
CREATE SERVER static FOREIGN DATA WRAPPER liteport OPTIONS (database '$work/wal/static.db');
CREATE FOREIGN TABLE static_t (id bigint, v bigint) SERVER static OPTIONS (table 't');
CREATE SERVER torn FOREIGN DATA WRAPPER liteport OPTIONS (database '$work/wal/torn.db');
CREATE FOREIGN TABLE torn_t (id bigint, v bigint) SERVER torn OPTIONS (table 't');
CREATE SERVER app FOREIGN DATA WRAPPER liteport OPTIONS (database '$work/app.db');
CREATE FOREIGN TABLE app_items (id bigint, name text, version bigint) SERVER app OPTIONS (table 'items');
CREATE SERVER wapp FOREIGN DATA WRAPPER liteport OPTIONS (database '$work/wal/wapp.db');
CREATE FOREIGN TABLE wapp_items (id bigint, name text, version bigint) SERVER wapp OPTIONS (table 'items');
CREATE SERVER sync_src FOREIGN DATA WRAPPER liteport OPTIONS (database '$work/sync.db');
CREATE FOREIGN TABLE sync_items (id bigint, name text, version bigint) SERVER sync_src OPTIONS (table 'items');
CREATE TABLE items (id bigint PRIMARY KEY, name text, version bigint);
CREATE SERVER lock60 FOREIGN DATA WRAPPER liteport OPTIONS (database '$work/lock.db', busy_timeout_ms '60000');
CREATE SERVER lock500 FOREIGN DATA WRAPPER liteport OPTIONS (database '$work/lock.db', busy_timeout_ms '500');
CREATE FOREIGN TABLE lock60_t (x bigint) SERVER lock60 OPTIONS (table 't');
CREATE FOREIGN TABLE lock500_t (x bigint) SERVER lock500 OPTIONS (table 't');
CREATE SERVER lo_a FOREIGN DATA WRAPPER liteport OPTIONS (large_object '$lo_a');
CREATE SERVER lo_b FOREIGN DATA WRAPPER liteport OPTIONS (large_object '$lo_b');
CREATE FOREIGN TABLE a_t (id bigint, v text) SERVER lo_a OPTIONS (table 't');
CREATE FOREIGN TABLE a_bad (id bigint, n bigint) SERVER lo_a OPTIONS (table 'bad');
CREATE FOREIGN TABLE b_t (id bigint, v text) SERVER lo_b OPTIONS (table 't');
CREATE TABLE a_sync (id bigint PRIMARY KEY, v text);
CREATE TABLE a_bad_sync (id bigint PRIMARY KEY, n bigint);
CREATE SCHEMA mig_a;
CREATE SERVER sortbig FOREIGN DATA WRAPPER liteport OPTIONS (large_object '$lo_sort');
CREATE FOREIGN TABLE shuffled (id bigint, pad text) SERVER sortbig;
CREATE SERVER uni FOREIGN DATA WRAPPER liteport OPTIONS (database '$udir/ü.db');
CREATE FOREIGN TABLE uni_t (id bigint, name text) SERVER uni OPTIONS (table 't');
CREATE SERVER uni_wal FOREIGN DATA WRAPPER liteport OPTIONS (database '$udir/wal ü 100%#?.db');
CREATE FOREIGN TABLE uni_wal_t (id bigint, name text) SERVER uni_wal OPTIONS (table 't');
CREATE SERVER uwal FOREIGN DATA WRAPPER liteport OPTIONS (database '$work/uwal/app.db');
CREATE FOREIGN TABLE uwal_t (x bigint) SERVER uwal OPTIONS (table 't');
SQL

# ---------------------------------------------------------------------------------------
# 1. Permissions per role, on every use. alice uploads her database as a large object
#    only she may read, and wraps a count of it in a SECURITY DEFINER function; bob has
#    USAGE on her server and his own foreign table on it, but no right to the object.
session alice_setup hardening_alice <<SQL
\set content \`base64 -w0 '$work/alice/alice.db'\`
SELECT liteport.upload(decode(:'content', 'base64')) AS alice_oid \gset
\unset content
SELECT 'oid|' || :alice_oid;
CREATE SERVER alice_lo FOREIGN DATA WRAPPER liteport OPTIONS (large_object :'alice_oid');
CREATE FOREIGN TABLE alice.t (id bigint, v text, pad text) SERVER alice_lo;
CREATE FUNCTION alice.count_rows() RETURNS bigint LANGUAGE sql SECURITY DEFINER
    SET search_path = pg_catalog AS 'SELECT count(*) FROM alice.t';
GRANT USAGE ON SCHEMA alice TO hardening_bob;
GRANT USAGE ON FOREIGN SERVER alice_lo TO hardening_bob;
SELECT 'rows|' || count(*) FROM alice.t;
SQL
alice_oid=$(get alice_setup oid)
denied="permission denied for large object $alice_oid"
if [[ $(get alice_setup rows) == 2000 ]]; then
    ok "alice uploads a database with liteport.upload and reads it through her large-object server (2000 rows)"
else
    not_ok "alice's upload" "rows '$(get alice_setup rows)': $(grep ERROR "$work/alice_setup.err" | head -3)"
fi
psql_as hardening_bob -qAt -c "CREATE FOREIGN TABLE bob.t (id bigint, v text, pad text) SERVER alice_lo" >/dev/null 2>"$work/bob_setup.err"
alice_cmd="psql -X -h '$host' -p '$port' -U hardening_alice -d $dbname -qAt"

session perm_bob hardening_bob <<SQL
BEGIN;
SELECT 'fn|' || alice.count_rows();
\echo fn_state|:SQLSTATE|:LAST_ERROR_MESSAGE
SELECT count(*) FROM bob.t;
\echo scan|:SQLSTATE|:LAST_ERROR_MESSAGE
ROLLBACK;
-- The other order: bob's denied scan first (in a savepoint), then alice's function,
-- then bob again: neither role's outcome leaks into the other's.
BEGIN;
SAVEPOINT s;
SELECT count(*) FROM bob.t;
\echo first|:SQLSTATE|:LAST_ERROR_MESSAGE
ROLLBACK TO s;
SELECT 'fn_after|' || alice.count_rows();
SAVEPOINT s2;
SELECT count(*) FROM bob.t;
\echo again|:SQLSTATE|:LAST_ERROR_MESSAGE
ROLLBACK TO s2;
SELECT 'fn_last|' || alice.count_rows();
ROLLBACK;
-- Both in one statement.
SELECT alice.count_rows(), (SELECT count(*) FROM bob.t);
\echo one_statement|:SQLSTATE|:LAST_ERROR_MESSAGE
-- Granted, then revoked by alice between two of bob's transactions in this session.
\! $alice_cmd -c "GRANT SELECT ON LARGE OBJECT $alice_oid TO hardening_bob"
SELECT 'granted|' || count(*) FROM bob.t;
\! $alice_cmd -c "REVOKE SELECT ON LARGE OBJECT $alice_oid FROM hardening_bob"
SELECT count(*) FROM bob.t;
\echo revoked|:SQLSTATE|:LAST_ERROR_MESSAGE
SQL
if [[ $(get perm_bob fn) == 2000 && $(state perm_bob scan) == 42501 && $(message perm_bob scan) == "$denied" ]]; then
    ok "in one transaction bob runs alice's SECURITY DEFINER count (2000) and his own scan is then denied (42501 $denied)"
else
    not_ok "SECURITY DEFINER then bob's scan in one transaction" "function '$(get perm_bob fn)' ($(get perm_bob fn_state)), bob's scan: $(get perm_bob scan)"
fi
if [[ $(state perm_bob first) == 42501 && $(get perm_bob fn_after) == 2000 && $(state perm_bob again) == 42501 && $(get perm_bob fn_last) == 2000 ]]; then
    ok "bob denied, alice's function, bob denied again, alice's function again: each role gets its own outcome in one transaction"
else
    not_ok "alternating roles in one transaction" "bob: $(get perm_bob first); alice: '$(get perm_bob fn_after)'; bob: $(get perm_bob again); alice: '$(get perm_bob fn_last)'"
fi
if [[ $(state perm_bob one_statement) == 42501 ]]; then
    ok "alice's function and bob's scan in one statement: denied (42501)"
else
    not_ok "one statement with both roles" "$(get perm_bob one_statement)"
fi
if [[ $(get perm_bob granted) == 2000 && $(state perm_bob revoked) == 42501 && $(message perm_bob revoked) == "$denied" ]]; then
    ok "privileges are checked on every use: bob reads after alice's GRANT, and is denied (42501) in his next transaction after her REVOKE"
else
    not_ok "GRANT then REVOKE between bob's transactions" "after GRANT '$(get perm_bob granted)', after REVOKE $(get perm_bob revoked)"
fi

session perm_role <<'SQL'
BEGIN;
SET LOCAL ROLE hardening_alice;
SELECT 'alice|' || count(*) FROM alice.t;
SET LOCAL ROLE hardening_bob;
SELECT count(*) FROM bob.t;
\echo bob|:SQLSTATE|:LAST_ERROR_MESSAGE
ROLLBACK;
-- alice's cursor keeps reading her rows after SET ROLE bob (Postgres cursor semantics:
-- the large object was opened with her rights); bob's own scan is denied meanwhile.
BEGIN;
SET LOCAL ROLE hardening_alice;
SET LOCAL liteport.read_ahead = off;
DECLARE c CURSOR FOR SELECT 'cur|' || id || ':' || v FROM alice.t;
FETCH 1 FROM c;
SET LOCAL ROLE hardening_bob;
FETCH 499 FROM c;
SAVEPOINT s;
SELECT count(*) FROM bob.t;
\echo cursor_bob|:SQLSTATE|:LAST_ERROR_MESSAGE
ROLLBACK TO s;
FETCH ALL FROM c;
\echo fetch_all|:SQLSTATE|:LAST_ERROR_MESSAGE
SELECT 'user|' || current_user;
COMMIT;
SQL
if [[ $(get perm_role alice) == 2000 && $(state perm_role bob) == 42501 && $(message perm_role bob) == "$denied" ]]; then
    ok "SET ROLE inside one transaction: alice's scan reads 2000 rows, bob's scan after SET ROLE bob is denied (42501)"
else
    not_ok "SET ROLE switching in one transaction" "alice '$(get perm_role alice)', bob: $(get perm_role bob)"
fi
cursor_rows=$(grep -c '^cur|' "$work/perm_role.out")
cursor_md5=$(grep '^cur|' "$work/perm_role.out" | cut -d'|' -f2 | md5sum)
expected_md5=$(for i in $(seq 2000); do echo "$i:a$i"; done | md5sum)
if [[ $cursor_rows == 2000 && $cursor_md5 == "$expected_md5" && $(state perm_role cursor_bob) == 42501 && $(state perm_role fetch_all) == 00000 && $(get perm_role user) == hardening_bob ]]; then
    ok "alice's cursor, fetched after SET ROLE bob, returns all 2000 of her rows in order while bob's own scan is denied (42501)"
else
    not_ok "cursor across SET ROLE" "$cursor_rows cursor rows (in order: $([[ $cursor_md5 == "$expected_md5" ]] && echo yes || echo no)), bob's scan $(get perm_role cursor_bob), FETCH ALL $(get perm_role fetch_all)"
fi

# ---------------------------------------------------------------------------------------
# 2. No allocation failure kills the backend. A row of three 1e9-byte values (3 GB), under
#    the default liteport.sqlite_memory_limit, with and without the read-ahead thread.
session alloc <<'SQL'
SELECT 'pid0|' || pg_backend_pid();
SET liteport.read_ahead = off;
SELECT length(a), length(b), length(c) FROM huge.huge_b;
\echo huge_b_off|:SQLSTATE|:LAST_ERROR_MESSAGE
SELECT length(a), length(b), length(c) FROM huge.huge;
\echo huge_text_off|:SQLSTATE|:LAST_ERROR_MESSAGE
SET liteport.read_ahead = on;
SELECT length(a), length(b), length(c) FROM huge.huge_b;
\echo huge_b_on|:SQLSTATE|:LAST_ERROR_MESSAGE
SELECT length(a), length(b), length(c) FROM huge.huge;
\echo huge_text_on|:SQLSTATE|:LAST_ERROR_MESSAGE
SELECT 'pid1|' || pg_backend_pid();
SQL
why=$(backend_survived alloc pid0 pid1)
for case in huge_b_off huge_text_off huge_b_on huge_text_on; do
    st=$(state alloc $case)
    if [[ ($st == 53200 || $st == 54000) && -z $why ]]; then
        ok "a 3 GB row ($case) is a clean ERROR $st and the backend survives ($(message alloc $case))"
    else
        not_ok "3 GB row ($case)" "SQLSTATE '$st' $(message alloc $case | cut -c1-120); ${why:-backend survived}"
    fi
done

# One 100 MB blob, read whole, with and without read-ahead: the backend's peak memory
# (VmHWM, read in the same session before and after) grows by a small multiple of it.
for ra in off on; do
    session "blob_$ra" <<SQL
SET liteport.read_ahead = $ra;
SELECT 'hwm0|' || $(status_kb VmHWM);
SELECT 'len|' || length(b) FROM blob_t;
\echo len_state|:SQLSTATE|:LAST_ERROR_MESSAGE
SELECT 'hwm1|' || $(status_kb VmHWM);
SQL
    h0=$(get "blob_$ra" hwm0) h1=$(get "blob_$ra" hwm1)
    growth=$(( ${h1:-0} - ${h0:-0} ))
    echo "# 100 MB blob, read_ahead $ra: backend peak memory ${h0} kB before, ${h1} kB after (+${growth} kB, $(( growth * 100 / 97656 ))% of the value)"
    if [[ $(get "blob_$ra" len) == 100000000 && -n $h0 && $growth -lt 400000 ]]; then
        ok "a 100 MB blob reads whole, read_ahead $ra (peak memory +$((growth / 1024)) MB, limit 4 x 100 MB)"
    else
        not_ok "100 MB blob, read_ahead $ra" "length '$(get "blob_$ra" len)' ($(get "blob_$ra" len_state)), peak +${growth} kB"
    fi
done

# 1e9-byte values (SQLite's longest): with room for them (the limit set before the
# session's first use of the file), they convert or fail cleanly.
session giga <<'SQL'
SELECT 'pid0|' || pg_backend_pid();
SET liteport.sqlite_memory_limit = '4GB';
SET liteport.read_ahead = off;
SELECT 'roomy_off|' || length(a) FROM huge.one;
\echo roomy_off_state|:SQLSTATE|:LAST_ERROR_MESSAGE
SET liteport.read_ahead = on;
SELECT 'roomy_on|' || length(a) FROM huge.one;
\echo roomy_on_state|:SQLSTATE|:LAST_ERROR_MESSAGE
SELECT 'text|' || length(a) FROM huge.one_text;
\echo text_state|:SQLSTATE|:LAST_ERROR_MESSAGE
SELECT 'too_big|' || length(a) FROM huge.too_big;
\echo too_big_state|:SQLSTATE|:LAST_ERROR_MESSAGE
SELECT 'pid1|' || pg_backend_pid();
SQL
why=$(backend_survived giga pid0 pid1)
for ra in off on; do
    v=$(get giga roomy_$ra) st=$(state giga roomy_${ra}_state)
    if [[ -z $why && ( ($v == 1000000000 && $st == 00000) || $st == 53200 || $st == 54000 ) ]]; then
        ok "a 1e9-byte blob, limit 4GB, read_ahead $ra: $( [[ $st == 00000 ]] && echo "converts (length $v)" || echo "a clean ERROR $st")"
    else
        not_ok "1e9-byte blob, limit 4GB, read_ahead $ra" "value '$v', SQLSTATE $st $(message giga roomy_${ra}_state | cut -c1-120); ${why:-backend survived}"
    fi
done
if [[ -z $why && $(state giga text_state) == 22021 ]]; then
    ok "a 1e9-byte text of NUL bytes is refused cleanly (22021: $(message giga text_state | cut -c1-60)...)"
else
    not_ok "1e9-byte NUL text, limit 4GB" "value '$(get giga text)', $(get giga text_state | cut -c1-160); ${why:-backend survived}"
fi
st=$(state giga too_big_state)
if [[ -z $why && $st != 00000 && -n $st ]]; then
    ok "zeroblob(2e9) (beyond SQLite's 1e9 limit) is a clean ERROR $st ($(message giga too_big_state | cut -c1-80))"
else
    not_ok "zeroblob(2e9)" "value '$(get giga too_big)', SQLSTATE '$st'; ${why:-backend survived}"
fi

# The limit is the one in force now, also for a connection the session opened earlier
# (a file source's connection is reused across transactions): raised, a 1e9-byte value
# that did not fit converts; lowered, it no longer fits.
session limit_change <<'SQL'
SELECT 'pid0|' || pg_backend_pid();
SELECT 'default|' || length(a) FROM huge.one;
\echo default_state|:SQLSTATE|:LAST_ERROR_MESSAGE
SET liteport.sqlite_memory_limit = '4GB';
SELECT 'raised|' || length(a) FROM huge.one;
\echo raised_state|:SQLSTATE|:LAST_ERROR_MESSAGE
SELECT liteport.disconnect() \g /dev/null
SELECT 'raised_reopened|' || length(a) FROM huge.one;
\echo raised_reopened_state|:SQLSTATE|:LAST_ERROR_MESSAGE
SET liteport.sqlite_memory_limit = '512MB';
SELECT 'lowered|' || length(a) FROM huge.one;
\echo lowered_state|:SQLSTATE|:LAST_ERROR_MESSAGE
SELECT 'pid1|' || pg_backend_pid();
SQL
why=$(backend_survived limit_change pid0 pid1)
if [[ -z $why && $(state limit_change default_state) == 53200 ]]; then
    ok "a 1e9-byte blob under the default 1GB limit is a clean ERROR 53200 ($(message limit_change default_state | cut -c1-100))"
else
    not_ok "1e9-byte blob, default limit" "$(get limit_change default) $(get limit_change default_state | cut -c1-160); ${why:-backend survived}"
fi
if [[ $(get limit_change raised) == 1000000000 ]]; then
    ok "SET liteport.sqlite_memory_limit = '4GB' applies to the session's open connection: the 1e9-byte blob now converts"
else
    not_ok "raising liteport.sqlite_memory_limit in a session" "still $(get limit_change raised_state | cut -c1-170); after liteport.disconnect(): '$(get limit_change raised_reopened)' $(state limit_change raised_reopened_state)"
fi
if [[ $(state limit_change lowered_state) == 53200 ]]; then
    ok "SET liteport.sqlite_memory_limit = '512MB' applies to the session's open connection: the 1e9-byte blob fails (53200)"
else
    not_ok "lowering liteport.sqlite_memory_limit in a session" "after SET 512MB the 1e9-byte blob read as '$(get limit_change lowered)' ($(state limit_change lowered_state))"
fi

# ---------------------------------------------------------------------------------------
# 3. Torn reads are impossible. A WAL-mode file with no -wal/-shm is opened immutable: it
#    creates no files, and fails with 40001 when the file changes under the transaction.
static_md5=$(md5sum "$work/wal/static.db" | cut -d' ' -f1)
n=$(sql -c "SELECT count(*) FROM static_t")
left=$(ls -A "$work/wal" | grep '^static' | tr '\n' ' ')
if [[ $n == 10000 && $left == "static.db " && $(md5sum "$work/wal/static.db" | cut -d' ' -f1) == "$static_md5" ]]; then
    ok "a WAL-mode file without -wal/-shm reads (10000 rows) and no file appears beside it, in a directory postgres may write"
else
    not_ok "immutable open of a WAL file" "count '$n', files: $left"
fi
session changed <<SQL
BEGIN;
SELECT 'first|' || count(*) FROM static_t;
\! python3 '$helpers/wal_writer.py' '$work/wal/static.db' 0 0 1 >/dev/null
SELECT 'second|' || count(*) FROM static_t;
\echo second_state|:SQLSTATE|:LAST_ERROR_MESSAGE
COMMIT;
\echo commit_state|:SQLSTATE|:LAST_ERROR_MESSAGE
SELECT 'next|' || count(DISTINCT v) || ':' || min(v) FROM static_t;
SQL
s2=$(state changed second_state) sc=$(state changed commit_state)
if [[ $s2 == 40001 ]]; then m=$(message changed second_state); else m=$(message changed commit_state); fi
if [[ $(get changed first) == 10000 && ($s2 == 40001 || $sc == 40001) && $m == *"changed while this transaction was reading it"* && $(get changed next) == 1:1 ]]; then
    ok "the file written during the transaction: 40001 at the $([[ $s2 == 40001 ]] && echo "next scan" || echo "commit") ($m); the next transaction reads the new state"
else
    not_ok "immutable file changed in a transaction" "second scan '$(get changed second)' $s2, commit $sc: $m; next '$(get changed next)'"
fi

# The writer rewrites all 300,000 rows per cycle, checkpoints and closes (so -wal/-shm
# come and go) while scans run in fresh transactions. Each scan must see one snapshot:
# exactly (1 distinct v, 300000 rows), or fail with 40001.
for i in $(seq 25); do echo "SELECT count(DISTINCT v) || '|' || count(*) FROM torn_t;"; done >"$work/torn_scans.sql"
for ra in off on; do
    : >"$work/torn_$ra.out"; : >"$work/torn_$ra.err"
    python3 "$helpers/wal_writer.py" "$work/wal/torn.db" 22 0.1 >"$work/torn_writer_$ra.out" &
    writer=$!
    start=$(now_ms) rounds=0
    while kill -0 $writer 2>/dev/null; do
        PGOPTIONS="-c liteport.read_ahead=$ra" psql -X -h "$host" -p "$port" -U postgres -d "$dbname" -qAt -v VERBOSITY=verbose \
            -f "$work/torn_scans.sql" >>"$work/torn_$ra.out" 2>>"$work/torn_$ra.err"
        rounds=$((rounds + 1))
    done
    wait $writer
    elapsed=$(( $(now_ms) - start ))
    scans=$((rounds * 25))
    consistent=$(grep -c '^1|300000$' "$work/torn_$ra.out")
    torn=$(grep -v '^1|300000$' "$work/torn_$ra.out" | grep -c .)
    retry=$(grep 'ERROR:  40001' "$work/torn_$ra.err" | grep -c 'changed while this transaction was reading it')
    other=$(grep -E 'ERROR:|FATAL:|server closed the connection|connection to server' "$work/torn_$ra.err" | grep -vc 'ERROR:  40001.*changed while this transaction was reading it')
    cycles=$(cat "$work/torn_writer_$ra.out")
    torn_kinds=$(grep -v '^1|300000$' "$work/torn_$ra.out" | sort | uniq -c | sort -rn | head -4 | awk '{printf "%s x %s; ", $1, $2}')
    other_kinds=$(grep -E 'ERROR:|FATAL:|server closed the connection|connection to server' "$work/torn_$ra.err" | grep -v 'ERROR:  40001.*changed while' | sed 's/^psql:[^:]*:[0-9]*: //' | sort | uniq -c | sort -rn | head -3 | tr -s ' ' | tr '\n' ';')
    echo "# torn-read stress, read_ahead $ra: $scans scans in ${elapsed} ms while the writer committed $cycles rewrites: $consistent consistent (1|300000), $retry failed with 40001, $torn torn, $other other errors"
    [[ $torn -gt 0 ]] && echo "#   torn results (distinct v|rows): $torn_kinds"
    [[ $other -gt 0 ]] && echo "#   other errors: $other_kinds"
    if [[ $torn == 0 && $other == 0 && $((consistent + retry)) == "$scans" && $consistent -gt 0 && $scans -ge 100 && ${cycles:-0} -ge 20 ]]; then
        ok "no torn reads under a rewriting WAL writer, read_ahead $ra ($scans scans: $consistent consistent, $retry x 40001; $cycles rewrites)"
    else
        not_ok "torn reads under a rewriting WAL writer, read_ahead $ra" "$scans scans: $consistent consistent, $retry x 40001, $torn torn (${torn_kinds:-none}), $other other (${other_kinds:-none}); $cycles rewrites"
    fi
done

# ---------------------------------------------------------------------------------------
# 4. A replaced file is noticed. One session throughout; mv puts another file (another
#    inode, other rows) at the server's path.
session replaced <<SQL
SELECT 'pid0|' || pg_backend_pid();
SELECT 'before|' || count(*) || ':' || min(name) FROM app_items;
\! mv '$work/app_new.db' '$work/app.db'
SELECT 'after|' || count(*) || ':' || min(name) FROM app_items;
BEGIN;
SELECT 'txn0|' || count(*) || ':' || min(name) FROM app_items;
\! mv '$work/app_third.db' '$work/app.db'
SELECT 'txn1|' || count(*) || ':' || min(name) FROM app_items;
COMMIT;
SELECT 'next|' || count(*) || ':' || min(name) FROM app_items;
SELECT 'w_before|' || count(*) || ':' || min(name) FROM wapp_items;
BEGIN;
SELECT 'w_txn0|' || count(*) || ':' || min(name) FROM wapp_items;
\! mv '$work/wal/wapp_new.db' '$work/wal/wapp.db'
SELECT 'w_txn1|' || count(*) || ':' || min(name) FROM wapp_items;
\echo w_txn1_state|:SQLSTATE|:LAST_ERROR_MESSAGE
COMMIT;
\echo w_commit_state|:SQLSTATE|:LAST_ERROR_MESSAGE
SELECT 'w_next|' || count(*) || ':' || min(name) FROM wapp_items;
SELECT 'pid1|' || pg_backend_pid();
SQL
if [[ $(get replaced before) == "10:old 1" && $(get replaced after) == "7:new 1" && $(get replaced pid0) == "$(get replaced pid1)" ]]; then
    ok "after mv new.db app.db the same session's next transaction reads the new file (10 old rows, then 7 new), no disconnect"
else
    not_ok "replaced file, next transaction" "before '$(get replaced before)', after '$(get replaced after)'"
fi
if [[ $(get replaced txn0) == "7:new 1" && $(get replaced txn1) == "7:new 1" && $(get replaced next) == "5:third 1" ]]; then
    ok "a file replaced during a transaction: the transaction keeps its snapshot (7 rows), the next one reads the new file (5)"
else
    not_ok "replaced during a transaction (rollback journal)" "in the transaction '$(get replaced txn0)' then '$(get replaced txn1)', next '$(get replaced next)'"
fi
s1=$(state replaced w_txn1_state) sc=$(state replaced w_commit_state)
if [[ $s1 == 40001 ]]; then m=$(message replaced w_txn1_state); else m=$(message replaced w_commit_state); fi
if [[ $(get replaced w_txn0) == "10:old 1" && ($s1 == 40001 || $sc == 40001) && $(get replaced w_next) == "7:new 1" ]]; then
    ok "a WAL file opened immutable and replaced during the transaction: 40001 ($m); the next transaction reads the new file"
else
    not_ok "immutable file replaced during a transaction" "'$(get replaced w_txn0)', then '$(get replaced w_txn1)' $s1, commit $sc: $m; next '$(get replaced w_next)'"
fi

sync_run() { # TAG OPTIONS: the run's status and counts, then the logged error, then the target's rows
    cat <<SQL
SELECT '$1|' || status || ':' || rows_inserted || ':' || rows_updated || ':' || rows_deleted FROM liteport.sync('sync_items', 'items', options => '$2');
SELECT '$1_error|' || coalesce(error, '') FROM liteport.sync_log ORDER BY id DESC LIMIT 1;
SELECT '$1_target|' || count(*) FROM items;
SQL
}
session sync <<SQL
$(sync_run first '{"deletes": true}')
\! mv '$work/sync_new.db' '$work/sync.db'
$(sync_run replaced '{"deletes": true}')
$(sync_run accepted '{"deletes": true, "accept_new_source": true}')
\! sqlite3 '$work/sync.db' "DELETE FROM items WHERE id <= 2"
$(sync_run some_gone '{"deletes": true}')
\! sqlite3 '$work/sync.db' "DELETE FROM items"
$(sync_run emptied '{"deletes": true}')
$(sync_run emptied_ok '{"deletes": true, "max_delete_share": 1}')
SQL
if [[ $(get sync first) == ok:10:0:0 && $(get sync replaced) == error:0:0:0 && $(get sync replaced_error) == *"replaced"* && $(get sync replaced_target) == 10 ]]; then
    ok "sync with deletes after the source file was replaced: status error, nothing changed ($(get sync replaced_error | cut -c1-80)...)"
else
    not_ok "sync against a replaced source" "first '$(get sync first)', after mv '$(get sync replaced)' error '$(get sync replaced_error)' target $(get sync replaced_target)"
fi
if [[ $(get sync accepted) == ok:0:7:3 && $(get sync accepted_target) == 7 ]]; then
    ok "sync with accept_new_source reads the new file (7 updated, 3 deleted)"
else
    not_ok "sync with accept_new_source" "'$(get sync accepted)', target $(get sync accepted_target), error '$(get sync accepted_error)'"
fi
if [[ $(get sync some_gone) == ok:0:0:2 && $(get sync emptied) == error:0:0:0 && $(get sync emptied_error) == *"refusing to delete 5 of the 5 rows"* && $(get sync emptied_target) == 5 ]]; then
    ok "sync deletes 2 of 7 rows, but refuses to empty the target from an emptied source (status error, nothing deleted)"
else
    not_ok "delete guard" "2 of 7 gone: '$(get sync some_gone)'; emptied: '$(get sync emptied)' '$(get sync emptied_error)', target $(get sync emptied_target)"
fi
if [[ $(get sync emptied_ok) == ok:0:0:5 && $(get sync emptied_ok_target) == 0 ]]; then
    ok "sync with max_delete_share 1 empties the target"
else
    not_ok "max_delete_share 1" "'$(get sync emptied_ok)', target $(get sync emptied_ok_target), error '$(get sync emptied_ok_error)'"
fi

# ---------------------------------------------------------------------------------------
# 5. Interrupts during a wait for a writer's lock. Another process holds an EXCLUSIVE
#    lock on a rollback-journal file; the scan waits (busy_timeout_ms 60000) until a
#    cancel, statement_timeout or terminate ends it, or gives up (busy_timeout_ms 500).
#    "warm": the session opened its connections before the lock was taken (they are
#    reused); "fresh": the session's first use of the file happens under the lock.
lock_take() {
    rm -f "$work/release" "$work/locker.out"
    python3 "$helpers/locker.py" "$work/lock.db" "$work/release" 20 >"$work/locker.out" &
    locker=$!
    until grep -q locked "$work/locker.out" 2>/dev/null; do sleep 0.02; done
}
lock_release() { touch "$work/release"; wait $locker; }
lock_scan() { # MODE APP SETUP STATEMENT: starts it in the background ($scan)
    local mode=$1 app=$2 setup=$3 stmt=$4
    if [[ $mode == warm ]]; then
        PGAPPNAME=$app psql_as postgres -v VERBOSITY=verbose -c "SELECT count(*) FROM lock60_t" -c "SELECT count(*) FROM lock500_t" \
            -c "SELECT pg_sleep(0.8)" -c "$setup" -c '\timing on' -c "$stmt" >"$work/$app.out" 2>&1 &
        scan=$!
        sleep 0.3
        lock_take
    else
        lock_take
        PGAPPNAME=$app psql_as postgres -v VERBOSITY=verbose -c "$setup" -c '\timing on' -c "$stmt" >"$work/$app.out" 2>&1 &
        scan=$!
    fi
}
waiting() { # APP: the scan is running (not in pg_sleep)
    for _ in $(seq 100); do
        [[ $(sql -c "SELECT count(*) FROM pg_stat_activity WHERE application_name = '$1' AND state = 'active' AND query LIKE '%lock%_t%' AND query NOT LIKE '%pg_sleep%'") == 1 ]] && return 0
        sleep 0.05
    done
    return 1
}
statement_ms() { grep -o 'Time: [0-9.]*' "$work/$1.out" | tail -1 | awk '{printf "%d", $2}'; }
outcome() { grep -E '^(ERROR|FATAL)' "$work/$1.out" | head -2 | tr '\n' ' ' | cut -c1-200; }
for mode in warm fresh; do
    for signal in cancel terminate; do
        app=hard_${mode}_$signal
        lock_scan $mode $app "SELECT 1" "SELECT count(*) FROM lock60_t"
        waiting $app; sleep 1
        fn=pg_cancel_backend; [[ $signal == terminate ]] && fn=pg_terminate_backend
        start=$(now_ms)
        sent=$(sql -c "SELECT $fn(pid) FROM pg_stat_activity WHERE application_name = '$app' AND state = 'active'")
        wait $scan
        elapsed=$(( $(now_ms) - start ))
        lock_release
        out=$(outcome $app)
        expect="57014: canceling statement due to user request"; [[ $signal == terminate ]] && expect="57P01: terminating connection due to administrator command"
        if [[ $sent == t && $out == *"$expect"* && $elapsed -lt 2000 ]]; then
            ok "${fn} ends a scan waiting for a lock ($mode connection) ${elapsed} ms after the request"
        else
            not_ok "${fn} during a lock wait ($mode connection)" "$([[ $sent == t ]] && echo "signal sent to the waiting scan" || echo "the scan was not waiting when the signal was sent"); it ended ${elapsed} ms after the request with: ${out:-no error}"
        fi
    done
    app=hard_${mode}_timeout
    lock_scan $mode $app "SET statement_timeout = '2s'" "SELECT count(*) FROM lock60_t"
    wait $scan; lock_release
    ms=$(statement_ms $app) out=$(outcome $app)
    if [[ $out == *"57014: canceling statement due to statement timeout"* && ${ms:-0} -ge 1900 && ${ms:-0} -lt 3500 ]]; then
        ok "statement_timeout 2s ends a scan waiting for a lock ($mode connection) after ${ms} ms"
    else
        not_ok "statement_timeout during a lock wait ($mode connection)" "statement took ${ms} ms: ${out:-no error}"
    fi
    app=hard_${mode}_busy
    lock_scan $mode $app "SELECT 1" "SELECT count(*) FROM lock500_t"
    wait $scan; lock_release
    ms=$(statement_ms $app) out=$(outcome $app)
    if [[ $out == *"55P03:"*"is locked"* && ${ms:-0} -ge 400 && ${ms:-0} -lt 1500 ]]; then
        ok "busy_timeout_ms 500: the scan gives up after ${ms} ms with 55P03 ($mode connection)"
    else
        not_ok "busy_timeout_ms 500 ($mode connection)" "statement took ${ms} ms: ${out:-no error}"
    fi
done
if [[ $(sql -c "SELECT count(*) FROM lock60_t") == 3 ]]; then ok "the file reads normally once the lock is gone"; else not_ok "scan after the lock tests" "wrong count"; fi

# ---------------------------------------------------------------------------------------
# 6. Large objects and savepoints. ROLLBACK TO SAVEPOINT closes the descriptor a scan of A
#    opened; the next lo_open (B) gets the same descriptor number. A must still read A.
session lo_savepoints <<SQL
BEGIN;
SAVEPOINT s;
SELECT 'a0|' || count(*) || ':' || string_agg(v, ',' ORDER BY id) FROM a_t;
ROLLBACK TO s;
SELECT 'b1|' || count(*) || ':' || string_agg(v, ',' ORDER BY id) FROM b_t;
SELECT 'a1|' || count(*) || ':' || string_agg(v, ',' ORDER BY id) FROM a_t;
COMMIT;
-- Opened in a savepoint that is released (handed to its parent), and the parent rolled back.
BEGIN;
SAVEPOINT outer_sp;
SAVEPOINT inner_sp;
SELECT 'a2|' || count(*) FROM a_t;
RELEASE inner_sp;
ROLLBACK TO outer_sp;
SELECT 'b3|' || count(*) FROM b_t;
SELECT 'a3|' || count(*) || ':' || string_agg(v, ',' ORDER BY id) FROM a_t;
COMMIT;
-- A descriptor taken by plain lo_open after the rollback.
BEGIN;
SAVEPOINT s;
SELECT 'a4|' || count(*) FROM a_t;
ROLLBACK TO s;
SELECT 'fd|' || lo_open($lo_b, 262144);
SELECT 'a5|' || count(*) || ':' || string_agg(v, ',' ORDER BY id) FROM a_t;
COMMIT;
-- liteport.migrate and liteport.sync inside savepoints that roll back.
SET client_min_messages = warning;
BEGIN;
SAVEPOINT s;
SELECT 'mig0|' || string_agg(table_name || ':' || rows_copied, ',') FROM liteport.migrate('lo_a', 'mig_a', '{"tables": ["t"]}');
ROLLBACK TO s;
SELECT 'b6|' || count(*) FROM b_t;
SELECT 'mig1|' || string_agg(table_name || ':' || rows_copied || ':' || status, ',') FROM liteport.migrate('lo_a', 'mig_a', '{"tables": ["t"]}');
SELECT 'mig_rows|' || count(*) || ':' || string_agg(v, ',' ORDER BY id) FROM mig_a.t;
SELECT 'verify|' || bool_and(matches)::int FROM liteport.verify('lo_a', 'mig_a', '{"tables": ["t"]}');
COMMIT;
BEGIN;
SAVEPOINT s;
SELECT 'sync0|' || status || ':' || rows_inserted FROM liteport.sync('a_t', 'a_sync');
ROLLBACK TO s;
SELECT 'b7|' || count(*) FROM b_t;
SELECT 'sync1|' || status || ':' || rows_inserted FROM liteport.sync('a_t', 'a_sync');
SELECT 'sync_rows|' || count(*) || ':' || string_agg(v, ',' ORDER BY id) FROM a_sync;
-- A sync that fails (a value that does not convert) rolls back its own subtransaction.
SELECT 'sync_bad|' || status FROM liteport.sync('a_bad', 'a_bad_sync');
SELECT 'b8|' || count(*) FROM b_t;
SELECT 'a8|' || count(*) || ':' || string_agg(v, ',' ORDER BY id) FROM a_t;
COMMIT;
SQL
a_rows="3:a1,a2,a3"
if [[ $(get lo_savepoints a0) == "$a_rows" && $(get lo_savepoints b1) == "5:b1,b2,b3,b4,b5" && $(get lo_savepoints a1) == "$a_rows" ]]; then
    ok "SAVEPOINT; scan A; ROLLBACK TO; scan B; scan A: A reads A's 3 rows, never B's"
else
    not_ok "A after ROLLBACK TO and B" "A '$(get lo_savepoints a0)', B '$(get lo_savepoints b1)', A again '$(get lo_savepoints a1)'"
fi
if [[ $(get lo_savepoints a2) == 3 && $(get lo_savepoints b3) == 5 && $(get lo_savepoints a3) == "$a_rows" ]]; then
    ok "A opened in a released savepoint whose parent rolls back, then B: A still reads A"
else
    not_ok "released then rolled-back savepoint" "A '$(get lo_savepoints a2)', B '$(get lo_savepoints b3)', A '$(get lo_savepoints a3)'"
fi
if [[ $(get lo_savepoints a4) == 3 && -n $(get lo_savepoints fd) && $(get lo_savepoints a5) == "$a_rows" ]]; then
    ok "A after ROLLBACK TO and a plain lo_open of B (descriptor $(get lo_savepoints fd)): A reads A"
else
    not_ok "A after lo_open of B" "A '$(get lo_savepoints a4)', fd '$(get lo_savepoints fd)', A '$(get lo_savepoints a5)'"
fi
if [[ $(get lo_savepoints mig0) == t:3 && $(get lo_savepoints b6) == 5 && $(get lo_savepoints mig1) == t:3:ok && $(get lo_savepoints mig_rows) == "$a_rows" && $(get lo_savepoints verify) == 1 ]]; then
    ok "liteport.migrate rolled back to a savepoint, B scanned, migrate again: A's rows, verify matches"
else
    not_ok "migrate in savepoints" "'$(get lo_savepoints mig0)', B '$(get lo_savepoints b6)', '$(get lo_savepoints mig1)', rows '$(get lo_savepoints mig_rows)', verify '$(get lo_savepoints verify)'"
fi
if [[ $(get lo_savepoints sync0) == ok:3 && $(get lo_savepoints b7) == 5 && $(get lo_savepoints sync1) == ok:3 && $(get lo_savepoints sync_rows) == "$a_rows" \
    && $(get lo_savepoints sync_bad) == error && $(get lo_savepoints b8) == 5 && $(get lo_savepoints a8) == "$a_rows" ]]; then
    ok "liteport.sync rolled back to a savepoint, and a failing sync, with B scanned between: A's rows each time"
else
    not_ok "sync in savepoints" "'$(get lo_savepoints sync0)', B '$(get lo_savepoints b7)', '$(get lo_savepoints sync1)', rows '$(get lo_savepoints sync_rows)'; failing sync '$(get lo_savepoints sync_bad)', B '$(get lo_savepoints b8)', A '$(get lo_savepoints a8)'"
fi
if grep -q 'ERROR' "$work/lo_savepoints.err"; then echo "# unexpected errors: $(grep ERROR "$work/lo_savepoints.err" | head -3)"; fi

# ---------------------------------------------------------------------------------------
# 7. SQLite's memory is bounded. A view sorting 2M rows of ~100 bytes (ORDER BY random())
#    in a large-object database (temp_store = memory, so the sort is all in memory).
#    The large object's pages are read once first, so that the shared buffers they fill
#    are part of the baseline and the growth is the backend's own.
session sort_small <<SQL
SELECT count(*) FROM pg_largeobject WHERE loid = $lo_sort \g /dev/null
SELECT 'hwm0|' || $(status_kb VmHWM);
SET liteport.sqlite_memory_limit = '64MB';
SELECT count(pad) FROM shuffled;
\echo scan|:SQLSTATE|:LAST_ERROR_MESSAGE
SELECT 'hwm1|' || $(status_kb VmHWM);
SQL
h0=$(get sort_small hwm0) h1=$(get sort_small hwm1)
growth=$(( ${h1:-0} - ${h0:-0} ))
echo "# sorting view under liteport.sqlite_memory_limit 64MB: backend peak memory ${h0} kB before, ${h1} kB after (+${growth} kB)"
if [[ $(state sort_small scan) == 53200 && $(message sort_small scan) == *"liteport.sqlite_memory_limit"* && -n $h0 && $growth -lt 196608 ]]; then
    ok "64MB limit: the sorting view fails with 53200 naming liteport.sqlite_memory_limit, backend peak +$((growth / 1024)) MB"
else
    not_ok "sqlite_memory_limit 64MB" "$(get sort_small scan | cut -c1-160); peak +${growth} kB"
fi
session sort_big <<SQL
SELECT count(*) FROM pg_largeobject WHERE loid = $lo_sort \g /dev/null
SELECT 'hwm0|' || $(status_kb VmHWM);
SET liteport.sqlite_memory_limit = '2GB';
SELECT 'rows|' || count(pad) FROM shuffled;
\echo scan|:SQLSTATE|:LAST_ERROR_MESSAGE
SELECT 'hwm1|' || $(status_kb VmHWM);
SQL
h0=$(get sort_big hwm0) h1=$(get sort_big hwm1)
growth=$(( ${h1:-0} - ${h0:-0} ))
echo "# sorting view under liteport.sqlite_memory_limit 2GB: backend peak memory +${growth} kB"
if [[ $(get sort_big rows) == 2000000 ]]; then
    ok "2GB limit: the sorting view returns its 2000000 rows (peak +$((growth / 1024)) MB)"
else
    not_ok "sqlite_memory_limit 2GB" "rows '$(get sort_big rows)': $(get sort_big scan | cut -c1-160)"
fi
# Superuser-only: set by a plain role before the library is loaded (a placeholder) or
# after, the limit stays what the administrator chose.
session limit_user hardening_alice <<'SQL'
SET liteport.sqlite_memory_limit = '8GB';
\echo early|:SQLSTATE|:LAST_ERROR_MESSAGE
SELECT count(*) FROM liteport.connections() \g /dev/null
SELECT 'after_load|' || current_setting('liteport.sqlite_memory_limit');
SET liteport.sqlite_memory_limit = '8GB';
\echo late|:SQLSTATE|:LAST_ERROR_MESSAGE
SELECT 'final|' || current_setting('liteport.sqlite_memory_limit');
SQL
if [[ $(get limit_user after_load) == 1GB && $(state limit_user late) == 42501 && $(get limit_user final) == 1GB ]]; then
    ok "a plain role cannot raise liteport.sqlite_memory_limit, before the library loads (placeholder $(state limit_user early), then discarded) or after (42501)"
else
    not_ok "liteport.sqlite_memory_limit is superuser-only" "before load: $(get limit_user early), value after load '$(get limit_user after_load)', after load: $(get limit_user late), final '$(get limit_user final)'"
fi

# ---------------------------------------------------------------------------------------
# 8. Non-ASCII paths (and bytes that mean something in a file: URI) read correctly, and
#    nothing appears beside the files.
before=$(ls -A "$udir" | md5sum)
out=$(sql -c "SELECT string_agg(id || ':' || name, ',' ORDER BY id) FROM uni_t" -c "SELECT string_agg(id || ':' || name, ',' ORDER BY id) FROM uni_wal_t" \
    -c "SELECT ok FROM liteport.check('uni')" 2>&1 | tr '\n' ' ')
if [[ $out == "1:grüße,2:日本語 1:naïve t " && $(ls -A "$udir" | md5sum) == "$before" && $(ls -A "$udir" | wc -l) == 2 ]]; then
    ok "files at '$udir/ü.db' and '.../wal ü 100%#?.db' read correctly; nothing else appears in the directory"
else
    not_ok "non-ASCII paths" "read '$out'; directory: $(ls -A "$udir" | tr '\n' ' ')"
fi

# ---------------------------------------------------------------------------------------
# 9. A WAL-mode file whose -wal is present but unreadable by postgres.
out=$(psql_as postgres -qAt -v VERBOSITY=verbose -c "SELECT count(*) FROM uwal_t" 2>&1 | head -1)
problem=$(sql -c "SELECT ok::int || '|' || coalesce(problem, '') FROM liteport.check('uwal')" 2>&1)
if [[ $out == *"$work/uwal/app.db-wal"* && $problem == "0|"*"$work/uwal/app.db-wal"* ]]; then
    ok "an unreadable -wal is named: ${out#ERROR:  }"
else
    not_ok "unreadable -wal" "scan: $out; check: $problem"
fi

# ---------------------------------------------------------------------------------------
c=$(crashes)
if [[ -z $c && $(sql -c "SELECT pg_postmaster_start_time()") == "$pm_start" ]]; then
    ok "no backend crashed during the run"
else
    not_ok "backend crash during the run" "${c:-the postmaster restarted}"
fi
echo "# runtime $(( $(date +%s) - script_start )) s"
echo "# hardening: $failures failed"
exit $((failures > 0))
