#!/bin/sh
# test_hl7_interop.sh - interoperability with HL7 libraries we did not write (npm: @medplum/hl7 +
# @medplum/core, node-hl7-client, simple-hl7; pinned in tests/interop/node/package-lock.json and
# installed by scripts/npm-setup into the build tree):
#   1. they parse messages our builder made, and find every value we put in;
#   2. we parse (infusionctl hl7 parse --json) messages they built, and find every value;
#   3. their MLLP clients talk to our `hl7 listen` and accept our ACKs;
#   4. our `hl7 send` talks to their MLLP server and accepts its ACKs.
# Needs node and npm (scripts/bootstrap installs them) and the npm registry once.
# Servers listen on 127.0.0.1 on ports the system picks; each is stopped by its PID.
. "$(dirname "$0")/lib.sh"

JS="$ROOT/tests/interop/node/interop.js"
BUILDER="$BUILD/tests/integration/hl7_interop_build"
if [ ! -x "$BUILDER" ]; then
    echo "FAIL: $BUILDER not built (target hl7_interop_build)"
    exit 1
fi
if ! NODE_PATH=$(sh "$ROOT/scripts/npm-setup" --print-path 2>"$TMP/npm-setup.err"); then
    echo "FAIL: scripts/npm-setup could not install the npm HL7 libraries:"
    sed 's/^/    /' "$TMP/npm-setup.err"
    exit 1
fi
export NODE_PATH

# node_run NAME STATUS ARGS...: node interop.js ARGS; its own FAIL lines are shown as ours.
node_run() {
    _n=$1
    _w=$2
    shift 2
    node "$JS" "$@" >"$OUT" 2>"$ERR"
    _st=$?
    if [ "$_st" -ne "$_w" ]; then
        fail "$_n: node exit status $_st, expected $_w"
        show_io
    else
        pass
    fi
}

# ---- 1. they parse what we built ------------------------------------------------------------
run "our builder writes the messages" 0 "$BUILDER" "$TMP/ours.hl7" "$TMP/ours.tsv"
node_run "npm parsers read our messages" 0 check "$TMP/ours.hl7" "$TMP/ours.tsv"
out_has "npm parsers read our messages" " 0 failed"
# The check can fail: a value our builder did not write is reported.
printf '1\tPID-5(1).1\t"not what we wrote"\n' >>"$TMP/ours.tsv"
node_run "a wrong expectation is caught" 1 check "$TMP/ours.hl7" "$TMP/ours.tsv"
out_has "a wrong expectation is caught" "FAIL: node-hl7-client, message 1 PID-5(1).1"

# ---- 2. we parse what they built -------------------------------------------------------------
node_run "npm libraries build messages" 0 build "$TMP/theirs.hl7" "$TMP/theirs.tsv"
run "infusionctl parses their messages" 0 "$CTL" hl7 parse --json "$TMP/theirs.hl7"
py_check "their values, as we parse them" '
import json, re, sys
doc = json.load(open(sys.argv[1]))
msgs = doc["messages"]
bad = []
n = 0
for line in open(sys.argv[2]).read().splitlines():
    i, path, want = line.split("\t")
    want = json.loads(want)
    m = re.match(r"^([A-Z][A-Z0-9]{2})(?:\[(\d+)\])?-(\d+)(?:\((\d+)\))?(?:\.(\d+)(?:\.(\d+))?)?$", path)
    seg, occ, f = m.group(1), int(m.group(2) or 1), int(m.group(3))
    rep, comp, sub = int(m.group(4) or 1), int(m.group(5) or 0), int(m.group(6) or 0)
    segs = [s for s in msgs[int(i) - 1]["segments"] if s["id"] == seg]
    fields = segs[occ - 1]["fields"]
    field = fields[f - 1] if f <= len(fields) else []
    def at(lst, k):
        return lst[k - 1] if 0 < k <= len(lst) else None
    if comp == 0:   # the whole field: one repetition, one component, one subcomponent
        got = field[0][0][0] if len(field) == 1 and len(field[0]) == 1 and len(field[0][0]) == 1 else ("" if not field else field)
    else:
        r = at(field, rep) or []
        c = at(r, comp) or []
        got = at(c, sub or 1)
        got = "" if got is None and not c else got
    n += 1
    if got != want:
        bad.append("message %s %s: got %r, want %r" % (i, path, got, want))
