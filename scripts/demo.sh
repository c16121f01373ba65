#!/usr/bin/env bash
# Sets everything up, builds and installs liteport (release), starts a throwaway
# PostgreSQL 15 cluster, migrates a real SQLite file (Chinook by default) into it with
# liteport.migrate, and prints liteport.verify's report: per table, rows and checksums
# computed on the SQLite side and on the Postgres side.
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

echo "==> migrating $db with liteport.migrate"
cluster_psql "$dir" "$port" -q <<SQL
CREATE EXTENSION liteport;
CREATE SERVER app FOREIGN DATA WRAPPER liteport OPTIONS (database '$db');
CREATE SCHEMA app;
\echo 'Plan (liteport.plan): steps by kind'
SELECT kind, count(*) AS steps FROM liteport.plan('app', 'app') GROUP BY kind ORDER BY min(step);
\echo 'Migration (liteport.migrate, one transaction, one SQLite snapshot)'
SELECT table_name, rows_copied, rows_rejected, round(seconds::numeric, 3) AS seconds, status FROM liteport.migrate('app', 'app');
\echo 'Verification report (liteport.verify): rows and checksums, SQLite side vs PostgreSQL side'
SELECT table_name, source_rows, target_rows, rejected_rows, left(source_checksum, 12) AS sqlite_checksum,
       left(target_checksum, 12) AS pg_checksum, matches FROM liteport.verify('app', 'app');
SQL
bad=$(cluster_psql "$dir" "$port" -qAt -c "SELECT count(*) FROM liteport.verify('app', 'app') WHERE NOT matches")
all=$(cluster_psql "$dir" "$port" -qAt -c "SELECT count(*) FROM liteport.verify('app', 'app')")
echo "$all tables verified, $bad mismatches"
[[ $bad -eq 0 ]]
