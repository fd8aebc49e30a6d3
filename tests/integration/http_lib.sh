# http_lib.sh - starts the parts infusiond's HTTP tests need, all on 127.0.0.1 with free ports,
# each stopped by its PID (lib.sh's PIDS): Mosquitto, infusiond, and one pumpd panel pump on the
# broker whose stdin the test writes to. Sourced after lib.sh; $CTL is the infusiond binary and
# $BUILD the build directory (pumpd is $BUILD/pump/pumpd).
INFUSIOND=$CTL
PUMPD="$BUILD/pump/pumpd"
MOSQUITTO=$(command -v mosquitto || echo /usr/sbin/mosquitto)

need_http_parts() {
    if [ ! -x "$MOSQUITTO" ]; then
        echo "SKIP: mosquitto is not installed (scripts/bootstrap)"
        exit 77
    fi
    if [ ! -x "$PUMPD" ]; then
        echo "FAIL: $PUMPD is not built"
        exit 1
    fi
}

free_port() {
    python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'
}

# wait_for SECONDS CMD...: retry CMD every 0.2 s until it succeeds; false after SECONDS.
wait_for() {
    _n=$(($1 * 5))
    shift
    while [ "$_n" -gt 0 ]; do
        if "$@" >/dev/null 2>&1; then
            return 0
        fi
        sleep 0.2
        _n=$((_n - 1))
    done
    return 1
}

start_broker() {
    BROKER_PORT=$(free_port)
    printf 'listener %s 127.0.0.1\nallow_anonymous true\npersistence false\nmax_queued_messages 100000\nmax_inflight_messages 0\n' \
        "$BROKER_PORT" >"$TMP/mosquitto.conf"
    "$MOSQUITTO" -c "$TMP/mosquitto.conf" >"$TMP/mosquitto.log" 2>&1 &
    PIDS="$PIDS $!"
    if ! wait_for 10 python3 -c "import socket; socket.create_connection(('127.0.0.1', $BROKER_PORT), 1)"; then
        fail "mosquitto did not start"
        sed 's/^/    mosquitto| /' "$TMP/mosquitto.log" | tail -n 5
        finish
        exit 1
    fi
}

# start_infusiond [EXTRA FLAGS...]: HTTP on a free port; $HTTP is then http://127.0.0.1:PORT.
start_infusiond() {
    "$INFUSIOND" --db "sqlite:$TMP/infusiond.db" --mqtt "127.0.0.1:$BROKER_PORT" \
        --mllp 127.0.0.1:0 --http 127.0.0.1:0 --web-root "$ROOT/web" \
        --port-file "$TMP/ports" "$@" >"$TMP/infusiond.out" 2>"$TMP/infusiond.err" &
    INFUSIOND_PID=$!
    PIDS="$PIDS $INFUSIOND_PID"
    if ! wait_for 20 grep -q '^http=' "$TMP/ports"; then
        fail "infusiond did not start"
        sed 's/^/    infusiond| /' "$TMP/infusiond.err" | tail -n 10
        finish
        exit 1
    fi
    HTTP="http://127.0.0.1:$(sed -n 's/^http=//p' "$TMP/ports")"
}

# start_pump ID: a pumpd panel pump on the broker, in GENERAL_WARD, fed from the FIFO on fd 7
# (send_pump writes commands to it).
start_pump() {
    mkfifo "$TMP/pump.in"
    "$PUMPD" panel --library "$ROOT/examples/general-hospital.json" --pump-id "$1" \
        --care-area GENERAL_WARD --weight-kg 70 --data-dir "$TMP/pump-$1" \
        --broker "127.0.0.1:$BROKER_PORT" <"$TMP/pump.in" >"$TMP/pump.out" 2>"$TMP/pump.err" &
    PIDS="$PIDS $!"
    exec 7>"$TMP/pump.in"
}
send_pump() {
    printf '%s\n' "$@" >&7
}
# Program, confirm and start a fluid infusion, 100 mL/h, 500 mL.
pump_start_infusion() {
    send_pump "entry GH-WARD-NS" "mode fluid" "dose 100" "vtbi 500" program confirm start
}

# The sanitizer check of run(), for a server's log after it stopped.
no_sanitizer_report() {
    if grep -q -e 'Sanitizer' -e 'runtime error:' "$1"; then
        fail "$2: sanitizer report"
        grep -e 'Sanitizer' -e 'runtime error:' -A 12 "$1" | head -n 30
    else
        pass
    fi
}

# stop_infusiond: SIGTERM, wait for the clean exit (status 0).
stop_infusiond() {
    kill "$INFUSIOND_PID" 2>/dev/null
    _i=0
    while kill -0 "$INFUSIOND_PID" 2>/dev/null && [ "$_i" -lt 100 ]; do
        sleep 0.1
        _i=$((_i + 1))
    done
    if kill -0 "$INFUSIOND_PID" 2>/dev/null; then
        fail "infusiond did not stop on SIGTERM"
    else
        wait "$INFUSIOND_PID"
        _rc=$?
        if [ "$_rc" -eq 0 ]; then pass; else fail "infusiond exit status $_rc after SIGTERM"; fi
    fi
    no_sanitizer_report "$TMP/infusiond.err" "infusiond"
}
