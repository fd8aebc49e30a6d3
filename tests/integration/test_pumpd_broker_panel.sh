#!/bin/sh
# test_pumpd_broker_panel.sh - pumpd panel --broker: a person is the nurse at a pump on the
# broker. Driven through a fifo: a program command from the "server" (mosquitto_pub) is printed,
# the panel's confirm/decline answer it (reply confirmed with the override / declined), start
# runs it; quit publishes online=false. With --data-dir and a here-document: what the server has
# not acknowledged is sent again by the next run; what it acknowledged (DIR/acked_seq) is not.
# Every wait has a deadline; no timing is asserted.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/broker_lib.sh"
PUMPD=$CTL
LIB="$ROOT/examples/general-hospital.json"
T=infusion/v1/pump
need_broker

broker_start || { finish; exit 1; }
ALL="$TMP/all"
sub_start "$ALL" "infusion/v1/#" || { finish; exit 1; }

mkfifo "$TMP/in"
"$PUMPD" panel --broker "127.0.0.1:$BROKER_PORT" --library "$LIB" --pump-id PANEL-1 \
    --care-area ADULT_ICU <"$TMP/in" >"$TMP/panel.out" 2>"$TMP/panel.err" &
PANEL=$!
PIDS="$PIDS $PANEL"
exec 3>"$TMP/in"

wait_for "panel online" "$ALL" "$T/PANEL-1/online {\"v\":1,\"online\":true,\"pump_id\":\"PANEL-1\""
pub "$T/PANEL-1/cmd" '{"v":1,"cmd_id":"p-1","type":"program","program":{"entry":"GH-ICU-HEP","mode":"continuous","dose":35,"dose_unit":"units/kg/h","weight_kg":80,"vtbi_ml":250},"order":{"order_id":"ORD-9","patient_id":"MRN-9","drug_name":"heparin"}}'
wait_for "program shown to the nurse" "$TMP/panel.out" \
    'program from server: order ORD-9, heparin, verdict SOFT_HIGH dose; type "confirm REASON" or "decline"'
wait_for "program accepted" "$ALL" '"cmd_id":"p-1","result":"accepted","outcome":"SOFT_HIGH"'
echo "confirm order_verified checked at the bedside" >&3
echo "start" >&3
wait_for "confirmed with the nurse's reason" "$ALL" \
    '"cmd_id":"p-1","result":"confirmed","outcome":"SOFT_HIGH","limit":"dose","piv_code":null,"reason":null,"override":{"reason":"order_verified","text":"checked at the bedsid'
wait_for "running" "$ALL" '"event":"start","from":"ready","to":"running"'
wait_for "the state names the order" "$ALL" '"state":"running","mode":"continuous","entry":"GH-ICU-HEP"'
echo "wait 1s" >&3
wait_for "wait serves the network and shows the status" "$TMP/panel.out" "running, rate 28 mL/h"
echo "stop" >&3
wait_for "stopped" "$ALL" '"event":"stop","from":"running","to":"idle"'
pub "$T/PANEL-1/cmd" '{"v":1,"cmd_id":"p-2","type":"program","program":{"entry":"GH-ICU-HEP","mode":"continuous","dose":18,"dose_unit":"units/kg/h"},"order":{"order_id":"ORD-10","patient_id":"MRN-9"}}'
wait_for "second program shown" "$TMP/panel.out" 'order ORD-10, (no drug name), verdict ACCEPT; type "confirm" or "decline"'
echo "decline" >&3
wait_for "declined" "$ALL" '"cmd_id":"p-2","result":"declined","outcome":"ACCEPT"'
# The patient came with the first order; its weight with the program.
wait_for "association from the order" "$ALL" '"patient":{"id":"MRN-9","weight_kg":"80"'
echo "quit" >&3
exec 3>&-
wait "$PANEL"
ST=$?
if [ "$ST" -eq 0 ]; then pass; else fail "panel exit status $ST"; fi
if grep -q -e 'Sanitizer' -e 'runtime error:' "$TMP/panel.err"; then
    fail "panel: sanitizer report"
    head -n 20 "$TMP/panel.err"
else
    pass
fi
R=$(retained "$T/PANEL-1/online")
if [ "$R" = '{"v":1,"online":false}' ]; then pass; else fail "quit: online is '$R'"; fi

