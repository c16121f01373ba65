#!/usr/bin/env bash
# Installs a liteport .deb the way a DBA does, tests it, and removes it:
#   checks the package (name, Depends, files in Debian's paths), removes any
#   development install of liteport, `dpkg -i`, CREATE EXTENSION liteport and the
#   regression suite against a cluster of that installation, `dpkg -r`, and checks that
#   every file the package installed is gone.
# Usage: tests/deb.sh DEB [ROOT] [PORT]
#   ROOT / (the default): the real system (Debian's postgresql-N), with dpkg -i / -r.
#   ROOT DIR: a fresh private PostgreSQL tree in DIR (tests/lib.sh fresh_tree, from
#   PG_CONFIG, default Debian's postgresql-N) with its own dpkg database
#   (dpkg --root DIR), so the system's PostgreSQL is not touched.
set -uo pipefail
cd "$(dirname "$0")/.."
source tests/lib.sh
deb=$(realpath "$1")
root=${2:-/}
port=${3:-5637}
pkg=$(dpkg-deb -f "$deb" Package)
version=$(dpkg-deb -f "$deb" Version)
major=$(sed -E 's/^postgresql-([0-9]+)-liteport$/\1/' <<<"$pkg")
libfile=usr/lib/postgresql/$major/lib/liteport.so
extdir=usr/share/postgresql/$major/extension
echo "# $pkg $version ($(du -k "$deb" | cut -f1) kB) into ${root}"

[[ $(basename "$deb") == "${pkg}_${version}_amd64.deb" ]] && ok "file name ${pkg}_${version}_amd64.deb" || not_ok "file name" "$(basename "$deb")"
dpkg-deb -f "$deb" Depends | grep -qE "(^|, )postgresql-$major(,|$| )" && ok "depends on postgresql-$major" || not_ok "depends on postgresql-$major"
listing=$(dpkg-deb -c "$deb" | awk '{print $6}')
for f in "./$libfile" "./$extdir/liteport.control" "./$extdir/liteport--$version.sql" "./$extdir/liteport--0.1.0--$version.sql"; do
    grep -qxF "$f" <<<"$listing" && ok "package has ${f#./}" || not_ok "package has ${f#./}"
done

dpkg=(dpkg)
if [[ $root == / ]]; then
    pgbin=/usr/lib/postgresql/$major/bin
    echo "# removing the development install of liteport"
    rm -f "/$libfile" "/$extdir"/liteport.control "/$extdir"/liteport--*.sql
    [[ -z $(ls "/$extdir"/liteport* "/$libfile" 2>/dev/null) ]] && ok "no liteport files before dpkg -i" || not_ok "no liteport files before dpkg -i"
else
    src_config=${PG_CONFIG:-/usr/lib/postgresql/$major/bin/pg_config}
    pg_config=$(fresh_tree "$root" "$src_config")
    pgbin=$(dirname "$pg_config")
    # A dpkg database for the tree holding the package's dependencies as the system
    # has them; postgresql-N is recorded as installed when the system has no such
    # package (the tree then holds another build of it, e.g. the wheel's 18).
    mkdir -p "$root/var/lib/dpkg/info" "$root/var/lib/dpkg/updates" "$root/var/lib/dpkg/triggers"
    : >"$root/var/lib/dpkg/status"
    touch "$root/var/lib/dpkg/available"
    for dep in $(dpkg-deb -f "$deb" Depends | tr ',' '\n' | awk '{print $1}'); do
        if dpkg-query -W -f='${Status}' "$dep" 2>/dev/null | grep -q "install ok installed"; then
            { dpkg-query -s "$dep"; echo; } >>"$root/var/lib/dpkg/status"
        else
            printf 'Package: %s\nStatus: install ok installed\nPriority: optional\nSection: database\nMaintainer: test tree\nArchitecture: amd64\nVersion: %s\nDescription: %s in a private test tree\n\n' \
                "$dep" "$("$pg_config" --version | awk '{print $2}')" "$dep" >>"$root/var/lib/dpkg/status"
        fi
    done
    dpkg=(dpkg --root="$root" --force-script-chrootless)
fi

if "${dpkg[@]}" -i "$deb" >"/tmp/liteport-deb-$port.log" 2>&1; then ok "dpkg -i $(basename "$deb")"; else cat "/tmp/liteport-deb-$port.log"; not_ok "dpkg -i"; fi
installed=$("${dpkg[@]}" -L "$pkg" 2>/dev/null | while read -r f; do [[ -f $root/$f ]] && echo "$f"; done)
grep -qxF "/$libfile" <<<"$installed" && grep -qxF "/$extdir/liteport.control" <<<"$installed" \
    && ok "installed $(wc -l <<<"$installed") files in Debian's paths" || not_ok "installed files" "$installed"

export PGBIN=$pgbin
source scripts/cluster.sh
dir=/tmp/liteport-deb-cluster-$port
trap 'cluster_stop "$dir"' EXIT
cluster_start "$dir" "$port"
r=$(cluster_psql "$dir" "$port" -qAt -c "SET client_min_messages = error" -c "CREATE EXTENSION liteport" -c "SELECT extversion FROM pg_extension WHERE extname = 'liteport'" 2>&1)
[[ $r == "$version" ]] && ok "CREATE EXTENSION liteport ($version) from the package" || not_ok "CREATE EXTENSION liteport" "$r"
if REGRESS_OUT=/tmp/liteport-deb-regress-$port scripts/regress.sh "$dir" "$port" >"/tmp/liteport-deb-regress-$port.log" 2>&1; then
    ok "regression suite against the package ($(grep -cE '(\.\.\. ok|^ok [0-9])' "/tmp/liteport-deb-regress-$port.log") tests)"
else
    cat "/tmp/liteport-deb-regress-$port.log"; not_ok "regression suite against the package"
fi
cluster_stop "$dir"

if "${dpkg[@]}" -r "$pkg" >>"/tmp/liteport-deb-$port.log" 2>&1; then ok "dpkg -r $pkg"; else cat "/tmp/liteport-deb-$port.log"; not_ok "dpkg -r $pkg"; fi
left=$(while read -r f; do [[ -n $f && -e $root/$f ]] && echo "$f"; done <<<"$installed")
[[ -z $left ]] && ok "every file of the package is gone" || not_ok "files left after dpkg -r" "$left"
[[ -z $(ls "$root/$extdir"/liteport* "$root/$libfile" 2>/dev/null) ]] && ok "no liteport files left in the PostgreSQL tree" || not_ok "liteport files left in the tree"
"${dpkg[@]}" -s "$pkg" 2>/dev/null | grep -q '^Status: install ok installed' && not_ok "package still installed" || ok "dpkg no longer lists $pkg as installed"

echo "deb: $passes passed, $failures failed"
exit $((failures > 0))
