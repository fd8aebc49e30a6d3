#!/bin/sh
# test_pumpd_broker.sh - pumpd fleet --broker against a real Mosquitto on 127.0.0.1, with
# mosquitto_sub / mosquitto_pub playing the server (docs/pump-protocol.md): pumps come online
# (retained online + state), a program gets accepted then confirmed by the simulated nurse and
# starts; unacknowledged events are resent, acknowledged ones are not; a repeated cmd_id gets the
# same reply and programs once; malformed commands are logged and answered; the broker is killed
# and restarted and the pumps come back and resend; SIGTERM stops cleanly (online=false); kill -9
# leaves the last will. Every wait has a deadline; no timing is asserted.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/broker_lib.sh"
PUMPD=$CTL
LIB="$ROOT/examples/general-hospital.json"
T=infusion/v1/pump
need_broker

broker_start || { finish; exit 1; }
ALL="$TMP/all"
sub_start "$ALL" "infusion/v1/#" || { finish; exit 1; }

"$PUMPD" fleet --broker "127.0.0.1:$BROKER_PORT" --count 2 --library "$LIB" \
    --care-areas ADULT_ICU --patients MRN- --auto-confirm --confirm-delay-s 1 --resend-s 2 \
    --heartbeat-s 1 --stats-s 1 --seed 7 >"$TMP/fleet.out" 2>"$TMP/fleet.err" &
FLEET=$!
PIDS="$PIDS $FLEET"

# ---- presence and state ----------------------------------------------------------------------
wait_for "pump 1 online" "$ALL" "$T/SIM-0001/online {\"v\":1,\"online\":true,\"pump_id\":\"SIM-0001\""
wait_for "pump 2 online" "$ALL" "$T/SIM-0002/online {\"v\":1,\"online\":true"
wait_for "pump 1 state" "$ALL" "$T/SIM-0001/state {\"v\":1,\"pump_id\":\"SIM-0001\""
R=$(retained "$T/SIM-0001/online")
case $R in
*'"online":true'*) pass ;;
*) fail "online is retained: got '$R'" ;;
esac
R=$(retained "$T/SIM-0002/state")
case $R in
*'"care_area":"ADULT_ICU"'*'"patient":{"id":"MRN-0002","weight_kg":"70"'*'"state":"idle"'*) pass ;;
*) fail "state is retained with area, patient and channel: got '$R'" ;;
esac

# ---- a program: accepted, confirmed by the nurse, started ------------------------------------
PROG='{"v":1,"cmd_id":"c-1","type":"program","program":{"entry":"GH-ICU-HEP","mode":"continuous","dose":35,"dose_unit":"units/kg/h","vtbi_ml":250},"order":{"order_id":"ORD-1","patient_id":"MRN-0001","placer_app":"EHR","drug_name":"heparin"}}'
pub "$T/SIM-0001/cmd" "$PROG"
wait_for "program accepted" "$ALL" '"cmd_id":"c-1","result":"accepted","outcome":"SOFT_HIGH","limit":"dose"'
wait_for "program confirmed with the reason" "$ALL" \
    '"cmd_id":"c-1","result":"confirmed","outcome":"SOFT_HIGH","limit":"dose","piv_code":null,"reason":null,"override":{"reason":"order_verified"'
wait_for "program event carries cmd_id and order_id" "$ALL" \
    '"type":"program","channel":0,"event":"program","outcome":"SOFT_HIGH"'
wait_for "program event origin" "$ALL" '"cmd_id":"c-1","order_id":"ORD-1"}'
wait_for "infusion started" "$ALL" '"event":"start","from":"ready","to":"running"'
wait_for "state shows the order" "$ALL" '"state":"running","mode":"continuous","entry":"GH-ICU-HEP"'
wait_for "state shows order_id and cmd_id" "$ALL" '"order_id":"ORD-1","cmd_id":"c-1","dose":"35","dose_unit":"units/kg/h"'

