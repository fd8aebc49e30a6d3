#!/bin/sh
# test_pumpd_restart.sh - the data directory: run a pump into every state, lose power, run it
# again from the same directory: it comes back stopped (with the restart alarm when an infusion
# was under way), its seq continues, its log holds every record. A torn log tail is cut off. A
# pump killed with SIGKILL in the middle of an infusion also comes back stopped with the alarm.
. "$(dirname "$0")/lib.sh"
PUMPD=$CTL
R="$ROOT/tests/data/scenarios/restart"

for st in idle programmed ready running paused bolus kvo alarm_stopped; do
    case $st in
        idle | programmed | ready) after=after-clean ;;
        *) after=after-interrupted ;;
    esac
    D="$TMP/dd-$st"
    run "restart $st: first run" 0 "$PUMPD" run --data-dir "$D" --scenario "$R/to-$st.json"
    cp "$OUT" "$TMP/first.jsonl"
    [ -f "$D/events.log" ] && [ -f "$D/seq" ] && [ -f "$D/library.json" ] && pass \
        || fail "restart $st: data directory incomplete"
    run "restart $st: second run ($after)" 0 "$PUMPD" run --data-dir "$D" \
        --scenario "$R/$after.json"
    cp "$OUT" "$TMP/second.jsonl"
    py_check "restart $st: seq and clock continue" '
import json, sys
a = [json.loads(l) for l in open(sys.argv[2])]
b = [json.loads(l) for l in open(sys.argv[3])]
assert any(e["type"] == "power" and e["power"] == "loss" for e in a[-3:]), a[-3:]
assert b[0]["seq"] == a[-1]["seq"] + 1, (a[-1]["seq"], b[0]["seq"])
assert b[0]["time_ms"] >= a[-1]["time_ms"]
assert b[0]["type"] == "power" and b[0]["power"] == "restore"
' "$TMP/first.jsonl" "$TMP/second.jsonl"
    run "restart $st: log" 0 "$PUMPD" log --data-dir "$D"
    py_check "restart $st: the stored log is both runs" '
import json, sys
log = [l for l in open(sys.argv[1])]
runs = [l for l in open(sys.argv[2])] + [l for l in open(sys.argv[3])]
assert log == runs, (len(log), len(runs))
' "$TMP/first.jsonl" "$TMP/second.jsonl"
done

# The interrupted case the other way round: a clean restart scenario on an interrupted pump fails
# (the restart alarm is there), so the expectations above can fail.
D="$TMP/dd-cross"
run "cross: first run" 0 "$PUMPD" run --data-dir "$D" --scenario "$R/to-running.json"
run "cross: clean expectations fail after an interrupted infusion" 1 "$PUMPD" run \
    --data-dir "$D" --scenario "$R/after-clean.json"
err_has "cross: the difference names the alarm" "restart"

# A torn last record (power lost in the middle of a write) is cut off; seq stays monotonic.
D="$TMP/dd-torn"
run "torn: first run" 0 "$PUMPD" run --data-dir "$D" --scenario "$R/to-running.json"
last_seq=$(tail -n 1 "$OUT" | python3 -c 'import json,sys; print(json.load(sys.stdin)["seq"])')
printf 'garbage' >>"$D/events.log"
run "torn: log reports the cut" 0 "$PUMPD" log --data-dir "$D"
err_has "torn: cut reported" "torn last record was cut off"
run "torn: second run" 0 "$PUMPD" run --data-dir "$D" --scenario "$R/after-interrupted.json"
first_seq=$(head -n 1 "$OUT" | python3 -c 'import json,sys; print(json.load(sys.stdin)["seq"])')
[ "$first_seq" -eq $((last_seq + 1)) ] && pass || fail "torn: seq $first_seq after $last_seq"

# Without a data directory the pump has no library to fall back on.
run "no library without a data directory" 2 "$PUMPD" run --scenario "$R/after-clean.json"
err_has "no library without a data directory" "\"library\" is missing"
run "empty data directory has no library" 2 "$PUMPD" run --data-dir "$TMP/dd-empty" \
    --scenario "$R/after-clean.json"
err_has "empty data directory has no library" "has no active library"

# SIGKILL while infusing (paced run, so the kill lands mid-infusion), then restart.
D="$TMP/dd-kill"
cat >"$TMP/long.json" <<EOS
{"format": "openinfusion-scenario", "format_version": 1,
 "library": "$ROOT/examples/general-hospital.json", "care_area": "GENERAL_WARD",
 "steps": [{"at": "0s", "do": "program", "program": {"entry": "GH-WARD-NS", "mode": "fluid",
            "dose": 100, "dose_unit": "mL/h"}},
           {"at": "0s", "do": "confirm"}, {"at": "0s", "do": "start"},
           {"at": "10h", "do": "stop"}]}
EOS
"$PUMPD" run --data-dir "$D" --scenario "$TMP/long.json" --speed 100 \
    --events-jsonl "$TMP/kill.jsonl" 2>"$TMP/kill.err" &
pid=$!
i=0
while [ $i -lt 100 ] && ! grep -q '"to":"running"' "$TMP/kill.jsonl" 2>/dev/null; do
    sleep 0.1
    i=$((i + 1))
done
kill -9 "$pid" 2>/dev/null
wait "$pid" 2>/dev/null
grep -q '"to":"running"' "$TMP/kill.jsonl" && pass || fail "kill: the pump never ran"
run "kill: restart comes back stopped with the alarm" 0 "$PUMPD" run --data-dir "$D" \
    --scenario "$R/after-interrupted.json"
finish
