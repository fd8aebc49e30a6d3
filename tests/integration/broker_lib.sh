# broker_lib.sh - a Mosquitto broker for the integration tests (POSIX sh), sourced after lib.sh.
#
#   need_broker                 skip the test (exit 77) when mosquitto or its clients are missing
#   broker_start                start a broker on 127.0.0.1 with the configuration of
#                               docs/pump-protocol.md ("Broker configuration"); the first call picks
#                               a free port (BROKER_PORT), later calls reuse it (a restart)
#   broker_stop / broker_kill   stop it by PID (SIGTERM / SIGKILL)
#   sub_start FILE TOPIC...     mosquitto_sub -V 5 -v into FILE, returns once it is subscribed;
#                               its PID is in SUB_PID (and in PIDS, stopped at exit)
#   pub TOPIC MESSAGE           mosquitto_pub -V 5, QoS 1
#   retained TOPIC              print the retained message of TOPIC (empty when none)
#   wait_for NAME FILE TEXT [N [SECONDS]]
#                               wait until FILE holds TEXT (a fixed string) on at least N lines
#                               (default 1); after SECONDS (default 60) report "FAIL: NAME" and
#                               return 1. A deadline, not a timing assertion.
#   count_of FILE TEXT          lines of FILE holding TEXT
#
# Every process started here listens on or talks to 127.0.0.1 only and is stopped by PID.
MOSQUITTO=${MOSQUITTO:-/usr/sbin/mosquitto}
BROKER_PORT=""
BROKER_PID=""
SUB_PID=""
_n_broker=0
_n_sub=0

need_broker() {
    if [ ! -x "$MOSQUITTO" ] || ! command -v mosquitto_sub >/dev/null 2>&1 ||
        ! command -v mosquitto_pub >/dev/null 2>&1 || ! command -v python3 >/dev/null 2>&1; then
        echo "SKIP: mosquitto, mosquitto_sub/mosquitto_pub or python3 not installed"
        exit 77
    fi
}

free_port() {
    python3 -c 'import socket
s = socket.socket()
s.bind(("127.0.0.1", 0))
print(s.getsockname()[1])'
}

count_of() {
    if [ -f "$1" ]; then
        grep -a -F -c -e "$2" "$1"
    else
        echo 0
    fi
}

wait_for() {
    _wf_name=$1
    _wf_file=$2
    _wf_text=$3
    _wf_n=${4:-1}
    _wf_left=$(( ${5:-60} * 10 ))
    while [ "$(count_of "$_wf_file" "$_wf_text")" -lt "$_wf_n" ]; do
        if [ "$_wf_left" -le 0 ]; then
            fail "$_wf_name: '$_wf_text' not seen $_wf_n time(s) in $(basename "$_wf_file")"
            tail -n 5 "$_wf_file" 2>/dev/null | cut -c1-300 | sed 's/^/    file| /'
            return 1
        fi
        _wf_left=$((_wf_left - 1))
        sleep 0.1
    done
    pass
    return 0
}

broker_start() {
    _n_broker=$((_n_broker + 1))
    if [ -z "$BROKER_PORT" ]; then
        BROKER_PORT=$(free_port) || return 1
    fi
    cat >"$TMP/mosquitto.conf" <<EOF
listener $BROKER_PORT 127.0.0.1
allow_anonymous true
persistence false
max_queued_messages 100000
max_inflight_messages 0
EOF
    "$MOSQUITTO" -c "$TMP/mosquitto.conf" >"$TMP/broker.$_n_broker.log" 2>&1 &
    BROKER_PID=$!
    PIDS="$PIDS $BROKER_PID"
    # Listening once a client can connect (the port may still be in TIME_WAIT after a restart).
    _bs_left=100
    until mosquitto_pub -V 5 -h 127.0.0.1 -p "$BROKER_PORT" -t oi-test/ping -m x \
        >/dev/null 2>&1; do
        if [ "$_bs_left" -le 0 ] || ! kill -0 "$BROKER_PID" 2>/dev/null; then
            fail "the broker does not start on port $BROKER_PORT"
            sed 's/^/    broker| /' "$TMP/broker.$_n_broker.log" | tail -n 5
            return 1
        fi
        _bs_left=$((_bs_left - 1))
        sleep 0.1
    done
    return 0
}

broker_stop() {
    kill "$BROKER_PID" 2>/dev/null
    wait "$BROKER_PID" 2>/dev/null
    return 0
}

broker_kill() {
    kill -9 "$BROKER_PID" 2>/dev/null
    wait "$BROKER_PID" 2>/dev/null
    return 0
}

# A marker topic tells when the subscription is in place.
sub_start() {
    _ss_file=$1
    shift
    _n_sub=$((_n_sub + 1))
    _ss_mark="oi-test/ready/$_n_sub"
    _ss_args=""
    for _t in "$@"; do
        _ss_args="$_ss_args -t $_t"
    done
    # shellcheck disable=SC2086 # topics hold no spaces
    mosquitto_sub -V 5 -h 127.0.0.1 -p "$BROKER_PORT" -q 1 -v $_ss_args -t "$_ss_mark" \
        >>"$_ss_file" 2>"$_ss_file.err" &
    SUB_PID=$!
    PIDS="$PIDS $SUB_PID"
    _ss_left=100
    while [ "$(count_of "$_ss_file" "$_ss_mark ")" -lt 1 ]; do
        if [ "$_ss_left" -le 0 ]; then
            fail "mosquitto_sub did not subscribe ($*)"
            return 1
        fi
        _ss_left=$((_ss_left - 1))
        mosquitto_pub -V 5 -h 127.0.0.1 -p "$BROKER_PORT" -t "$_ss_mark" -m ready >/dev/null 2>&1
        sleep 0.1
    done
    return 0
}

pub() {
    mosquitto_pub -V 5 -h 127.0.0.1 -p "$BROKER_PORT" -q 1 -t "$1" -m "$2"
}

retained() {
    mosquitto_sub -V 5 -h 127.0.0.1 -p "$BROKER_PORT" -t "$1" -C 1 -W 1 --retained-only \
        2>/dev/null
    return 0
}
