#!/bin/sh
# run_ingest.sh BUILD_DIR [--pumps N[,N...]] [--seconds S] [--fault-rate F] [--no-ehr] [--all]
#
# Ingest benchmark: Mosquitto + infusiond + one pumpd fleet of N simulated pumps (one MQTT
# connection each, state heartbeat every 5 s, auto-confirm, faults while infusing) + an SSE
# client on /api/v1/stream measuring pump event -> SSE latency (bench/infusiond/sse_latency.py).
# Every pump first gets one order (ehrsim, PCD-03) so that it infuses and events flow; an ehrsim
# listener takes infusiond's PCD-01/10 and PCD-04 (--no-ehr: no EHR destinations).
#
# For each N of the list (default 500,1000,2000,5000,10000), in order, everything is started
# afresh, the fleet comes online, the orders go out, then S seconds (default 60) are measured.
# The steps stop at the first N whose p99 reaches 100 ms or where something breaks (--all: go on
# after a p99 over the limit, to see the curve); the largest N that held is the result.
# Reported per step: latency p50/p90/p99/max at the SSE client (the figure used), beside it the
# baseline: a plain MQTT subscriber (mosquitto_sub) on the same state messages over the same
# seconds (bench/infusiond/mqtt_latency.py), i.e. what pumpd + the broker alone cost; infusiond's
# own event_to_sse_us and commit_us summaries (power-of-two buckets, whole run); the CPU of every
# process over the measured seconds and its RSS.
#
# Everything shares this machine's cores (pumpd, mosquitto, ehrsim and the client too): the
# result is what one infusiond does NEXT TO its load generators, a lower bound for infusiond
# alone. Benchmarks are not tests: CTest never runs this.
set -eu
. "$(dirname "$0")/lib.sh"

usage() {
    echo "usage: sh bench/infusiond/run_ingest.sh BUILD_DIR [--pumps N[,N...]] [--seconds S] [--fault-rate F] [--no-ehr] [--all]" >&2
    exit 2
}
[ $# -ge 1 ] || usage
build=$1
shift
steps=500,1000,2000,5000,10000
seconds=60
fault_rate=2
use_ehr=1
go_on=0
while [ $# -gt 0 ]; do
    case "$1" in
    --pumps) [ $# -ge 2 ] || usage; steps=$2; shift 2 ;;
    --seconds) [ $# -ge 2 ] || usage; seconds=$2; shift 2 ;;
    --fault-rate) [ $# -ge 2 ] || usage; fault_rate=$2; shift 2 ;;
    --no-ehr) use_ehr=0; shift ;;
    --all) go_on=1; shift ;;
    *) usage ;;
    esac
done
case "$steps$seconds" in *[!0-9,]*) usage ;; esac
bench_init run_ingest "$build"

# One MQTT connection per pump: pumpd and mosquitto each need N descriptors and a few more.
# shellcheck disable=SC3045 # dash and bash have ulimit -n / -H
ulimit -n "$(ulimit -Hn)" 2>/dev/null || true
# shellcheck disable=SC3045
fd_limit=$(ulimit -n)
# mosquitto_sub into a pipe: no stdio buffering between a message and its time stamp.
unbuf=""
if command -v stdbuf >/dev/null 2>&1; then
    unbuf="stdbuf -o0"
fi
LIMIT_MS=100

online_is() {
    [ "$(metric infusiond_pumps_online)" -ge "$1" ]
}

