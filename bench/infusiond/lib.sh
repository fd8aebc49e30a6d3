# lib.sh - shared parts of the infusiond benchmarks (POSIX sh), sourced by run_*.sh.
#
#   bench_init NAME BUILD_DIR   binaries, a temp dir ($TMP), the EXIT trap that stops by PID
#                               everything started here and removes $TMP (kept with KEEP_TMP=1)
#   free_port                   a free TCP port on 127.0.0.1
#   start_broker                Mosquitto on 127.0.0.1:$BROKER_PORT, configuration of
#                               docs/pump-protocol.md plus max_connections -1 (big fleets)
#   start_ehr_listener NAME [ehrsim options]
#                               an ehrsim listener (RRG^O16, PCD-01/10/04); its port in $EHR_PORT
#   start_infusiond [infusiond options]
#                               infusiond with SQLite in a new $DATA dir under $TMP
#                               (synchronous=FULL as shipped);
#                               ports in $MLLP_PORT / $HTTP_PORT, PID in $INFUSIOND_PID
#   track NAME PID              remember PID for stopping and for cpu_* / rss_of
#   cpu_ticks PID               utime + stime of PID so far (clock ticks, /proc/PID/stat)
#   rss_kib PID / hwm_kib PID   resident set now / its peak (/proc/PID/status)
#   metric NAME                 one value of infusiond's /metrics (0 when absent)
#   wait_until SECONDS CMD...   run CMD every 0.2 s until it succeeds; 1 after the deadline
#
# Every process listens on or talks to 127.0.0.1 only. These scripts are benchmarks, not tests:
# nothing here is run by CTest.
MOSQUITTO=${MOSQUITTO:-/usr/sbin/mosquitto}
PIDS=""
NAMES=""

bench_init() {
    BENCH_NAME=$1
    BUILD=$(cd "$2" && pwd)
    ROOT=$(cd "$(dirname "$0")/../.." && pwd)
    INFUSIOND="$BUILD/server/infusiond"
    PUMPD="$BUILD/pump/pumpd"
    EHRSIM="$BUILD/tools/ehrsim/ehrsim"
    INFUSIONCTL="$BUILD/tools/infusionctl/infusionctl"
    LIBRARY="$ROOT/examples/general-hospital.json"
    # shellcheck disable=SC2034 # used by the run_*.sh that source this file
    AREAS=ADULT_ICU,GENERAL_WARD,PEDIATRICS,LABOR_DELIVERY
    for b in "$INFUSIOND" "$PUMPD" "$EHRSIM" "$INFUSIONCTL"; do
        [ -x "$b" ] || die "$b not found: cmake --build $BUILD --target infusiond pumpd ehrsim infusionctl"
    done
    [ -x "$MOSQUITTO" ] || die "mosquitto is not installed (sh scripts/bootstrap installs it)"
    command -v python3 >/dev/null 2>&1 || die "python3 is needed"
    TMP=$(mktemp -d "${TMPDIR:-/tmp}/oi-$BENCH_NAME.XXXXXX")
    trap bench_cleanup EXIT
    trap 'exit 130' INT TERM
}

die() {
    echo "$BENCH_NAME: $*" >&2
    exit 2
}

bench_cleanup() {
    trap - EXIT INT TERM
    stop_all
    if [ "${KEEP_TMP:-0}" = 1 ]; then
        echo "$BENCH_NAME: logs kept in $TMP" >&2
    else
        rm -rf "$TMP"
    fi
}

# Stops everything started here, newest first (the load generators before the server before
# the broker), by PID: SIGTERM, then SIGKILL for what is still there after 10 s.
stop_all() {
    _sa_rev=""
    for _sa_p in $PIDS; do _sa_rev="$_sa_p $_sa_rev"; done
    for _sa_p in $_sa_rev; do kill -TERM "$_sa_p" 2>/dev/null || true; done
    _sa_i=0
    for _sa_p in $_sa_rev; do
        while kill -0 "$_sa_p" 2>/dev/null && [ $_sa_i -lt 100 ]; do
            _sa_i=$((_sa_i + 1))
            sleep 0.1
        done
        kill -KILL "$_sa_p" 2>/dev/null || true
        wait "$_sa_p" 2>/dev/null || true
    done
    PIDS=""
    NAMES=""
}

