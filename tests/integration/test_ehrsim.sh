#!/bin/sh
# test_ehrsim.sh - ehrsim end to end over real MLLP on 127.0.0.1:
#   1. documentation consumer: PCD-01/10/04 fixtures sent by `infusionctl hl7 send` are ACKed CA
#      with the right MSA-2, counted, logged; an invalid one is counted invalid; --ack-code CE;
#      duplicates; --ack-delay-ms;
#   2. ordering system: generated and file orders to `infusionctl hl7 listen` (an IOC stand-in
#      that only ACKs), with --resend-dup; and to a scripted IOC that ACKs and then sends RRG^O16
#      (AA, AR + PIV 9024, one duplicate) to ehrsim's listener; the orders it received validate;
#   3. bad input to the listener: garbage, a frame that is not HL7, an oversized frame, a frame
#      left unfinished -> each connection dropped with a log line; the next sender is served;
#      150 messages on one connection with line ends between frames -> all answered.
# Every server listens on 127.0.0.1 on a port the system picks and is stopped by its PID.
# Run by CTest as: sh test_ehrsim.sh EHRSIM REPO_ROOT SHARED_DIR BUILD_DIR
. "$(dirname "$0")/lib.sh"

EHRSIM=$CTL
ICTL="$BUILD/tools/infusionctl/infusionctl"
if [ ! -x "$ICTL" ]; then
    echo "FAIL: infusionctl not found at $ICTL (build it first)"
    exit 1
fi
if ! command -v python3 >/dev/null 2>&1; then
    echo "FAIL: python3 is needed for the scripted MLLP peers and the JSON checks"
    exit 1
fi
need_shared
FIX="$ROOT/tests/data/hl7/pcd"

# ---- helpers ---------------------------------------------------------------------------------
N_E=0
EPID=""
EPORT=""
EOUT=""
EERR=""
# start_ehrsim NAME ARGS...: ehrsim --listen 0 ARGS in the background; reads its port.
start_ehrsim() {
    _n=$1
    shift
    N_E=$((N_E + 1))
    EOUT="$TMP/ehrsim.$N_E.out"
    EERR="$TMP/ehrsim.$N_E.err"
    "$EHRSIM" --listen 0 "$@" >"$EOUT" 2>"$EERR" &
    EPID=$!
    PIDS="$PIDS $EPID"
    _i=0
    EPORT=""
    while [ $_i -lt 200 ]; do
        EPORT=$(sed -n '1s/^listening on \([0-9][0-9]*\)$/\1/p' "$EOUT" 2>/dev/null)
        [ -n "$EPORT" ] && break
        kill -0 "$EPID" 2>/dev/null || break
        sleep 0.05
        _i=$((_i + 1))
    done
    if [ -n "$EPORT" ]; then
        pass
    else
        fail "$_n: ehrsim printed no 'listening on PORT' line"
        sed 's/^/    ehrsim| /' "$EOUT" "$EERR" | head -n 10
    fi
}

# wait_ehrsim NAME STATUS: wait (at most 30 s) for ehrsim to exit by itself with STATUS.
wait_ehrsim() {
    _i=0
    while kill -0 "$EPID" 2>/dev/null && [ $_i -lt 600 ]; do
        sleep 0.05
        _i=$((_i + 1))
    done
    if kill -0 "$EPID" 2>/dev/null; then
        fail "$1: ehrsim did not exit by itself"
        kill "$EPID" 2>/dev/null
    fi
    wait "$EPID"
    _st=$?
    if [ "$_st" -ne "$2" ]; then
        fail "$1: ehrsim exit status $_st, expected $2"
        sed 's/^/    ehrsim| /' "$EOUT" "$EERR" | tail -n 15
    else
        pass
    fi
    if grep -q -e 'Sanitizer' -e 'runtime error:' "$EERR"; then
        fail "$1: sanitizer report from ehrsim"
        head -n 30 "$EERR"
    else
        pass
    fi
}

# stop_ehrsim NAME: SIGTERM; it must print its summary and exit 0.
stop_ehrsim() {
    kill -TERM "$EPID" 2>/dev/null
    wait_ehrsim "$1" 0
    has_in "$1: summary on SIGTERM" "$EOUT" "ehrsim summary (stopped: SIGTERM)"
}