# ---- resend without event_ack; none after it -------------------------------------------------
wait_for "seq 1 resent without an ack" "$ALL" '"pump_id":"SIM-0001","seq":1,' 3
# The highest seq pump 1 has sent so far is acknowledged.
UPTO=$(grep -a "^$T/SIM-0001/event " "$ALL" | python3 -c '
import json, sys
m = 0
for line in sys.stdin:
    for e in json.loads(line.split(" ", 1)[1])["events"]:
        m = max(m, e["seq"])
print(m)')
pub "$T/SIM-0001/cmd" "{\"v\":1,\"cmd_id\":\"a-1\",\"type\":\"event_ack\",\"upto_seq\":$UPTO}"
# Commands are applied in order: once the reply to this marker is out, the ack was applied.
pub "$T/SIM-0001/cmd" '{"v":1,"cmd_id":"m-1","type":"time_sync","wall_ms":1795000000000}'
wait_for "marker answered" "$ALL" '"cmd_id":"m-1","result":"accepted"'
MARK=$(grep -a -n '"cmd_id":"m-1","result":"accepted"' "$ALL" | head -n 1 | cut -d: -f1)
N_STATE=$(count_of "$ALL" "$T/SIM-0001/state ")
# Two resend periods and more (heartbeats every second).
wait_for "heartbeats after the ack" "$ALL" "$T/SIM-0001/state " $((N_STATE + 6))
sed -n "$((MARK + 1)),\$p" "$ALL" >"$TMP/after_ack"
python3 - "$TMP/after_ack" "$UPTO" >"$TMP/py" 2>&1 <<'EOF'
import json, sys
upto = int(sys.argv[2])
for line in open(sys.argv[1], errors="replace"):
    if line.startswith("infusion/v1/pump/SIM-0001/event "):
        for e in json.loads(line.split(" ", 1)[1])["events"]:
            assert e["seq"] > upto, "seq %d sent again after event_ack %d" % (e["seq"], upto)
EOF
if [ $? -eq 0 ]; then pass; else fail "acknowledged events are not resent"; cat "$TMP/py"; fi
R=$(retained "$T/SIM-0001/state")
case $R in
*'"wall_ms":17950000'*) pass ;;
*) fail "time_sync sets the pump's wall clock: got '$R'" ;;
esac

# ---- a repeated cmd_id: the same reply, programmed once --------------------------------------
pub "$T/SIM-0001/cmd" "$PROG"
wait_for "repeated cmd_id answered with its latest reply" "$ALL" '"cmd_id":"c-1","result":"confirmed"' 2
pub "$T/SIM-0001/cmd" '{"v":1,"cmd_id":"m-2","type":"time_sync","wall_ms":1795000000000}'
wait_for "marker 2 answered" "$ALL" '"cmd_id":"m-2","result":"accepted"'
# py_check reads $OUT: point it at the capture.
cp "$ALL" "$OUT"
py_check "programmed once (capture)" '
import json, sys
seqs = set()
for line in open(sys.argv[1], errors="replace"):
    if line.startswith("infusion/v1/pump/SIM-0001/event "):
        for e in json.loads(line.split(" ", 1)[1])["events"]:
            if e["type"] == "program":
                seqs.add(e["seq"])
assert len(seqs) == 1, seqs
'

# A repeated cmd_id once the channel is idle again (where applying it twice would succeed): a
# tiny VTBI ends at once, the nurse stops the channel, the repeat is answered from the cache.
SHORT='{"v":1,"cmd_id":"c-short","type":"program","program":{"entry":"GH-ICU-HEP","mode":"continuous","dose":18,"dose_unit":"units/kg/h","vtbi_ml":0.01},"order":{"order_id":"ORD-S","patient_id":"MRN-0002"}}'
pub "$T/SIM-0002/cmd" "$SHORT"
wait_for "short program confirmed" "$ALL" '"cmd_id":"c-short","result":"confirmed"'
wait_for "short program stopped by the nurse" "$ALL" '"pump_id":"SIM-0002","seq":' 1
wait_for "short program ended" "$ALL" '"event":"stop","from":"'
pub "$T/SIM-0002/cmd" "$SHORT"
wait_for "repeat answered from the cache" "$ALL" '"cmd_id":"c-short","result":"confirmed"' 2
pub "$T/SIM-0002/cmd" '{"v":1,"cmd_id":"m-4","type":"time_sync","wall_ms":1795000000000}'
wait_for "marker 4 answered" "$ALL" '"cmd_id":"m-4","result":"accepted"'
cp "$ALL" "$OUT"
py_check "an idle pump does not program a repeated cmd_id again" '
import json, sys
seqs = set()
for line in open(sys.argv[1], errors="replace"):
    if line.startswith("infusion/v1/pump/SIM-0002/event "):
        for e in json.loads(line.split(" ", 1)[1])["events"]:
            if e["type"] == "program" and e.get("cmd_id") == "c-short":
                seqs.add(e["seq"])
