#!/bin/sh
# run_mllp_bench.sh BUILD_DIR [MESSAGES] - the MLLP benchmark: ACKed messages/s and p50/p99
# latency over 1 and 16 loopback connections, for `infusionctl hl7 listen --quiet` and, in the
# same run, for the minimal C ACK server (bench/mllp/mllp_ack_server.c) as the baseline.
# MESSAGES (default 200000) go over 16 connections, a quarter of them over 1. Everything runs on
# 127.0.0.1; every server is stopped by its PID. Exit status non-zero when any run failed.
set -eu
. "$(dirname "$0")/server_lib.sh"
build=$1
n16=${2:-200000}
n1=$((n16 / 4))
ctl="$build/tools/infusionctl/infusionctl"
gen="$build/bench/bench_mllp"
base="$build/bench/mllp_ack_server"
tmp=$(mktemp -d "${TMPDIR:-/tmp}/oi-mllp-bench.XXXXXX")
pid=""
cleanup() {
    kill_server
    rm -rf "$tmp"
}
trap cleanup EXIT

# bench_server NAME CMD...: start the server, run the load over 1 and 16 connections, stop it.
bench_server() {
    name=$1
    shift
    "$@" >"$tmp/server.out" 2>"$tmp/server.err" &
    pid=$!
    port=$(wait_port "$tmp/server.out" 200 0.05)
    if [ -z "$port" ]; then
        echo "run_mllp_bench: $name did not start:" >&2
        cat "$tmp/server.err" >&2
        return 1
    fi
    status=0
    "$gen" --port "$port" --connections 1 --messages "$n1" --label "$name" || status=1
    "$gen" --port "$port" --connections 16 --messages "$n16" --label "$name" || status=1
    kill -TERM "$pid"
    wait "$pid" || status=1
    pid=""
    return $status
}

rc=0
bench_server "infusionctl-listen" "$ctl" hl7 listen --port 0 --quiet --max-connections 64 || rc=1
bench_server "minimal-c-ack-server" "$base" --port 0 || rc=1
exit $rc