# stop PID: stops one process started here and forgets it.
stop_pid() {
    kill -TERM "$1" 2>/dev/null || true
    wait "$1" 2>/dev/null || true
    _sp_rest=""
    for _sp_p in $PIDS; do [ "$_sp_p" = "$1" ] || _sp_rest="$_sp_rest $_sp_p"; done
    PIDS=$_sp_rest
}

track() {
    PIDS="$PIDS $2"
    NAMES="$NAMES $1=$2"
}

free_port() {
    python3 -c 'import socket
s = socket.socket()
s.bind(("127.0.0.1", 0))
print(s.getsockname()[1])'
}

wait_until() {
    _wu_left=$(($1 * 5))
    shift
    until "$@"; do
        [ "$_wu_left" -gt 0 ] || return 1
        _wu_left=$((_wu_left - 1))
        sleep 0.2
    done
    return 0
}

alive() {
    kill -0 "$1" 2>/dev/null
}

start_broker() {
    BROKER_PORT=$(free_port)
    cat >"$TMP/mosquitto.conf" <<EOF
listener $BROKER_PORT 127.0.0.1
allow_anonymous true
persistence false
max_queued_messages 100000
max_inflight_messages 0
max_connections -1
EOF
    "$MOSQUITTO" -c "$TMP/mosquitto.conf" >"$TMP/mosquitto.log" 2>&1 &
    BROKER_PID=$!
    track mosquitto "$BROKER_PID"
    wait_until 10 python3 -c "import socket; socket.create_connection(('127.0.0.1', $BROKER_PORT), 1)" \
        2>/dev/null || die "mosquitto did not start (see $TMP/mosquitto.log)"
}

has_text() {
    [ -s "$1" ]
}

start_ehr_listener() {
    _el_name=$1
    shift
    rm -f "$TMP/$_el_name.port"
    "$EHRSIM" --listen 127.0.0.1:0 --port-file "$TMP/$_el_name.port" "$@" \
        >"$TMP/$_el_name.out" 2>"$TMP/$_el_name.err" &
    EHR_PID=$!
    track "$_el_name" "$EHR_PID"
    wait_until 10 has_text "$TMP/$_el_name.port" ||
        die "ehrsim listener did not start ($TMP/$_el_name.err)"
    # shellcheck disable=SC2034 # used by the run_*.sh that source this file
    EHR_PORT=$(cat "$TMP/$_el_name.port")
}

ports_ready() {
    grep -q '^http=' "$TMP/infusiond.ports" 2>/dev/null
}

# start_infusiond [FLAGS...]: INFUSIOND_ARGS (space-separated) adds flags to every run.
start_infusiond() {
    DATA="$TMP/data.$(date +%s%N)"
    mkdir -p "$DATA"
    rm -f "$TMP/infusiond.ports"
    # shellcheck disable=SC2086 # INFUSIOND_ARGS is split into flags on purpose
    "$INFUSIOND" --db "sqlite:$DATA/infusiond.db" --mqtt "127.0.0.1:$BROKER_PORT" \
        --mllp 127.0.0.1:0 --http 127.0.0.1:0 --web-root "$ROOT/web" --library "$LIBRARY" \
        --log-level warn --port-file "$TMP/infusiond.ports" "$@" ${INFUSIOND_ARGS:-} \
        2>"$TMP/infusiond.log" &
    INFUSIOND_PID=$!
    track infusiond "$INFUSIOND_PID"
    wait_until 20 ports_ready || die "infusiond did not start (see $TMP/infusiond.log)"
    # shellcheck disable=SC2034 # used by the run_*.sh that source this file
    MLLP_PORT=$(sed -n 's/^mllp=//p' "$TMP/infusiond.ports")
    HTTP_PORT=$(sed -n 's/^http=//p' "$TMP/infusiond.ports")
}

