#!/bin/sh
# A private PostgreSQL cluster for `make bench`: `bench_postgres.sh start DIR PORT [DATABASE ...]` creates it with
# initdb's defaults (autovacuum on, as on every production server) the first time, starts it, listening on a
# socket in DIR and 127.0.0.1:PORT, and creates the databases named that are missing; `bench_postgres.sh stop DIR`
# stops it. The data stays in DIR, so the
# generated databases are seeded once and reused. Run as root, the cluster belongs to the user postgres.
set -eu
action=$1
dir=$2
port=${3:-54340}
shift $(( $# < 3 ? $# : 3 ))
bindir=${PG_BINDIR:-$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -n 1)}
test -x "$bindir/initdb" || { echo "initdb not found; set PG_BINDIR (e.g. /usr/lib/postgresql/15/bin)." >&2; exit 1; }

as_owner() {
    if [ "$(id -u)" = 0 ]; then
        su postgres -s /bin/sh -c "$*"
    else
        sh -c "$*"
    fi
}

case $action in
start)
    if [ ! -f "$dir/PG_VERSION" ]; then
        mkdir -p "$dir"
        [ "$(id -u)" = 0 ] && chown postgres "$dir"
        as_owner "'$bindir/initdb' -D '$dir' -U postgres --auth=trust" >/dev/null
    fi
    if ! as_owner "'$bindir/pg_ctl' -D '$dir' status" >/dev/null 2>&1; then
        as_owner "'$bindir/pg_ctl' -D '$dir' -l '$dir/log' -w -o \"-p $port -k '$dir' -c listen_addresses=127.0.0.1\" start" >/dev/null
    fi
    for name in "$@"; do
        as_owner "'$bindir/psql' -h '$dir' -p $port -U postgres -tAc \"SELECT 1 FROM pg_database WHERE datname = '$name'\"" |
            grep -q 1 || as_owner "'$bindir/createdb' -h '$dir' -p $port -U postgres $name"
    done
    ;;
stop)
    as_owner "'$bindir/pg_ctl' -D '$dir' -m fast stop" >/dev/null 2>&1 || true
    ;;
*)
    echo "usage: $0 start|stop DIR [PORT]" >&2
    exit 2
    ;;
esac
