#!/usr/bin/env bash
# Prints the directory of the Python venv the Python test programs run in (psycopg, and
# the ORMs of tests/orm), creating it first from tests/orm/python/requirements.txt (exact
# versions) when it is missing or the requirements changed. Outside the repository, so a
# clean clone stays clean; tests/orm/run.sh uses the same venv and stamp.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
cache=${ORM_CACHE:-/var/cache/liteport}
venv=$cache/venv
req=$root/tests/orm/python/requirements.txt
stamp=$(sha256sum "$req" | cut -c1-16)
if [[ ! -x $venv/bin/python || $(cat "$venv/.stamp" 2>/dev/null) != "$stamp" ]]; then
    echo "==> python venv $venv" >&2
    mkdir -p "$cache"
    rm -rf "$venv"
    python3 -m venv "$venv" >&2
    "$venv/bin/pip" install -q --disable-pip-version-check -r "$req" >&2
    echo "$stamp" >"$venv/.stamp"
fi
echo "$venv"