assert len(seqs) == 1, seqs
'

# ---- the pump refuses what it must ------------------------------------------------------------
pub "$T/SIM-0001/cmd" '{"v":1,"cmd_id":"c-busy","type":"program","program":{"entry":"GH-ICU-HEP","mode":"continuous","dose":18,"dose_unit":"units/kg/h"},"order":{"order_id":"ORD-2","patient_id":"MRN-0001"}}'
wait_for "busy channel" "$ALL" '"cmd_id":"c-busy","result":"rejected","outcome":"ACCEPT","limit":null,"piv_code":9002'
pub "$T/SIM-0002/cmd" '{"v":1,"cmd_id":"c-hard","type":"program","program":{"entry":"GH-ICU-PROP","mode":"continuous","dose":90,"dose_unit":"mcg/kg/min"},"order":{"order_id":"ORD-3","patient_id":"MRN-0002"}}'
wait_for "hard limit" "$ALL" '"cmd_id":"c-hard","result":"rejected","outcome":"HARD_HIGH","limit":"dose","piv_code":9024'
pub "$T/SIM-0002/cmd" '{"v":1,"cmd_id":"c-lib","type":"program","program":{"entry":"NO-SUCH-DRUG","mode":"continuous","dose":1,"dose_unit":"mg/h"}}'
wait_for "entry not in the library" "$ALL" '"cmd_id":"c-lib","result":"rejected","outcome":"REJECT_INVALID","limit":"entry","piv_code":9010'
pub "$T/SIM-0002/cmd" '{"v":1,"cmd_id":"c-pat","type":"program","program":{"entry":"GH-ICU-HEP","mode":"continuous","dose":18,"dose_unit":"units/kg/h"},"order":{"order_id":"ORD-4","patient_id":"MRN-0001"}}'
wait_for "another patient's order" "$ALL" '"cmd_id":"c-pat","result":"rejected","outcome":null,"limit":null,"piv_code":9012'

# ---- malformed commands are logged and the pump keeps serving --------------------------------
pub "$T/SIM-0001/cmd" '{"v":1,"cmd_id":"c-broken"'
pub "$T/SIM-0001/cmd" '{"v":1,"cmd_id":"c-x","type":"frobnicate"}'
pub "$T/SIM-0001/cmd" '{"v":1,"cmd_id":"c-nov","type":"time_sync","wall_ms":1}'
wait_for "unknown type answered" "$ALL" '"cmd_id":"c-x","result":"rejected","outcome":null,"limit":null,"piv_code":9016,"reason":"unknown command type frobnicate"'
wait_for "unknown type logged" "$TMP/fleet.err" "SIM-0001: bad command: unknown command type frobnicate"
wait_for "malformed JSON logged" "$TMP/fleet.err" "SIM-0001: bad command: not a JSON object"
pub "$T/SIM-0001/cmd" '{"v":1,"cmd_id":"m-3","type":"time_sync","wall_ms":1795000000000}'
wait_for "still serving after bad commands" "$ALL" '"cmd_id":"m-3","result":"accepted"'
pub "$T/SIM-0002/cmd" '{"v":1,"cmd_id":"as-1","type":"associate","patient":{"id":"MRN-7","weight_kg":61.5},"care_area":"ADULT_ICU"}'
wait_for "associate accepted" "$ALL" '"cmd_id":"as-1","result":"accepted"'
wait_for "association in the state" "$ALL" '"patient":{"id":"MRN-7","weight_kg":"61.5","bsa_m2":null}'
pub "$T/SIM-0002/cmd" '{"v":1,"cmd_id":"as-2","type":"associate","care_area":"NOWHERE"}'
wait_for "unknown care area refused" "$ALL" '"cmd_id":"as-2","result":"rejected","outcome":null,"limit":null,"piv_code":9021'

