# pg_lib.sh - a throwaway PostgreSQL server for the tests (POSIX sh), sourced by a script that has
# TMP (a private temporary directory) and fail/pass or plain echo.
#
#   pg_find          PG_BIN = the server binaries; exit 77 (skip) when absent or unusable as root
#   pg_start         initdb a cluster in $TMP/pg, start postgres on 127.0.0.1 on a free port (socket
#                    in $TMP/pg-sock); PG_URL = postgresql://oi@127.0.0.1:PORT/postgres, PG_PID
#   pg_stop          pg_ctl stop -m fast (by the cluster, whose postmaster is PG_PID)
# initdb refuses root: as root the cluster belongs to the "postgres" account of Debian's package.
PG_PID=""
PG_URL=""

pg_as() {
    if [ "$(id -u)" -eq 0 ]; then
        runuser -u postgres -- "$@"
    else
        "$@"
    fi
}

pg_find() {
    PG_BIN=${PG_BIN:-}
    if [ -z "$PG_BIN" ]; then
        for _d in /usr/lib/postgresql/*/bin; do
            [ -x "$_d/initdb" ] && PG_BIN=$_d
        done
    fi
    if [ -z "$PG_BIN" ] || [ ! -x "$PG_BIN/initdb" ] || [ ! -x "$PG_BIN/pg_ctl" ]; then
        echo "SKIP: PostgreSQL server binaries not found (/usr/lib/postgresql/*/bin; set PG_BIN)"
        exit 77
    fi
    if [ "$(id -u)" -eq 0 ] && ! id postgres >/dev/null 2>&1; then
        echo "SKIP: running as root and there is no postgres account for initdb"
        exit 77
    fi
}

pg_start() {
    chmod 755 "$TMP"
    mkdir -p "$TMP/pg-sock"
    [ "$(id -u)" -eq 0 ] && chown postgres "$TMP/pg-sock" "$TMP"
    _pg_port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
    if ! pg_as "$PG_BIN/initdb" -D "$TMP/pg" -U oi -A trust -E UTF8 --no-sync \
            >"$TMP/initdb.log" 2>&1; then
        echo "FAIL: initdb"
        sed 's/^/    /' "$TMP/initdb.log" | tail -n 20
        return 1
    fi
    # Loopback only; the socket in our directory, not /var/run/postgresql.
    if ! pg_as "$PG_BIN/pg_ctl" -D "$TMP/pg" -l "$TMP/pg-server.log" -w -t 60 \
            -o "-h 127.0.0.1 -p $_pg_port -k $TMP/pg-sock" start >/dev/null 2>&1; then
        echo "FAIL: postgres did not start"
        sed 's/^/    /' "$TMP/pg-server.log" | tail -n 20
        return 1
    fi
    PG_PID=$(head -n 1 "$TMP/pg/postmaster.pid")
    PG_URL="postgresql://oi@127.0.0.1:$_pg_port/postgres"
}

pg_stop() {
    if [ -n "$PG_PID" ] && kill -0 "$PG_PID" 2>/dev/null; then
        pg_as "$PG_BIN/pg_ctl" -D "$TMP/pg" -m fast -w stop >/dev/null 2>&1 || kill "$PG_PID"
    fi
    PG_PID=""
}
