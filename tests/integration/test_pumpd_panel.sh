#!/bin/sh
# test_pumpd_panel.sh - pumpd panel driven through stdin: select care area and entry, enter the
# dose, see the DERS verdict and alerts, confirm with a reason, start, see rate, volume and alarms
# update; a hard stop cannot be started.
. "$(dirname "$0")/lib.sh"
PUMPD=$CTL
LIB="$ROOT/examples/general-hospital.json"

printf '%s\n' areas "area 1" entries "entry GH-ICU-HEP" "weight 80" "dose 35" program \
    confirm "confirm patient_condition aPTT low per protocol" start "wait 30m" \
    "fault occlusion_downstream" "wait 5m" "clear occlusion_downstream" \
    "ack occlusion_downstream" resume status quit >"$TMP/in1"
run "panel session" 0 sh -c "\"$PUMPD\" panel --library \"$LIB\" <\"$TMP/in1\""
out_has "areas listed" "1  ADULT_ICU  Adult Critical Care"
out_has "entries listed" "GH-ICU-HEP  heparin 25,000 units/250 mL  continuous, units/kg/h"
out_has "entry selected" "entry: GH-ICU-HEP"
out_has "DERS verdict" "DERS: SOFT_HIGH (dose)"
out_has "alert shown" "dose 35 units/kg/h is above the soft_max 30"
out_has "derived rate" "rate 28 mL/h"
out_has "reason required" "a soft alert needs a reason"
out_has "confirmed" "programmed -> ready (confirm)"
out_has "started" "ready -> running (start)"
out_has "rate and volume update" "status at 30m: running, rate 28 mL/h, volume infused 14 mL"
out_has "alarm raised" "ALARM occlusion_downstream raised (high priority)"
out_has "stopped by the alarm" "running -> alarm_stopped (alarm_stop)"
out_has "alarm sounding" "alarms: occlusion_downstream (high, sounding)"
out_has "resumed" "alarm_stopped -> running (resume)"

printf '%s\n' "area ADULT_ICU" "entry GH-ICU-PROP" "weight 70" "dose 90" program start status \
    quit >"$TMP/in2"
run "panel hard stop" 0 sh -c "\"$PUMPD\" panel --library \"$LIB\" <\"$TMP/in2\""
out_has "hard stop verdict" "DERS: HARD_HIGH (dose)"
out_has "hard stop message" "HARD STOP: this program cannot run"
out_has "start refused" "start: not allowed in this state"
out_has "still idle" "idle, rate 0 mL/h, volume infused 0 mL"
out_lacks "never running" "-> running"

printf '%s\n' "area GENERAL_WARD" "entry GH-WARD-MORPH-PCA" "pca 1 10 0 4" program confirm start \
    demand "wait 2m" demand "frobnicate" quit >"$TMP/in3"
run "panel PCA" 0 sh -c "\"$PUMPD\" panel --library \"$LIB\" <\"$TMP/in3\""
out_has "PCA granted" "PCA demand granted"
out_has "PCA lockout" "PCA demand denied: lockout"
out_has "unknown command" "unknown command frobnicate"

# With a data directory the panel keeps the log; the stored log decodes.
printf '%s\n' "area 2" "entry basic" "rate 50" program confirm start "wait 10m" quit >"$TMP/in4"
run "panel with data directory" 0 sh -c \
    "\"$PUMPD\" panel --library \"$LIB\" --data-dir \"$TMP/pd\" <\"$TMP/in4\""
run "panel log" 0 "$PUMPD" log --data-dir "$TMP/pd"
out_has "panel log: basic infusion recorded" '"limit":"no_ders"'
finish