# ---- the broker dies and comes back: reconnect, online again, resend --------------------------
# Pump 2 gets a program (never acknowledged) so it has records to resend.
pub "$T/SIM-0002/cmd" '{"v":1,"cmd_id":"c-2","type":"program","program":{"entry":"GH-ICU-HEP","mode":"continuous","dose":18,"dose_unit":"units/kg/h","vtbi_ml":100},"order":{"order_id":"ORD-5","patient_id":"MRN-7"}}'
wait_for "pump 2 program accepted" "$ALL" '"cmd_id":"c-2","result":"accepted","outcome":"ACCEPT"'
wait_for "pump 2 started" "$ALL" '"pump_id":"SIM-0002","seq":' 1
broker_kill
ALL2="$TMP/all2"
broker_start || { finish; exit 1; }
sub_start "$ALL2" "infusion/v1/#" || { finish; exit 1; }
wait_for "pump 1 back online" "$ALL2" "$T/SIM-0001/online {\"v\":1,\"online\":true"
wait_for "pump 2 back online" "$ALL2" "$T/SIM-0002/online {\"v\":1,\"online\":true"
wait_for "pump 2 resends its unacknowledged records" "$ALL2" '"pump_id":"SIM-0002","seq":1,'
wait_for "pump 2 resends its program record" "$ALL2" '"cmd_id":"c-2","order_id":"ORD-5"}'
wait_for "reconnect logged" "$TMP/fleet.err" "SIM-0001: connection lost, reconnecting"
wait_for "the fleet counts the pumps connected" "$TMP/fleet.err" "2 pumps, 2 connected" 1
pub "$T/SIM-0001/cmd" "$PROG"
wait_for "the cmd_id cache survives a broker restart" "$ALL2" '"cmd_id":"c-1","result":"confirmed"'

# ---- last will: kill -9 ------------------------------------------------------------------------
kill -9 "$FLEET" 2>/dev/null
wait "$FLEET" 2>/dev/null
i=0
R=$(retained "$T/SIM-0001/online")
while [ "$R" != '{"v":1,"online":false}' ] && [ $i -lt 100 ]; do
    sleep 0.1
    i=$((i + 1))
    R=$(retained "$T/SIM-0001/online")
done
if [ "$R" = '{"v":1,"online":false}' ]; then pass; else fail "last will: online is '$R'"; fi
if grep -q -e 'Sanitizer' -e 'runtime error:' "$TMP/fleet.err"; then
    fail "fleet: sanitizer report"
    grep -e 'Sanitizer' -e 'runtime error:' -A5 "$TMP/fleet.err" | head -n 20
else
    pass
fi

# ---- a clean stop ------------------------------------------------------------------------------
run "fleet --duration stops cleanly" 0 "$PUMPD" fleet --broker "127.0.0.1:$BROKER_PORT" \
    --count 3 --library "$LIB" --care-areas ADULT_ICU,GENERAL_WARD --pump-prefix CLEAN- \
    --duration 2 --stats-s 1
err_has "stats line" "3 pumps, 3 connected"
R=$(retained "$T/CLEAN-0003/online")
if [ "$R" = '{"v":1,"online":false}' ]; then pass; else fail "clean stop: online is '$R'"; fi
R=$(retained "$T/CLEAN-0002/state")
case $R in
*'"care_area":"GENERAL_WARD","patient":null'*) pass ;;
*) fail "pump 2 of 2 areas is in the second: '$R'" ;;
esac

"$PUMPD" fleet --broker "127.0.0.1:$BROKER_PORT" --count 1 --library "$LIB" \
    --care-areas ADULT_ICU --pump-prefix TERM- --stats-s 0 >"$TMP/t.out" 2>"$TMP/t.err" &
TERMP=$!
PIDS="$PIDS $TERMP"
i=0
until [ "$(retained "$T/TERM-0001/online")" != "" ] || [ $i -ge 100 ]; do
    sleep 0.1
    i=$((i + 1))
done
kill -TERM "$TERMP"
wait "$TERMP"
ST=$?
if [ "$ST" -eq 0 ]; then pass; else fail "SIGTERM: exit status $ST"; sed 's/^/    stderr| /' "$TMP/t.err"; fi
if grep -q -e 'Sanitizer' -e 'runtime error:' "$TMP/t.err"; then
    fail "SIGTERM: sanitizer report"
    head -n 20 "$TMP/t.err"