# json_check NAME FILE CODE: python3 with j = the JSON of FILE and lines = the JSON lines of
# $TMP/log.jsonl (when present); passes when CODE raises nothing.
json_check() {
    if python3 - "$2" "$TMP/log.jsonl" >"$TMP/py" 2>&1 <<PY
import json, os, sys
j = json.load(open(sys.argv[1])) if sys.argv[1].endswith(".json") else None
lines = [json.loads(l) for l in open(sys.argv[2])] if os.path.exists(sys.argv[2]) else []
$3
PY
    then
        pass
    else
        fail "$1"
        sed 's/^/    python| /' "$TMP/py" | tail -n 6
    fi
}

# set_msh10 IN OUT ID: a copy of the one-message fixture IN with MSH-10 = ID.
set_msh10() {
    python3 - "$1" "$2" "$3" <<'PY'
import sys
data = open(sys.argv[1], "rb").read().replace(b"\r\n", b"\r").replace(b"\n", b"\r")
segs = data.split(b"\r")
f = segs[0].split(b"|")
f[9] = sys.argv[3].encode()
segs[0] = b"|".join(f)
open(sys.argv[2], "wb").write(b"\r".join(segs))
PY
}

# ---- usage -------------------------------------------------------------------------------------
run "--help" 0 "$EHRSIM" --help
out_has "--help lists --resend-dup" "--resend-dup K"
out_has "--help lists --until-idle" "--until-idle S"
run "no arguments" 2 "$EHRSIM"
err_has "no arguments: says why" "nothing to do"
run "unknown flag" 2 "$EHRSIM" --listen 0 --bogus
run "--server without orders" 2 "$EHRSIM" --server 127.0.0.1:1
run "--server without a port" 2 "$EHRSIM" --server localhost --orders /dev/null
run "--generate without --library" 2 "$EHRSIM" --server 127.0.0.1:1 --generate 3 --pumps A
run "--generate without pumps" 2 "$EHRSIM" --server 127.0.0.1:1 --generate 3 --library "$SAMPLE"
run "bad --ack-code" 2 "$EHRSIM" --listen 0 --ack-code XX
run "bad --connections" 2 "$EHRSIM" --server 127.0.0.1:1 --generate 1 --library "$SAMPLE" \
    --pumps A --connections 65
run "bad --hard-ratio" 2 "$EHRSIM" --server 127.0.0.1:1 --generate 1 --library "$SAMPLE" \
    --pumps A --hard-ratio 1.5
run "patients list of the wrong length" 2 "$EHRSIM" --server 127.0.0.1:1 --generate 1 \
    --library "$SAMPLE" --pumps A,B --patients P1,P2,P3
run "unknown care area" 2 "$EHRSIM" --server 127.0.0.1:1 --generate 1 --library "$SAMPLE" \
    --pumps A --care-areas NOWHERE --quiet
err_has "unknown care area: named" "care area NOWHERE is not in"
run "--ack-code without --listen" 2 "$EHRSIM" --server 127.0.0.1:1 --orders /dev/null \
    --ack-code CE

# ---- 1. documentation and alarm consumer --------------------------------------------------------
set_msh10 "$FIX/pcd10_ok_delivery_start.hl7" "$TMP/d1.hl7" DOC-1
set_msh10 "$FIX/pcd10_ok_delivery_stop_code0.hl7" "$TMP/d2.hl7" DOC-2
set_msh10 "$FIX/pcd10_ok_delivery_complete.hl7" "$TMP/d3.hl7" DOC-3
set_msh10 "$FIX/pcd01_ok_pump_status.hl7" "$TMP/d4.hl7" DOC-4
set_msh10 "$FIX/pcd04_ok_occlusion_start.hl7" "$TMP/d5.hl7" DOC-5
set_msh10 "$FIX/pcd04_ok_occlusion_end.hl7" "$TMP/d6.hl7" DOC-6
set_msh10 "$FIX/pcd01_bad_no_obr.hl7" "$TMP/d7.hl7" DOC-7
DOCS="$TMP/d1.hl7 $TMP/d2.hl7 $TMP/d3.hl7 $TMP/d4.hl7 $TMP/d5.hl7 $TMP/d6.hl7 $TMP/d7.hl7"