# ---- the data directory's log: unacknowledged records come back, acknowledged ones do not ----
DD="$TMP/dd"
run "panel with a data directory" 0 sh -c "\"$PUMPD\" panel --broker 127.0.0.1:$BROKER_PORT \
    --library \"$LIB\" --pump-id PANEL-2 --data-dir \"$DD\" <<'EOF'
area 2
entry basic
rate 50
program
confirm
start
wait 1s
quit
EOF"
out_has "first run infused" "running, rate 50 mL/h"
wait_for "first run's records published" "$ALL" '"pump_id":"PANEL-2","seq":1,'

ALL2="$TMP/all2"
sub_start "$ALL2" "$T/PANEL-2/#" || { finish; exit 1; }
mkfifo "$TMP/in2"
"$PUMPD" panel --broker "127.0.0.1:$BROKER_PORT" --library "$LIB" --pump-id PANEL-2 \
    --data-dir "$DD" --resend-s 1 <"$TMP/in2" >"$TMP/panel2.out" 2>"$TMP/panel2.err" &
PANEL2=$!
PIDS="$PIDS $PANEL2"
exec 4>"$TMP/in2"
wait_for "second run resends the first run's records" "$ALL2" '"pump_id":"PANEL-2","seq":1,'
wait_for "second run reports the interrupted infusion" "$ALL2" '"alarm":"restart"'
UPTO=$(grep -a "^$T/PANEL-2/event " "$ALL2" | python3 -c '
import json, sys
m = 0
for line in sys.stdin:
    for e in json.loads(line.split(" ", 1)[1])["events"]:
        m = max(m, e["seq"])
print(m)')
pub "$T/PANEL-2/cmd" "{\"v\":1,\"cmd_id\":\"a-1\",\"type\":\"event_ack\",\"upto_seq\":$UPTO}"
pub "$T/PANEL-2/cmd" '{"v":1,"cmd_id":"m-1","type":"time_sync","wall_ms":1795000000000}'
wait_for "marker answered" "$ALL2" '"cmd_id":"m-1","result":"accepted"'
wait_for "acknowledged seq kept in the data directory" "$DD/acked_seq" "$UPTO"
echo "quit" >&4
exec 4>&-
wait "$PANEL2"
if grep -q -e 'Sanitizer' -e 'runtime error:' "$TMP/panel2.err"; then
    fail "second run: sanitizer report"
    head -n 20 "$TMP/panel2.err"
else
    pass
fi

ALL3="$TMP/all3"
sub_start "$ALL3" "$T/PANEL-2/#" || { finish; exit 1; }
run "third run" 0 sh -c "\"$PUMPD\" panel --broker 127.0.0.1:$BROKER_PORT \
    --library \"$LIB\" --pump-id PANEL-2 --data-dir \"$DD\" <<'EOF'
wait 2s
quit
EOF"
wait_for "third run publishes its own records" "$ALL3" "$T/PANEL-2/event "
cp "$ALL3" "$OUT"
py_check "acknowledged records are not sent again by the next run" '
import json, sys
upto = int(sys.argv[2])
n = 0
for line in open(sys.argv[1], errors="replace"):
    if line.startswith("infusion/v1/pump/PANEL-2/event "):
        for e in json.loads(line.split(" ", 1)[1])["events"]:
            assert e["seq"] > upto, (e["seq"], upto)
            n += 1
assert n > 0
' "$UPTO"

# stdin a regular file (epoll cannot watch one): read at once, "wait" still serves the network.
printf '%s\n' "wait 1s" quit >"$TMP/in.txt"
run "panel from a file" 0 sh -c "\"$PUMPD\" panel --broker 127.0.0.1:$BROKER_PORT \
    --library \"$LIB\" --pump-id PANEL-3 <\"$TMP/in.txt\""
out_has "file input ran" "> quit"
if grep -q -F "[warn]" "$ERR"; then fail "panel from a file: libevent warned"; else pass; fi
wait_for "panel from a file went online" "$ALL" "$T/PANEL-3/online {\"v\":1,\"online\":true"
R=$(retained "$T/PANEL-3/online")
if [ "$R" = '{"v":1,"online":false}' ]; then pass; else fail "panel from a file: online is '$R'"; fi

broker_stop
finish
