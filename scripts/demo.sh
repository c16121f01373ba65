#!/usr/bin/env bash
# Sets everything up, builds and installs liteport (release), starts a throwaway
# PostgreSQL 15 cluster, migrates a real SQLite file (Chinook by default) into it with
# IMPORT FOREIGN SCHEMA + INSERT ... SELECT, and prints a verification report that
# compares SQLite's own row counts (from the sqlite3 CLI) with Postgres's.
# Usage: scripts/demo.sh [path/to/file.sqlite]
set -euo pipefail
cd "$(dirname "$0")/.."
export PATH="$HOME/.cargo/bin:$PATH"
scripts/setup.sh
source scripts/cluster.sh

db=$(realpath "${1:-../shared/data/chinook.sqlite}")
dir=/tmp/liteport-demo port=5492

echo "==> building and installing liteport (release)"
cargo pgrx install --release --pg-config /usr/lib/postgresql/15/bin/pg_config >/tmp/liteport-demo-install.log 2>&1
cluster_start "$dir" "$port"
trap 'cluster_stop $dir' EXIT

echo "==> migrating $db"
start=$(date +%s%3N)
cluster_psql "$dir" "$port" -q <<SQL
CREATE EXTENSION liteport;
CREATE SERVER app FOREIGN DATA WRAPPER liteport OPTIONS (database '$db');
CREATE SCHEMA sqlite_src;
IMPORT FOREIGN SCHEMA main FROM SERVER app INTO sqlite_src;
-- One transaction: every table is read from the same SQLite snapshot.
BEGIN;
DO \$\$
DECLARE t record;
BEGIN
    FOR t IN SELECT c.relname FROM pg_class c JOIN pg_foreign_table f ON f.ftrelid = c.oid
             JOIN pg_namespace n ON n.oid = c.relnamespace
             WHERE n.nspname = 'sqlite_src' ORDER BY 1
    LOOP
        EXECUTE format('CREATE TABLE public.%I (LIKE sqlite_src.%I)', t.relname, t.relname);
        EXECUTE format('INSERT INTO public.%I SELECT * FROM sqlite_src.%I', t.relname, t.relname);
    END LOOP;
END
\$\$;
COMMIT;
SQL
elapsed=$(( $(date +%s%3N) - start ))

echo
echo "Verification report: $db → PostgreSQL ($elapsed ms)"
printf '%-28s %12s %12s  %s\n' "table" "sqlite rows" "pg rows" "match"
all=0 bad=0
while IFS= read -r table; do
    quoted=${table//\"/\"\"}
    s=$(sqlite3 -readonly "$db" "SELECT count(*) FROM \"$quoted\"")
    p=$(cluster_psql "$dir" "$port" -qAt -c "SELECT count(*) FROM public.\"$quoted\"")
    m=yes; [[ $s == "$p" ]] || { m=NO; bad=$((bad + 1)); }
    all=$((all + 1))
    printf '%-28s %12s %12s  %s\n' "$table" "$s" "$p" "$m"
done < <(sqlite3 -readonly "$db" "SELECT name FROM pragma_table_list WHERE schema = 'main' AND type IN ('table', 'view') AND name NOT LIKE 'sqlite\_%' ESCAPE '\' ORDER BY name")
echo "$all tables and views, $bad mismatches"
[[ $bad -eq 0 ]]
