#!/usr/bin/env bash
# Installs everything liteport needs on a Debian machine, as root, skipping what is
# already there: Debian packages (PostgreSQL 15 and its headers, clang for bindgen,
# pg_cron, sqlite3, pgloader), cargo-pgrx 0.18.0, and pgrx's registration of PG 15.
set -euo pipefail

PGRX_VERSION=0.18.0
PG_CONFIG=/usr/lib/postgresql/15/bin/pg_config
PACKAGES=(postgresql-15 postgresql-server-dev-15 libclang-dev clang postgresql-15-cron sudo sqlite3 pkg-config gcc make)

log() { printf '==> %s\n' "$*" >&2; }

missing=()
for p in "${PACKAGES[@]}"; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if ((${#missing[@]})); then
    log "installing Debian packages: ${missing[*]}"
    apt-get update -qq
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${missing[@]}" >/dev/null
fi

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

if ! grep -qs '^pg15' "$HOME/.pgrx/config.toml"; then
    log "registering PostgreSQL 15 with pgrx"
    cargo pgrx init --pg15 "$PG_CONFIG" >/dev/null
fi
log "setup complete"
