# Throwaway PostgreSQL clusters for the demo, tests and benchmarks. Source this file.
# Postgres refuses to run as root, so clusters belong to the postgres OS user.
# PGBIN selects the installation (default: Debian's PostgreSQL 15); cluster_psql uses
# that installation's psql.
PGBIN=${PGBIN:-/usr/lib/postgresql/15/bin}

# cluster_start DIR PORT [postgresql.conf lines...]: a fresh cluster in DIR on PORT,
# listening on a Unix socket in DIR only.
cluster_start() {
    local dir=$1 port=$2; shift 2
    cluster_stop "$dir"
    rm -rf "$dir"
    mkdir -p "$dir"
    chown postgres: "$dir"
    sudo -u postgres "$PGBIN/initdb" -D "$dir/data" -A trust -U postgres -E UTF8 --locale=C.UTF-8 >"$dir/initdb.log" 2>&1
    {
        echo "port = $port"
        echo "listen_addresses = ''"
        echo "unix_socket_directories = '$dir'"
        echo "fsync = off"
        for line in "$@"; do echo "$line"; done
    } >>"$dir/data/postgresql.conf"
    sudo -u postgres "$PGBIN/pg_ctl" -D "$dir/data" -l "$dir/server.log" -w start >/dev/null
}

cluster_stop() {
    local dir=$1
    if [[ -f "$dir/data/postmaster.pid" ]]; then
        sudo -u postgres "$PGBIN/pg_ctl" -D "$dir/data" -m immediate -w stop >/dev/null 2>&1 || true
    fi
}

# cluster_psql DIR PORT [psql args...]
cluster_psql() {
    local dir=$1 port=$2; shift 2
    "$PGBIN/psql" -X -h "$dir" -p "$port" -U postgres -v ON_ERROR_STOP=1 "$@"
}
