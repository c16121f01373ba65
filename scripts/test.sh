#!/usr/bin/env bash
# Sets everything up and runs every test suite:
#   1. Rust unit tests and #[pg_test]s inside a live backend (cargo pgrx test)
#   2. the SQL regression suite in pg_test/ (pg_regress against a throwaway cluster)
#   3. end-to-end tests in tests/ (cancel, memory, concurrent writer, two sessions)
set -euo pipefail
cd "$(dirname "$0")/.."
export PATH="$HOME/.cargo/bin:$PATH"
scripts/setup.sh
source scripts/cluster.sh

PG_CONFIG=/usr/lib/postgresql/15/bin/pg_config
logs=/tmp/liteport-test-logs
rm -rf "$logs" && mkdir -p "$logs"

echo "==> unit and in-backend tests (cargo pgrx test)"
mkdir -p /tmp/liteport-pgrx && chown postgres: /tmp/liteport-pgrx
CARGO_PGRX_TEST_RUNAS=postgres CARGO_PGRX_TEST_PGDATA=/tmp/liteport-pgrx \
    cargo pgrx test pg15 2>&1 | tee "$logs/cargo.log"
cargo_passed=$(grep -oE 'test result: ok\. [0-9]+ passed' "$logs/cargo.log" | awk '{s+=$4} END {print s+0}')

echo "==> installing the extension"
cargo pgrx install --pg-config "$PG_CONFIG" >"$logs/install.log" 2>&1

dir=/tmp/liteport-test port=5491
trap 'cluster_stop $dir' EXIT
cluster_start "$dir" "$port" "shared_preload_libraries = 'pg_cron'" "cron.database_name = 'postgres'" "cron.use_background_workers = on"

echo "==> SQL regression suite (pg_test/)"
scripts/regress.sh "$dir" "$port" | tee "$logs/regress.log"
regress_passed=$(grep -cE '^(ok|test) .* ok ' "$logs/regress.log" || true)
[[ $regress_passed -gt 0 ]] || regress_passed=$(grep -cE '\.\.\. ok' "$logs/regress.log")

echo "==> end-to-end tests (tests/)"
tests/e2e.sh "$dir" "$port" | tee "$logs/e2e.log"
e2e_passed=$(grep -c '^ok ' "$logs/e2e.log" || true)

total=$((cargo_passed + regress_passed + e2e_passed))
echo "cargo: $cargo_passed, regress: $regress_passed, e2e: $e2e_passed"
echo "all: $total passed, 0 failed"