start_ehrsim "documentation" --port-file "$TMP/port" --log "$TMP/log.jsonl" \
    --summary-json "$TMP/doc.json" --quiet
if [ "$(cat "$TMP/port" 2>/dev/null)" = "$EPORT" ]; then pass; else fail "--port-file holds the port"; fi
# shellcheck disable=SC2086
run "send PCD-01/10/04 fixtures" 0 "$ICTL" hl7 send --port "$EPORT" $DOCS
for i in 1 2 3 4 5 6 7; do
    out_has "fixture $i: ACK CA with MSA-2 = its MSH-10" "ACK CA for DOC-$i: matched"
done
out_has "the ACK names ehrsim's reply type" "ACK^R42^ACK"
stop_ehrsim "documentation"
has_in "text summary: PCD-10 by event" "$EOUT" \
    "PCD-10 events: 3 ( delivery-start 1 delivery-stop 1 delivery-complete 1 )"
has_in "text summary: PCD-04 by phase" "$EOUT" "PCD-04 alerts: 2 ( start 1 end 1 )"
has_in "text summary: received" "$EOUT" "received: 7, invalid 1, duplicates 0"
json_check "summary JSON counts" "$TMP/doc.json" '
assert j["pcd10"] == 3, j["pcd10"]
assert j["pcd10_events"] == {"delivery-start": 1, "delivery-stop": 1, "delivery-complete": 1}, j
assert j["pcd01"] == 2 and j["pcd04"] == 2
assert j["pcd04_phases"] == {"start": 1, "end": 1}, j["pcd04_phases"]
r = j["received"]
assert r["total"] == 7 and r["invalid"] == 1 and r["duplicates"] == 0 and r["acks_sent"] == 7, r
assert j["stopped"] == "SIGTERM"'
json_check "log lines: one per message, with the essentials" "$TMP/doc.json" '
ins = [l for l in lines if l["dir"] == "in"]
assert [l["control_id"] for l in ins] == ["DOC-%d" % i for i in range(1, 8)], ins
by = {l["control_id"]: l for l in ins}
s = by["DOC-1"]
assert s["type"] == "pcd-10" and s["event"] == "delivery-start" and s["valid"], s
assert s["patient_id"] == "MRN4711" and s["drug_code"] == "DOPA800" and s["rate_ml_h"] == "15.4", s
assert s["placer_id"] == "PLC1001" and s["eui64"] == "0012210000000002", s
assert by["DOC-2"]["event"] == "delivery-stop" and by["DOC-2"]["volume_infused_ml"], by["DOC-2"]
assert by["DOC-4"]["type"] == "pcd-01" and by["DOC-4"]["volume_infused_ml"] == "12.0", by["DOC-4"]
a = by["DOC-5"]
assert a["type"] == "pcd-04" and a["alert_phase"] == "start" and a["alert_priority"] == "PH", a
assert a["alert_event"] == "MDC_EVT_FLUID_LINE_OCCL", a
assert by["DOC-6"]["alert_phase"] == "end"
bad = by["DOC-7"]
assert bad["valid"] is False and bad["n_errors"] > 0, bad
assert any("no OBR segment" in p for p in bad["problems"]), bad["problems"]
assert all(l["ack_sent"] == "CA" for l in ins)
assert all(l["valid"] for l in ins if l["control_id"] != "DOC-7")'

# The same message twice is a duplicate; --ack-code CE answers documentation with CE.
start_ehrsim "ack-code CE" --ack-code CE --ack-delay-ms 200 --summary-json "$TMP/ce.json" --quiet
run "send with CE answers" 1 "$ICTL" hl7 send --port "$EPORT" "$TMP/d1.hl7" "$TMP/d1.hl7"
out_has "CE answer reaches the sender (after the delay)" "ACK CE for DOC-1: matched"
stop_ehrsim "ack-code CE"
json_check "the second copy counted as a duplicate" "$TMP/ce.json" '
assert j["received"]["duplicates"] == 1 and j["received"]["total"] == 2, j["received"]'

