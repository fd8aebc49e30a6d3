#!/bin/sh
# profile_ingest.sh BUILD_DIR [--pumps N] [--seconds S] - where the ingest latency comes from.
#
# The ingest set-up of run_ingest.sh (Mosquitto, infusiond, pumpd fleets of N pumps, default
# 5000, no orders: the pumps only send state heartbeats) and then, over the same S seconds
# (default 20): the SSE client, two plain MQTT subscribers on the state topics, one at QoS 0 and
# one at QoS 1 (infusiond subscribes at QoS 1), `perf record -g` on infusiond (when perf is
# installed) and infusiond's voluntary context switches. Prints the latencies side by side and
# perf's top functions. A diagnosis tool beside the benchmarks; not run by CTest.
set -eu
. "$(dirname "$0")/lib.sh"

usage() {
    echo "usage: sh bench/infusiond/profile_ingest.sh BUILD_DIR [--pumps N] [--seconds S]" >&2
    exit 2
}
[ $# -ge 1 ] || usage
build=$1
shift
n=5000
seconds=20
while [ $# -gt 0 ]; do
    case "$1" in
    --pumps) [ $# -ge 2 ] || usage; n=$2; shift 2 ;;
    --seconds) [ $# -ge 2 ] || usage; seconds=$2; shift 2 ;;
    *) usage ;;
    esac
done
case "$n$seconds" in *[!0-9]*) usage ;; esac
bench_init profile_ingest "$build"
# shellcheck disable=SC3045 # dash and bash have ulimit -n / -H
ulimit -n "$(ulimit -Hn)" 2>/dev/null || true
unbuf=""
if command -v stdbuf >/dev/null 2>&1; then
    unbuf="stdbuf -o0"
fi

start_broker
# shellcheck disable=SC2119 # no extra options
start_infusiond
# shellcheck disable=SC3045
per_proc=$((($(ulimit -n) - 64) / 3))
[ "$per_proc" -le 5000 ] || per_proc=5000
left=$n
k=0
while [ "$left" -gt 0 ]; do
    k=$((k + 1))
    cnt=$left
    [ "$cnt" -le "$per_proc" ] || cnt=$per_proc
    left=$((left - cnt))
    "$PUMPD" fleet --broker "127.0.0.1:$BROKER_PORT" --count "$cnt" --library "$LIBRARY" \
        --care-areas "$AREAS" --pump-prefix "SIM-$k-" --heartbeat-s 5 --stats-s 0 \
        >"$TMP/pumpd-$k.out" 2>"$TMP/pumpd-$k.err" &
    track "pumpd-$k" $!
done
online_all() { [ "$(metric infusiond_pumps_online)" -ge "$n" ]; }
wait_until $((60 + n / 100)) online_all || die "only $(metric infusiond_pumps_online) of $n pumps online"
sleep 10
echo "== profile: $n pumps (state heartbeats only), $seconds s"
subs=""
for q in 0 1; do
    ($unbuf mosquitto_sub -V 5 -h 127.0.0.1 -p "$BROKER_PORT" -q "$q" -R -v \
        -t 'infusion/v1/pump/+/state' -W $((seconds + 2)) 2>/dev/null |
        python3 "$ROOT/bench/infusiond/mqtt_latency.py" "$seconds" >"$TMP/mqtt-q$q.out") &
    subs="$subs $!"
done
perf_pid=""
if command -v perf >/dev/null 2>&1; then
    perf record -g -o "$TMP/perf.data" -p "$INFUSIOND_PID" -- sleep "$seconds" \
        >"$TMP/perf.out" 2>&1 &
    perf_pid=$!
fi
cs0=$(awk '/^voluntary_ctxt_switches/ {print $2}' "/proc/$INFUSIOND_PID/status")
c0=$(cpu_ticks "$INFUSIOND_PID")
st0=$(metric infusiond_states_total)
python3 "$ROOT/bench/infusiond/sse_latency.py" --port "$HTTP_PORT" --seconds "$seconds" || true
cs1=$(awk '/^voluntary_ctxt_switches/ {print $2}' "/proc/$INFUSIOND_PID/status")
c1=$(cpu_ticks "$INFUSIOND_PID")
st1=$(metric infusiond_states_total)
for p in $subs $perf_pid; do wait "$p" || true; done
sed 's/^mqtt (baseline: mosquitto_sub/mqtt QoS 0 (mosquitto_sub/' "$TMP/mqtt-q0.out"
sed 's/^mqtt (baseline: mosquitto_sub/mqtt QoS 1 (mosquitto_sub/' "$TMP/mqtt-q1.out"
echo "infusiond: $((st1 - st0)) states applied, cpu $(awk -v a="$c1" -v b="$c0" -v hz="$(getconf CLK_TCK)" -v s="$seconds" 'BEGIN {printf "%.1f", (a - b) * 100 / hz / s}') % of one core, $((cs1 - cs0)) voluntary context switches (waits for input) in $seconds s"
if [ -n "$perf_pid" ] && [ -s "$TMP/perf.data" ]; then
    echo "perf: infusiond's top functions (self time, children excluded):"
    perf report -i "$TMP/perf.data" --no-children --stdio --sort dso,symbol 2>/dev/null |
        grep -v '^#' | grep '%' | head -n 25
fi