# step N: one measured run; prints its figures; 0 when p99 < LIMIT_MS and nothing broke.
step() {
    n=$1
    echo "== ingest: $n pumps, heartbeat 5 s, fault rate $fault_rate/pump-hour, $seconds s measured"
    if [ $((n + 64)) -gt "$fd_limit" ]; then
        echo "  not run: $n connections need more than this shell's descriptor limit ($fd_limit)"
        return 1
    fi
    rm -f "$TMP"/orders-*.json
    start_broker
    ehr_flags=""
    if [ "$use_ehr" = 1 ]; then
        start_ehr_listener ehr --quiet
        ehr_flags="--ehr-iop 127.0.0.1:$EHR_PORT --ehr-doc 127.0.0.1:$EHR_PORT --ehr-alarm 127.0.0.1:$EHR_PORT"
    fi
    # shellcheck disable=SC2086 # flags hold no spaces
    start_infusiond $ehr_flags
    # pumpd takes 3 descriptors per pump: fleets of at most per_proc pumps, ids SIM-K-0001 ...
    per_proc=$(( (fd_limit - 64) / 3 ))
    [ "$per_proc" -le 5000 ] || per_proc=5000
    t0=$(date +%s)
    left=$n
    k=0
    fleets=""
    while [ "$left" -gt 0 ]; do
        k=$((k + 1))
        cnt=$left
        [ "$cnt" -le "$per_proc" ] || cnt=$per_proc
        left=$((left - cnt))
        "$PUMPD" fleet --broker "127.0.0.1:$BROKER_PORT" --count "$cnt" --library "$LIBRARY" \
            --care-areas "$AREAS" --pump-prefix "SIM-$k-" --patients "MRN-$k-" --auto-confirm \
            --confirm-delay-s 2 --fault-rate "$fault_rate" --fault-clear-s 20 --heartbeat-s 5 \
            --seed "$k" --stats-s 0 >"$TMP/pumpd-$k.out" 2>"$TMP/pumpd-$k.err" &
        track "pumpd-$k" $!
        fleets="$fleets $k:$cnt:$!"
    done
    # Online within 60 s plus 1 s per 100 pumps, or the step broke.
    fleet_alive() {
        for f in $fleets; do
            alive "${f##*:}" || return 1
        done
    }
    online_or_dead() {
        ! fleet_alive || online_is "$n"
    }
    if ! wait_until $((60 + n / 100)) online_or_dead || ! fleet_alive; then
        echo "  BROKE: $(metric infusiond_pumps_online) of $n pumps online after $(( $(date +%s) - t0 )) s"
        tail -q -n 2 "$TMP"/pumpd-*.err | sed 's/^/  pumpd| /'
        return 1
    fi
    echo "  fleet online after $(( $(date +%s) - t0 )) s ($k pumpd process(es))"
    # One order per pump, at most 500/s in all, so every pump infuses and sends events.
    rate=$((n / 20 / k))
    [ "$rate" -le $((500 / k)) ] || rate=$((500 / k))
    [ "$rate" -ge 50 ] || rate=50
    t1=$(date +%s)
    opids=""
    for f in $fleets; do
        fk=${f%%:*}
        fc=${f#*:}
        fc=${fc%%:*}
        "$EHRSIM" --server "127.0.0.1:$MLLP_PORT" --connections 4 --window 16 --generate "$fc" \
            --rate "$rate" --library "$LIBRARY" --care-areas "$AREAS" --pump-prefix "SIM-$fk-" \
            --pump-count "$fc" --patients "MRN-$fk-" --until-idle 1 \
            --duration $((fc / rate + 30)) --quiet --summary-json "$TMP/orders-$fk.json" \
            >"$TMP/orders-$fk.out" 2>"$TMP/orders-$fk.err" &
        opids="$opids $!"
    done
    for p in $opids; do wait "$p" || true; done
    echo "  $n orders sent in $(( $(date +%s) - t1 )) s: $(python3 -c 'import json,sys
acks = {}
for path in sys.argv[1:]:
    for c, v in json.load(open(path))["orders"]["ack_o15"].items():
        acks[c] = acks.get(c, 0) + v
print("ACK^O15 %s" % acks)' "$TMP"/orders-*.json 2>/dev/null || echo "no summary")"
    # Let the program / confirm / start burst pass (confirm delay 2 s), then measure.
    sleep 5
    cpu_mark "$TMP/cpu.before"
    ev0=$(metric infusiond_events_stored_total)
    st0=$(metric infusiond_states_total)
    # The baseline beside it: a plain MQTT subscriber on the same state messages, same seconds.
    (sleep 5 && $unbuf mosquitto_sub -V 5 -h 127.0.0.1 -p "$BROKER_PORT" -q 0 -R -v \
        -t 'infusion/v1/pump/+/state' -W $((seconds + 2)) 2>/dev/null |
        python3 "$ROOT/bench/infusiond/mqtt_latency.py" "$seconds" --json "$TMP/mqtt.json" \
            >"$TMP/mqtt.out") &
    base_pid=$!
    sse_rc=0
    python3 "$ROOT/bench/infusiond/sse_latency.py" --port "$HTTP_PORT" --warmup 5 \
        --seconds "$seconds" --json "$TMP/sse.json" || sse_rc=$?
    cpu_mark "$TMP/cpu.after"
    wait "$base_pid" 2>/dev/null || true
    cat "$TMP/mqtt.out" 2>/dev/null || echo "mqtt baseline: no figure"
    ev1=$(metric infusiond_events_stored_total)
    st1=$(metric infusiond_states_total)
    online=$(metric infusiond_pumps_online)
    python3 - "$HTTP_PORT" <<'EOF2'
import sys, urllib.request
t = urllib.request.urlopen("http://127.0.0.1:%s/metrics" % sys.argv[1], timeout=10).read().decode()
v = {}
for line in t.splitlines():
    for name in ("event_to_sse_us", "commit_us"):
        pre = "infusiond_%s" % name
        if line.startswith(pre + "{"):
            v[(name, line.split('"')[1])] = int(line.split()[1])
        elif line.startswith(pre + "_count "):
            v[(name, "n")] = int(line.split()[1])
for name, what in (("event_to_sse_us", "events"), ("commit_us", "group commits")):
    print("  infusiond /metrics %s: p50 <= %.1f ms, p99 <= %.1f ms over %d %s (bucket upper "
          "bounds, whole run)" % (name, v.get((name, "0.5"), 0) / 1000,
                                  v.get((name, "0.99"), 0) / 1000, v.get((name, "n"), 0), what))
EOF2
    echo "  during the (warm-up +) measured $((seconds + 5)) s: states applied $((st1 - st0)), events stored $((ev1 - ev0)), pumps online $online of $n"
    echo "  cpu over the measured seconds and rss at the end (2 cores shared by all of these):"
    cpu_report "$TMP/cpu.before" "$TMP/cpu.after" "$((seconds + 5))"
    p99=$(python3 -c 'import json,sys; v = json.load(open(sys.argv[1]))["all"]["p99_ms"]; print(-1 if v is None else int(v))' "$TMP/sse.json" 2>/dev/null || echo -1)
    ok=0
    if [ "$sse_rc" -ne 0 ] || [ "$p99" -lt 0 ]; then
        echo "  BROKE: the stream client failed or measured nothing"
        ok=1
    elif [ "$online" -lt "$n" ]; then
        echo "  BROKE: pumps went offline during the run"
        ok=1
    elif [ "$p99" -ge "$LIMIT_MS" ]; then
        echo "  p99 $p99 ms >= $LIMIT_MS ms"
        ok=3
    fi
    cp "$TMP/sse.json" "$TMP/sse-$n.json"
    stop_all
    [ "${KEEP_TMP:-0}" = 1 ] || rm -rf "$DATA"
    return $ok
}

held=0
broke_at=""
old_ifs=$IFS
IFS=,
# shellcheck disable=SC2086 # split at the commas
set -- $steps
IFS=$old_ifs
for n in "$@"; do
    rc=0
    step "$n" || rc=$?
    stop_all
    if [ "$rc" = 0 ]; then
        [ -n "$broke_at" ] || held=$n
        continue
    fi
    [ -n "$broke_at" ] || broke_at=$n
    # Over the limit: go on only with --all; broken: stop.
    if [ "$rc" != 3 ] || [ "$go_on" = 0 ]; then
        break
    fi
done
echo
if [ -n "$broke_at" ]; then
    echo "ingest summary: largest fleet with p99 pump event -> SSE < $LIMIT_MS ms: $held pumps (failed at $broke_at; target >= 10000)"
else
    echo "ingest summary: largest fleet with p99 pump event -> SSE < $LIMIT_MS ms: $held pumps (every step held; target >= 10000)"
fi