# ---- 2. ordering system ------------------------------------------------------------------------
# 2a. IOC stand-in: infusionctl hl7 listen (ACKs CA, never sends RRG^O16).
LOUT="$TMP/ictl_listen.out"
"$ICTL" hl7 listen --port 0 >"$LOUT" 2>"$TMP/ictl_listen.err" &
LPID=$!
PIDS="$PIDS $LPID"
LPORT=""
_i=0
while [ $_i -lt 200 ] && [ -z "$LPORT" ]; do
    LPORT=$(sed -n '1s/^listening on 127\.0\.0\.1:\([0-9][0-9]*\).*$/\1/p' "$LOUT" 2>/dev/null)
    sleep 0.05
    _i=$((_i + 1))
done
if [ -n "$LPORT" ]; then pass; else fail "infusionctl hl7 listen did not start"; fi

rm -f "$TMP/log.jsonl"
run "generated orders to the IOC stand-in" 0 "$EHRSIM" --server "127.0.0.1:$LPORT" \
    --generate 12 --library "$SAMPLE" --care-areas ADULT_ICU,MED_SURG --pump-prefix SIM- \
    --pump-count 4 --patients MRN- --hard-ratio 0.5 --seed 3 --resend-dup 4 --connections 2 \
    --window 2 --until-idle 0.5 --summary-json "$TMP/orders.json" --log "$TMP/log.jsonl" \
    --quiet --expect-all-acked
out_has "orders: summary line" "orders: sent 12 of 12"
out_has "orders: no RRG from this IOC" "orders unanswered 12"
json_check "orders: ACK^O15 counted, duplicates re-sent" "$TMP/orders.json" '
o = j["orders"]
assert o["sent"] == 12 and o["duplicates_sent"] == 3, o
assert o["ack_o15"] == {"CA": 12}, o["ack_o15"]
assert o["ack_o15_duplicate"] == 3 and o["without_ack_o15"] == 0, o
assert o["unanswered"] == 12 and o["rrg_o16"] == {}, o
assert 0 < o["hard"] < 12, o["hard"]
assert j["latency_ms"]["ack_o15"]["n"] == 12
assert j["latency_ms"]["ack_o15"]["p50"] <= j["latency_ms"]["ack_o15"]["p99"] <= j["latency_ms"]["ack_o15"]["max"]
assert j["stopped"] == "idle"'
json_check "orders: log of sent orders and their ACKs" "$TMP/orders.json" '
out = [l for l in lines if l["dir"] == "out"]
assert len(out) == 15, len(out)
new = [l for l in out if not l.get("duplicate")]
dups = [l for l in out if l.get("duplicate")]
assert len(new) == 12 and len(dups) == 3
assert [d["control_id"] for d in dups] == [new[3]["control_id"], new[7]["control_id"], new[11]["control_id"]]
assert len({l["control_id"] for l in new}) == 12
for i, l in enumerate(new):
    p = i % 4
    assert l["pump_id"] == "SIM-%04d" % (p + 1) and l["patient_id"] == "MRN-%04d" % (p + 1), l
    assert l["care_area"] == ("ADULT_ICU" if p % 2 == 0 else "MED_SURG"), l
    assert l["drug_code"].startswith("AICU-" if p % 2 == 0 else "MS-"), l
acks = [l for l in lines if l["dir"] == "ack"]
assert len(acks) == 15 and all(a["msa_code"] == "CA" for a in acks)
assert sorted(a["acked_id"] for a in acks) == sorted(l["control_id"] for l in out)
assert sum(1 for a in acks if a["match"] == "duplicate") == 3'
if [ "$(grep -c 'RGV^O15^RGV_O15' "$LOUT")" -eq 15 ]; then
    pass
else
    fail "the IOC stand-in received $(grep -c 'RGV^O15^RGV_O15' "$LOUT") orders, expected 15"
fi

run "expect-all-answered fails without RRG^O16" 1 "$EHRSIM" --server "127.0.0.1:$LPORT" \
    --generate 2 --library "$SAMPLE" --pumps P1 --until-idle 0.2 --quiet --expect-all-answered
out_has "expect failure said" "EXPECT FAILED: expect-all-answered: 2 orders without RRG^O16"

