#!/bin/sh
# callgrind_listen.sh BUILD_DIR [MESSAGES] [INFUSIONCTL] - instruction counts of
# `infusionctl hl7 listen --quiet` under a fixed load: MESSAGES (default 20000) of bench_mllp's
# ~2 KB PCD-01 report over 16 loopback connections, with the listener run by
# valgrind --tool=callgrind. Prints the listener's total instructions per message and the
# inclusive instructions per message of the per-message functions. Per-frame work is
# deterministic; the total also holds poll()/recv()/send() wrappers, whose number of calls
# depends on how the messages happened to arrive. INFUSIONCTL overrides the binary measured
# (to compare a saved older build). Everything runs on 127.0.0.1; the server is stopped by PID.
set -eu
. "$(dirname "$0")/server_lib.sh"
build=$1
n=${2:-20000}
ctl=${3:-"$build/tools/infusionctl/infusionctl"}
gen="$build/bench/bench_mllp"
tmp=$(mktemp -d "${TMPDIR:-/tmp}/oi-mllp-cg.XXXXXX")
pid=""
cleanup() {
    kill_server
    [ -n "${KEEP_CG:-}" ] && cp "$tmp/cg.out" "$KEEP_CG"; rm -rf "$tmp"
}
trap cleanup EXIT

valgrind --tool=callgrind --callgrind-out-file="$tmp/cg.out" \
    "$ctl" hl7 listen --port 0 --quiet --max-connections 64 >"$tmp/server.out" 2>"$tmp/server.err" &
pid=$!
port=$(wait_port "$tmp/server.out" 600 0.1)
if [ -z "$port" ]; then
    echo "callgrind_listen: the listener did not start:" >&2
    cat "$tmp/server.err" >&2
    exit 1
fi
status=0
"$gen" --port "$port" --connections 16 --messages "$n" --label "callgrind" || status=1
kill -TERM "$pid"
wait "$pid" || status=1
pid=""
callgrind_annotate --inclusive=yes "$tmp/cg.out" >"$tmp/annotate.txt" 2>/dev/null || status=1
# The function summary only (it ends where the annotated sources begin), one line a function.
awk -v n="$n" '
    /Auto-annotated source/ { exit }
    /PROGRAM TOTALS/ { v = $1; gsub(",", "", v); printf "total Ir/message %.0f\n", v / n }
    $0 ~ /:(handle_frame|hl7_parse|hl7_msg_check|hl7_ack_build|hl7_mllp_feed) \[/ {
        v = $1; gsub(",", "", v); sub(/ \[.*/, "", $0); sub(/^.*%\) +/, "", $0)
        printf "%-45s %8.0f Ir/message\n", $0, v / n
    }' "$tmp/annotate.txt"
exit $status
