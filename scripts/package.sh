#!/usr/bin/env bash
# Builds what a DBA installs without a Rust toolchain, per PostgreSQL major:
#   postgresql-<major>-liteport_<version>_amd64.deb   Debian/PGDG layout
#       (/usr/lib/postgresql/<major>/lib, /usr/share/postgresql/<major>/extension),
#       depending on postgresql-<major>
#   liteport-<version>-pg<major>-linux-x86_64.tar.gz   the `cargo pgrx package` files
#       in a plain lib/ + extension/ layout, with install.sh for any pg_config
# Usage: scripts/package.sh [OUT_DIR] [PG_CONFIG...]
#   OUT_DIR defaults to target/packages; the default PG_CONFIGs are Debian's
#   PostgreSQL 15 and the PostgreSQL 18 of scripts/setup.sh.
# Release builds (cargo pgrx package), cached by cargo in target/.
set -euo pipefail
cd "$(dirname "$0")/.."
export PATH="$HOME/.cargo/bin:$PATH"
out=$(realpath -m "${1:-target/packages}")
shift || true
configs=("$@")
((${#configs[@]})) || configs=(/usr/lib/postgresql/15/bin/pg_config "$(scripts/pg18.sh)")
version=$(sed -n 's/^version = "\(.*\)"/\1/p' Cargo.toml | head -1)
arch=amd64
mkdir -p "$out"

log() { printf '==> %s\n' "$*" >&2; }

for pg_config in "${configs[@]}"; do
    major=$("$pg_config" --version | sed -E 's/^PostgreSQL ([0-9]+).*/\1/')
    stage=$(mktemp -d /tmp/liteport-package.XXXXXX)
    log "building liteport $version for PostgreSQL $major ($pg_config)"
    cargo pgrx package --pg-config "$pg_config" --out-dir "$stage/pgrx" >"$stage/build.log" 2>&1 || { cat "$stage/build.log"; exit 1; }
    so=$(find "$stage/pgrx" -name liteport.so | head -1)
    extdir=$(dirname "$(find "$stage/pgrx" -name liteport.control | head -1)")
    [[ -f $so && -f $extdir/liteport--$version.sql ]] || { echo "error: cargo pgrx package produced no library or SQL" >&2; exit 1; }
    strip --strip-unneeded "$so"

    # The plain tarball: lib/, extension/, install.sh.
    name=liteport-$version-pg$major-linux-x86_64
    tree=$stage/$name
    mkdir -p "$tree/lib" "$tree/extension"
    cp "$so" "$tree/lib/"
    cp "$extdir"/liteport.control "$extdir"/liteport--*.sql "$tree/extension/"
    cat >"$tree/install.sh" <<EOF
#!/bin/sh
# Installs liteport $version into the PostgreSQL $major that PG_CONFIG (default: pg_config
# on PATH) describes: lib/liteport.so into --pkglibdir, extension/* into --sharedir/extension.
set -e
cd "\$(dirname "\$0")"
PG_CONFIG=\${PG_CONFIG:-pg_config}
major=\$("\$PG_CONFIG" --version | sed -E 's/^PostgreSQL ([0-9]+).*/\\1/')
[ "\$major" = "$major" ] || { echo "this build is for PostgreSQL $major, \$PG_CONFIG is \$major" >&2; exit 1; }
install -m 755 lib/liteport.so "\$("\$PG_CONFIG" --pkglibdir)/"
install -m 644 extension/* "\$("\$PG_CONFIG" --sharedir)/extension/"
echo "liteport $version installed; run CREATE EXTENSION liteport as a superuser"
EOF
    chmod 755 "$tree/install.sh"
    tar -C "$stage" --owner=0 --group=0 -czf "$out/$name.tar.gz" "$name"

    # The Debian package.
    pkg=postgresql-$major-liteport
    root=$stage/deb
    mkdir -p "$root/DEBIAN" "$root/usr/lib/postgresql/$major/lib" "$root/usr/share/postgresql/$major/extension" "$root/usr/share/doc/$pkg"
    install -m 644 "$so" "$root/usr/lib/postgresql/$major/lib/liteport.so"
    install -m 644 "$extdir"/liteport.control "$extdir"/liteport--*.sql "$root/usr/share/postgresql/$major/extension/"
    cat >"$root/usr/share/doc/$pkg/copyright" <<EOF
Format: https://www.debian.org/doc/packaging-manuals/copyright-format/1.0/
Upstream-Name: liteport
License: MIT

Files: *
License: MIT
 Permission is hereby granted, free of charge, to any person obtaining a copy of this
 software, to deal in it without restriction, subject to the MIT license. SQLite is
 compiled in (public domain).
EOF
    size=$(du -sk --exclude=DEBIAN "$root" | cut -f1)
    cat >"$root/DEBIAN/control" <<EOF
Package: $pkg
Version: $version
Architecture: $arch
Maintainer: liteport maintainers <liteport@localhost>
Section: database
Priority: optional
Installed-Size: $size
Depends: postgresql-$major, libc6 (>= 2.34), libgcc-s1
Description: SQLite files as PostgreSQL $major foreign tables
 liteport is a foreign-data wrapper that exposes SQLite files (or SQLite databases
 uploaded as large objects) as foreign tables, with helpers to plan, migrate,
 verify, profile and incrementally sync a SQLite database inside PostgreSQL.
 After installing, run CREATE EXTENSION liteport as a superuser.
EOF
    (cd "$root" && find usr -type f -exec md5sum {} + | sort -k2 >DEBIAN/md5sums)
    deb=$out/${pkg}_${version}_$arch.deb
    dpkg-deb --root-owner-group -Zxz --build "$root" "$deb" >/dev/null
    log "$(basename "$deb"): $(du -k "$deb" | cut -f1) kB; $name.tar.gz: $(du -k "$out/$name.tar.gz" | cut -f1) kB"
    rm -rf "$stage"
done
ls -l "$out"