# Orders from a file: text, two orders, and one message that is not HL7 (skipped).
set_msh10 "$FIX/pcd03_ok_dopamine_dose_rate.hl7" "$TMP/o1.hl7" FILE-1
set_msh10 "$FIX/pcd03_ok_intermittent_dose_tq1.hl7" "$TMP/o2.hl7" FILE-2
{ tr '\r' '\n' <"$TMP/o1.hl7"; echo; echo "this is not HL7"; echo; tr '\r' '\n' <"$TMP/o2.hl7"; } \
    >"$TMP/orders.hl7"
run "orders from a file" 0 "$EHRSIM" --server "127.0.0.1:$LPORT" --orders "$TMP/orders.hl7" \
    --until-idle 0.2 --quiet --expect-all-acked
out_has "file: two sent, one skipped" "orders: sent 2 of 2 (hard-limit 0, duplicates re-sent 0, skipped 1)"
err_has "file: the skipped message named" "message 2 (byte"
lhas_order() { has_in "$1" "$LOUT" "$2"; }
lhas_order "file order 1 reached the IOC" "MSH-10 FILE-1"
lhas_order "file order 2 reached the IOC" "MSH-10 FILE-2"
kill "$LPID" 2>/dev/null
wait "$LPID" 2>/dev/null

# 2b. A scripted IOC: ACK^O15 CA on the order connection, then RRG^O16 on a new connection to
# ehrsim's listener (every third order AR with PIV 9024; the first order's RRG sent twice).
IOC="$TMP/ioc.py"
cat >"$IOC" <<'PY'
import os, socket, sys
VT, FS, CR = b"\x0b", b"\x1c", b"\r"
port_file, ehrsim_port_file, n_orders, saved, acks_file = sys.argv[1:6]
n_orders = int(n_orders)

def frames(sock):
    buf = b""
    while True:
        chunk = sock.recv(65536)
        if not chunk:
            return
        buf += chunk
        while FS + CR in buf:
            end = buf.index(FS + CR)
            yield buf[buf.index(VT) + 1:end]
            buf = buf[end + 2:]

def field(msg, seg, n):
    for s in msg.split(CR):
        f = s.split(b"|")
        if f[0] == seg:
            return f[n] if len(f) > n else b""
    return b""

MSH = (b"MSH|^~\\&|OPENINFUSION^0012210000000001^EUI-64|HOSP|EHRSIM|HOSP|"
       b"20261122101500+0000||%s|%s|P|2.6|||%s||UNICODE UTF-8|en^English^ISO639||%s")
def rrg(i, ctrl, placer):
    code = b"AR" if i % 3 == 0 else b"AA"
    m = MSH % (b"RRG^O16^RRG_O16", b"RRG%d" % i, b"AL|NE",
               b"IHE_PCD_RRG^IHE PCD^1.3.6.1.4.1.19376.1.6.1.3.2^ISO") + CR
    m += b"MSA|" + code + b"|" + ctrl + CR
    if code == b"AR":
        m += b"ERR|||207^Application internal error^HL70357|E|9024^Drug library hard limit exceeded" + CR
    m += b"ORC|OK|" + placer + CR
    return m

def send_rrg(msg, log):
    # read when needed: ehrsim listens before it connects, so the file is there by now
    ehrsim_port = int(open(ehrsim_port_file).read())
    c = socket.create_connection(("127.0.0.1", ehrsim_port), timeout=10)
    c.sendall(VT + msg + FS + CR)
    ack = next(frames(c))
    c.close()
    log.write("%s %s\n" % (field(ack, b"MSA", 1).decode(), field(ack, b"MSA", 2).decode()))
    log.write("type %s\n" % field(ack, b"MSH", 8).decode())

s = socket.socket()
s.bind(("127.0.0.1", 0))
s.listen(4)
s.settimeout(30)
open(port_file + ".tmp", "w").write(str(s.getsockname()[1]))
os.rename(port_file + ".tmp", port_file)
c, _ = s.accept()
c.settimeout(30)
out = open(saved, "wb")
log = open(acks_file, "w")
i = 0
for msg in frames(c):
    i += 1
    ctrl = field(msg, b"MSH", 9)
    out.write(msg + b"\n\n")
    ack = MSH % (b"ACK^O15^ACK", b"ACK%d" % i, b"", b"") + CR + b"MSA|CA|" + ctrl + CR
    c.sendall(VT + ack + FS + CR)
    placer = field(msg, b"ORC", 2)
    send_rrg(rrg(i, ctrl, placer), log)
    if i == 1:
        send_rrg(rrg(i, ctrl, placer), log)
    if i == n_orders:
        break
