# infusiond_lib.sh - the whole system for the integration tests (POSIX sh), sourced after lib.sh
# and broker_lib.sh. Every part runs on 127.0.0.1 and is stopped by PID (PIDS, at exit).
#
#   sys_binaries                 INFUSIOND PUMPD EHRSIM ICTL from $BUILD (skip when missing)
#   ehr_start                    an ehrsim listener (RRG^O16, PCD-01/10/04): EHR_PORT, its JSON
#                                lines in $TMP/ehr.jsonl (a restart, on the same port: ehr.2.jsonl
#                                ...); EHR_PID
#   srv_start [FLAGS...]         infusiond on the broker and the EHR listener with the store SRV_DB
#                                (default SQLite in $TMP/db); MLLP_PORT and HTTP_PORT (fixed after the first start,
#                                so a restart keeps them); SRV_PID; its log in $TMP/srv.N.log
#   fleet_start NAME FLAGS...    pumpd fleet on the broker; FLEET_PID; log $TMP/NAME.log
#   order FILE ID PUMP PATIENT DRUG RATE_ML_H VTBI_ML
#                                write an RGV^O15 (fluid or drug at mL/h) to FILE
#   api PATH                     GET http://127.0.0.1:$HTTP_PORT/PATH to stdout
#   sql QUERY                    one value from the server's database (sqlite3, or psql for a
#                                postgresql:// SRV_DB)
SRV_N=0
SRV_DB=""
MLLP_PORT=""
HTTP_PORT=""

sys_binaries() {
    INFUSIOND="$BUILD/server/infusiond"
    PUMPD="$BUILD/pump/pumpd"
    EHRSIM="$BUILD/tools/ehrsim/ehrsim"
    ICTL="$BUILD/tools/infusionctl/infusionctl"
    for _b in "$INFUSIOND" "$PUMPD" "$EHRSIM" "$ICTL"; do
        if [ ! -x "$_b" ]; then
            echo "SKIP: $_b not built"
            exit 77
        fi
    done
    if ! command -v sqlite3 >/dev/null 2>&1; then
        echo "SKIP: sqlite3 not installed"
        exit 77
    fi
}

EHR_N=0
ehr_start() {
    rm -f "$TMP/ehr.port"
    EHR_N=$((EHR_N + 1))
    _es_log="$TMP/ehr.jsonl"
    [ "$EHR_N" -eq 1 ] || _es_log="$TMP/ehr.$EHR_N.jsonl"
    "$EHRSIM" --listen "127.0.0.1:${EHR_PORT:-0}" --port-file "$TMP/ehr.port" \
        --log "$_es_log" --quiet "$@" >>"$TMP/ehr.out" 2>>"$TMP/ehr.err" &
    EHR_PID=$!
    PIDS="$PIDS $EHR_PID"
    _es_left=100
    while [ ! -s "$TMP/ehr.port" ]; do
        _es_left=$((_es_left - 1))
        if [ "$_es_left" -le 0 ]; then
            fail "ehrsim did not start listening"
            return 1
        fi
        sleep 0.1
    done
    EHR_PORT=$(cat "$TMP/ehr.port")
}

srv_start() {
    SRV_N=$((SRV_N + 1))
    [ -n "$MLLP_PORT" ] || MLLP_PORT=$(free_port)
    [ -n "$HTTP_PORT" ] || HTTP_PORT=$(free_port)
    rm -f "$TMP/ports"
    [ -n "$SRV_DB" ] || SRV_DB="sqlite:$TMP/db"
    "$INFUSIOND" --db "$SRV_DB" --mqtt "127.0.0.1:$BROKER_PORT" \
        --mllp "127.0.0.1:$MLLP_PORT" --http "127.0.0.1:$HTTP_PORT" --web-root "$ROOT/web" \
        --library "$EXAMPLE" --ehr-iop "127.0.0.1:$EHR_PORT" --ehr-doc "127.0.0.1:$EHR_PORT" \
        --ehr-alarm "127.0.0.1:$EHR_PORT" --port-file "$TMP/ports" "$@" \
        2>"$TMP/srv.$SRV_N.log" &
    SRV_PID=$!
    PIDS="$PIDS $SRV_PID"
    _ss_left=100
    while [ ! -s "$TMP/ports" ]; do
        _ss_left=$((_ss_left - 1))
        if [ "$_ss_left" -le 0 ] || ! kill -0 "$SRV_PID" 2>/dev/null; then
            fail "infusiond did not start"
            sed 's/^/    srv| /' "$TMP/srv.$SRV_N.log" | tail -n 5
            return 1
        fi
        sleep 0.1
    done
}

fleet_start() {
    _fs_name=$1
    shift
    "$PUMPD" fleet --broker "127.0.0.1:$BROKER_PORT" --library "$EXAMPLE" "$@" \
        >"$TMP/$_fs_name.out" 2>"$TMP/$_fs_name.log" &
    FLEET_PID=$!
    PIDS="$PIDS $FLEET_PID"
}

order() {
    _now=$(date -u +%Y%m%d%H%M%S)+0000
    printf '%s\r' \
        "MSH|^~\\&|BCMA^1234560000000001^EUI-64|HOSP|OPENINFUSION^0012210000000001^EUI-64|HOSP|$_now||RGV^O15^RGV_O15|$2|P|2.6|||AL|AL||UNICODE UTF-8|en^English^ISO639||IHE_PCD^IHE PCD^1.3.6.1.4.1.19376.1.6.1.3.1^ISO" \
        "PID|||$4^^^HOSP&1.2.3&ISO^MR||Doe^Jane||19700101|F" \
        "ORC|RE|PLC-$2|||||||$_now|||DOC7^House^Greg|||||||RN42^Nurse^Nancy" \
        "RXG|1|||$5|$7||263762^MDC_DIM_MILLI_L^MDC||||||||$6|265266^MDC_DIM_MILLI_L_PER_HR^MDC" \
        "RXR|^IV^HL70162||^IVP^HL70164|^IV^HL70165" \
        "OBX|1||69986^MDC_DEV_PUMP_INFUS_VMD^MDC||||||||X|||||||$3^^1.2.840.99.1^ISO" \
        "OBX|2|NM|68063^MDC_ATTR_PT_WEIGHT^MDC||70|263875^MDC_DIM_KILO_G^MDC|||||R" >"$1"
}

api() {
    python3 -c 'import sys, urllib.request
print(urllib.request.urlopen("http://127.0.0.1:%s/%s" % (sys.argv[1], sys.argv[2]), timeout=5).read().decode())' \
        "$HTTP_PORT" "$1" 2>/dev/null
}

sql() {
    case "$SRV_DB" in
    postgresql://* | postgres://*) psql -X -q -t -A -d "$SRV_DB" -c "$1" ;;
    *) sqlite3 -cmd ".timeout 5000" "$TMP/db" "$1" ;;
    esac
}