else
    pass
fi
R=$(retained "$T/TERM-0001/online")
if [ "$R" = '{"v":1,"online":false}' ]; then pass; else fail "SIGTERM: online is '$R'"; fi

# ---- the simulated nurse: declining, and faults (acknowledge, resume) -------------------------
"$PUMPD" fleet --broker "127.0.0.1:$BROKER_PORT" --count 2 --library "$LIB" \
    --care-areas ADULT_ICU --pump-prefix NURSE- --patients MRN- --auto-confirm=0 \
    --confirm-delay-s 1 --fault-rate 3600 --fault-clear-s 2 --stats-s 1 --seed 3 \
    >"$TMP/n.out" 2>"$TMP/n.err" &
NURSE=$!
PIDS="$PIDS $NURSE"
NS="$TMP/nurse"
sub_start "$NS" "$T/NURSE-0001/#" "$T/NURSE-0002/#" || { finish; exit 1; }
wait_for "nurse fleet online" "$NS" "$T/NURSE-0001/online {\"v\":1,\"online\":true"
pub "$T/NURSE-0001/cmd" '{"v":1,"cmd_id":"d-1","type":"program","program":{"entry":"GH-ICU-HEP","mode":"continuous","dose":18,"dose_unit":"units/kg/h"},"order":{"order_id":"ORD-D","patient_id":"MRN-0001"}}'
wait_for "ratio 0: the nurse declines" "$NS" '"cmd_id":"d-1","result":"declined","outcome":"ACCEPT"'
wait_for "declined: back to idle" "$NS" '"event":"decline","from":"programmed","to":"idle"'
kill "$NURSE"
wait "$NURSE"
"$PUMPD" fleet --broker "127.0.0.1:$BROKER_PORT" --count 1 --library "$LIB" \
    --care-areas ADULT_ICU --pump-prefix FAULT- --patients MRN- --auto-confirm \
    --confirm-delay-s 1 --fault-rate 3600 --fault-clear-s 2 --stats-s 1 --seed 3 \
    >"$TMP/f.out" 2>"$TMP/f.err" &
FAULTP=$!
PIDS="$PIDS $FAULTP"
FS="$TMP/faults"
sub_start "$FS" "$T/FAULT-0001/#" || { finish; exit 1; }
wait_for "fault fleet online" "$FS" "$T/FAULT-0001/online {\"v\":1,\"online\":true"
pub "$T/FAULT-0001/cmd" '{"v":1,"cmd_id":"f-1","type":"program","program":{"entry":"GH-ICU-HEP","mode":"continuous","dose":18,"dose_unit":"units/kg/h"},"order":{"order_id":"ORD-F","patient_id":"MRN-0001"}}'
wait_for "fault: infusing" "$FS" '"event":"start","from":"ready","to":"running"'
wait_for "fault: an alarm stops the infusion" "$FS" '"event":"alarm_stop","from":"running","to":"alarm_stopped"'
wait_for "fault: the nurse acknowledges" "$FS" '"step":"acknowledged"'
wait_for "fault: the nurse resumes" "$FS" '"event":"resume","from":"alarm_stopped","to":"running"'
wait_for "fault: counted" "$TMP/f.err" "1 infusing"
kill "$FAULTP"
wait "$FAULTP"
ST=$?
if [ "$ST" -eq 0 ]; then pass; else fail "fault fleet: exit status $ST"; fi

# ---- usage -----------------------------------------------------------------------------------
run "unknown care area" 2 "$PUMPD" fleet --broker "127.0.0.1:$BROKER_PORT" --count 1 \
    --library "$LIB" --care-areas NOWHERE
err_has "unknown care area named" "not in the library: NOWHERE"
run "bad broker" 2 "$PUMPD" fleet --broker nowhere --count 1 --library "$LIB" --care-areas ADULT_ICU
run "bad ratio" 2 "$PUMPD" fleet --broker "127.0.0.1:$BROKER_PORT" --count 1 --library "$LIB" \
    --care-areas ADULT_ICU --auto-confirm=2
run "fleet --broker --help" 0 "$PUMPD" fleet --broker x --help
out_has "help names the flags" "--auto-confirm[=RATIO]"

broker_stop
finish