out.close()
log.close()
PY
start_ehrsim "ordering with RRG" --log "$TMP/log2.jsonl" --summary-json "$TMP/rrg.json" --quiet
echo "$EPORT" >"$TMP/eport1"
# start_ioc EHRSIM_PORT_FILE SAVED ACKS: the scripted IOC for 6 orders; IPORT its port.
start_ioc() {
    rm -f "$TMP/ioc.port"
    python3 "$IOC" "$TMP/ioc.port" "$1" 6 "$2" "$3" >"$TMP/ioc.out" 2>&1 &
    IPID=$!
    PIDS="$PIDS $IPID"
    _i=0
    while [ $_i -lt 200 ] && [ ! -s "$TMP/ioc.port" ]; do sleep 0.05; _i=$((_i + 1)); done
    IPORT=$(cat "$TMP/ioc.port" 2>/dev/null)
}
wait_ioc() {
    wait "$IPID"
    if [ $? -eq 0 ]; then pass; else fail "$1: scripted IOC failed"; sed 's/^/    ioc| /' "$TMP/ioc.out"; fi
}
start_ioc "$TMP/eport1" "$TMP/ioc_orders.hl7" "$TMP/ioc_acks.txt"
# A second ehrsim sends the orders; the first one (listener only) takes the RRG^O16.
run "orders to a scripted IOC" 0 "$EHRSIM" --server "127.0.0.1:$IPORT" --generate 6 \
    --library "$SAMPLE" --pumps SIM-0001,SIM-0002 --patients MRN-1,MRN-2 --until-idle 0.5 \
    --quiet --expect-all-acked
wait_ioc "two ehrsims"
stop_ehrsim "ordering with RRG"
if [ "$(grep -c '^CA RRG' "$TMP/ioc_acks.txt")" -eq 7 ]; then
    pass
else
    fail "every RRG^O16 answered ACK^O16 CA with its MSH-10"
    cat "$TMP/ioc_acks.txt"
fi
has_in "the RRG^O16 answer is an ACK^O16" "$TMP/ioc_acks.txt" "type ACK^O16^ACK"
json_check "listener alone: RRG^O16 counted although it did not send the orders" "$TMP/rrg.json" '
o = j["orders"]
assert o["rrg_o16_unmatched"] == 6 and o["rrg_o16_duplicate"] == 1, o
assert o["rrg_o16"] == {"AA": 4, "AR": 2} and o["piv"] == {"9024": 2}, o
assert j["received"]["invalid"] == 0, j["received"]'
run "validate the orders the IOC received" 0 "$ICTL" hl7 validate "$TMP/ioc_orders.hl7"
out_has "6 orders, no errors" "6 messages: 0 with errors"
out_lacks "no warnings either" "  warning "

# One ehrsim doing both: orders to the IOC, RRG^O16 back to its own listener.
rm -f "$TMP/log.jsonl" "$TMP/eport2"
start_ioc "$TMP/eport2" "$TMP/ioc_orders2.hl7" "$TMP/ioc_acks2.txt"
run "orders and RRG^O16 in one ehrsim" 0 "$EHRSIM" --server "127.0.0.1:$IPORT" --listen 0 \
    --port-file "$TMP/eport2" --generate 6 --library "$SAMPLE" --pump-prefix SIM- \
    --pump-count 3 --patients MRN- --until-idle 1 --summary-json "$TMP/both.json" \
    --log "$TMP/log.jsonl" --quiet --expect-all-answered --expect-no-invalid
wait_ioc "one ehrsim"
line_is "both: the port comes first" 1 "listening on $(cat "$TMP/eport2")"
out_has "both: RRG line" "RRG^O16: AA 4, AE 0, AR 2; duplicate 1, unmatched 0; orders unanswered 0"
out_has "both: PIV codes" "PIV codes: 9024 x2"
json_check "both: RRG^O16 matched to orders by MSA-2" "$TMP/both.json" '
o = j["orders"]
assert o["rrg_o16"] == {"AA": 4, "AR": 2}, o["rrg_o16"]
assert o["piv"] == {"9024": 2} and o["rrg_o16_duplicate"] == 1 and o["unanswered"] == 0, o
assert j["latency_ms"]["rrg_o16"]["n"] == 6
rrgs = [l for l in lines if l["dir"] == "in" and l["type"] == "rrg-o16"]
assert len(rrgs) == 7 and all(l["valid"] for l in rrgs), rrgs
sent = {l["control_id"]: l for l in lines if l["dir"] == "out"}
for l in rrgs:
    assert l["acked_id"] in sent and l["placer_id"] == sent[l["acked_id"]]["placer_id"], l
    assert l["ack_sent"] == "CA"
