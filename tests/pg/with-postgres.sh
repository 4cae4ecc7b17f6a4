#!/bin/sh
# Runs a command next to a private PostgreSQL server: initdb into a temporary directory, a free loopback port, the
# unix socket inside that directory, trust authentication, fsync off. The server is stopped and the directory
# removed when the command ends (also on failure or interruption).
#
#   tests/pg/with-postgres.sh COMMAND [ARGS...]
#
# The command finds in its environment:
#   BW_TEST_PG_CONNINFO  libpq connection string of the server (user postgres, database postgres)
#   BW_TEST_PG_RESTART   a shell command that restarts the server (pg_ctl restart -m fast), same port
#   BW_TEST_PG_STOP      a shell command that stops it (pg_ctl stop -m fast); BW_TEST_PG_START starts it again
# initdb refuses to run as root, so as root the server runs as the unprivileged `postgres` system user.
set -eu

bindir=$(pg_config --bindir 2>/dev/null || true)
if [ ! -x "$bindir/initdb" ]; then
    bindir=$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -n 1)
fi
if [ ! -x "$bindir/initdb" ]; then
    echo "with-postgres: no PostgreSQL server binaries (initdb) found" >&2
    exit 1
fi

tmp=$(mktemp -d /tmp/bw-pg-XXXXXX)
run_as=""
if [ "$(id -u)" = 0 ]; then
    chown postgres "$tmp"
    run_as="runuser -u postgres --"
fi
pg_ctl="$run_as $bindir/pg_ctl -D $tmp/data -l $tmp/server.log"

cleanup() {
    $pg_ctl stop -m immediate -w >/dev/null 2>&1 || true
    rm -rf "$tmp"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

$run_as "$bindir/initdb" -D "$tmp/data" -U postgres -A trust -E UTF8 --locale=C --no-sync >"$tmp/initdb.log" 2>&1 || {
    cat "$tmp/initdb.log" >&2
    exit 1
}

# A random port; another process may hold it, so try a few.
started=""
for _ in 1 2 3 4 5 6 7 8; do
    port=$(shuf -i 20000-60000 -n 1)
    opts="-c listen_addresses=127.0.0.1 -p $port -k $tmp -c fsync=off -c full_page_writes=off"
    if $pg_ctl -o "$opts" -w -t 30 start >/dev/null 2>&1; then
        started=yes
        break
    fi
done
if [ -z "$started" ]; then
    echo "with-postgres: the server did not start:" >&2
    cat "$tmp/server.log" >&2
    exit 1
fi

export BW_TEST_PG_CONNINFO="host=127.0.0.1 port=$port user=postgres dbname=postgres connect_timeout=5"
export BW_TEST_PG_RESTART="$pg_ctl -o '$opts' -m fast -w -t 30 restart >/dev/null"
export BW_TEST_PG_STOP="$pg_ctl -m fast -w -t 30 stop >/dev/null"
export BW_TEST_PG_START="$pg_ctl -o '$opts' -w -t 30 start >/dev/null"
"$@"
