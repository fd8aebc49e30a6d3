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

TMP=$(mktemp -d "${TMPDIR:-/tmp}/oi-pg.XXXXXX") || exit 1
. "$(dirname "$0")/pg_lib.sh"
cleanup() {
    pg_stop
    rm -rf "$TMP"
}
trap cleanup EXIT
trap 'cleanup; exit 130' INT TERM
pg_find
pg_start || exit 1
echo "postgres $PG_PID at $PG_URL"

OI_TEST_PG_URL=$PG_URL
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
pg_stop
echo "$n_run test binaries, $n_fail failed"
[ "$n_fail" -eq 0 ]
