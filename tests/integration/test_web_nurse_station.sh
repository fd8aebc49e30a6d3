#!/bin/sh
# test_web_nurse_station.sh - the nurse-station page in a real browser (Debian's chromium driven
# by playwright-core, tests/web/nurse_station.mjs) against a real infusiond, Mosquitto and a
# pumpd panel pump: the page shows the pump start infusing, then the alarm it raises, and the
# alarm acknowledged by clicking (checked in the page and through the API).
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/http_lib.sh"
need_http_parts
CHROMIUM=${CHROMIUM:-/usr/bin/chromium}
if [ ! -x "$CHROMIUM" ]; then
    echo "SKIP: $CHROMIUM is not installed (scripts/bootstrap)"
    exit 77
fi
if ! NODE_PATH=$(sh "$ROOT/scripts/npm-setup" --print-path --web 2>"$TMP/npm-setup.err"); then
    echo "FAIL: scripts/npm-setup --web could not install playwright-core:"
    sed 's/^/    /' "$TMP/npm-setup.err"
    exit 1
fi
export NODE_PATH CHROMIUM

start_broker
start_infusiond
start_pump P-WEB-1
SHOT="$BUILD/nurse-station.png"
rm -f "$SHOT"

# The browser first: the page must be live before the pump moves, so it sees every step.
node "$ROOT/tests/web/nurse_station.mjs" --url "$HTTP/" --pump P-WEB-1 --screenshot "$SHOT" \
    --timeout-s 90 --user e2e-nurse >"$TMP/driver.out" 2>&1 &
DRIVER=$!
PIDS="$PIDS $DRIVER"
if wait_for 60 grep -q '^ok - live connection' "$TMP/driver.out"; then
    pass
else
    fail "the page did not come up live"
fi
pump_start_infusion
send_pump "wait 4s" "fault door_open" "wait 120s"
wait "$DRIVER"
rc=$?
sed 's/^/    driver| /' "$TMP/driver.out"
if [ "$rc" -eq 0 ]; then
    pass
else
    fail "browser check failed (exit $rc); see the driver lines above"
    sed 's/^/    infusiond| /' "$TMP/infusiond.err" | grep -v ' debug ' | tail -n 15
fi
if [ -s "$SHOT" ]; then pass; else fail "no screenshot at $SHOT"; fi

# What the browser did is on record: the acknowledgement with its user, in the API.
run "alarms after the browser" 0 curl -sS --max-time 5 "$HTTP/api/v1/alarms?pump_id=P-WEB-1"
py_check "acknowledged by the browser's user" '
import json, sys
alarms = json.load(open(sys.argv[1]))
assert any(a["acked"] and a["acked_by"] == "e2e-nurse" and a["alarm"] == "door_open"
           for a in alarms), alarms'
exec 7>&-
stop_infusiond
finish