assert [l["piv_codes"] for l in rrgs if l["msa_code"] == "AR"] == [[9024], [9024]]
assert sum(1 for l in rrgs if l["match"] == "duplicate") == 1'

# ---- 3. bad input to the listener ----------------------------------------------------------------
PEER="$TMP/peer.py"
cat >"$PEER" <<'PY'
import socket, sys, time
port, mode = int(sys.argv[1]), sys.argv[2]
c = socket.create_connection(("127.0.0.1", port), timeout=10)
if mode == "garbage":
    c.sendall(b"GET / HTTP/1.0\r\nHost: x\r\n\r\n" * 4)
elif mode == "not-hl7":
    c.sendall(b"\x0bhello, this is not HL7\x1c\r")
elif mode == "many":
    # 150 messages on one connection, each frame followed by CR LF: the stray bytes between
    # frames are tolerated per gap, so the connection must stay up for all 150 ACKs.
    text = open(sys.argv[3], "rb").read().replace(b"\n", b"\r").strip(b"\r")
    msh = text.split(b"\r")[0].split(b"|")
    acks = 0
    buf = b""
    for i in range(150):
        msh[9] = b"MANY-%d" % i
        seg = text.split(b"\r")
        seg[0] = b"|".join(msh)
        c.sendall(b"\x0b" + b"\r".join(seg) + b"\r\x1c\r\r\n")
        while b"\x1c" not in buf:
            data = c.recv(65536)
            if not data:
                print("EOF after %d ACKs" % acks)
                sys.exit(1)
            buf += data
        buf = buf[buf.index(b"\x1c") + 1:]
        acks += 1
    print("ACKS %d" % acks)
    sys.exit(0)
elif mode == "oversize":
    try:
        c.sendall(b"\x0b" + b"MSH|" + b"A" * (1100 * 1024) + b"\x1c\r")
    except (BrokenPipeError, ConnectionResetError):
        pass
try:
    data = c.recv(65536)
    print("EOF" if data == b"" else "DATA %r" % data[:60])
except ConnectionResetError:
    print("EOF")
except socket.timeout:
    print("TIMEOUT")
PY
rm -f "$TMP/log.jsonl"
start_ehrsim "bad input" --log "$TMP/log.jsonl" --summary-json "$TMP/bad.json" --quiet
for mode in garbage not-hl7 oversize; do
    run "listener: $mode" 0 python3 "$PEER" "$EPORT" "$mode"
    out_has "listener: $mode: connection closed by ehrsim" "EOF"
done
run "listener: 150 messages with line ends between frames on one connection" 0 \
    python3 "$PEER" "$EPORT" many "$TMP/d1.hl7"
out_has "listener: all 150 answered on the same connection" "ACKS 150"
run "a valid sender is still served" 0 "$ICTL" hl7 send --port "$EPORT" "$TMP/d1.hl7"
out_has "valid sender: CA" "ACK CA for DOC-1: matched"
stop_ehrsim "bad input"
json_check "bad input: dropped connections logged and counted" "$TMP/bad.json" '
r = j["received"]
assert r["connections_dropped"] == 3 and r["invalid"] == 3, r
drops = [l for l in lines if l.get("type") == "connection-dropped"]
assert len(drops) == 3, drops
d = " | ".join(l["detail"] for l in drops)
assert "outside an MLLP frame" in d and "not an HL7 message" in d and "larger than 1 MiB" in d, d
assert any(l.get("type") == "not-hl7" for l in lines)
ids = [l["control_id"] for l in lines if l["dir"] == "in" and "control_id" in l]
assert ids == ["MANY-%d" % i for i in range(150)] + ["DOC-1"], ids'

finish
