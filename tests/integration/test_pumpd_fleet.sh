#!/bin/sh
# test_pumpd_fleet.sh - pumpd fleet runs many pumps through the scenario mix and reports the
# pump-hours per second (no timing is asserted: speed is measured in bench/fleet).
. "$(dirname "$0")/lib.sh"
PUMPD=$CTL
SC="$ROOT/tests/data/scenarios"

run "fleet" 0 "$PUMPD" fleet --count 60 --scenario-mix "$SC" --duration 0.5
out_has "fleet: pumps" "pumps: 60, scenarios:"
out_has "fleet: pump-hours" "pump-hours per second:"
out_has "fleet: real-time factor" "real-time factor:"
py_check "fleet: no expectation failed" '
import re, sys
t = open(sys.argv[1]).read()
m = re.search(r"expectations: (\d+) checked, (\d+) failed", t)
assert m and int(m.group(1)) > 0 and int(m.group(2)) == 0, t
'
mkdir -p "$TMP/mix"
sed 's|"../../../examples/|"'"$ROOT"'/examples/|' "$SC/mode-basic.json" >"$TMP/mix/a.json"
sed 's|"../../../examples/|"'"$ROOT"'/examples/|' "$SC/mode-titration.json" >"$TMP/mix/b.json"
run "fleet with a fixed tick" 0 "$PUMPD" fleet --count 5 --scenario-mix "$TMP/mix" \
    --duration 0.75 --tick-ms 1000
out_has "fleet with a fixed tick: two scenarios" "pumps: 5, scenarios: 2"
finish
