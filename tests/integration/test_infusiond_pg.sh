#!/bin/sh
# test_infusiond_pg.sh - the same server on PostgreSQL (--db postgresql://…): the store is the only
# part that changes. A real PostgreSQL on 127.0.0.1 (pg_lib.sh), a real broker, pumps and the EHR:
# order -> ACK^O15 -> program -> confirmed -> RRG^O16 AA -> PCD-10 delivery start; a hard limit
# -> AR 9024 with nothing sent to the pump; a repeated MSH-10 applied once; the events in PostgreSQL
# with no gap; a restart on the same database resumes (schema kept, nothing applied twice).
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/broker_lib.sh"
. "$(dirname "$0")/infusiond_lib.sh"
. "$(dirname "$0")/pg_lib.sh"
need_broker
sys_binaries
pg_find
command -v psql >/dev/null 2>&1 || { echo "SKIP: psql not installed"; exit 77; }
# pg_stop runs before lib.sh's cleanup removes $TMP.
trap 'pg_stop; cleanup' EXIT
pg_start || exit 1
SRV_DB=$PG_URL

broker_start || exit 1
ehr_start || exit 1
srv_start --pcd01-period-s 2 || exit 1
fleet_start fleet --count 2 --care-areas ADULT_ICU --pump-prefix SIM- --patients MRN- \
    --auto-confirm --confirm-delay-s 1 --resend-s 2 --stats-s 0
wait_for "pump SIM-0002 online" "$TMP/srv.1.log" "pump SIM-0002 online" 1 30 || exit 1
i=0
until api api/v1/pumps | grep -q '"SIM-0002".*"channels"' || [ $i -ge 100 ]; do
    i=$((i + 1)); sleep 0.1
done

order "$TMP/o1.hl7" PG-0001 SIM-0001 MRN-0001 "GH-ICU-LR^Lactated Ringer" 120 0.5
run "order 1" 0 "$ICTL" hl7 send --host 127.0.0.1 --port "$MLLP_PORT" "$TMP/o1.hl7" "$TMP/o1.hl7"
[ "$(grep -c "ACK CA for PG-0001: matched" "$OUT")" = 2 ] && pass || { fail "order 1 (twice): not two ACK CA"; show_io; }
wait_for "RRG^O16 AA" "$TMP/ehr.jsonl" '"msa_code":"AA","acked_id":"PG-0001"' 1 30
wait_for "PCD-10 delivery start" "$TMP/ehr.jsonl" '"event":"delivery-start"' 1 30
order "$TMP/o2.hl7" PG-0002 SIM-0002 MRN-0002 "GH-ICU-LR^Lactated Ringer" 1500 100
run "order 2" 0 "$ICTL" hl7 send --host 127.0.0.1 --port "$MLLP_PORT" "$TMP/o2.hl7"
wait_for "RRG^O16 AR 9024" "$TMP/ehr.jsonl" '"msa_code":"AR","acked_id":"PG-0002"' 1 30

[ "$(sql "select count(*) from orders where control_id = 'PG-0001'")" = 1 ] && pass ||
    fail "the repeated order is stored more than once in PostgreSQL"
[ "$(sql "select count(*) from commands where pump_id = 'SIM-0001'")" = 1 ] && pass ||
    fail "order 1 is not exactly one program command"
[ "$(sql "select count(*) from commands where pump_id = 'SIM-0002'")" = 0 ] && pass ||
    fail "the hard-limit order reached the pump"
gaps=$(sql "select count(*) from (select pump_id from events group by pump_id having min(seq) <> 1 or max(seq) <> count(*)) g")
n_ev=$(sql "select count(*) from events")
[ "$gaps" = 0 ] && [ "$n_ev" -gt 0 ] && pass || fail "events in PostgreSQL: $n_ev stored, $gaps pumps with a gap"

# A restart on the same database: migrations are not applied again, the repeated order still once.
kill "$SRV_PID"
wait "$SRV_PID"
srv_start --pcd01-period-s 2 || exit 1
has_in "restart on PostgreSQL" "$TMP/srv.2.log" "(schema 4)"
run "order 1 after the restart" 0 "$ICTL" hl7 send --host 127.0.0.1 --port "$MLLP_PORT" "$TMP/o1.hl7"
has_in "order 1 after the restart: ACK CA" "$OUT" "ACK CA for PG-0001: matched"
wait_for "repeat recognised after the restart" "$TMP/srv.2.log" "PG-0001 repeated" 1 10
[ "$(sql "select count(*) from commands where pump_id = 'SIM-0001'")" = 1 ] && pass ||
    fail "order 1 applied again after the restart"
kill "$SRV_PID"
wait "$SRV_PID"
[ $? = 0 ] && pass || fail "infusiond did not stop cleanly"
grep -q -e 'Sanitizer' -e 'runtime error:' "$TMP"/srv.*.log && fail "sanitizer report in infusiond's log" || pass
echo "$n_pass passed, $n_fail failed"
[ "$n_fail" -eq 0 ]
