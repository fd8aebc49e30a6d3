#!/bin/sh
# run_orders.sh BUILD_DIR [--orders N] [--connections K] [--window W] [--no-fleet] [--no-iop]
#
# Orders benchmark: ehrsim sends N generated PCD-03 orders (RGV^O15) over K connections
# (default 16), W in flight per connection (default 16), as fast as the windows allow, to
#   1. infusiond (Mosquitto up, SQLite in a temp dir with synchronous=FULL as shipped, an ehrsim
#      listener taking the RRG^O16): an ACK^O15 comes only after the order is committed;
#      the pumps named do not exist, so each order is refused after its ACK (an RRG^O16 row);
#   2. the baseline, side by side: `infusionctl hl7 listen --port 0 --quiet`, an MLLP ACK
#      server with no store (same ehrsim, same orders);
#   3. infusiond again with a pumpd fleet whose ids match the orders (the orders become
#      programs sent to pumps over MQTT); --no-fleet skips it.
# --no-iop: infusiond without --ehr-iop (no RRG^O16 is queued: one outbox row less per order).
# Reported per run: ACKed orders/s (ehrsim's first order sent to its last ACK^O15, from its
# --log) and the ACK latency p50/p99 of ehrsim's --summary-json; then infusiond / baseline.
# Everything runs on 127.0.0.1 on free ports, on the same 2 cores as the load generator.
# Benchmarks are not tests: CTest never runs this.
set -eu
. "$(dirname "$0")/lib.sh"

usage() {
    echo "usage: sh bench/infusiond/run_orders.sh BUILD_DIR [--orders N] [--connections K] [--window W] [--no-fleet] [--no-iop]" >&2
    exit 2
}
[ $# -ge 1 ] || usage
build=$1
shift
orders=50000
conns=16
window=16
fleet=1
iop=1
while [ $# -gt 0 ]; do
    case "$1" in
    --orders) [ $# -ge 2 ] || usage; orders=$2; shift 2 ;;
    --connections) [ $# -ge 2 ] || usage; conns=$2; shift 2 ;;
    --window) [ $# -ge 2 ] || usage; window=$2; shift 2 ;;
    --no-fleet) fleet=0; shift ;;
    --no-iop) iop=0; shift ;;
    *) usage ;;
    esac
done
case "$orders$conns$window" in *[!0-9]*) usage ;; esac
bench_init run_orders "$build"
# shellcheck disable=SC3045 # dash and bash have ulimit -n / -H
ulimit -n "$(ulimit -Hn)" 2>/dev/null || true
# Pump ids the orders name; with the fleet run these pumps exist.
n_pumps=1000

# send LABEL PORT: ehrsim sends the orders to PORT; prints one figure line; the rate in $RATE.
send() {
    _label=$1
    _f="$TMP/ehrsim-$_label"
    rm -f "$_f.log" "$_f.json"
    "$EHRSIM" --server "127.0.0.1:$2" --connections "$conns" --window "$window" \
        --generate "$orders" --rate 0 --library "$LIBRARY" --care-areas "$AREAS" \
        --pump-prefix SIM- --pump-count "$n_pumps" --patients MRN- --seed 7 --until-idle 1 \
        --duration $((orders / 1000 + 30)) --log "$_f.log" \
        --summary-json "$_f.json" --quiet >"$_f.out" 2>"$_f.err" || true
    RATE=$(python3 "$ROOT/bench/infusiond/orders_rate.py" "$_label" "$_f.json" "$_f.log" \
        "$orders") || RATE=0
}

echo "== orders: $orders PCD-03 orders over $conns connections, window $window$([ "$iop" = 1 ] || echo ', no --ehr-iop')"
iop_flags() {
    [ "$iop" = 0 ] || echo "--ehr-iop 127.0.0.1:$EHR_PORT"
}

# 1. infusiond, no pumps.
start_broker
start_ehr_listener ehr --quiet
# shellcheck disable=SC2046 # the flags hold no spaces
start_infusiond $(iop_flags)
cpu_mark "$TMP/cpu.before"
send infusiond "$MLLP_PORT"
cpu_mark "$TMP/cpu.after"
rate_srv=$RATE
received=$(metric infusiond_orders_received_total)
echo "  infusiond: $(metric infusiond_commits_total) group commits ($(metric infusiond_commit_failures_total) failed) for $received orders received; CPU over the run:"
cpu_per "$TMP/cpu.before" "$TMP/cpu.after" "$received" order
stop_all

# 2. the baseline: an MLLP ACK server with no store.
"$INFUSIONCTL" hl7 listen --port 0 --quiet --max-connections 64 >"$TMP/listen.out" \
    2>"$TMP/listen.err" &
track listen $!
wait_until 10 has_text "$TMP/listen.out" || die "infusionctl hl7 listen did not start"
lport=$(sed -n 's/^listening on .*:\([0-9]*\)$/\1/p' "$TMP/listen.out")
[ -n "$lport" ] || die "no port in $(cat "$TMP/listen.out")"
send baseline "$lport"
rate_base=$RATE
stop_all

# 3. infusiond with pumps that exist.
rate_fleet=""
if [ "$fleet" = 1 ]; then
    start_broker
    start_ehr_listener ehr --quiet
    # shellcheck disable=SC2046 # the flags hold no spaces
start_infusiond $(iop_flags)
    "$PUMPD" fleet --broker "127.0.0.1:$BROKER_PORT" --count "$n_pumps" --library "$LIBRARY" \
        --care-areas "$AREAS" --pump-prefix SIM- --patients MRN- --heartbeat-s 5 --stats-s 0 \
        >"$TMP/pumpd.out" 2>"$TMP/pumpd.err" &
    track pumpd $!
    online_all() { [ "$(metric infusiond_pumps_online)" -ge "$n_pumps" ]; }
    if wait_until 120 online_all; then
        send infusiond-fleet "$MLLP_PORT"
        rate_fleet=$RATE
        echo "  infusiond with the fleet: $(metric infusiond_commands_sent_total) commands sent to pumps, $(metric infusiond_replies_total) replies"
    else
        echo "  fleet run skipped: only $(metric infusiond_pumps_online) of $n_pumps pumps came online"
    fi
    stop_all
fi

ratio=$(awk -v a="$rate_srv" -v b="$rate_base" 'BEGIN { if (b > 0) printf "%.2f", a / b; else print "-" }')
line="orders summary: infusiond $rate_srv orders/s durably committed (ACK^O15) over $conns connections"
if [ -n "$rate_fleet" ]; then
    line="$line, $rate_fleet/s with a matching fleet"
fi
echo "$line; baseline (hl7 listen, no store) $rate_base/s; infusiond/baseline $ratio; target >= 5000/s"
