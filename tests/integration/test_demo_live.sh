#!/bin/sh
# test_demo_live.sh - the README's main command runs the whole loop: scripts/demo-live for a short
# while must start every part, show every pump online and orders flowing, put a live nurse station
# with every pump (one infusing) in a real browser (the README's screenshot is this one), and stop
# everything it started (no process of its own left behind).
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/broker_lib.sh"
need_broker
if [ ! -x "$BUILD/tools/ehrsim/ehrsim" ] || [ ! -x "$BUILD/pump/pumpd" ]; then
    echo "SKIP: ehrsim or pumpd not built"
    exit 77
fi
sh "$ROOT/scripts/demo-live" "$BUILD" --duration 45 --pumps 6 --data-dir "$TMP/demo" \
    >"$TMP/demo.out" 2>"$TMP/demo.err" &
DEMO=$!
PIDS="$PIDS $DEMO"
wait_for "demo prints the nurse-station URL" "$TMP/demo.out" "nurse station : http://127.0.0.1:" 1 30
url=$(sed -n 's/^ *nurse station : //p' "$TMP/demo.out" | head -n 1)

CHROMIUM=${CHROMIUM:-/usr/bin/chromium}
if [ -x "$CHROMIUM" ] && NODE_PATH=$(sh "$ROOT/scripts/npm-setup" --print-path --web 2>"$TMP/npm.err"); then
    export NODE_PATH CHROMIUM
    rm -f "$BUILD/demo-nurse-station.png"
    if node "$ROOT/tests/web/demo_screenshot.mjs" --url "$url" --pumps 6 \
        --screenshot "$BUILD/demo-nurse-station.png" --timeout-s 35 >"$TMP/shot.out" 2>&1; then
        pass
    else
        fail "the demo's nurse station in the browser: $(grep FAIL "$TMP/shot.out" | head -n 1)"
    fi
else
    fail "chromium or playwright-core unavailable for the demo's nurse station"
    sed 's/^/    /' "$TMP/npm.err" 2>/dev/null | head -n 5
fi

wait "$DEMO"
rc=$?
[ "$rc" = 0 ] && pass || { fail "demo-live exited $rc"; tail -n 5 "$TMP/demo.err"; }
tr '\r' '\n' <"$TMP/demo.out" >"$TMP/lines"
has_in "every pump online" "$TMP/lines" "pumps 6/6 online"
grep -E -q 'orders [1-9][0-9]* ' "$TMP/lines" && pass || { fail "no order was counted"; tail -n 3 "$TMP/lines"; }
has_in "stopped what it started" "$TMP/lines" "demo-live: stopped everything it started"
# Nothing it started is still running (the processes name the demo's data directory).
sleep 1
if ps -eo args | grep -F "$TMP/demo" | grep -v grep >/dev/null; then
    fail "processes of the demo still run"
    ps -eo pid,args | grep -F "$TMP/demo" | grep -v grep
else
    pass
fi
echo "$n_pass passed, $n_fail failed"
[ "$n_fail" -eq 0 ]
