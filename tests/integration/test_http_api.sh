#!/bin/sh
# test_http_api.sh - infusiond's HTTP API end to end (docs/http-api.md) with Mosquitto and a
# pumpd panel pump on 127.0.0.1: check_http.py walks every route, its errors, the stream, the
# alarm acknowledgement and bad input; afterwards the store holds the acknowledgement and its
# audit record, and infusiond stops cleanly.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/http_lib.sh"
need_http_parts
IDLE_S=2

start_broker
start_infusiond --idle-timeout-s "$IDLE_S"
start_pump P-API-1

if python3 "$HERE/check_http.py" "$HTTP" P-API-1 "$TMP/pump.in" "$IDLE_S" >"$TMP/check.out" 2>&1; then
    pass
else
    fail "check_http.py found problems:"
    sed 's/^/    /' "$TMP/check.out"
    sed 's/^/    infusiond| /' "$TMP/infusiond.err" | grep -v ' debug ' | tail -n 15
fi
grep -E '^check_http: ' "$TMP/check.out"
if grep -q 'warn http: refused static path' "$TMP/infusiond.err"; then pass; else
    fail "no log line for a refused static path"; fi

exec 7>&-
stop_infusiond
if command -v sqlite3 >/dev/null 2>&1; then
    run "store: acknowledgement" 0 sqlite3 "$TMP/infusiond.db" \
        "SELECT pump_id, acked_by FROM alarm_acks"
    out_has "store: acknowledgement row" "P-API-1|nurse-anna"
    run "store: audit" 0 sqlite3 "$TMP/infusiond.db" \
        "SELECT actor, action, detail FROM audit WHERE action = 'alarm_ack'"
    out_has "store: audit row" 'nurse-station|alarm_ack|{"pump_id":"P-API-1"'
    out_has "store: audit names the user" '"user":"nurse-anna"'
fi
finish