assert n > 20, n
assert not bad, "\n".join(bad)
' "$TMP/theirs.tsv"

# ---- 3. their clients, our listener ----------------------------------------------------------
"$CTL" hl7 listen --port 0 >"$TMP/listen.out" 2>"$TMP/listen.err" &
LPID=$!
PIDS="$PIDS $LPID"
LPORT=""
i=0
while [ -z "$LPORT" ] && [ $i -lt 200 ]; do
    sleep 0.05
    LPORT=$(sed -n '1s/^listening on 127\.0\.0\.1:\([0-9][0-9]*\).*$/\1/p' "$TMP/listen.out")
    i=$((i + 1))
done
if [ -z "$LPORT" ]; then
    fail "listener: no port"
else
    pass
    # medplum's client: our messages (one enhanced, one original) and theirs.
    node_run "medplum client -> our listener (our messages)" 0 client "$LPORT" "$TMP/ours.hl7"
    out_has "medplum got our CA" "ACK CA OI-INTEROP-1 for OI-INTEROP-1"
    out_has "medplum got our AA" "ACK AA OI-INTEROP-2 for OI-INTEROP-2"
    node_run "medplum client -> our listener (their messages)" 0 client "$LPORT" "$TMP/theirs.hl7"
    out_has "medplum: their ORU" "ACK CA MP-1 for MP-1"
    out_has "medplum: their ADT" "for SH-3"
    node_run "simple-hl7 client -> our listener" 0 simple-client "$LPORT" "$TMP/theirs.hl7"
    out_has "simple-hl7 got our ACK" "ACK CA MP-1 for MP-1"
    sleep 0.2
    has_in "listener printed their message" "$TMP/listen.out" "MSH-9 ORU^R01^ORU_R01, MSH-10 MP-1, segments MSH PID OBR OBX OBX NTE, enhanced mode -> ACK CA"
    has_in "listener printed simple-hl7's message" "$TMP/listen.out" "MSH-9 ADT^A08, MSH-10 SH-3"
    kill -TERM "$LPID"
    wait "$LPID"
    st=$?
    if [ "$st" -eq 0 ]; then pass; else fail "listener exit status $st after SIGTERM"; fi
    if grep -q -e Sanitizer -e 'runtime error:' "$TMP/listen.err"; then
        fail "listener: sanitizer report"
        head -n 20 "$TMP/listen.err"
    else
        pass
    fi
fi

# ---- 4. our client, their server -------------------------------------------------------------
node "$JS" server "$TMP/sport" 2 >"$TMP/server.out" 2>&1 &
SPID=$!
PIDS="$PIDS $SPID"
i=0
while [ ! -s "$TMP/sport" ] && [ $i -lt 200 ]; do
    sleep 0.05
    i=$((i + 1))
done
SPORT=$(cat "$TMP/sport" 2>/dev/null)
run "our send -> medplum server" 0 "$CTL" hl7 send --port "${SPORT:-1}" "$TMP/ours.hl7"
out_has "medplum server ACKed message 1" "ACK AA for OI-INTEROP-1: matched"
out_has "medplum server ACKed message 2" "ACK AA for OI-INTEROP-2: matched"
wait "$SPID"
st=$?
if [ "$st" -eq 0 ]; then pass; else fail "medplum server exit status $st"; fi
has_in "medplum server received our ORU" "$TMP/server.out" "RECEIVED ORU^R01^ORU_R01 OI-INTEROP-1 MSH PID PV1 OBR OBX OBX OBX"
has_in "medplum server received our ADT" "$TMP/server.out" "RECEIVED ADT^A01 OI-INTEROP-2 MSH PID NTE"

finish
