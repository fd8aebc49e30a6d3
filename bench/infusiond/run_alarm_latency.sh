#!/bin/sh
# run_alarm_latency.sh BUILD_DIR [--pumps N] [--alarms A] [--fault-rate F] [--max-seconds S]
#
# Alarm latency: pump alarm raised -> PCD-04 received by the alarm manager. Mosquitto,
# infusiond (SQLite, synchronous=FULL), an ehrsim listener for RRG^O16 and PCD-01/10 (the EHR), a
# second ehrsim listener as the alarm manager (--ehr-alarm, --log of every message), a pumpd fleet
# of N pumps (default 200) with a high fault rate (default 120 occlusions or air per pump-hour
# while infusing, cleared after 10 s, then acknowledged and resumed by the simulated nurse), and
# one order per pump so that every pump infuses. Runs until the alarm manager has A raised alarms
# (default 300) or S seconds (default 300) passed, then matches each PCD-04 "start" to the pump's
# alarm record in infusiond's database (bench/infusiond/alarm_latency.py): p50/p99 of ehrsim's
# receive time - the record's wall_ms, and the two legs.
# Everything on 127.0.0.1, free ports, stopped by PID; not run by CTest (a benchmark).
set -eu
. "$(dirname "$0")/lib.sh"

usage() {
    echo "usage: sh bench/infusiond/run_alarm_latency.sh BUILD_DIR [--pumps N] [--alarms A] [--fault-rate F] [--max-seconds S]" >&2
    exit 2
}
[ $# -ge 1 ] || usage
build=$1
shift
n=200
want=300
fault_rate=120
max_s=300
while [ $# -gt 0 ]; do
    case "$1" in
    --pumps) [ $# -ge 2 ] || usage; n=$2; shift 2 ;;
    --alarms) [ $# -ge 2 ] || usage; want=$2; shift 2 ;;
    --fault-rate) [ $# -ge 2 ] || usage; fault_rate=$2; shift 2 ;;
    --max-seconds) [ $# -ge 2 ] || usage; max_s=$2; shift 2 ;;
    *) usage ;;
    esac
done
case "$n$want$max_s" in *[!0-9]*) usage ;; esac
bench_init run_alarm_latency "$build"
# shellcheck disable=SC3045 # dash and bash have ulimit -n / -H
ulimit -n "$(ulimit -Hn)" 2>/dev/null || true

echo "== alarm latency: $n pumps, fault rate $fault_rate/pump-hour, until $want alarms reach the alarm manager"
start_broker
start_ehr_listener ehr --quiet
ehr_port=$EHR_PORT
start_ehr_listener am --quiet --log "$TMP/am.jsonl"
am_port=$EHR_PORT
start_infusiond --ehr-iop "127.0.0.1:$ehr_port" --ehr-doc "127.0.0.1:$ehr_port" \
    --ehr-alarm "127.0.0.1:$am_port"
"$PUMPD" fleet --broker "127.0.0.1:$BROKER_PORT" --count "$n" --library "$LIBRARY" \
    --care-areas "$AREAS" --pump-prefix SIM- --patients MRN- --auto-confirm --confirm-delay-s 1 \
    --fault-rate "$fault_rate" --fault-clear-s 10 --heartbeat-s 5 --stats-s 0 \
    >"$TMP/pumpd.out" 2>"$TMP/pumpd.err" &
track pumpd $!
online_all() { [ "$(metric infusiond_pumps_online)" -ge "$n" ]; }
wait_until 120 online_all || die "only $(metric infusiond_pumps_online) of $n pumps came online"
"$EHRSIM" --server "127.0.0.1:$MLLP_PORT" --connections 2 --window 8 --generate "$n" --rate 100 \
    --library "$LIBRARY" --care-areas "$AREAS" --pump-prefix SIM- --pump-count "$n" \
    --patients MRN- --until-idle 1 --duration 60 --quiet >"$TMP/orders.out" 2>"$TMP/orders.err" || true
sed -n 's/^ACK^O15/  orders: ACK^O15/p' "$TMP/orders.out"

# grep -c prints 0 and fails when nothing matches yet: one number either way.
raised() {
    _r=$(grep -c '"alert_phase":"start"' "$TMP/am.jsonl" 2>/dev/null) || true
    echo "${_r:-0}"
}
t0=$(date +%s)
while [ "$(raised)" -lt "$want" ] && [ $(( $(date +%s) - t0 )) -lt "$max_s" ]; do
    sleep 2
done
echo "  $(raised) raised alarms at the alarm manager after $(( $(date +%s) - t0 )) s"
# Stop the fleet and the server so the database is complete and closed, then read it.
stop_all
python3 "$ROOT/bench/infusiond/alarm_latency.py" "$TMP/am.jsonl" "$DATA/infusiond.db" \
    --json "$TMP/alarm.json" || die "no raised alarm could be matched (logs: KEEP_TMP=1)"
python3 - "$TMP/alarm.json" "$want" <<'EOF'
import json, sys
o = json.load(open(sys.argv[1]))
e = o["end_to_end"]
note = "" if e["n"] >= int(sys.argv[2]) else " (fewer than the %s asked for)" % sys.argv[2]
print("alarm summary: pump alarm -> PCD-04 at ehrsim p50 %d ms, p99 %d ms over %d alarms%s"
      % (e["p50_ms"], e["p99_ms"], e["n"], note))
EOF
