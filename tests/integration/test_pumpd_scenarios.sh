#!/bin/sh
# test_pumpd_scenarios.sh - every scenario in tests/data/scenarios passes `pumpd run`; runs are
# deterministic byte for byte; the event lines are pump-protocol JSON with dense seq; a wrong
# expectation fails with exit 1 and a readable difference; bad scenarios exit 2 and run nothing.
. "$(dirname "$0")/lib.sh"
PUMPD=$CTL
SC="$ROOT/tests/data/scenarios"

n=0
for f in "$SC"/*.json; do
    name=$(basename "$f" .json)
    run "scenario $name" 0 "$PUMPD" run --scenario "$f"
    err_has "scenario $name (summary)" "all held"
    py_check "scenario $name: event lines" '
import json, sys
seq = None; t = 0
for line in open(sys.argv[1]):
    e = json.loads(line)
    assert e["v"] == 1 and isinstance(e["seq"], int) and isinstance(e["type"], str), e
    assert e["time_ms"] >= t, ("time went back", e)
    t = e["time_ms"]
    assert seq is None or e["seq"] == seq + 1, ("seq not dense", seq, e)
    seq = e["seq"]
assert seq is not None
'
    n=$((n + 1))
done
[ "$n" -ge 20 ] && pass || fail "only $n scenarios found"

# Same scenario, same events, byte for byte; the events file is what stdout would have been.
f="$SC/alarm-occlusion-downstream.json"
"$PUMPD" run --scenario "$f" >"$TMP/a.jsonl" 2>/dev/null
"$PUMPD" run --scenario "$f" >"$TMP/b.jsonl" 2>/dev/null
"$PUMPD" run --scenario "$f" --events-jsonl "$TMP/c.jsonl" >"$TMP/c.out" 2>/dev/null
if cmp -s "$TMP/a.jsonl" "$TMP/b.jsonl" && cmp -s "$TMP/a.jsonl" "$TMP/c.jsonl"; then
    pass
else
    fail "determinism: two runs of $f differ"
fi
is_empty "--events-jsonl leaves stdout empty" "$TMP/c.out"
# A different seed changes the sensor noise, not the outcome.
run "another seed still holds" 0 "$PUMPD" run --scenario "$f" --seed 99

# A wrong expectation fails, names the step and says what differed.
sed 's/"volume_ml": 45,/"volume_ml": 46,/' "$SC/mode-continuous-no-vtbi.json" \
    | sed 's|"../../../examples/|"'"$ROOT"'/examples/|' >"$TMP/wrong.json"
run "wrong volume fails" 1 "$PUMPD" run --scenario "$TMP/wrong.json"
err_has "wrong volume: readable difference" "volume infused is 45 mL, expected 46 mL"
err_has "wrong volume: names the step" "steps[6] (at 6h4s, expect"
err_has "wrong volume: summary" "1 failed"
sed 's/"state": "alarm_stopped", "alarm": "occlusion_downstream", "rate_ml_h": 0/"state": "running", "alarm": "occlusion_downstream", "rate_ml_h": 0/' \
    "$SC/alarm-occlusion-downstream.json" \
    | sed 's|"../../../examples/|"'"$ROOT"'/examples/|' >"$TMP/wrong2.json"
run "wrong state fails" 1 "$PUMPD" run --scenario "$TMP/wrong2.json"
err_has "wrong state: readable difference" "state is alarm_stopped, expected running"

# Bad input: exit 2, a message naming the problem and the step, no event printed.
check_bad() {
    run "bad $1" 2 "$PUMPD" run --scenario "$SC/bad/$1.json"
    err_has "bad $1: message" "$2"
    is_empty "bad $1: nothing was run" "$OUT"
}
check_bad unknown-action 'steps[1] (at 1s): unknown action "warp"'
check_bad times-out-of-order 'steps[2] (at 5s): times out of order'
check_bad program-does-not-parse 'steps[0] (at 0s, program): the program does not parse: unknown key "dosage"'
check_bad program-unknown-mode 'unknown mode "warp"'
check_bad library-does-not-validate 'is not a valid drug library'
check_bad library-does-not-validate 'hard_min 50 is above soft_min 40.5'
check_bad library-missing 'cannot open the drug library'
check_bad unknown-care-area 'MOON_BASE is not a care area of the library'
check_bad unknown-alarm 'unknown alarm "tea_time"'
check_bad unknown-state 'unknown state "dancing"'
check_bad unknown-fault 'unknown fault "gremlins"'
check_bad unknown-key 'unknown key "tolerence_ml"'
check_bad missing-time 'the step has no time'
check_bad bad-duration 'is not a duration'
check_bad expect-nothing 'must check something'
check_bad power-loss-not-last 'must be the last step'
check_bad unknown-reason 'unknown override reason "because"'
check_bad not-json 'not valid JSON at line 2'
for f in "$SC"/bad/*.json; do
    grep -q -F "check_bad $(basename "$f" .json) " "$0" || fail "bad scenario $f is not checked here"
done

# --realtime paces the same simulation against the wall clock (one short run; not timed).
cat >"$TMP/short.json" <<EOS
{"format": "openinfusion-scenario", "format_version": 1,
 "library": "$ROOT/examples/general-hospital.json", "care_area": "ADULT_ICU",
 "steps": [{"at": "0s", "do": "program", "program": {"mode": "basic", "rate_ml_h": 360}},
           {"at": "0s", "do": "confirm"}, {"at": "0s", "do": "start"},
           {"at": "1s", "do": "expect", "state": "running", "volume_ml": 0.1}]}
EOS
run "--realtime" 0 "$PUMPD" run --scenario "$TMP/short.json" --realtime
"$PUMPD" run --scenario "$TMP/short.json" >"$TMP/fast.jsonl" 2>/dev/null
"$PUMPD" run --scenario "$TMP/short.json" --speed 4 >"$TMP/paced.jsonl" 2>/dev/null
if cmp -s "$TMP/fast.jsonl" "$TMP/paced.jsonl"; then pass; else fail "--speed changed the events"; fi
finish
