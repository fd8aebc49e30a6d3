#!/bin/sh
# pg_test_server.sh - runs the store's unit tests against a real PostgreSQL: initdb's a cluster in
# a temporary directory, starts postgres on 127.0.0.1 on a free port (socket in the same
# directory), runs every test_store_* binary with OI_TEST_PG_URL set (each test creates and drops
# its own database), stops the server by its PID (pg_ctl stop -m fast) and removes everything.
#
#   sh pg_test_server.sh TEST_BIN_DIR
#
# Skipped (exit 77) when the PostgreSQL server binaries are absent. initdb refuses to run as root:
# as root the cluster belongs to the "postgres" account Debian's package creates (runuser).
# PG_BIN overrides the directory of initdb/pg_ctl/postgres.
set -u

if [ $# -ne 1 ]; then
    echo "usage: $0 TEST_BIN_DIR" >&2
    exit 2
fi
TESTS=$1

PG_BIN=${PG_BIN:-}
if [ -z "$PG_BIN" ]; then
    for d in /usr/lib/postgresql/*/bin; do
        [ -x "$d/initdb" ] && PG_BIN=$d
    done
fi
if [ -z "$PG_BIN" ] || [ ! -x "$PG_BIN/initdb" ] || [ ! -x "$PG_BIN/pg_ctl" ]; then
    echo "SKIP: PostgreSQL server binaries not found (/usr/lib/postgresql/*/bin; set PG_BIN)"
    exit 77
fi

as_pg() {
    if [ "$(id -u)" -eq 0 ]; then
        runuser -u postgres -- "$@"
    else
        "$@"
    fi
}
if [ "$(id -u)" -eq 0 ] && ! id postgres >/dev/null 2>&1; then
    echo "SKIP: running as root and there is no postgres account for initdb"
    exit 77
fi

TMP=$(mktemp -d "${TMPDIR:-/tmp}/oi-pg.XXXXXX") || exit 1
chmod 755 "$TMP"
PGDATA_DIR="$TMP/data"
SOCK="$TMP/sock"
mkdir "$SOCK"
[ "$(id -u)" -eq 0 ] && chown postgres "$SOCK" "$TMP"
PID=""

cleanup() {
    if [ -n "$PID" ] && kill -0 "$PID" 2>/dev/null; then
        as_pg "$PG_BIN/pg_ctl" -D "$PGDATA_DIR" -m fast -w stop >/dev/null 2>&1 || kill "$PID"
    fi
    rm -rf "$TMP"
}
trap cleanup EXIT
trap 'cleanup; exit 130' INT TERM

# A free port: bind port 0 on loopback and read what the kernel chose.
PORT=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')

if ! as_pg "$PG_BIN/initdb" -D "$PGDATA_DIR" -U oi -A trust -E UTF8 --no-sync \
        >"$TMP/initdb.log" 2>&1; then
    echo "FAIL: initdb"
    sed 's/^/    /' "$TMP/initdb.log" | tail -n 20
    exit 1
fi
# Loopback only; the socket in our directory, not /var/run/postgresql.
if ! as_pg "$PG_BIN/pg_ctl" -D "$PGDATA_DIR" -l "$TMP/server.log" -w -t 60 \
        -o "-h 127.0.0.1 -p $PORT -k $SOCK" start >/dev/null 2>&1; then
    echo "FAIL: postgres did not start"
    sed 's/^/    /' "$TMP/server.log" | tail -n 20
    exit 1
fi
PID=$(head -n 1 "$PGDATA_DIR/postmaster.pid")
echo "postgres $PID on 127.0.0.1:$PORT"

OI_TEST_PG_URL="postgresql://oi@127.0.0.1:$PORT/postgres"
export OI_TEST_PG_URL
n_fail=0
n_run=0
for t in "$TESTS"/test_store_*; do
    [ -x "$t" ] || continue
    n_run=$((n_run + 1))
    if "$t" >"$TMP/out" 2>&1; then
        echo "ok: $(basename "$t") on PostgreSQL: $(grep -e '^\[  PASSED' -e '^\[  SKIPPED  \] [0-9]' "$TMP/out" | tr -s ' ' | tr '\n' ' ')"
    else
        n_fail=$((n_fail + 1))
        echo "FAIL: $(basename "$t") on PostgreSQL"
        grep -v -e '^\[ RUN' -e '^\[       OK' "$TMP/out" | sed 's/^/    /' | head -n 40
    fi
    if grep -q -e 'Sanitizer' -e 'runtime error:' "$TMP/out"; then
        n_fail=$((n_fail + 1))
        echo "FAIL: $(basename "$t"): sanitizer report"
    fi
done
if [ "$n_run" -eq 0 ]; then
    echo "FAIL: no test_store_* binaries in $TESTS"
    exit 1
fi
if as_pg "$PG_BIN/pg_ctl" -D "$PGDATA_DIR" -m fast -w stop >/dev/null 2>&1; then
    PID=""
else
    echo "FAIL: pg_ctl stop"
    n_fail=$((n_fail + 1))
fi
echo "$n_run test binaries, $n_fail failed"
[ "$n_fail" -eq 0 ]