metric() {
    python3 - "$HTTP_PORT" "$1" <<'EOF'
import sys, urllib.request
try:
    text = urllib.request.urlopen("http://127.0.0.1:%s/metrics" % sys.argv[1], timeout=10).read().decode()
except Exception:
    print(0)
    sys.exit(0)
for line in text.splitlines():
    if line.startswith(sys.argv[2] + " "):
        print(int(float(line.split()[1])))
        break
else:
    print(0)
EOF
}

cpu_ticks() {
    # Field 2 (comm) holds no spaces for these programs; 14 utime, 15 stime.
    awk '{print $14 + $15}' "/proc/$1/stat" 2>/dev/null || echo 0
}

rss_kib() {
    awk '/^VmRSS:/ {print $2}' "/proc/$1/status" 2>/dev/null || echo 0
}

hwm_kib() {
    awk '/^VmHWM:/ {print $2}' "/proc/$1/status" 2>/dev/null || echo 0
}

# cpu_mark FILE: utime+stime of every tracked process now, one "name ticks" line each.
cpu_mark() {
    : >"$1"
    for _cm_nv in $NAMES; do
        echo "${_cm_nv%%=*} $(cpu_ticks "${_cm_nv#*=}")" >>"$1"
    done
}

# cpu_report BEFORE AFTER SECONDS: per process CPU % of one core over the interval and its RSS.
cpu_report() {
    _cr_hz=$(getconf CLK_TCK)
    for _cr_nv in $NAMES; do
        _cr_n=${_cr_nv%%=*}
        _cr_p=${_cr_nv#*=}
        _cr_b=$(awk -v n="$_cr_n" '$1 == n {print $2}' "$1")
        _cr_a=$(awk -v n="$_cr_n" '$1 == n {print $2}' "$2")
        if [ -z "$_cr_b" ] || [ -z "$_cr_a" ]; then
            continue
        fi
        awk -v n="$_cr_n" -v a="$_cr_a" -v b="$_cr_b" -v s="$3" -v hz="$_cr_hz" \
            -v rss="$(rss_kib "$_cr_p")" -v hwm="$(hwm_kib "$_cr_p")" 'BEGIN {
            printf "  %-14s cpu %6.1f %% of one core   rss %7.1f MiB (peak %7.1f MiB)\n",
                   n, (a - b) * 100 / hz / s, rss / 1024, hwm / 1024 }'
    done
}

# cpu_per BEFORE AFTER ITEMS WHAT: per process CPU time (user + system) over the interval and
# per item in microseconds, independent of idle waits in the interval.
cpu_per() {
    _cp_hz=$(getconf CLK_TCK)
    for _cp_nv in $NAMES; do
        _cp_n=${_cp_nv%%=*}
        _cp_b=$(awk -v n="$_cp_n" '$1 == n {print $2}' "$1")
        _cp_a=$(awk -v n="$_cp_n" '$1 == n {print $2}' "$2")
        if [ -z "$_cp_b" ] || [ -z "$_cp_a" ]; then
            continue
        fi
        awk -v n="$_cp_n" -v a="$_cp_a" -v b="$_cp_b" -v k="$3" -v what="$4" -v hz="$_cp_hz" \
            -v rss="$(rss_kib "${_cp_nv#*=}")" 'BEGIN {
            printf "  %-14s cpu %7.2f s = %6.1f us per %s   rss %7.1f MiB\n",
                   n, (a - b) / hz, (k > 0 ? (a - b) / hz * 1e6 / k : 0), what, rss / 1024 }'
    done
}
